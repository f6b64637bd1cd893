//! Shared helpers of the chat tests: the chat app served in-process on
//! `127.0.0.1:0` (memory storage), the test token [`Verifier`], and REST
//! calls over a real socket with the raw client of `tests/common` (declare
//! `mod common;` next to `mod chat_support;`).
//!
//! Tokens are real HS256 JWTs, made in [`token`] and checked by
//! [`verifier`], the binary's own `Authenticator`.
//!
//! [`binary`]: the `edgeio` binary instead, with tokens from `edgeio token`.

#![allow(dead_code)]

pub mod binary;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use edgeio::apps::chat::auth::{AuthConfig, Authenticator};

use edgeio::apps::chat::model::Message;
use edgeio::apps::chat::rest::Rest;
use edgeio::apps::chat::service::SendRequest;
use edgeio::apps::chat::{self, ChatConfig, ChatResult, ChatService, Verifier};
use edgeio::engine::CorsConfig;
use edgeio::engine::{Engine, EngineConfig};
use edgeio::http::{serve_with_fallback, HttpHandler};
use edgeio::server::{IoConfig, ServerStorage};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::common::{request, HttpResponse};

/// The HS256 secret of every test server.
const SECRET: &str = "chat-tests-secret";

/// The tests' key: real JWTs, HS256, the algorithm pinned.
fn auth_config() -> AuthConfig {
    AuthConfig {
        alg: None,
        secret: Some(SECRET.to_owned()),
        public_key: None,
        private_key: None,
        data_dir: std::env::temp_dir(),
    }
}

/// The authenticator that mints the tests' tokens.
fn authenticator() -> &'static Authenticator {
    static AUTH: OnceLock<Authenticator> = OnceLock::new();
    AUTH.get_or_init(|| Authenticator::load(&auth_config()).expect("an HS256 key"))
}

/// A token of `user`, valid for an hour.
pub fn token(user: &str) -> String {
    authenticator()
        .mint(user, Duration::from_secs(3600))
        .expect("mint a token")
}

/// A token of `alice`, signed with the right key, that expired an hour ago.
pub fn expired_token() -> String {
    let now = chat::clock::now_ms() / 1000;
    signed(&json!({ "sub": "alice", "iat": now - 7200, "exp": now - 3600 }))
}

/// `claims` signed with the right key (HS256), whatever they say.
pub fn signed(claims: &Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()).expect("a key"),
    )
    .expect("sign")
}

/// The verifier every chat test uses: the JWT [`Authenticator`] the binary
/// uses, on a fixed secret.
pub fn verifier() -> Arc<dyn Verifier> {
    Arc::new(Authenticator::load(&auth_config()).expect("an HS256 key"))
}

/// The default settings with no rate limit on anything the tests repeat.
pub fn unlimited() -> ChatConfig {
    let mut config = ChatConfig::default();
    for spec in [
        "message:send=0",
        "message:read=0",
        "conversation:create=0",
        "block:user=0",
        "mute:conversation=0",
    ] {
        config.rate_limits.set(spec).expect("a valid limit");
    }
    config
}

/// The chat served on an ephemeral loopback port; stops when dropped.
pub struct ChatServer {
    pub addr: SocketAddr,
    /// The operations, to send messages as the socket events would.
    pub service: ChatService,
    /// The REST handler's body cap.
    pub max_body: usize,
    _stop: oneshot::Sender<()>,
}

impl ChatServer {
    /// The chat with [`unlimited`] settings and no CORS.
    pub async fn start() -> Self {
        Self::start_with(unlimited(), None).await
    }

    /// The chat with `config`; with `cors`, the REST API is built again
    /// with that CORS configuration, as the binary passes the engine's.
    pub async fn start_with(config: ChatConfig, cors: Option<CorsConfig>) -> Self {
        let io = IoConfig {
            storage: Some(ServerStorage::memory()),
            ..IoConfig::default()
        };
        let app = chat::build(io, config, verifier()).expect("the chat app builds");
        let http: Arc<dyn HttpHandler> = match cors {
            Some(cors) => Arc::new(Rest::new(app.service.clone(), verifier()).with_cors(cors)),
            None => app.http,
        };
        let max_body = http.max_body();
        let engine = Engine::new(EngineConfig::default(), app.handler);
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("listener address");
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(serve_with_fallback(listener, engine, Some(http), async {
            let _ = stopped.await;
        }));
        Self {
            addr,
            service: app.service,
            max_body,
            _stop: stop,
        }
    }

    /// `method path` with `Authorization: Bearer <bearer>` when given.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: &[u8],
    ) -> HttpResponse {
        let auth = bearer.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> =
            auth.iter().map(|a| ("Authorization", a.as_str())).collect();
        request(self.addr, method, path, &headers, body).await
    }

    /// `GET path` as `user`.
    pub async fn get(&self, user: &str, path: &str) -> HttpResponse {
        self.call("GET", path, Some(&token(user)), b"").await
    }

    /// `POST path` as `user` with `body` as JSON.
    pub async fn post(&self, user: &str, path: &str, body: &Value) -> HttpResponse {
        let body = body.to_string();
        self.call("POST", path, Some(&token(user)), body.as_bytes())
            .await
    }

    /// The one-to-one of `a` and `b`, created by `a` over REST: its id.
    pub async fn one_to_one(&self, a: &str, b: &str) -> String {
        let path = "/conversations/create/one-to-one";
        let r = self.post(a, path, &json!({ "participantId": b })).await;
        assert_eq!(r.status, 201, "{}", r.text());
        conversation_id(&r)
    }

    /// A group of `creator` and `others` over REST: its id.
    pub async fn group(&self, creator: &str, others: &[&str], name: &str) -> String {
        let body = json!({ "participantIds": others, "name": name });
        let r = self
            .post(creator, "/conversations/create/group", &body)
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        conversation_id(&r)
    }

    /// `user` sends `content` to `cid` as a socket event would: the stored
    /// message.
    pub async fn send(&self, user: &str, cid: &str, content: &str) -> Message {
        self.try_send(user, cid, content)
            .await
            .unwrap_or_else(|e| panic!("{user} sends to {cid}: {e}"))
    }

    /// [`Self::send`], refusals returned.
    pub async fn try_send(&self, user: &str, cid: &str, content: &str) -> ChatResult<Message> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let req = SendRequest {
            conversation_id: cid.to_owned(),
            content: content.to_owned(),
            message_id: format!("m-{}", NEXT.fetch_add(1, Ordering::Relaxed)),
            client_sequence: None,
            client_timestamp: None,
        };
        let sent = self.service.send(user, "device-1", req).await?;
        Ok(sent.message().clone())
    }
}

/// The `conversationId` of a response.
pub fn conversation_id(r: &HttpResponse) -> String {
    r.json()["conversationId"]
        .as_str()
        .unwrap_or_else(|| panic!("no conversationId in {}", r.text()))
        .to_owned()
}

/// Asserts `r` is a refusal: `status` and `{"error": {"code": code, ..}}`
/// as JSON that no cache keeps; returns the message.
pub fn assert_refused(r: &HttpResponse, status: u16, code: &str) -> String {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let body = r.json();
    assert_eq!(body["error"]["code"], code, "{body}");
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
    body["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no message in {body}"))
        .to_owned()
}
