//! `/health`, `/ready` and `/metrics` over HTTP, in front of an
//! application's own endpoints: health always answers, readiness turns 503
//! once the engine drains (or the storage check fails, or a Redis-backed
//! component loses Redis), `/metrics` is only
//! there when given a handle, and every other request reaches the
//! application unchanged.

mod common;
mod metrics_support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use common::{request, TestServer};
use edgeio::engine::{Engine, EngineConfig};
use edgeio::http::{HttpFuture, HttpHandler, OpsHandler, ServeConfig};
use edgeio::metrics::Metrics;
use edgeio::server::Io;
use http::{Request, Response};
use http_body_util::Full;

/// An application endpoint: echoes the method, path and body.
struct App;

impl HttpHandler for App {
    fn handle(&self, req: Request<Bytes>, _: Option<SocketAddr>) -> HttpFuture {
        let text = format!(
            "app {} {} {}",
            req.method(),
            req.uri().path(),
            String::from_utf8_lossy(req.body())
        );
        Box::pin(async move { Response::new(Full::new(Bytes::from(text))) })
    }
}

/// Serves a Socket.IO server with `ops` built around its engine.
async fn serve(ops: impl FnOnce(Engine) -> OpsHandler) -> (SocketAddr, Engine) {
    let io = Io::new(Default::default());
    let engine = Engine::new(EngineConfig::default(), io.engine_handler());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let fallback = ops(engine.clone()).into_fallback();
    tokio::spawn(edgeio::http::serve_with(
        listener,
        engine.clone(),
        fallback,
        ServeConfig::default(),
        std::future::pending(),
    ));
    (addr, engine)
}

#[tokio::test]
async fn ready_turns_503_when_the_engine_drains_and_health_stays_200() {
    let (addr, engine) = serve(OpsHandler::new).await;
    let r = request(addr, "GET", "/health", &[], b"").await;
    assert_eq!((r.status, r.text().as_str()), (200, "ok\n"));
    let r = request(addr, "GET", "/ready", &[], b"").await;
    assert_eq!((r.status, r.text().as_str()), (200, "ready\n"));

    engine.begin_drain();
    let r = request(addr, "GET", "/ready", &[], b"").await;
    assert_eq!((r.status, r.text().as_str()), (503, "draining\n"));
    let r = request(addr, "GET", "/health", &[], b"").await;
    assert_eq!(r.status, 200, "the process still answers");
    assert_eq!(r.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn ready_asks_the_storage_check() {
    let usable = Arc::new(AtomicBool::new(true));
    let check = usable.clone();
    let (addr, _engine) = serve(move |engine| {
        OpsHandler::new(engine).with_storage_check(Arc::new(move || check.load(Ordering::SeqCst)))
    })
    .await;
    assert_eq!(request(addr, "GET", "/ready", &[], b"").await.status, 200);
    usable.store(false, Ordering::SeqCst);
    let r = request(addr, "GET", "/ready", &[], b"").await;
    assert_eq!(
        (r.status, r.text().as_str()),
        (503, "storage unavailable\n")
    );
}

#[tokio::test]
async fn ready_names_the_redis_components_that_are_down() {
    let health = edgeio_storage::Health::new();
    let events = edgeio_storage::ComponentHealth::new("events");
    let adapter = edgeio_storage::ComponentHealth::new("adapter");
    health.add(events.clone());
    health.add(adapter.clone());
    events.connected();
    adapter.connected();
    let (addr, _engine) =
        serve(move |engine| OpsHandler::new(engine).with_redis_health(health)).await;
    assert_eq!(request(addr, "GET", "/ready", &[], b"").await.status, 200);
    events.lost(&"connection refused");
    adapter.lost(&"connection refused");
    let r = request(addr, "GET", "/ready", &[], b"").await;
    assert_eq!(
        (r.status, r.text().as_str()),
        (503, "redis unavailable: events, adapter\n")
    );
    events.connected();
    let r = request(addr, "GET", "/ready", &[], b"").await;
    assert_eq!(
        (r.status, r.text().as_str()),
        (503, "redis unavailable: adapter\n")
    );
    adapter.connected();
    let r = request(addr, "GET", "/ready", &[], b"").await;
    assert_eq!((r.status, r.text().as_str()), (200, "ready\n"));
}

#[tokio::test]
async fn metrics_are_served_only_when_given_and_the_app_keeps_its_routes() {
    let (addr, _engine) =
        serve(|engine| OpsHandler::new(engine).with_inner(Some(Arc::new(App)))).await;
    let r = request(addr, "GET", "/metrics", &[], b"").await;
    assert_eq!(r.text(), "app GET /metrics ", "not ours: the app's path");
    let r = request(addr, "POST", "/api/messages", &[], b"hi").await;
    assert_eq!(
        (r.status, r.text().as_str()),
        (200, "app POST /api/messages hi")
    );
    let r = request(addr, "POST", "/health", &[], b"x").await;
    assert_eq!(r.text(), "app POST /health x", "only GET is ours");
    // The engine's path is still the engine's.
    let r = request(addr, "GET", &TestServer::polling(None), &[], b"").await;
    assert_eq!(r.status, 200);
    assert!(r.text().contains("\"sid\""));

    let metrics = Metrics::new();
    let given = metrics.clone();
    let (addr, _engine) =
        serve(move |engine| OpsHandler::new(engine).with_metrics(Some(given))).await;
    let r = request(addr, "GET", "/metrics", &[], b"").await;
    assert_eq!(r.status, 200);
    assert!(r.text().contains("# TYPE edgeio_sessions gauge"));
    let r = request(addr, "GET", "/elsewhere", &[], b"").await;
    assert_eq!(r.status, 404, "nothing behind");
}
