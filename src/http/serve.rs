//! The accept loop: one hyper HTTP/1.1 connection task per client, drained
//! gracefully when the shutdown signal fires.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::fallback::HttpHandler;
use super::service::EdgeService;
use crate::engine::{DisconnectReason, Engine};

/// How long open HTTP requests may take to finish once shutdown starts.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves `engine` on `listener` until `shutdown` resolves, then closes every
/// session with "server shutting down" and drains open connections.
///
/// The shutdown story is mini-redis's: a token cancelled to tell every
/// connection task to finish, and a channel whose closing (every task has
/// dropped its sender) means they all have.
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
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30));
    let stop = CancellationToken::new();
    let (done_tx, mut all_done) = mpsc::channel::<()>(1);
    tokio::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let conn = http
            .serve_connection(
                TokioIo::new(stream),
                EdgeService::new(engine.clone(), Some(addr)).with_fallback(fallback.clone()),
            )
            .with_upgrades();
        let stop = stop.clone();
        let done = done_tx.clone();
        tokio::spawn(async move {
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
            drop(done);
        });
    }
    drop(listener);
    tracing::info!(sessions = engine.session_count(), "shutting down");
    engine.close_all(DisconnectReason::ServerShuttingDown);
    stop.cancel();
    drop(done_tx);
    if tokio::time::timeout(DRAIN_TIMEOUT, all_done.recv())
        .await
        .is_err()
    {
        tracing::warn!("some connections did not finish in time");
    }
}
