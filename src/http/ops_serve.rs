//! [`serve_ops`]: a small HTTP server of its own for the operational
//! endpoints (`--metrics-listen`), so that `/metrics` can sit on a private
//! address apart from the public port.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use super::fallback::{dispatch, HttpHandler};

/// How long a scraper may take to send its request head.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Scrapes served at once, at most; a connection over it is closed at once
/// (a scraper comes every few seconds, not by the hundred).
const MAX_CONNECTIONS: usize = 64;

/// Serves `handler` alone (no engine) on `listener` until `shutdown`
/// resolves; open connections are then cut.
pub async fn serve_ops(
    listener: TcpListener,
    handler: Arc<dyn HttpHandler>,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::debug!(error = %e, "metrics listener: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            _ = &mut shutdown => break,
        };
        if connections.len() >= MAX_CONNECTIONS {
            continue;
        }
        let handler = handler.clone();
        let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let handler = handler.clone();
            async move { Ok::<_, Infallible>(dispatch(handler.as_ref(), req, Some(addr)).await) }
        });
        let conn = http.serve_connection(TokioIo::new(stream), service);
        connections.spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %addr, "metrics connection ended with an error");
            }
        });
    }
}
