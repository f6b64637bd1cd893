//! The well-behaved client: one Socket.IO client over WebSocket, on a thread
//! and runtime of its own so that the attackers' tasks never delay it, sends
//! an acknowledged `echo` every few milliseconds (one in flight) and records
//! each round trip. On `--app echo`, which bounces every message back
//! unchanged, it sends an ack-shaped packet (`43<id>["steady"]`) that comes
//! back as is. A lost session is recorded and reopened.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::cli::Transport;
use crate::sio::SioClient;

/// Longest wait for one echo's ack before it counts as lost.
const ACK_WAIT: Duration = Duration::from_secs(5);
/// Pause before reopening a lost session.
const REOPEN_AFTER: Duration = Duration::from_millis(200);

/// What the client saw.
#[derive(Default)]
struct Log {
    /// (sent at, round trip in µs; `None`: no ack within [`ACK_WAIT`]).
    echoes: Vec<(Instant, Option<u64>)>,
    /// When a session was lost, and why.
    drops: Vec<(Instant, String)>,
}

/// The client's record over one window.
#[derive(Debug, Default, Clone)]
pub struct WindowStats {
    pub acked: u64,
    pub lost: u64,
    pub p50_us: Option<u64>,
    pub p99_us: Option<u64>,
    pub max_us: Option<u64>,
    /// Sessions lost in the window, with the first reason.
    pub drops: u64,
    pub first_drop: Option<String>,
}

/// The running client; stopped when dropped.
pub struct Steady {
    log: Arc<Mutex<Log>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Steady {
    /// Starts the client against `app` on `addr`; returns once its first
    /// session is open.
    pub fn start(addr: SocketAddr, app: &'static str, every: Duration) -> Result<Self> {
        let log = Arc::new(Mutex::new(Log::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (l, s) = (log.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("steady".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(anyhow::Error::from(e)));
                        return;
                    }
                };
                rt.block_on(run(addr, app, every, l, s, ready_tx));
            })
            .context("spawn the well-behaved client")?;
        let first = ready_rx
            .recv_timeout(Duration::from_secs(30))
            .context("the well-behaved client did not connect within 30 s")?;
        first.context("the well-behaved client could not connect")?;
        Ok(Self {
            log,
            stop,
            thread: Some(thread),
        })
    }

    /// Its record for echoes sent in `from..to`.
    pub fn window(&self, from: Instant, to: Instant) -> WindowStats {
        let Ok(log) = self.log.lock() else {
            return WindowStats::default();
        };
        let mut lat: Vec<u64> = Vec::new();
        let mut lost = 0;
        for (_, l) in log.echoes.iter().filter(|(at, _)| *at >= from && *at < to) {
            match l {
                Some(us) => lat.push(*us),
                None => lost += 1,
            }
        }
        lat.sort_unstable();
        let q = |p| quantile(&lat, p);
        let drops: Vec<_> = log
            .drops
            .iter()
            .filter(|(at, _)| *at >= from && *at < to)
            .collect();
        WindowStats {
            acked: lat.len() as u64,
            lost,
            p50_us: q(0.5),
            p99_us: q(0.99),
            max_us: lat.last().copied(),
            drops: drops.len() as u64,
            first_drop: drops.first().map(|(_, why)| why.clone()),
        }
    }
}

impl Drop for Steady {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn run(
    addr: SocketAddr,
    app: &'static str,
    every: Duration,
    log: Arc<Mutex<Log>>,
    stop: Arc<AtomicBool>,
    ready: std::sync::mpsc::Sender<Result<()>>,
) {
    let mut ready = Some(ready);
    let mut id = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let client = SioClient::connect(addr, Transport::Websocket, None).await;
        let mut client = match (client, ready.take()) {
            (Ok(c), r) => {
                if let Some(r) = r {
                    let _ = r.send(Ok(()));
                }
                c
            }
            (Err(e), Some(r)) => {
                let _ = r.send(Err(e));
                return;
            }
            (Err(e), None) => {
                note_drop(&log, format!("reconnect failed: {e:#}"));
                tokio::time::sleep(REOPEN_AFTER).await;
                continue;
            }
        };
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while !stop.load(Ordering::Relaxed) {
            tick.tick().await;
            id += 1;
            let sent = Instant::now();
            let result = echo_once(&mut client, app, id).await;
            let rtt = result.as_ref().ok().copied().flatten();
            if let Ok(mut l) = log.lock() {
                l.echoes.push((sent, rtt.map(|d| d.as_micros() as u64)));
            }
            if let Err(e) = result {
                note_drop(&log, format!("{e:#}"));
                tokio::time::sleep(REOPEN_AFTER).await;
                break;
            }
        }
    }
}

/// The `p` quantile (nearest rank) of `sorted`.
fn quantile(sorted: &[u64], p: f64) -> Option<u64> {
    let rank = (sorted.len() as f64 * p).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len().max(1)) - 1).copied()
}

fn note_drop(log: &Mutex<Log>, why: String) {
    if let Ok(mut l) = log.lock() {
        l.drops.push((Instant::now(), why));
    }
}

/// One acked echo: the round trip, `None` if no ack came in time, `Err` if
/// the session ended.
async fn echo_once(client: &mut SioClient, app: &str, id: u64) -> Result<Option<Duration>> {
    let packet: Utf8Bytes = if app == "echo" {
        format!(r#"43{id}["steady"]"#).into()
    } else {
        format!(r#"42{id}["echo","steady"]"#).into()
    };
    let sent = Instant::now();
    client.send(packet).await?;
    client.flush().await?;
    let want = format!("43{id}[");
    let mut buf: Vec<Bytes> = Vec::new();
    let deadline = tokio::time::Instant::now() + ACK_WAIT;
    loop {
        match tokio::time::timeout_at(deadline, client.recv(&mut buf)).await {
            Err(_) => return Ok(None),
            Ok(r) => r?,
        }
        for p in buf.drain(..) {
            if p.starts_with(want.as_bytes()) {
                return Ok(Some(sent.elapsed()));
            }
            if p.starts_with(b"41") || p.starts_with(b"44") {
                bail!(
                    "the server disconnected it: {}",
                    String::from_utf8_lossy(&p)
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn nearest_rank_quantiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(quantile(&v, 0.5), Some(50));
        assert_eq!(quantile(&v, 0.99), Some(99));
        assert_eq!(quantile(&v[..1], 0.99), Some(1));
        assert_eq!(quantile(&[], 0.5), None);
    }
}
