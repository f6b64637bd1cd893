//! Settings of the Engine.IO layer, with the defaults of the reference server.

use std::sync::Arc;
use std::time::Duration;

use super::cors::CorsConfig;
use super::ratelimit::HandshakeRate;
use super::session::Handshake;
use crate::metrics::{Metrics, Transport};

/// A hook that may refuse a handshake: `Err(message)` answers 403 with
/// Engine.IO code 4 (`Forbidden`) and that message.
pub type AllowRequest = Arc<dyn Fn(&Handshake) -> Result<(), String> + Send + Sync>;

/// The two transports of Engine.IO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// HTTP long-polling.
    Polling,
    /// WebSocket.
    WebSocket,
}

impl TransportKind {
    /// The name used in the `transport` query parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            TransportKind::Polling => "polling",
            TransportKind::WebSocket => "websocket",
        }
    }

    /// Parses the `transport` query parameter.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "polling" => Some(TransportKind::Polling),
            "websocket" => Some(TransportKind::WebSocket),
            _ => None,
        }
    }
}

impl From<TransportKind> for Transport {
    fn from(kind: TransportKind) -> Self {
        match kind {
            TransportKind::Polling => Transport::Polling,
            TransportKind::WebSocket => Transport::WebSocket,
        }
    }
}

/// Settings of the `Set-Cookie` header sent with the handshake, carrying the sid
/// (for sticky sessions behind a load balancer).
#[derive(Debug, Clone)]
pub struct CookieConfig {
    /// Cookie name; `io` like the reference server.
    pub name: String,
    /// Cookie path.
    pub path: String,
    /// Adds `HttpOnly`.
    pub http_only: bool,
    /// The `SameSite` attribute (`Lax`, `Strict` or `None`).
    pub same_site: String,
}

impl Default for CookieConfig {
    fn default() -> Self {
        Self {
            name: "io".to_owned(),
            path: "/".to_owned(),
            http_only: true,
            same_site: "Lax".to_owned(),
        }
    }
}

/// Everything the engine can be told.
///
/// ```
/// use std::time::Duration;
/// use edgeio::engine::{EngineConfig, TransportKind};
///
/// let config = EngineConfig {
///     ping_interval: Duration::from_secs(20),
///     transports: vec![TransportKind::WebSocket],
///     ..EngineConfig::default()
/// }
/// // Not the clients' default `/socket.io/`.
/// .with_path("realtime");
/// assert_eq!(config.path, "/realtime/");
/// ```
#[derive(Clone)]
pub struct EngineConfig {
    /// The path the engine answers on, with a trailing slash (`/socket.io/`).
    pub path: String,
    /// How often the server pings each client.
    pub ping_interval: Duration,
    /// How long the server waits for a pong before closing the session.
    pub ping_timeout: Duration,
    /// `maxHttpBufferSize`: the largest POST body or WebSocket message accepted,
    /// in bytes; also announced to clients as `maxPayload`.
    pub max_payload: usize,
    /// Transports accepted, in upgrade order.
    pub transports: Vec<TransportKind>,
    /// How long an upgrade from polling to WebSocket may take.
    pub upgrade_timeout: Duration,
    /// Outgoing packets queued per session before the client is deemed not to
    /// be reading and is disconnected.
    pub max_buffered_packets: usize,
    /// Bytes of outgoing packets queued per session (text, or raw binary)
    /// before the client is deemed not to be reading and is disconnected with
    /// `send buffer full`. One packet always fits an empty queue, so a
    /// message up to `max_payload` can always be sent. The default, 1 MiB,
    /// lets a reading client take bursts between two polls, while the queue
    /// of a client that never reads holds at most 1 MiB and one packet
    /// (about 2 MB: a hundred such clients fit a 512 MB box) where the
    /// packet count alone let it hold 4096 packets of 1 MB.
    pub max_buffered_bytes: usize,
    /// Bytes of the handshake's request headers kept with a session for the
    /// layers above (each header counts its name, its value and 32, as
    /// HTTP/2 counts a header list). Transport-only headers are not kept;
    /// headers that do not fit are dropped with a debug log (a browser that
    /// carries large cookies of the site still connects) rather than refused.
    pub max_handshake_header_bytes: usize,
    /// Open sessions at most; a handshake beyond it is answered 503, so that a
    /// flood of clients cannot take the memory the others need.
    pub max_sessions: usize,
    /// The WebSocket read buffer per connection. Small, so that many idle
    /// clients cost little memory; it grows for larger messages.
    pub ws_read_buffer_size: usize,
    /// Cross-origin requests allowed.
    pub cors: CorsConfig,
    /// Sends the sid in a cookie when set.
    pub cookie: Option<CookieConfig>,
    /// May refuse handshakes.
    pub allow_request: Option<AllowRequest>,
    /// Handshakes allowed per client address, when set (off by default);
    /// one over it is answered `429` (see [`super::ratelimit`]).
    pub handshake_rate: Option<HandshakeRate>,
    /// Where the engine records its metrics (a fresh, unscraped set by
    /// default); give the Socket.IO layer the same handle.
    pub metrics: Metrics,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            path: "/socket.io/".to_owned(),
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            max_payload: 1_000_000,
            transports: vec![TransportKind::Polling, TransportKind::WebSocket],
            upgrade_timeout: Duration::from_millis(10_000),
            max_buffered_packets: 4096,
            max_buffered_bytes: 1024 * 1024,
            max_handshake_header_bytes: 8 * 1024,
            max_sessions: 100_000,
            ws_read_buffer_size: 2048,
            cors: CorsConfig::default(),
            cookie: None,
            allow_request: None,
            handshake_rate: None,
            metrics: Metrics::new(),
        }
    }
}

impl EngineConfig {
    /// True when `kind` is accepted.
    pub fn allows(&self, kind: TransportKind) -> bool {
        self.transports.contains(&kind)
    }

    /// The upgrades offered to a session opened on `kind`.
    pub fn upgrades_from(&self, kind: TransportKind) -> Vec<&'static str> {
        if kind == TransportKind::Polling && self.allows(TransportKind::WebSocket) {
            vec!["websocket"]
        } else {
            Vec::new()
        }
    }

    /// Normalises `path` to start and end with `/`.
    pub fn with_path(mut self, path: &str) -> Self {
        let trimmed = path.trim_matches('/');
        self.path = if trimmed.is_empty() {
            "/".to_owned()
        } else {
            format!("/{trimmed}/")
        };
        self
    }
}

impl std::fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineConfig")
            .field("path", &self.path)
            .field("ping_interval", &self.ping_interval)
            .field("ping_timeout", &self.ping_timeout)
            .field("max_payload", &self.max_payload)
            .field("transports", &self.transports)
            .field("upgrade_timeout", &self.upgrade_timeout)
            .field("max_buffered_packets", &self.max_buffered_packets)
            .field("max_buffered_bytes", &self.max_buffered_bytes)
            .field(
                "max_handshake_header_bytes",
                &self.max_handshake_header_bytes,
            )
            .field("max_sessions", &self.max_sessions)
            .field("cors", &self.cors)
            .field("cookie", &self.cookie)
            .field("allow_request", &self.allow_request.is_some())
            .field("handshake_rate", &self.handshake_rate)
            .finish()
    }
}
