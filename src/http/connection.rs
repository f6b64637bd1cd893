//! [`Connections`]: one task per accepted connection — the TLS handshake
//! first when the server speaks TLS, then hyper's HTTP/1.1 with upgrades —
//! told to finish by a cancellation token at shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::conn_cap::Counted;
use super::fallback::HttpHandler;
use super::limits::ServeConfig;
use super::service::EdgeService;
use crate::engine::Engine;

/// Starts and keeps the connection tasks.
pub(crate) struct Connections {
    http: http1::Builder,
    engine: Engine,
    fallback: Option<Arc<dyn HttpHandler>>,
    body_timeout: Duration,
    /// Bounds the TLS handshake.
    #[cfg(feature = "tls")]
    header_timeout: Duration,
    #[cfg(feature = "tls")]
    tls: Option<tokio_rustls::TlsAcceptor>,
    /// Cancelled at shutdown: every connection finishes what it is doing.
    pub(crate) stop: CancellationToken,
    /// The running tasks.
    pub(crate) tasks: JoinSet<()>,
}

impl Connections {
    /// Connections served within `config`'s limits.
    pub(crate) fn new(
        engine: Engine,
        fallback: Option<Arc<dyn HttpHandler>>,
        config: &ServeConfig,
    ) -> Self {
        let mut http = http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(config.header_timeout)
            .max_header_size(config.max_header_bytes)
            .max_buf_size(config.read_buffer());
        Self {
            http,
            engine,
            fallback,
            body_timeout: config.body_timeout,
            #[cfg(feature = "tls")]
            header_timeout: config.header_timeout,
            #[cfg(feature = "tls")]
            tls: config.tls.as_ref().map(super::tls::TlsCerts::acceptor),
            stop: CancellationToken::new(),
            tasks: JoinSet::new(),
        }
    }

    /// Serves `stream` from `addr` in a task of its own.
    pub(crate) fn spawn(&mut self, stream: Counted, addr: SocketAddr) {
        let service = EdgeService::new(self.engine.clone(), Some(addr))
            .with_fallback(self.fallback.clone())
            .with_body_timeout(self.body_timeout);
        let mut http = self.http.clone();
        let mut stop = self.stop.clone();
        if stop.is_cancelled() {
            // Accepted during the drain: one request, then the connection
            // closes. (hyper's graceful shutdown would close it unanswered.)
            http.keep_alive(false);
            stop = CancellationToken::new();
        }
        #[cfg(feature = "tls")]
        if let Some(acceptor) = self.tls.clone() {
            let timeout = self.header_timeout;
            self.tasks.spawn(async move {
                // Bounded by the header timeout, so a client that never
                // finishes its handshake holds its place no longer than a
                // slow request head would.
                let tls = super::tls::handshake(&acceptor, stream, timeout, addr).await;
                if let Some(tls) = tls {
                    serve(http, tls, service, stop, addr).await;
                }
            });
            return;
        }
        self.tasks.spawn(serve(http, stream, service, stop, addr));
    }
}

/// HTTP/1.1 with upgrades on `io` until the client leaves or, once `stop`
/// is cancelled, the request in flight is answered (an idle keep-alive
/// connection closes at once).
async fn serve<S>(
    http: http1::Builder,
    io: S,
    service: EdgeService,
    stop: CancellationToken,
    addr: SocketAddr,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let conn = http
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::pin!(conn);
    let result = tokio::select! {
        r = conn.as_mut() => r,
        _ = stop.cancelled() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, %addr, "connection ended with an error");
    }
}
