//! The cap on open TCP connections: [`ConnCap`] admits an accepted stream
//! while fewer than `max_connections` are open, and closes it at once
//! otherwise. An admitted stream is a [`Counted`]: it holds its place until
//! it is dropped, which for a WebSocket is when the WebSocket ends, not when
//! hyper hands the upgraded connection over.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// How often, at most, refused connections are reported in the log.
const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(1);

/// File descriptors kept for what is not a client connection (the
/// listener, the storage, logs) when the cap is compared with the
/// process's open-file limit.
const FD_RESERVE: u64 = 64;

/// Admits connections up to a maximum.
pub(crate) struct ConnCap {
    places: Arc<Semaphore>,
    max: usize,
    refusals: RefusalLog,
}

impl ConnCap {
    /// A cap of `max` open connections.
    pub(crate) fn new(max: usize) -> Self {
        let max = max.min(Semaphore::MAX_PERMITS);
        Self {
            places: Arc::new(Semaphore::new(max)),
            max,
            refusals: RefusalLog::default(),
        }
    }

    /// The stream, counted, when there is a place for it; otherwise it is
    /// closed here (dropped) and the refusal counted.
    pub(crate) fn admit(&mut self, stream: TcpStream) -> Option<Counted> {
        match self.places.clone().try_acquire_owned() {
            Ok(place) => Some(Counted {
                stream,
                _place: place,
            }),
            Err(_) => {
                drop(stream);
                if let Some(refused) = self.refusals.record(Instant::now()) {
                    tracing::warn!(
                        refused,
                        max_connections = self.max,
                        "connection cap reached: connections closed at once"
                    );
                }
                None
            }
        }
    }

    /// Connections open now.
    pub(crate) fn open(&self) -> usize {
        self.max - self.places.available_permits()
    }
}

/// Counts refused connections and says when to log them: the first refusal
/// at once, then at most once per [`REFUSAL_LOG_EVERY`] with the number
/// refused since the last line.
#[derive(Default)]
struct RefusalLog {
    unreported: u64,
    last_line: Option<Instant>,
}

impl RefusalLog {
    /// Counts one refusal; `Some(n)` when a line reporting `n` refusals is due.
    fn record(&mut self, now: Instant) -> Option<u64> {
        self.unreported += 1;
        let due = self
            .last_line
            .is_none_or(|at| now.duration_since(at) >= REFUSAL_LOG_EVERY);
        if !due {
            return None;
        }
        self.last_line = Some(now);
        Some(std::mem::take(&mut self.unreported))
    }
}

/// An admitted TCP stream: its place under the cap is freed when it drops.
pub(crate) struct Counted {
    stream: TcpStream,
    _place: OwnedSemaphorePermit,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Warns when `max_connections` cannot be reached because the process may
/// not open that many files: the accept loop then backs off on "too many
/// open files" instead (as nginx warns of `worker_connections`).
pub(crate) fn warn_if_over_fd_limit(max_connections: usize) {
    let Some(limit) = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|text| open_file_limit(&text))
    else {
        return;
    };
    if max_connections as u64 + FD_RESERVE > limit {
        tracing::warn!(
            max_connections,
            open_file_limit = limit,
            "max-connections is above what the open-file limit allows (raise `ulimit -n` \
             or lower --max-connections); past it, accepts fail and are backed off"
        );
    }
}

/// The soft "Max open files" limit of a `/proc/PID/limits` text.
fn open_file_limit(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_logged_at_most_once_a_second_with_their_count() {
        let mut log = RefusalLog::default();
        let t0 = Instant::now();
        assert_eq!(log.record(t0), Some(1), "the first refusal is told at once");
        for i in 1..=4 {
            assert_eq!(log.record(t0 + Duration::from_millis(200 * i)), None);
        }
        assert_eq!(
            log.record(t0 + Duration::from_millis(999)),
            None,
            "not before a second"
        );
        assert_eq!(
            log.record(t0 + Duration::from_secs(1)),
            Some(6),
            "every refusal since the last line"
        );
        assert_eq!(log.record(t0 + Duration::from_millis(1500)), None);
        assert_eq!(log.record(t0 + Duration::from_secs(5)), Some(2));
    }

    #[test]
    fn the_open_file_limit_is_read_from_proc_limits() {
        let text = "Limit                     Soft Limit           Hard Limit           Units     \n\
                    Max processes             63382                63382                processes \n\
                    Max open files            1024                 524288               files     \n";
        assert_eq!(open_file_limit(text), Some(1024));
        let unlimited = "Max open files            unlimited            unlimited            files";
        assert_eq!(open_file_limit(unlimited), None);
        assert_eq!(open_file_limit("nothing"), None);
    }

    #[tokio::test]
    async fn a_place_is_freed_when_its_stream_drops() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut cap = ConnCap::new(1);
        let accept = || async {
            let _client = TcpStream::connect(addr).await.expect("connect");
            listener.accept().await.expect("accept").0
        };
        let first = cap.admit(accept().await).expect("a place");
        assert_eq!(cap.open(), 1);
        assert!(cap.admit(accept().await).is_none(), "over the cap");
        drop(first);
        assert_eq!(cap.open(), 0);
        assert!(cap.admit(accept().await).is_some());
    }
}
