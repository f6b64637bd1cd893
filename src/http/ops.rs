//! [`OpsHandler`]: the operational endpoints — `GET /health`, `GET /ready`
//! and (when enabled) `GET /metrics` — in front of an application's own
//! [`HttpHandler`], which gets every other request unchanged.
//!
//! - `/health`: `200 ok` while the process answers.
//! - `/ready`: `200 ready` while the engine is not draining, the storage
//!   check passes and every Redis-backed component reaches Redis; `503`
//!   otherwise, with the reason in the body (`redis unavailable: events`
//!   names the components that lost Redis).
//! - `/metrics`: the [`Metrics`] in the OpenMetrics text format. Only when a
//!   handle was given ([`OpsHandler::with_metrics`]): the metrics tell about
//!   the traffic, so they are not on a public port unless asked for.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use edgeio_storage::Health;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;

use super::fallback::{plain, HttpFuture, HttpHandler};
use crate::engine::Engine;
use crate::metrics::{Metrics, CONTENT_TYPE};

/// Where the binary serves the operational endpoints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpsConfig {
    /// `/metrics` on the main port as well (off by default: the metrics
    /// describe the traffic and are not for the public).
    pub metrics_on_main_port: bool,
    /// A separate address serving `/metrics`, `/health` and `/ready`; when
    /// set, the main port serves none of them.
    pub metrics_listen: Option<SocketAddr>,
}

impl OpsConfig {
    /// True when the main port answers `/health` and `/ready`.
    pub fn main_port_serves_health(&self) -> bool {
        self.metrics_listen.is_none()
    }

    /// True when the main port answers `/metrics`.
    pub fn main_port_serves_metrics(&self) -> bool {
        self.metrics_on_main_port && self.metrics_listen.is_none()
    }
}

/// Says whether the storage is open and usable (for `/ready`).
pub type ReadyCheck = Arc<dyn Fn() -> bool + Send + Sync>;

/// `/health`, `/ready` and `/metrics`, then the application's handler.
#[derive(Clone)]
pub struct OpsHandler {
    engine: Engine,
    storage_ready: Option<ReadyCheck>,
    redis: Option<Health>,
    metrics: Option<Metrics>,
    inner: Option<Arc<dyn HttpHandler>>,
}

impl OpsHandler {
    /// `/health` and `/ready` for `engine` (ready while it is not draining),
    /// and `404` for every other path.
    pub fn new(engine: Engine) -> Self {
        Self {
            engine,
            storage_ready: None,
            redis: None,
            metrics: None,
            inner: None,
        }
    }

    /// `/ready` also asks `check` whether the storage is usable.
    pub fn with_storage_check(mut self, check: ReadyCheck) -> Self {
        self.storage_ready = Some(check);
        self
    }

    /// `/ready` also asks `health` whether every Redis-backed component
    /// reaches Redis.
    pub fn with_redis_health(mut self, health: Health) -> Self {
        self.redis = Some(health);
        self
    }

    /// Serves `metrics` on `/metrics` (nothing there when `None`).
    pub fn with_metrics(mut self, metrics: Option<Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Hands every other request to `inner` (the application's endpoints).
    pub fn with_inner(mut self, inner: Option<Arc<dyn HttpHandler>>) -> Self {
        self.inner = inner;
        self
    }

    /// The handler as the fallback of [`super::serve_with`].
    pub fn into_fallback(self) -> Option<Arc<dyn HttpHandler>> {
        Some(Arc::new(self))
    }

    /// Why the server is not ready, if it is not.
    fn not_ready(&self) -> Option<String> {
        if self.engine.is_draining() {
            return Some("draining\n".into());
        }
        if self.storage_ready.as_ref().is_some_and(|ok| !ok()) {
            return Some("storage unavailable\n".into());
        }
        let down = self.redis.as_ref().map(Health::down).unwrap_or_default();
        if !down.is_empty() {
            return Some(format!("redis unavailable: {}\n", down.join(", ")));
        }
        None
    }

    /// The answer to an operational path, or `None` when `path` is not one.
    fn answer(&self, method: &Method, path: &str) -> Option<Response<Full<Bytes>>> {
        if method != Method::GET && method != Method::HEAD {
            return None;
        }
        match path {
            "/health" => Some(plain(StatusCode::OK, "ok\n")),
            "/ready" => Some(match self.not_ready() {
                None => plain(StatusCode::OK, "ready\n"),
                Some(why) => {
                    let mut r = Response::new(Full::new(Bytes::from(why)));
                    *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
                    r
                }
            }),
            "/metrics" => {
                let metrics = self.metrics.as_ref()?;
                let mut r = Response::new(Full::new(Bytes::from(metrics.encode())));
                r.headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
                Some(r)
            }
            _ => None,
        }
    }
}

impl HttpHandler for OpsHandler {
    fn handle(&self, req: Request<Bytes>, remote_addr: Option<SocketAddr>) -> HttpFuture {
        if let Some(mut r) = self.answer(req.method(), req.uri().path()) {
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            return Box::pin(async move { r });
        }
        match &self.inner {
            Some(inner) => inner.handle(req, remote_addr),
            None => Box::pin(async { plain(StatusCode::NOT_FOUND, "Not found") }),
        }
    }

    fn max_body(&self) -> usize {
        self.inner.as_ref().map_or(64 * 1024, |i| i.max_body())
    }

    fn too_large(&self) -> Response<Full<Bytes>> {
        match &self.inner {
            Some(inner) => inner.too_large(),
            None => plain(StatusCode::PAYLOAD_TOO_LARGE, "request body too large"),
        }
    }
}

impl std::fmt::Debug for OpsHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpsHandler")
            .field("metrics", &self.metrics.is_some())
            .field("storage_check", &self.storage_ready.is_some())
            .field("redis", &self.redis)
            .field("inner", &self.inner.is_some())
            .finish()
    }
}
