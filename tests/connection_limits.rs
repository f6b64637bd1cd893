//! Connection-level limits, on real sockets: the header and body read
//! timeouts, the cap on open connections (WebSockets included), the cap on
//! a request head's size, and the per-address handshake rate limit. The
//! backoff on accept errors is in `accept_errors.rs`.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::{bounded, config, connect, read_response, request, request_bytes, TestServer};
use edgeio::engine::{DisconnectReason, HandshakeRate};
use edgeio::engine::{Engine, EngineConfig};
use edgeio::http::{serve_with, Drained, HttpFuture, HttpHandler, ServeConfig};
use http::{Request, Response};
use http_body_util::Full;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Sends one polling handshake on `stream` and checks the answer.
async fn handshake_on(stream: &mut TcpStream) {
    stream
        .write_all(&request_bytes("GET", &TestServer::polling(None), &[], b""))
        .await
        .expect("write");
    let r = bounded("a handshake", read_response(stream)).await;
    assert_eq!(r.status, 200);
}

/// A connection from the loopback address `ip` (Linux routes all of
/// 127.0.0.0/8 to lo), so that one test can be several clients.
async fn connect_from(ip: [u8; 4], to: SocketAddr) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::from((ip, 0)))
        .expect("bind a loopback address");
    bounded("a connection", socket.connect(to))
        .await
        .expect("connect")
}

#[tokio::test(flavor = "multi_thread")]
async fn handshakes_over_the_per_address_rate_are_answered_429() {
    let server = TestServer::start(EngineConfig {
        handshake_rate: Some(HandshakeRate::per_minute(3)),
        ..config()
    })
    .await;
    let first = server.handshake_polling().await;
    server.handshake_polling().await;
    server.handshake_polling().await;

    let refused = server.get(&TestServer::polling(None)).await;
    refused.assert_error(429, 4, "Too many handshakes");
    let ws = tokio_tungstenite::connect_async(server.ws_url(None)).await;
    match ws {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 429),
        other => panic!("expected a refused WebSocket handshake, got {other:?}"),
    }
    assert_eq!(server.engine.session_count(), 3);

    // Requests of an open session are not handshakes.
    assert_eq!(server.post(&first, b"4still here").await.text(), "ok");
    assert_eq!(server.poll(&first).await.text(), "4still here");

    // Another address has its own bucket.
    let mut other = connect_from([127, 0, 0, 2], server.addr).await;
    handshake_on(&mut other).await;
    server.shutdown().await;
}

/// A server started with [`serve_with`] and its own limits.
struct Limited {
    addr: SocketAddr,
    server: TestServer,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Drained>,
}

/// Answers every request with its own body.
struct EchoBody;

impl HttpHandler for EchoBody {
    fn handle(&self, req: Request<Bytes>, _: Option<SocketAddr>) -> HttpFuture {
        Box::pin(async move { Response::new(Full::new(req.into_body())) })
    }
}

impl Limited {
    async fn start(serve: ServeConfig) -> Self {
        Self::start_with(config(), serve).await
    }

    /// `engine` served with `serve`; every other path echoes its body.
    async fn start_with(engine: EngineConfig, serve: ServeConfig) -> Self {
        // The helper's own server records the events; its engine is the
        // one served here too, on a second listener.
        let server = TestServer::start(engine).await;
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let engine: Engine = server.engine.clone();
        let task = tokio::spawn(serve_with(
            listener,
            engine,
            Some(Arc::new(EchoBody) as Arc<dyn HttpHandler>),
            serve,
            async move {
                let _ = rx.await;
            },
        ));
        Self {
            addr,
            server,
            stop: Some(tx),
            task,
        }
    }

    async fn handshake(&self) -> String {
        let r = request(self.addr, "GET", &TestServer::polling(None), &[], b"").await;
        assert_eq!(r.status, 200, "handshake refused: {}", r.text());
        common::open_packet(&r.text())["sid"]
            .as_str()
            .expect("sid")
            .to_owned()
    }

    async fn shutdown(mut self) -> Drained {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let drained = bounded("serve_with to return", self.task)
            .await
            .expect("serve_with did not panic");
        self.server.shutdown().await;
        drained
    }
}

/// Reads until the server ends the connection (EOF or reset); returns what
/// came before. Bounded.
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    bounded("the server to close the connection", async {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return got,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
}

fn short_timeouts() -> ServeConfig {
    ServeConfig {
        header_timeout: Duration::from_millis(500),
        body_timeout: Duration::from_millis(500),
        ..ServeConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn headers_sent_a_byte_at_a_time_are_cut_off_at_the_header_timeout() {
    let server = Limited::start(short_timeouts()).await;
    let mut slow = connect(server.addr).await;
    // A head that never ends, one byte every 100 ms, until the server hangs up.
    let head = b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    let (mut reader, mut writer) = slow.split();
    let trickle = async {
        for i in 0.. {
            let byte = head.get(i).copied().unwrap_or(b'a');
            if writer.write_all(&[byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let closed = async {
        let mut buf = [0u8; 64];
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    bounded("the server to cut the slow client off", async {
        tokio::select! {
            _ = trickle => {}
            _ = closed => {}
        }
    })
    .await;
    // The server goes on serving.
    server.handshake().await;
    assert_eq!(server.shutdown().await, Drained { aborted: 0 });
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_idle_before_or_after_a_request_is_closed_at_the_header_timeout() {
    let server = Limited::start(short_timeouts()).await;
    let mut silent = connect(server.addr).await;
    assert!(read_until_closed(&mut silent).await.is_empty());

    let mut keep_alive = connect(server.addr).await;
    keep_alive
        .write_all(&request_bytes("GET", &TestServer::polling(None), &[], b""))
        .await
        .expect("write");
    let r = bounded("the handshake", read_response(&mut keep_alive)).await;
    assert_eq!(r.status, 200);
    assert!(read_until_closed(&mut keep_alive).await.is_empty());
    let _ = server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_head_over_max_header_bytes_is_answered_431_without_waiting_for_its_end() {
    // The default limits: a 16 KiB head at most.
    let server = TestServer::start(config()).await;
    let mut big = connect(server.addr).await;
    let mut head = b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n".to_vec();
    while head.len() < 20 * 1024 {
        head.extend_from_slice(format!("X-Pad-{}: {}\r\n", head.len(), "a".repeat(100)).as_bytes());
    }
    // The head is not ended: only a server that stops reading at its cap
    // can answer now.
    big.write_all(&head).await.expect("write 20 KB of head");
    let r = bounded("the answer to a 20 KB head", read_response(&mut big)).await;
    assert_eq!(r.status, 431);
    read_until_closed(&mut big).await;

    // A whole 100 KB head: 431 too (or the connection closed mid-write).
    let mut huge = connect(server.addr).await;
    while head.len() < 100 * 1024 {
        head.extend_from_slice(format!("X-Pad-{}: {}\r\n", head.len(), "a".repeat(100)).as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    if huge.write_all(&head).await.is_ok() {
        let got = read_until_closed(&mut huge).await;
        assert!(
            got.is_empty() || got.starts_with(b"HTTP/1.1 431"),
            "{:?}",
            String::from_utf8_lossy(&got)
        );
    }
    // Heads under the cap are served.
    let ok = server
        .get(&format!(
            "{}&x={}",
            TestServer::polling(None),
            "a".repeat(8000)
        ))
        .await;
    assert_eq!(ok.status, 200);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_polling_post_whose_body_trickles_in_is_answered_408_and_its_session_closed() {
    let server = Limited::start(short_timeouts()).await;
    let sid = server.handshake().await;
    let mut post = connect(server.addr).await;
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n",
        TestServer::polling(Some(&sid))
    );
    post.write_all(head.as_bytes()).await.expect("write head");
    post.write_all(b"4helloworl")
        .await
        .expect("10 of 1000 bytes");

    let r = bounded("the answer to the stalled POST", read_response(&mut post)).await;
    assert_eq!(r.status, 408, "{:?}", r.text());
    assert_eq!(r.text(), r#"{"message":"Request body timed out"}"#);
    read_until_closed(&mut post).await;

    // The session is not left half-way: it is closed, as socket.io closes
    // one whose POST was aborted, and the client can start a new one.
    assert_eq!(
        server.server.wait_disconnect(&sid).await,
        DisconnectReason::TransportError
    );
    let again = request(
        server.addr,
        "POST",
        &TestServer::polling(Some(&sid)),
        &[],
        b"4again",
    )
    .await;
    again.assert_error(400, 1, "Session ID unknown");
    let fresh = server.handshake().await;
    let ok = request(
        server.addr,
        "POST",
        &TestServer::polling(Some(&fresh)),
        &[],
        b"4whole",
    )
    .await;
    assert_eq!(ok.text(), "ok", "a body that comes whole is read");
    let _ = server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_application_body_that_trickles_in_is_answered_408() {
    let server = Limited::start(short_timeouts()).await;
    let whole = request(server.addr, "POST", "/app", &[], b"whole").await;
    assert_eq!((whole.status, whole.body.as_slice()), (200, &b"whole"[..]));

    let mut post = connect(server.addr).await;
    post.write_all(b"POST /app HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789")
        .await
        .expect("write");
    let r = bounded("the answer to the stalled POST", read_response(&mut post)).await;
    assert_eq!(r.status, 408);
    assert_eq!(r.text(), "request body timed out");
    read_until_closed(&mut post).await;
    let _ = server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_beyond_max_connections_are_closed_at_once_websockets_included() {
    let server = Limited::start(ServeConfig {
        max_connections: 3,
        ..ServeConfig::default()
    })
    .await;
    // One WebSocket session: its connection counts after hyper hands it over.
    let url = format!("ws://{}/socket.io/?EIO=4&transport=websocket", server.addr);
    let (mut ws, _) = bounded("a WebSocket", tokio_tungstenite::connect_async(url))
        .await
        .expect("WebSocket handshake");
    common::ws_recv_text(&mut ws).await;
    let mut first = connect(server.addr).await;
    handshake_on(&mut first).await;
    let mut second = connect(server.addr).await;
    handshake_on(&mut second).await;

    let mut fourth = connect(server.addr).await;
    assert!(
        read_until_closed(&mut fourth).await.is_empty(),
        "closed without an answer"
    );
    // The three admitted ones still work.
    handshake_on(&mut first).await;
    handshake_on(&mut second).await;
    common::ws_send(&mut ws, "2").await;
    assert_eq!(common::ws_recv_text(&mut ws).await, "3");

    // A closed connection frees its place (the server notices the close
    // when it reads the end of the stream: try until it has).
    drop(first);
    bounded("a place to be freed", async {
        loop {
            let mut next = connect(server.addr).await;
            let sent = next
                .write_all(&request_bytes("GET", &TestServer::polling(None), &[], b""))
                .await;
            let mut byte = [0u8; 1];
            if sent.is_ok() && matches!(next.read(&mut byte).await, Ok(1)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    drop(ws);
    let _ = server.shutdown().await;
}
