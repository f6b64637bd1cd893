//! Measurements: latency histograms (HdrHistogram, microseconds) that many
//! client tasks feed cheaply, and CPU-time marks for the measured window.

use std::sync::{Arc, Mutex};

use hdrhistogram::Histogram;

use crate::procfs;

/// Samples a client keeps before taking the shared histogram's lock.
const BATCH: usize = 256;

/// A histogram shared by every client of a run.
#[derive(Clone)]
pub struct SharedHistogram(Arc<Mutex<Histogram<u64>>>);

impl SharedHistogram {
    pub fn new() -> Self {
        // 1 µs to 1 hour at 3 significant digits.
        let h = Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds");
        Self(Arc::new(Mutex::new(h)))
    }

    /// A per-client recorder that batches its samples.
    pub fn recorder(&self) -> Recorder {
        Recorder {
            shared: self.clone(),
            buf: Vec::with_capacity(BATCH),
        }
    }

    /// (count, p50, p99, p99.9) in microseconds.
    pub fn summary(&self) -> (u64, u64, u64, u64) {
        let h = self.0.lock().expect("histogram lock");
        (
            h.len(),
            h.value_at_quantile(0.5),
            h.value_at_quantile(0.99),
            h.value_at_quantile(0.999),
        )
    }
}

/// Feeds a [`SharedHistogram`] in batches; flushes on drop, so an aborted
/// client task loses nothing it recorded.
pub struct Recorder {
    shared: SharedHistogram,
    buf: Vec<u64>,
}

impl Recorder {
    pub fn record(&mut self, micros: u64) {
        self.buf.push(micros.max(1));
        if self.buf.len() >= BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        if let Ok(mut h) = self.shared.0.lock() {
            for v in self.buf.drain(..) {
                h.saturating_record(v);
            }
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.flush();
    }
}

/// `v` rounded to `digits` decimals, for readable JSON.
pub fn round(v: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (v * scale).round() / scale
}

/// CPU seconds used so far by the server (if its PID is known) and by us.
pub struct CpuMark {
    server: Option<f64>,
    own: f64,
}

impl CpuMark {
    pub fn now(server_pid: Option<u32>) -> Self {
        Self {
            server: server_pid.and_then(|pid| procfs::cpu_seconds(Some(pid)).ok()),
            own: procfs::cpu_seconds(None).unwrap_or(0.0),
        }
    }

    /// (server CPU seconds, loadgen CPU seconds) between `self` and `later`.
    pub fn until(&self, later: &CpuMark) -> (Option<f64>, f64) {
        let server = match (self.server, later.server) {
            (Some(a), Some(b)) => Some(round(b - a, 3)),
            _ => None,
        };
        (server, round(later.own - self.own, 3))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorders_flush_on_drop() {
        let h = SharedHistogram::new();
        {
            let mut r = h.recorder();
            for v in 1..=1000 {
                r.record(v);
            }
        }
        let (n, p50, p99, _) = h.summary();
        assert_eq!(n, 1000);
        assert!((499..=501).contains(&p50), "{p50}");
        assert!((989..=991).contains(&p99), "{p99}");
    }
}
