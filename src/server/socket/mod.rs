//! [`Socket`]: one client's membership of one namespace — its handlers, its
//! rooms, its emits and acknowledgements.
//!
//! - `send`: emits and the queueing of frames (behind a recovery replay).
//! - `lifecycle`: rooms, data, connecting, receiving, leaving.

mod lifecycle;
mod send;

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::oneshot;

use super::adapter::Room;
use super::broadcast::BroadcastOperator;
use super::client::Client;
use super::error::DisconnectReason;
use super::event::{AckResponse, AckSender, Event};
use super::handlers::Handlers;
use super::namespace::{Namespace, NsInner};
use super::recovery::Offset;
use crate::engine;

pub(crate) use send::{encode_frames, to_value};

/// A socket id (the socket's own room too).
pub type Sid = engine::Sid;

/// One client in one namespace.
///
/// ```
/// use edgeio::{Io, IoConfig};
/// use serde_json::json;
///
/// # #[tokio::main] async fn main() {
/// let io = Io::new(IoConfig::default());
/// io.main().on_connection(|socket| {
///     socket.join("lobby");
///     // The first argument, typed, and the client's ack if it asked.
///     socket.on_data("chat", |socket, text: String, ack| {
///         let _ = socket.to("lobby").emit("chat", &text);
///         if let Some(ack) = ack {
///             let _ = ack.send(json!({ "delivered": true }));
///         }
///     });
/// });
/// # }
/// ```
pub struct Socket {
    /// The socket's id, public and also its own room.
    id: Sid,
    /// The private id a client presents to recover this socket (when
    /// recovery is on); never shared with other clients.
    pid: Option<Sid>,
    /// True when the socket was restored by connection-state recovery.
    recovered: bool,
    /// The namespace.
    ns: Arc<NsInner>,
    /// The client connection the socket rides on.
    pub(super) client: Arc<Client>,
    /// The `auth` payload of the CONNECT packet.
    auth: Value,
    /// What runs for the client's events.
    handlers: Handlers,
    /// Acknowledgements awaited from the client, by id.
    pub(super) acks: Mutex<HashMap<u64, oneshot::Sender<AckResponse>>>,
    /// The next acknowledgement id.
    pub(super) next_ack: AtomicU64,
    /// True from the CONNECT answer until the socket leaves.
    connected: AtomicBool,
    /// True once the socket left (or was refused): it joins nothing more.
    left: AtomicBool,
    /// Data attached by middlewares and handlers, by type.
    extensions: RwLock<HashMap<TypeId, Box<dyn Any + Send + Sync>>>,
    /// `socket.data`: serializable, kept with a recoverable session.
    data: RwLock<Option<Value>>,
    /// The first recovery offset this socket may have missed.
    since: Offset,
    /// Missed broadcasts being sent to a restored socket.
    replay: send::Replay,
}

impl Socket {
    pub(crate) fn new(
        ns: Arc<NsInner>,
        client: Arc<Client>,
        auth: Value,
        restored: Option<(Sid, Sid)>,
    ) -> Arc<Self> {
        let recovered = restored.is_some();
        let (id, pid) = match restored {
            Some((sid, pid)) => (sid, Some(pid)),
            None => (Sid::random(), ns.recovery_mode().map(|_| Sid::random())),
        };
        let since = ns.recovery().map(|r| r.next_offset()).unwrap_or_default();
        Arc::new(Self {
            id,
            pid,
            recovered,
            ns,
            client,
            auth,
            handlers: Handlers::default(),
            acks: Mutex::default(),
            next_ack: AtomicU64::new(0),
            connected: AtomicBool::new(false),
            left: AtomicBool::new(false),
            extensions: RwLock::default(),
            data: RwLock::default(),
            since,
            replay: send::Replay::default(),
        })
    }

    /// The socket id.
    pub fn id(&self) -> &Sid {
        &self.id
    }

    /// Where the socket records its metrics (its namespace's handle).
    pub(crate) fn metrics(&self) -> &crate::metrics::Metrics {
        self.ns.metrics()
    }

    /// The namespace's name.
    pub fn ns(&self) -> &str {
        self.ns.name()
    }

    /// The socket's namespace (to broadcast to all of it, this socket included).
    pub fn namespace(&self) -> Namespace {
        Namespace {
            inner: self.ns.clone(),
        }
    }

    pub(crate) fn ns_inner(&self) -> &Arc<NsInner> {
        &self.ns
    }

    /// The `auth` payload the client connected with (`{}` when none).
    pub fn auth(&self) -> &Value {
        &self.auth
    }

    /// The Engine.IO handshake (headers, query, remote address).
    pub fn handshake(&self) -> Option<engine::Handshake> {
        self.client.engine().map(|e| e.handshake().clone())
    }

    /// The Engine.IO session the socket rides on (its id, its transport),
    /// while it is open.
    pub fn session(&self) -> Option<Arc<engine::Session>> {
        self.client.engine()
    }

    /// True when connection-state recovery restored this socket: same id,
    /// same rooms, and the broadcasts it missed were sent again.
    pub fn recovered(&self) -> bool {
        self.recovered
    }

    /// True while the socket is connected to its namespace.
    pub fn connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    /// Registers the handler of event `name` (replacing any before it).
    /// Handlers run in the order the client sent its events; spawn a task for
    /// slow work.
    pub fn on<F>(&self, name: &str, handler: F)
    where
        F: Fn(&Arc<Socket>, Event) + Send + Sync + 'static,
    {
        if let Ok(mut h) = self.handlers.events.write() {
            h.insert(name.to_owned(), Arc::new(handler));
        }
    }

    /// Registers a typed handler of event `name`: its first argument is
    /// deserialized into a `T`. An argument that does not fit is refused and
    /// reported to the error handlers.
    pub fn on_data<T, F>(&self, name: &str, handler: F)
    where
        T: DeserializeOwned,
        F: Fn(&Arc<Socket>, T, Option<AckSender>) + Send + Sync + 'static,
    {
        self.on(name, move |socket, event| match event.arg::<T>(0) {
            Ok(data) => handler(socket, data, event.ack),
            Err(e) => socket
                .handlers
                .error(socket, &format!("event {:?}: {e}", event.name)),
        });
    }

    /// Registers a handler called for every incoming event.
    pub fn on_any<F>(&self, handler: F)
    where
        F: Fn(&Arc<Socket>, &str, &[Value]) + Send + Sync + 'static,
    {
        if let Ok(mut h) = self.handlers.any_incoming.write() {
            h.push(Arc::new(handler));
        }
    }

    /// Registers a handler called for every event emitted to this socket.
    pub fn on_any_outgoing<F>(&self, handler: F)
    where
        F: Fn(&Arc<Socket>, &str, &[Value]) + Send + Sync + 'static,
    {
        if let Ok(mut h) = self.handlers.any_outgoing.write() {
            h.push(Arc::new(handler));
        }
    }

    /// Adds a packet middleware, run in order on every incoming event before
    /// its handler: it may change the event, or refuse it with a message
    /// (the event is dropped and the error handlers are told).
    pub fn use_middleware<F>(&self, middleware: F)
    where
        F: Fn(&Arc<Socket>, &mut Event) -> Result<(), String> + Send + Sync + 'static,
    {
        if let Ok(mut m) = self.handlers.middlewares.write() {
            m.push(Arc::new(middleware));
        }
    }

    /// Registers a handler told when an event is refused.
    pub fn on_error<F>(&self, handler: F)
    where
        F: Fn(&Arc<Socket>, &str) + Send + Sync + 'static,
    {
        if let Ok(mut h) = self.handlers.errors.write() {
            h.push(Arc::new(handler));
        }
    }

    /// Registers a handler called once when the socket leaves, with why.
    pub fn on_disconnect<F>(&self, handler: F)
    where
        F: FnOnce(&Arc<Socket>, DisconnectReason) + Send + 'static,
    {
        if let Ok(mut h) = self.handlers.disconnect.lock() {
            h.push(Box::new(handler));
        }
    }

    /// A broadcast to `room`, leaving this socket out.
    pub fn to(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.broadcast().to(room)
    }

    /// A broadcast to every socket of the namespace but this one.
    pub fn broadcast(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.ns.clone()).except(self.id.as_str())
    }

    /// Attaches a value to the socket (one per type).
    pub fn insert<T: Any + Send + Sync>(&self, value: T) {
        if let Ok(mut e) = self.extensions.write() {
            e.insert(TypeId::of::<T>(), Box::new(value));
        }
    }

    /// A copy of the attached value of type `T`.
    pub fn get<T: Any + Send + Sync + Clone>(&self) -> Option<T> {
        let e = self.extensions.read().ok()?;
        e.get(&TypeId::of::<T>())?.downcast_ref::<T>().cloned()
    }
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("id", &self.id)
            .field("ns", &self.ns())
            .field("connected", &self.connected())
            .finish()
    }
}
