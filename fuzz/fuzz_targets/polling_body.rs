//! A polling POST body through the server's own path: `Engine::handle`
//! answers a handshake, then a POST carrying the input, in process (no
//! socket), with a small `max_payload` so that the limit is met.
//!
//! Checked: the answer (413 over the limit, 400 for a body that is not UTF-8
//! or holds a bad packet, 200 otherwise), the messages the handler is told
//! (exactly those of the payload, in order, up to a packet that closes the
//! session), that a refused body closes the session, and that every session
//! is gone from the registry once closed: nothing is kept per input.
#![no_main]

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use edgeio::engine::packet::Packet;
use edgeio::engine::{DisconnectReason, Engine, EngineConfig, EngineHandler, Message, Session};
use edgeio_fuzz::invariants::payload_model;
use http::{Method, Request, StatusCode};
use http_body_util::Full;
use libfuzzer_sys::fuzz_target;

/// The limit on a POST body here: most inputs fit, long ones do not.
const MAX_PAYLOAD: usize = 512;

/// Remembers the last session opened and what its client said.
#[derive(Default)]
struct Recorder {
    socket: Mutex<Option<Arc<Session>>>,
    messages: Mutex<Vec<Message>>,
    closed: Mutex<Vec<DisconnectReason>>,
}

impl EngineHandler for Recorder {
    fn on_connect(&self, socket: &Arc<Session>) {
        *self.socket.lock().unwrap() = Some(socket.clone());
    }
    fn on_message(&self, _: &Arc<Session>, message: Message) {
        self.messages.lock().unwrap().push(message);
    }
    fn on_disconnect(&self, _: &Arc<Session>, reason: DisconnectReason) {
        self.closed.lock().unwrap().push(reason);
    }
}

struct Server {
    runtime: tokio::runtime::Runtime,
    engine: Engine,
    recorder: Arc<Recorder>,
}

fn server() -> &'static Server {
    static SERVER: std::sync::OnceLock<Server> = std::sync::OnceLock::new();
    SERVER.get_or_init(|| {
        let recorder = Arc::new(Recorder::default());
        let config = EngineConfig {
            max_payload: MAX_PAYLOAD,
            ..EngineConfig::default()
        };
        Server {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .expect("a runtime"),
            engine: Engine::new(config, recorder.clone()),
            recorder,
        }
    })
}

fn request(method: Method, query: &str, body: Bytes) -> Request<Full<Bytes>> {
    Request::builder()
        .method(method)
        .uri(format!("/socket.io/?EIO=4&transport=polling{query}"))
        .body(Full::new(body))
        .expect("a valid request")
}

/// What the handler must be told of `body`, whether the POST is refused,
/// and whether the session stays open.
fn expected(body: &[u8]) -> (Vec<Message>, StatusCode, bool) {
    if body.len() > MAX_PAYLOAD {
        return (Vec::new(), StatusCode::PAYLOAD_TOO_LARGE, false);
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return (Vec::new(), StatusCode::BAD_REQUEST, false);
    };
    let mut messages = Vec::new();
    let mut open = true;
    let mut status = StatusCode::OK;
    for item in payload_model(text) {
        match item {
            Err(_) => {
                status = StatusCode::BAD_REQUEST;
                open = false;
            }
            Ok(_) if !open => {}
            Ok(Packet::Message(t)) => messages.push(Message::Text(t)),
            Ok(Packet::Binary(b)) => messages.push(Message::Binary(b)),
            Ok(Packet::Close | Packet::Open(_)) => open = false,
            Ok(_) => {}
        }
    }
    (messages, status, open)
}

fuzz_target!(|data: &[u8]| {
    let s = server();
    s.runtime.block_on(async {
        let shake = s.engine.handle(request(Method::GET, "", Bytes::new()), None).await;
        assert_eq!(shake.status(), StatusCode::OK);
        let socket = s.recorder.socket.lock().unwrap().take().expect("a session");
        let query = format!("&sid={}", socket.id());
        let body = Bytes::copy_from_slice(data);
        let answer = s.engine.handle(request(Method::POST, &query, body), None).await;

        let (messages, status, open) = expected(data);
        assert_eq!(answer.status(), status, "POST {data:?}");
        assert_eq!(*s.recorder.messages.lock().unwrap(), messages, "POST {data:?}");
        assert_eq!(!socket.is_closed(), open, "POST {data:?}: {:?}", socket.close_reason());
        socket.close();
        // Let the session's heartbeat task see the close and end.
        tokio::task::yield_now().await;
    });
    assert_eq!(s.engine.session_count(), 0, "a closed session is still registered");
    let closed = std::mem::take(&mut *s.recorder.closed.lock().unwrap());
    assert_eq!(closed.len(), 1, "the handler is told of each close once");
    s.recorder.messages.lock().unwrap().clear();
});
