//! Shared helpers of the Engine.IO integration tests: a real server on
//! `127.0.0.1:0` with a recording echo handler, a tiny raw HTTP/1.1 client, a
//! WebSocket client, and payload helpers.
//!
//! Every wait is bounded by [`WAIT`], so a broken server fails a test rather
//! than hanging it. The bounds are generous: they are never timing assertions.

#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use edgeio::engine::Engine;
use edgeio::engine::{DisconnectReason, EngineConfig, EngineHandler, Message, Session};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Upper bound of every wait: only a broken server reaches it.
pub const WAIT: Duration = Duration::from_secs(10);

/// The engine's path in every test.
pub const PATH: &str = "/socket.io/";

/// Awaits `fut`, failing the test with `what` if it takes longer than [`WAIT`].
pub async fn bounded<T>(what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(WAIT, fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {WAIT:?} waiting for {what}"),
    }
}

// ---------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------

/// What the handler saw, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Connect(String),
    Message(String, Message),
    Disconnect(String, DisconnectReason),
}

/// An echo handler that records every event.
#[derive(Default)]
pub struct Recorder {
    events: Mutex<Vec<Event>>,
    /// When false, messages are recorded but not echoed.
    pub echo: bool,
}

impl Recorder {
    fn push(&self, e: Event) {
        self.events.lock().expect("events lock").push(e);
    }

    /// Every event so far.
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().expect("events lock").clone()
    }
}

impl EngineHandler for Recorder {
    fn on_connect(&self, socket: &Arc<Session>) {
        self.push(Event::Connect(socket.id().to_string()));
    }

    fn on_message(&self, socket: &Arc<Session>, message: Message) {
        self.push(Event::Message(socket.id().to_string(), message.clone()));
        if self.echo {
            let _ = socket.send(message);
        }
    }

    fn on_disconnect(&self, socket: &Arc<Session>, reason: DisconnectReason) {
        self.push(Event::Disconnect(socket.id().to_string(), reason));
    }
}

/// A server running in-process on an ephemeral loopback port.
pub struct TestServer {
    pub addr: SocketAddr,
    pub engine: Engine,
    pub recorder: Arc<Recorder>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// The default configuration with the test path and a heartbeat long enough
/// never to interfere with tests that are not about it.
pub fn config() -> EngineConfig {
    EngineConfig {
        path: PATH.to_owned(),
        ping_interval: Duration::from_secs(300),
        ping_timeout: Duration::from_secs(300),
        ..EngineConfig::default()
    }
}

impl TestServer {
    /// Starts an echo server with `config`.
    pub async fn start(config: EngineConfig) -> Self {
        Self::start_with(config, true).await
    }

    /// Starts a server with `config`; `echo` says whether messages are echoed.
    pub async fn start_with(config: EngineConfig, echo: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("listener address");
        let recorder = Arc::new(Recorder {
            events: Mutex::new(Vec::new()),
            echo,
        });
        let engine = Engine::new(config, recorder.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(edgeio::serve(listener, engine.clone(), async move {
            let _ = rx.await;
        }));
        Self {
            addr,
            engine,
            recorder,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// The open session `sid`.
    pub fn socket(&self, sid: &str) -> Arc<Session> {
        self.engine
            .socket(sid)
            .unwrap_or_else(|| panic!("session {sid} should be open"))
    }

    /// Every event the handler saw so far.
    pub fn events(&self) -> Vec<Event> {
        self.recorder.events()
    }

    /// Waits until some event satisfies `pred` and returns it.
    pub async fn wait_event(&self, what: &str, pred: impl Fn(&Event) -> bool) -> Event {
        bounded(what, async {
            loop {
                if let Some(e) = self.events().into_iter().find(|e| pred(e)) {
                    return e;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
    }

    /// Waits for the disconnect of `sid` and returns its reason.
    pub async fn wait_disconnect(&self, sid: &str) -> DisconnectReason {
        let what = format!("the disconnect of {sid}");
        match self
            .wait_event(&what, |e| matches!(e, Event::Disconnect(s, _) if s == sid))
            .await
        {
            Event::Disconnect(_, reason) => reason,
            other => unreachable!("filtered for disconnects, got {other:?}"),
        }
    }

    /// The disconnect events of `sid` (a session must have at most one).
    pub fn disconnects(&self, sid: &str) -> Vec<DisconnectReason> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Disconnect(s, r) if s == sid => Some(r),
                _ => None,
            })
            .collect()
    }

    /// Messages the handler received from `sid`, in order.
    pub fn messages(&self, sid: &str) -> Vec<Message> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Message(s, m) if s == sid => Some(m),
                _ => None,
            })
            .collect()
    }

    /// Resolves the shutdown future without waiting for the drain.
    pub fn trigger_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// Shuts the server down and waits (bounded) for `serve` to return.
    pub async fn shutdown(mut self) {
        self.trigger_shutdown();
        if let Some(task) = self.task.take() {
            bounded("serve() to return after shutdown", task)
                .await
                .expect("serve task did not panic");
        }
    }

    /// The URL query of a polling request, for session `sid` or a handshake.
    pub fn polling(sid: Option<&str>) -> String {
        match sid {
            Some(sid) => format!("{PATH}?EIO=4&transport=polling&sid={sid}"),
            None => format!("{PATH}?EIO=4&transport=polling"),
        }
    }

    /// `GET` on the engine (`path_and_query` as given).
    pub async fn get(&self, path_and_query: &str) -> HttpResponse {
        request(self.addr, "GET", path_and_query, &[], b"").await
    }

    /// A long-poll `GET` of session `sid`.
    pub async fn poll(&self, sid: &str) -> HttpResponse {
        self.get(&Self::polling(Some(sid))).await
    }

    /// A long-poll `GET` of `sid` in its own task, so it can stay pending.
    pub fn spawn_poll(&self, sid: &str) -> JoinHandle<HttpResponse> {
        let addr = self.addr;
        let pq = Self::polling(Some(sid));
        tokio::spawn(async move { request(addr, "GET", &pq, &[], b"").await })
    }

    /// A `POST` of `body` to session `sid`.
    pub async fn post(&self, sid: &str, body: &[u8]) -> HttpResponse {
        request(self.addr, "POST", &Self::polling(Some(sid)), &[], body).await
    }

    /// Opens a polling session: checks the open packet and returns the sid.
    pub async fn handshake_polling(&self) -> String {
        let r = self.get(&Self::polling(None)).await;
        assert_eq!(r.status, 200, "handshake refused: {}", r.text());
        let open = open_packet(&r.text());
        open["sid"]
            .as_str()
            .unwrap_or_else(|| panic!("open packet without a sid: {open}"))
            .to_owned()
    }

    /// The URL of a WebSocket connection, for session `sid` or a handshake.
    pub fn ws_url(&self, sid: Option<&str>) -> String {
        match sid {
            Some(sid) => format!(
                "ws://{}{PATH}?EIO=4&transport=websocket&sid={sid}",
                self.addr
            ),
            None => format!("ws://{}{PATH}?EIO=4&transport=websocket", self.addr),
        }
    }

    /// Opens a WebSocket (a direct session, or the upgrade of `sid`).
    pub async fn ws(&self, sid: Option<&str>) -> Ws {
        let (ws, response) = bounded(
            "the WebSocket handshake",
            tokio_tungstenite::connect_async(self.ws_url(sid)),
        )
        .await
        .expect("WebSocket handshake");
        assert_eq!(response.status(), 101);
        ws
    }

    /// Opens a direct WebSocket session; returns it and its sid, read from
    /// the open packet.
    pub async fn handshake_ws(&self) -> (Ws, String) {
        let mut ws = self.ws(None).await;
        let open = open_packet(&ws_recv_text(&mut ws).await);
        let sid = open["sid"]
            .as_str()
            .unwrap_or_else(|| panic!("open packet without a sid: {open}"))
            .to_owned();
        (ws, sid)
    }
}

/// Parses an open packet (`0{...}`) and returns its JSON.
pub fn open_packet(text: &str) -> serde_json::Value {
    let json = text
        .strip_prefix('0')
        .unwrap_or_else(|| panic!("expected an open packet, got {text:?}"));
    serde_json::from_str(json).unwrap_or_else(|e| panic!("open packet {json:?} is not JSON: {e}"))
}

/// The packets of a polling payload.
pub fn packets(payload: &str) -> Vec<String> {
    payload.split('\x1e').map(str::to_owned).collect()
}

/// `b` + base64 of `data`, as binary packets travel in polling payloads.
pub fn b64_packet(data: &[u8]) -> String {
    format!(
        "b{}",
        base64::engine::general_purpose::STANDARD.encode(data)
    )
}

// ---------------------------------------------------------------------------
// A tiny HTTP/1.1 client over raw bytes
// ---------------------------------------------------------------------------

/// A response as received.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name`.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The body as text (it must be UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("response body is UTF-8")
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body {:?} is not JSON: {e}", self.text()))
    }

    /// Asserts an Engine.IO error response: `status` and
    /// `{"code":code,"message":message}`.
    pub fn assert_error(&self, status: u16, code: u8, message: &str) {
        assert_eq!(
            self.status,
            status,
            "body: {:?}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(
            self.json(),
            serde_json::json!({"code": code, "message": message}),
            "error body"
        );
    }
}

/// Connects to `addr` (bounded).
pub async fn connect(addr: SocketAddr) -> TcpStream {
    bounded("a TCP connection", TcpStream::connect(addr))
        .await
        .expect("connect to the server")
}

/// The bytes of a request with a `Content-Length` body (omitted for GET and
/// OPTIONS when the body is empty).
pub fn request_bytes(
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut out = format!("{method} {path_and_query} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Sends one request on a new connection and reads its response.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResponse {
    let mut stream = connect(addr).await;
    let what = format!("the response to {method} {path_and_query}");
    bounded(&what, async {
        stream
            .write_all(&request_bytes(method, path_and_query, headers, body))
            .await
            .expect("write the request");
        read_response(&mut stream).await
    })
    .await
}

/// Reads one response from `stream` (not bounded: wrap it in [`bounded`]).
/// Supports `Content-Length`, chunked, and bodies ending with the connection.
pub async fn read_response(stream: &mut TcpStream) -> HttpResponse {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i;
        }
        let mut chunk = [0u8; 4096];
        let n = stream
            .read(&mut chunk)
            .await
            .expect("read the response head");
        assert!(
            n > 0,
            "connection closed before a complete response head: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).expect("response head is UTF-8");
    let mut rest = buf[head_end + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (k, v) = l
                .split_once(':')
                .unwrap_or_else(|| panic!("bad header line {l:?}"));
            (k.trim().to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let body = if status == 101 || status == 204 || status == 304 {
        Vec::new()
    } else if let Some(len) = get("content-length") {
        let len: usize = len.parse().expect("numeric Content-Length");
        while rest.len() < len {
            let mut chunk = [0u8; 4096];
            let n = stream.read(&mut chunk).await.expect("read the body");
            assert!(n > 0, "connection closed inside the body");
            rest.extend_from_slice(&chunk[..n]);
        }
        rest.truncate(len);
        rest
    } else if get("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        read_chunked(stream, rest).await
    } else {
        stream
            .read_to_end(&mut rest)
            .await
            .expect("read the body to EOF");
        rest
    };
    HttpResponse {
        status,
        headers,
        body,
    }
}

async fn read_chunked(stream: &mut TcpStream, mut buf: Vec<u8>) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = loop {
            if let Some(i) = find(&buf, b"\r\n") {
                break i;
            }
            read_more(stream, &mut buf).await;
        };
        let size_text = String::from_utf8_lossy(&buf[..line_end]).to_string();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .unwrap_or_else(|_| panic!("bad chunk size {size_text:?}"));
        buf.drain(..line_end + 2);
        while buf.len() < size + 2 {
            read_more(stream, &mut buf).await;
        }
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&buf[..size]);
        buf.drain(..size + 2);
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) {
    let mut chunk = [0u8; 4096];
    let n = stream.read(&mut chunk).await.expect("read");
    assert!(n > 0, "connection closed inside a chunked body");
    buf.extend_from_slice(&chunk[..n]);
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

// ---------------------------------------------------------------------------
// WebSocket client
// ---------------------------------------------------------------------------

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The next data or close message, skipping WebSocket pings and pongs;
/// `None` when the connection ended (or failed) without a close frame.
pub async fn ws_next(ws: &mut Ws) -> Option<WsMessage> {
    bounded("a WebSocket message", async {
        loop {
            match ws.next().await {
                Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_))) => {}
                Some(Ok(m)) => return Some(m),
                Some(Err(_)) | None => return None,
            }
        }
    })
    .await
}

/// The next message, which must be text.
pub async fn ws_recv_text(ws: &mut Ws) -> String {
    match ws_next(ws).await {
        Some(WsMessage::Text(t)) => t.as_str().to_owned(),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

/// Sends a text frame.
pub async fn ws_send(ws: &mut Ws, text: &str) {
    bounded("sending a WebSocket frame", ws.send(WsMessage::text(text)))
        .await
        .expect("send a WebSocket frame");
}

/// Waits until the server ends the connection: a close frame, or the stream
/// ending. Fails if a data frame comes first.
pub async fn ws_expect_closed(ws: &mut Ws) {
    match ws_next(ws).await {
        None | Some(WsMessage::Close(_)) => {}
        Some(other) => panic!("expected the connection to close, got {other:?}"),
    }
}
