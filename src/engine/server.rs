//! [`Engine`]: the registry of sessions, the handshake, and the entry point
//! that routes each HTTP request to its transport.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use http::{Method, Request, Response};
use http_body_util::Full;
use tracing::Instrument;

use super::config::{EngineConfig, TransportKind};
use super::error::{DisconnectReason, ErrorCode, RequestError};
use super::handler::EngineHandler;
use super::heartbeat;
use super::query::{self, EngineQuery};
use super::ratelimit::HandshakeLimiter;
use super::response;
use super::session::{Handshake, Session};
use super::sid::Sid;
use super::transport::{polling, websocket};
use super::upgrades::{self, HostUpgrades};

/// The sessions map keeps at least this capacity when it shrinks.
const MIN_SESSIONS_CAPACITY: usize = 64;
use crate::metrics::Refusal;

/// What every session of an engine shares.
pub(crate) struct EngineShared {
    /// The settings.
    pub(crate) config: EngineConfig,
    /// Told of every session's events.
    pub(crate) handler: Arc<dyn EngineHandler>,
    /// Open sessions by sid. Sessions remove themselves when they close.
    sessions: RwLock<HashMap<Sid, Arc<Session>>>,
    /// The per-address handshake rate limit.
    handshakes: HandshakeLimiter,
    /// Set by [`Engine::begin_drain`]: no new session opens.
    draining: AtomicBool,
    /// Whether the host server upgrades connections to WebSocket.
    pub(crate) upgrades: HostUpgrades,
}

impl EngineShared {
    fn get(&self, sid: &str) -> Option<Arc<Session>> {
        self.sessions.read().ok()?.get(sid).cloned()
    }

    pub(crate) fn remove(&self, sid: &Sid) {
        if let Ok(mut sessions) = self.sessions.write() {
            sessions.remove(sid);
            // A burst of sessions (a reconnect storm, a handshake flood)
            // leaves the map at its peak capacity; give most of it back once
            // it is three quarters empty. Halving at a quarter full keeps the
            // cost amortised: no resize storm at a steady count.
            let (len, capacity) = (sessions.len(), sessions.capacity());
            if capacity > MIN_SESSIONS_CAPACITY && len < capacity / 4 {
                sessions.shrink_to((len * 2).max(MIN_SESSIONS_CAPACITY));
            }
        }
    }

    #[cfg(test)]
    fn sessions_capacity(&self) -> usize {
        self.sessions.read().map(|s| s.capacity()).unwrap_or(0)
    }

    fn insert(&self, socket: Arc<Session>) {
        if let Ok(mut sessions) = self.sessions.write() {
            sessions.insert(socket.id().clone(), socket);
        }
    }
}

/// An Engine.IO v4 server. Cheap to clone; every clone is the same server.
///
/// Mount it in a hyper server with [`Engine::handle`] for requests whose path
/// [`Engine::matches`], as a tower layer with [`crate::layer`], or use
/// [`crate::http::serve()`](fn@crate::http::serve).
///
/// ```
/// use edgeio::engine::{Engine, EngineConfig};
/// use edgeio::{Io, IoConfig};
///
/// # #[tokio::main] async fn main() {
/// let io = Io::new(IoConfig::default());
/// let engine = Engine::new(EngineConfig::default(), io.engine_handler());
/// assert!(engine.matches("/socket.io/"));
/// assert!(!engine.matches("/hello"));
///
/// let req = http::Request::get("/socket.io/?EIO=4&transport=polling")
///     .body(http_body_util::Empty::<bytes::Bytes>::new())
///     .unwrap();
/// let res = engine.handle(req, None).await;
/// assert_eq!(res.status(), 200); // the handshake
/// assert_eq!(engine.session_count(), 1);
/// # }
/// ```
#[derive(Clone)]
pub struct Engine {
    shared: Arc<EngineShared>,
}

impl Engine {
    /// A new engine telling `handler` about its sessions.
    pub fn new(config: EngineConfig, handler: Arc<dyn EngineHandler>) -> Self {
        Self {
            shared: Arc::new(EngineShared {
                handshakes: HandshakeLimiter::new(config.handshake_rate),
                config,
                handler,
                sessions: RwLock::new(HashMap::new()),
                draining: AtomicBool::new(false),
                upgrades: HostUpgrades::default(),
            }),
        }
    }

    /// The settings.
    pub fn config(&self) -> &EngineConfig {
        &self.shared.config
    }

    /// The open session `sid`, if any.
    pub fn socket(&self, sid: &str) -> Option<Arc<Session>> {
        self.shared.get(sid)
    }

    /// The number of open sessions.
    pub fn session_count(&self) -> usize {
        self.shared.sessions.read().map(|s| s.len()).unwrap_or(0)
    }

    /// Closes every session for `reason` (for instance
    /// [`DisconnectReason::ServerShuttingDown`]).
    pub fn close_all(&self, reason: DisconnectReason) {
        let sockets: Vec<_> = match self.shared.sessions.read() {
            Ok(s) => s.values().cloned().collect(),
            Err(_) => return,
        };
        for socket in sockets {
            socket.close_with(reason);
        }
    }

    /// Starts draining for a shutdown: from now on every handshake is refused
    /// with `503 Server shutting down`; open sessions go on until closed (see
    /// [`Engine::close_all`]). There is no way back.
    pub fn begin_drain(&self) {
        self.shared.draining.store(true, Ordering::SeqCst);
    }

    /// True once [`Engine::begin_drain`] was called.
    pub fn is_draining(&self) -> bool {
        self.shared.draining.load(Ordering::SeqCst)
    }

    /// True once a WebSocket upgrade failed because the server hosting the
    /// engine does not enable HTTP upgrades (hyper's `.with_upgrades()`):
    /// from then on handshakes offer no upgrade and WebSocket requests are
    /// refused with `400` and a message saying so.
    pub fn upgrades_unavailable(&self) -> bool {
        self.shared.upgrades.unavailable()
    }

    /// True when `path` is the engine's path (with or without its trailing
    /// slash).
    pub fn matches(&self, path: &str) -> bool {
        let own = &self.shared.config.path;
        path == own || Some(path) == own.strip_suffix('/')
    }

    /// Answers one HTTP request addressed to the engine's path.
    pub async fn handle<B>(
        &self,
        req: Request<B>,
        remote_addr: Option<std::net::SocketAddr>,
    ) -> Response<Full<Bytes>>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let cors = &self.shared.config.cors;
        let request_headers = req.headers().clone();
        let mut response = if req.method() == Method::OPTIONS {
            let mut r = response::empty(http::StatusCode::NO_CONTENT);
            cors.apply_preflight(&request_headers, r.headers_mut());
            return r;
        } else {
            match self.route(req, remote_addr).await {
                Ok(r) => r,
                Err(e) => response::error(&e),
            }
        };
        cors.apply(&request_headers, response.headers_mut());
        response
    }

    async fn route<B>(
        &self,
        req: Request<B>,
        remote_addr: Option<std::net::SocketAddr>,
    ) -> Result<Response<Full<Bytes>>, RequestError>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let refused = |reason: Refusal| {
            self.shared
                .config
                .metrics
                .engine()
                .handshake_refused(reason)
        };
        let query = EngineQuery::parse(req.uri().query()).inspect_err(|_| {
            if query::param(req.uri().query(), "sid").is_none() {
                refused(Refusal::BadRequest);
            }
        })?;
        if !self.shared.config.allows(query.transport) {
            if query.sid.is_none() {
                refused(Refusal::BadRequest);
            }
            return Err(RequestError::code(ErrorCode::UnknownTransport));
        }
        let is_upgrade = websocket::is_upgrade_request(&req);
        if query.transport == TransportKind::WebSocket && self.upgrades_unavailable() {
            return Err(RequestError::with_message(
                ErrorCode::UnknownTransport,
                upgrades::REFUSAL,
            ));
        }
        match (query.sid, query.transport) {
            (None, kind) => {
                let refuse = |reason: Refusal, error: RequestError| {
                    refused(reason);
                    Err(error)
                };
                if req.method() != Method::GET {
                    return refuse(
                        Refusal::BadRequest,
                        RequestError::code(ErrorCode::BadHandshakeMethod),
                    );
                }
                if kind == TransportKind::WebSocket && !is_upgrade {
                    return refuse(
                        Refusal::BadRequest,
                        RequestError::code(ErrorCode::BadRequest),
                    );
                }
                if self.is_draining() {
                    return refuse(Refusal::Draining, RequestError::shutting_down());
                }
                if let Err(e) = self.shared.handshakes.admit(remote_addr) {
                    return refuse(Refusal::RateLimit, e);
                }
                let handshake = Handshake::copied_from(req.uri(), req.headers(), remote_addr);
                if self.session_count() >= self.shared.config.max_sessions {
                    return refuse(Refusal::TooManySessions, RequestError::too_many_sessions());
                }
                if let Err(e) = self.check_allowed(&handshake) {
                    return refuse(Refusal::Forbidden, e);
                }
                let socket = self.open(handshake, kind);
                let mut response = match kind {
                    TransportKind::Polling => polling::get(socket.clone()).await?,
                    TransportKind::WebSocket => {
                        websocket::accept(req, socket.clone(), websocket::Mode::Direct)?
                    }
                };
                response::set_cookie(&self.shared.config, &socket, &mut response);
                Ok(response)
            }
            (Some(sid), kind) => {
                let socket = self
                    .shared
                    .get(sid)
                    .filter(|s| !s.check_alive())
                    .ok_or_else(|| RequestError::code(ErrorCode::UnknownSid))?;
                match kind {
                    TransportKind::WebSocket if is_upgrade => {
                        websocket::accept(req, socket, websocket::Mode::Upgrade)
                    }
                    TransportKind::WebSocket => Err(RequestError::code(ErrorCode::BadRequest)),
                    TransportKind::Polling if req.method() == Method::GET => {
                        polling::get(socket).await
                    }
                    TransportKind::Polling if req.method() == Method::POST => {
                        polling::post(socket, req).await
                    }
                    TransportKind::Polling => Err(RequestError::code(ErrorCode::BadRequest)),
                }
            }
        }
    }

    fn check_allowed(&self, handshake: &Handshake) -> Result<(), RequestError> {
        match &self.shared.config.allow_request {
            Some(allow) => {
                allow(handshake).map_err(|m| RequestError::with_message(ErrorCode::Forbidden, m))
            }
            None => Ok(()),
        }
    }

    /// Creates a session: registered, open packet queued, heartbeat running,
    /// handler told.
    pub(super) fn open(&self, handshake: Handshake, kind: TransportKind) -> Arc<Session> {
        let socket = Session::new(Sid::random(), handshake, kind, self.shared.clone());
        self.shared
            .config
            .metrics
            .engine()
            .session_opened(kind.into());
        self.shared.insert(socket.clone());
        socket.queue_open(kind);
        let span = tracing::debug_span!("session", sid = %socket.id());
        tokio::spawn(heartbeat::run(socket.clone()).instrument(span));
        tracing::debug!(sid = %socket.id(), transport = kind.as_str(), "session opened");
        self.shared.handler.on_connect(&socket);
        socket
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.shared.config)
            .field("sessions", &self.session_count())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Message;

    struct Quiet;

    impl EngineHandler for Quiet {
        fn on_connect(&self, _: &Arc<Session>) {}
        fn on_message(&self, _: &Arc<Session>, _: Message) {}
        fn on_disconnect(&self, _: &Arc<Session>, _: DisconnectReason) {}
    }

    /// After a burst the sessions map gives its capacity back, and a steady
    /// count keeps what it uses.
    #[tokio::test]
    async fn the_sessions_map_shrinks_after_a_burst() {
        let engine = Engine::new(EngineConfig::default(), Arc::new(Quiet));
        let handshake =
            || Handshake::copied_from(&http::Uri::default(), &http::HeaderMap::new(), None);
        let sessions: Vec<_> = (0..4096)
            .map(|_| engine.open(handshake(), TransportKind::Polling))
            .collect();
        let peak = engine.shared.sessions_capacity();
        assert!(peak >= 4096);
        for s in &sessions[..4000] {
            engine.shared.remove(s.id());
        }
        assert_eq!(engine.session_count(), 96);
        let after = engine.shared.sessions_capacity();
        assert!(
            after < peak / 4,
            "capacity {after} after the burst, {peak} at its peak"
        );
        assert!(after >= 96);
        for s in &sessions[4000..] {
            engine.shared.remove(s.id());
        }
        assert!(engine.shared.sessions_capacity() >= MIN_SESSIONS_CAPACITY);
    }
}
