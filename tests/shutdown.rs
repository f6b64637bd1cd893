//! Graceful shutdown: every session is closed with "server shutting down",
//! pending requests are answered, WebSocket clients see the close, idle
//! connections are closed at once, and `serve` returns — cutting, after the
//! drain timeout, the connections still busy.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::{bounded, config, ws_expect_closed, ws_recv_text, ws_send, TestServer};
use edgeio::engine::DisconnectReason;
use edgeio::engine::Engine;
use edgeio::http::{serve_with, Drained, HttpFuture, HttpHandler, ServeConfig};
use http::{Request, Response};
use http_body_util::Full;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

#[tokio::test(flavor = "multi_thread")]
async fn pending_get_returns_a_close_packet_on_shutdown() {
    let server = TestServer::start(config()).await;
    let sid = server.handshake_polling().await;
    let get = server.spawn_poll(&sid);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!get.is_finished(), "nothing queued: the GET waits");

    let recorder = server.recorder.clone();
    server.shutdown().await;

    let r = bounded("the pending GET", get).await.expect("GET task");
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "1");
    let events = recorder.events();
    assert!(
        events.contains(&common::Event::Disconnect(
            sid.clone(),
            DisconnectReason::ServerShuttingDown
        )),
        "{events:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn websocket_clients_see_the_close() {
    let server = TestServer::start(config()).await;
    let (mut direct, direct_sid) = server.handshake_ws().await;
    ws_send(&mut direct, "4hi").await;
    assert_eq!(ws_recv_text(&mut direct).await, "4hi");

    let upgraded_sid = server.handshake_polling().await;
    let mut upgraded = server.ws(Some(&upgraded_sid)).await;
    ws_send(&mut upgraded, "2probe").await;
    assert_eq!(ws_recv_text(&mut upgraded).await, "3probe");
    ws_send(&mut upgraded, "5").await;
    ws_send(&mut upgraded, "4up").await;
    assert_eq!(ws_recv_text(&mut upgraded).await, "4up");

    let idle_sid = server.handshake_polling().await;

    let recorder = server.recorder.clone();
    let addr = server.addr;
    server.shutdown().await;

    ws_expect_closed(&mut direct).await;
    ws_expect_closed(&mut upgraded).await;
    let events = recorder.events();
    for sid in [&direct_sid, &upgraded_sid, &idle_sid] {
        let reasons: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                common::Event::Disconnect(s, r) if s == sid => Some(*r),
                _ => None,
            })
            .collect();
        assert_eq!(reasons, vec![DisconnectReason::ServerShuttingDown], "{sid}");
    }
    // The listener is gone.
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no new connection after shutdown"
    );
}

/// A request that never ends: the handler awaits forever, and tells when
/// it started and when its future was dropped.
struct Stuck {
    started: Arc<tokio::sync::Notify>,
    dropped: Arc<AtomicBool>,
}

/// Sets its flag when dropped.
struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl HttpHandler for Stuck {
    fn handle(&self, _: Request<Bytes>, _: Option<SocketAddr>) -> HttpFuture {
        let started = self.started.clone();
        let guard = SetOnDrop(self.dropped.clone());
        Box::pin(async move {
            let _guard = guard;
            started.notify_one();
            std::future::pending::<Response<Full<Bytes>>>().await
        })
    }
}

/// `serve_with` on an ephemeral port with `drain_timeout`; returns the
/// address, the shutdown trigger and the task.
async fn start(
    drain_timeout: Duration,
    fallback: Option<Arc<dyn HttpHandler>>,
) -> (SocketAddr, oneshot::Sender<()>, JoinHandle<Drained>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let engine = Engine::new(config(), Arc::new(common::Recorder::default()));
    let (tx, rx) = oneshot::channel::<()>();
    // Only shutdown may close an idle connection in these tests.
    let serve = ServeConfig {
        drain_timeout,
        header_timeout: Duration::from_secs(600),
        ..ServeConfig::default()
    };
    let task = tokio::spawn(serve_with(listener, engine, fallback, serve, async move {
        let _ = rx.await;
    }));
    (addr, tx, task)
}

/// Reads until the server ends the connection (bounded).
async fn expect_eof(conn: &mut tokio::net::TcpStream) {
    bounded("the server to close the connection", async {
        let mut buf = [0u8; 1024];
        loop {
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
}

/// An idle keep-alive connection is closed by the server at shutdown, and
/// does not hold the drain: with a drain timeout longer than any wait of the
/// test, `serve_with` returns having cut nothing.
#[tokio::test(flavor = "multi_thread")]
async fn idle_keep_alive_connections_are_closed_at_shutdown_without_holding_the_drain() {
    let (addr, stop, task) = start(Duration::from_secs(600), None).await;
    let mut conn = common::connect(addr).await;
    conn.write_all(&common::request_bytes(
        "GET",
        "/socket.io/?EIO=4&transport=polling",
        &[],
        b"",
    ))
    .await
    .expect("write");
    let r = bounded("the handshake", common::read_response(&mut conn)).await;
    assert_eq!(r.status, 200);

    let _ = stop.send(());
    let drained = bounded("serve_with to return", task)
        .await
        .expect("serve_with");
    assert_eq!(drained, Drained { aborted: 0 });
    expect_eof(&mut conn).await;
}

/// A connection whose request is still running when the drain timeout
/// passes is cut: its task is aborted (the handler's future dropped) and the
/// client sees the connection close, so nothing outlives `serve_with`.
#[tokio::test(flavor = "multi_thread")]
async fn a_connection_still_busy_after_the_drain_timeout_is_cut() {
    let started = Arc::new(tokio::sync::Notify::new());
    let dropped = Arc::new(AtomicBool::new(false));
    let stuck = Stuck {
        started: started.clone(),
        dropped: dropped.clone(),
    };
    let (addr, stop, task) = start(Duration::from_millis(200), Some(Arc::new(stuck))).await;
    let mut conn = common::connect(addr).await;
    conn.write_all(&common::request_bytes("GET", "/stuck", &[], b""))
        .await
        .expect("write");
    bounded("the handler to start", started.notified()).await;

    let _ = stop.send(());
    let drained = bounded("serve_with to return", task)
        .await
        .expect("serve_with");
    assert_eq!(drained, Drained { aborted: 1 });
    assert!(dropped.load(Ordering::SeqCst), "the request was dropped");
    expect_eof(&mut conn).await;
}

/// While connections drain, the listener goes on answering: a handshake on
/// a new connection is answered `503 Server shutting down` (not a refused
/// connection), until the last connection is gone and `serve_with` returns.
#[tokio::test(flavor = "multi_thread")]
async fn during_the_drain_the_listener_answers_handshakes_with_503() {
    let (addr, stop, task) = start(Duration::from_secs(600), None).await;
    // Half a request head: it holds the drain (the header timeout is long).
    let mut held = common::connect(addr).await;
    held.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");

    let _ = stop.send(());
    let handshake = "/socket.io/?EIO=4&transport=polling";
    let refused = bounded("a 503", async {
        loop {
            // A connection accepted just before the drain began may be
            // closed unanswered: try again.
            let mut conn = common::connect(addr).await;
            let head = common::request_bytes("GET", handshake, &[("Connection", "close")], b"");
            conn.write_all(&head).await.expect("write");
            let mut raw = Vec::new();
            let _ = conn.read_to_end(&mut raw).await;
            let text = String::from_utf8_lossy(&raw).into_owned();
            if text.starts_with("HTTP/1.1 503") {
                return text;
            }
            assert!(
                text.is_empty() || text.starts_with("HTTP/1.1 200"),
                "{text}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(refused.contains("Server shutting down"), "{refused}");
    assert!(!task.is_finished(), "the held connection holds the drain");

    drop(held);
    let drained = bounded("serve_with to return", task)
        .await
        .expect("serve_with");
    assert_eq!(drained, Drained { aborted: 0 });
}
