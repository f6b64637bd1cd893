//! A host server that does not enable HTTP upgrades (hyper's http1
//! connection without `.with_upgrades()`), with edgeio mounted as a tower
//! layer: the first WebSocket cannot take the connection over; edgeio logs
//! an error naming the fix, and from then on offers no upgrade in its
//! handshakes and refuses WebSocket requests with a clear 400, so polling
//! clients go on and WebSocket-only ones learn why — instead of a silent
//! `transport error` on every attempt.

mod common;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use common::{bounded, config, open_packet, request, Recorder, PATH};
use edgeio::engine::Engine;
use edgeio::PeerAddr;
use futures_util::StreamExt;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::Layer;

/// The log, as the test's subscriber writes it.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut log) = self.0.lock() {
            log.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    fn text(&self) -> String {
        self.0
            .lock()
            .map(|l| String::from_utf8_lossy(&l).into_owned())
            .unwrap_or_default()
    }
}

/// A hyper server without upgrades: the layer in front of a 404 service.
async fn serve_without_upgrades(engine: Engine) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let edge = edgeio::layer(engine);
    tokio::spawn(async move {
        while let Ok((stream, peer)) = listener.accept().await {
            let service = tower::ServiceBuilder::new()
                .map_request(move |mut req: http::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(PeerAddr(peer));
                    req
                })
                .service(edge.layer(tower::service_fn(|_req| async {
                    Ok::<_, std::convert::Infallible>(http::Response::new(
                        http_body_util::Full::new(bytes::Bytes::from_static(b"not found")),
                    ))
                })));
            tokio::spawn(
                http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)),
            );
        }
    });
    addr
}

fn ws_url(addr: SocketAddr, sid: Option<&str>) -> String {
    let sid = sid.map(|s| format!("&sid={s}")).unwrap_or_default();
    format!("ws://{addr}{PATH}?EIO=4&transport=websocket{sid}")
}

#[tokio::test(flavor = "multi_thread")]
async fn without_upgrades_websocket_is_refused_clearly_and_polling_goes_on() {
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    // Global: the engine logs from its own tasks, on any worker thread.
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");

    let engine = Engine::new(config(), Arc::new(Recorder::default()));
    let addr = serve_without_upgrades(engine.clone()).await;
    let polling = format!("{PATH}?EIO=4&transport=polling");

    // Before anything failed, WebSocket is offered.
    let open = open_packet(&request(addr, "GET", &polling, &[], b"").await.text());
    assert_eq!(open["upgrades"], serde_json::json!(["websocket"]));
    let sid = open["sid"].as_str().expect("sid").to_owned();

    // The upgrade of that session: hyper sends the 101, then drops the
    // connection: the WebSocket ends at once.
    let (mut ws, _) = bounded(
        "the 101",
        tokio_tungstenite::connect_async(ws_url(addr, Some(&sid))),
    )
    .await
    .expect("hyper answers 101 even without upgrades");
    let _ = bounded("the WebSocket's end", ws.next()).await;
    bounded("the engine to learn upgrades are off", async {
        while !engine.upgrades_unavailable() {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await;
    let logged = log.text();
    assert!(
        logged.contains("ERROR") && logged.contains(".with_upgrades()"),
        "the log names the fix: {logged}"
    );

    // The polling session goes on.
    let poll = format!("{polling}&sid={sid}");
    let posted = request(addr, "POST", &poll, &[], b"4hello").await;
    assert_eq!(posted.status, 200, "{}", posted.text());

    // New handshakes offer no upgrade...
    let open = open_packet(&request(addr, "GET", &polling, &[], b"").await.text());
    assert_eq!(open["upgrades"], serde_json::json!([]));

    // ...and a WebSocket is refused with a message saying why.
    let refusal = "WebSocket unavailable: the HTTP server hosting edgeio does not enable upgrades";
    let ws_headers = [
        ("Connection", "Upgrade"),
        ("Upgrade", "websocket"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];
    let direct = format!("{PATH}?EIO=4&transport=websocket");
    request(addr, "GET", &direct, &ws_headers, b"")
        .await
        .assert_error(400, 0, refusal);
    request(
        addr,
        "GET",
        &format!("{direct}&sid={sid}"),
        &ws_headers,
        b"",
    )
    .await
    .assert_error(400, 0, refusal);
}
