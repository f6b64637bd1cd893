//! [`Accepting`]: the listener with its connection cap and its backoff on
//! accept errors, giving out admitted connections one at a time.

use std::net::SocketAddr;

use tokio::net::TcpListener;

use super::backoff::AcceptBackoff;
use super::conn_cap::{ConnCap, Counted};

/// The listening side of the accept loop.
pub(crate) struct Accepting {
    listener: TcpListener,
    cap: ConnCap,
    backoff: AcceptBackoff,
}

impl Accepting {
    /// Accepts on `listener`, `max_connections` open at most.
    pub(crate) fn new(listener: TcpListener, max_connections: usize) -> Self {
        Self {
            listener,
            cap: ConnCap::new(max_connections),
            backoff: AcceptBackoff::default(),
        }
    }

    /// The next connection there is a place for. Connections over the cap
    /// are closed at once; accept errors (out of file descriptors and the
    /// like) are waited out. Cancel-safe.
    pub(crate) async fn next(&mut self) -> (Counted, SocketAddr) {
        loop {
            match self.listener.accept().await {
                Ok((stream, addr)) => {
                    self.backoff.succeeded();
                    let _ = stream.set_nodelay(true);
                    if let Some(stream) = self.cap.admit(stream) {
                        return (stream, addr);
                    }
                }
                Err(e) => tokio::time::sleep(self.backoff.failed(&e)).await,
            }
        }
    }

    /// TCP connections open now, WebSockets included.
    pub(crate) fn open(&self) -> usize {
        self.cap.open()
    }
}
