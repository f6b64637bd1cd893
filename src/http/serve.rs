//! The accept loop: one connection task per client (TLS first when the
//! [`ServeConfig`] has a certificate), within the connection-level limits,
//! drained gracefully when the shutdown signal fires — and cut when the
//! drain takes too long.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::time::Instant;

use super::accept::Accepting;
use super::conn_cap::warn_if_over_fd_limit;
use super::connection::Connections;
use super::fallback::HttpHandler;
use super::limits::ServeConfig;
use crate::engine::{DisconnectReason, Engine};

/// How often the drain looks whether the last connection (a WebSocket's,
/// which hyper no longer tracks) is gone.
const DRAIN_CHECK: Duration = Duration::from_millis(50);

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

/// [`serve_with_fallback`] within the limits of `config`, over TLS when it
/// has a certificate.
///
/// The shutdown, once `shutdown` resolves:
/// 1. the engine starts draining ([`Engine::begin_drain`]): every new
///    handshake is answered `503`, open sessions go on, for
///    [`ServeConfig::shutdown_delay`] (zero by default);
/// 2. every session is closed with "server shutting down": a pending
///    long-poll is answered with the close packet, a WebSocket gets a close
///    frame — no Socket.IO DISCONNECT, as socket.io's `io.close()`, so
///    clients see "transport close" and reconnect (to another node, since
///    this one refuses them);
/// 3. every connection is told to finish (mini-redis's cancellation token:
///    an idle keep-alive connection closes at once, one with a request in
///    flight after answering it), while the listener keeps answering, one
///    request per new connection (so that a probe sees the drain), until
///    every connection is gone, WebSockets included — or
///    [`ServeConfig::drain_timeout`] has passed, and the connection tasks
///    still running are aborted, which closes their connections.
pub async fn serve_with(
    listener: TcpListener,
    engine: Engine,
    fallback: Option<Arc<dyn HttpHandler>>,
    config: ServeConfig,
    shutdown: impl Future<Output = ()>,
) -> Drained {
    warn_if_over_fd_limit(config.max_connections);
    let mut accepting = Accepting::new(listener, config.max_connections);
    let mut connections = Connections::new(engine.clone(), fallback, &config);
    serve_until(&mut accepting, &mut connections, shutdown).await;

    engine.begin_drain();
    tracing::info!(
        sessions = engine.session_count(),
        connections = accepting.open(),
        delay = ?config.shutdown_delay,
        "shutting down: new sessions are refused"
    );
    let delay = tokio::time::sleep(config.shutdown_delay);
    serve_until(&mut accepting, &mut connections, delay).await;

    tracing::info!(
        sessions = engine.session_count(),
        "closing the sessions and draining the connections"
    );
    engine.close_all(DisconnectReason::ServerShuttingDown);
    connections.stop.cancel();
    let deadline = Instant::now() + config.drain_timeout;
    drain(&mut accepting, &mut connections, deadline).await
}

/// Accepts and serves connections until `until` resolves.
async fn serve_until(
    accepting: &mut Accepting,
    connections: &mut Connections,
    until: impl Future<Output = ()>,
) {
    tokio::pin!(until);
    loop {
        tokio::select! {
            (stream, addr) = accepting.next() => connections.spawn(stream, addr),
            // Reaps ended connections, so the set holds the open ones.
            Some(_) = connections.tasks.join_next(), if !connections.tasks.is_empty() => {}
            _ = &mut until => return,
        }
    }
}

/// Goes on answering until every connection is closed, or `deadline`; then
/// aborts the connection tasks still running and waits for them to be gone.
async fn drain(
    accepting: &mut Accepting,
    connections: &mut Connections,
    deadline: Instant,
) -> Drained {
    let mut check = tokio::time::interval(DRAIN_CHECK);
    loop {
        if connections.tasks.is_empty() && accepting.open() == 0 {
            return Drained { aborted: 0 };
        }
        tokio::select! {
            (stream, addr) = accepting.next() => connections.spawn(stream, addr),
            Some(_) = connections.tasks.join_next(), if !connections.tasks.is_empty() => {}
            _ = check.tick() => {}
            _ = tokio::time::sleep_until(deadline) => break,
        }
    }
    connections.tasks.abort_all();
    let mut aborted = 0;
    while let Some(ended) = connections.tasks.join_next().await {
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
