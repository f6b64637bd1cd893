//! The accept loop: one hyper HTTP/1.1 connection task per client, within
//! the connection-level limits of a [`ServeConfig`], drained gracefully when
//! the shutdown signal fires — and cut when the drain takes too long.

use std::future::Future;
use std::sync::Arc;

use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::backoff::AcceptBackoff;
use super::conn_cap::{warn_if_over_fd_limit, ConnCap};
use super::fallback::HttpHandler;
use super::limits::ServeConfig;
use super::service::EdgeService;
use crate::engine::{DisconnectReason, Engine};

/// How a [`serve_with`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Drained {
    /// Connections still open when the drain timeout passed, and cut.
    pub aborted: usize,
}

/// Serves `engine` on `listener` until `shutdown` resolves, then closes every
/// session with "server shutting down" and drains open connections, with
/// the default [`ServeConfig`].
pub async fn serve(listener: TcpListener, engine: Engine, shutdown: impl Future<Output = ()>) {
    serve_with_fallback(listener, engine, None, shutdown).await;
}

/// [`serve`], with every request that is not the engine's handed to
/// `fallback` (an application's own endpoints on the same port).
pub async fn serve_with_fallback(
    listener: TcpListener,
    engine: Engine,
    fallback: Option<Arc<dyn HttpHandler>>,
    shutdown: impl Future<Output = ()>,
) {
    let _ = serve_with(listener, engine, fallback, ServeConfig::default(), shutdown).await;
}

/// [`serve_with_fallback`] within the limits of `config`.
///
/// The shutdown story is mini-redis's: a token cancelled to tell every
/// connection task to finish (an idle keep-alive connection closes at once,
/// one with a request in flight after answering it), then a wait for them
/// all, bounded by [`ServeConfig::drain_timeout`]; the tasks still running
/// after it are aborted, which closes their connections, so that no
/// connection outlives `serve`. WebSocket sessions are closed with the
/// engine's sessions.
pub async fn serve_with(
    listener: TcpListener,
    engine: Engine,
    fallback: Option<Arc<dyn HttpHandler>>,
    config: ServeConfig,
    shutdown: impl Future<Output = ()>,
) -> Drained {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout)
        .max_header_size(config.max_header_bytes)
        .max_buf_size(config.read_buffer());
    warn_if_over_fd_limit(config.max_connections);
    let mut cap = ConnCap::new(config.max_connections);
    let mut backoff = AcceptBackoff::default();
    let stop = CancellationToken::new();
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            // Reaps ended connections, so the set holds the open ones.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            _ = &mut shutdown => break,
        };
        let (stream, addr) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: wait, keep serving.
                let wait = backoff.failed(&e);
                tokio::select! {
                    _ = tokio::time::sleep(wait) => continue,
                    _ = &mut shutdown => break,
                }
            }
        };
        backoff.succeeded();
        let _ = stream.set_nodelay(true);
        let Some(stream) = cap.admit(stream) else {
            continue;
        };
        let service = EdgeService::new(engine.clone(), Some(addr))
            .with_fallback(fallback.clone())
            .with_body_timeout(config.body_timeout);
        let conn = http
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        let stop = stop.clone();
        connections.spawn(async move {
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
        });
    }
    drop(listener);
    tracing::info!(
        sessions = engine.session_count(),
        connections = cap.open(),
        "shutting down"
    );
    engine.close_all(DisconnectReason::ServerShuttingDown);
    stop.cancel();
    drain(connections, config.drain_timeout).await
}

/// Waits for every connection task, at most `timeout`; then aborts those
/// still running and waits for them to be gone.
async fn drain(mut connections: JoinSet<()>, timeout: std::time::Duration) -> Drained {
    let all_done = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(timeout, all_done).await.is_ok() {
        return Drained { aborted: 0 };
    }
    connections.abort_all();
    let mut aborted = 0;
    while let Some(ended) = connections.join_next().await {
        if ended.is_err_and(|e| e.is_cancelled()) {
            aborted += 1;
        }
    }
    tracing::warn!(
        aborted,
        "connections still open after the drain timeout were cut"
    );
    Drained { aborted }
}
