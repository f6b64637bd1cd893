//! [`Namespace`]: a named channel on one connection (`/`, `/chat`), with its
//! connection middlewares, its connection handler, its sockets and rooms.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use serde::Serialize;
use serde_json::Value;

use super::adapter::remote::ConnectedAt;
use super::adapter::{
    Adapter, AdapterContext, AdapterFactory, AdapterHandle, LocalNamespace, RemoteSocket, Room,
};
use super::broadcast::BroadcastOperator;
use super::config::RecoveryConfig;
use super::drive::drive;
use super::error::{AdapterError, ConnectError, EmitError};
use super::observer::{Observer, Observers};
use super::recovery::{Recovery, RecoveryStore};
use super::server_side::ServerSideHandler;
use super::socket::{Sid, Socket};
use super::storage::ServerStorage;
use crate::metrics::Metrics;

type ConnectionHandler = Arc<dyn Fn(&Arc<Socket>) + Send + Sync>;
type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
pub(crate) type Middleware =
    Arc<dyn Fn(Arc<Socket>) -> BoxFuture<Result<(), ConnectError>> + Send + Sync>;

/// A namespace. Cheap to clone; clones are the same namespace.
///
/// ```
/// use edgeio::{ConnectError, Io, IoConfig};
///
/// # #[tokio::main] async fn main() {
/// let io = Io::new(IoConfig::default());
/// let admin = io.of("/admin");
/// // Refuse clients without a token, before their connection handler.
/// admin.use_middleware(|socket| async move {
///     match socket.auth().get("token") {
///         Some(_) => Ok(()),
///         None => Err(ConnectError::new("no token")),
///     }
/// });
/// admin.on_connection(|socket| {
///     socket.join("staff");
/// });
/// // Everyone in the namespace's `staff` room.
/// let _ = admin.to("staff").emit("notice", "maintenance at noon");
/// assert_eq!(admin.socket_count(), 0);
/// # }
/// ```
#[derive(Clone)]
pub struct Namespace {
    pub(crate) inner: Arc<NsInner>,
}

pub(crate) struct NsInner {
    /// The name, starting with `/`.
    name: String,
    /// Room membership.
    adapter: Arc<dyn Adapter>,
    /// Connected sockets by id.
    sockets: RwLock<HashMap<Sid, Arc<Socket>>>,
    /// Runs when a socket is in.
    on_connection: RwLock<Option<ConnectionHandler>>,
    /// Run in order before a socket is in; any may refuse it.
    middlewares: RwLock<Vec<Middleware>>,
    /// For a dynamic namespace: the parent whose middlewares and connection
    /// handler it uses.
    parent: Option<Arc<NsInner>>,
    /// Connection-state recovery, when on: this node's store, or the
    /// adapter's.
    recovery: Option<Recovery>,
    /// For the parent of dynamic namespaces: the namespaces it created, which
    /// its broadcasts reach.
    children: RwLock<Vec<Arc<NsInner>>>,
    /// CONNECTs being handled (a child is not removed while one is).
    connecting: AtomicUsize,
    /// Handlers of events other nodes send with `server_side_emit`.
    server_side: RwLock<HashMap<String, ServerSideHandler>>,
    /// How namespaces are built (kept for the children of a dynamic one).
    setup: NsSetup,
}

/// What every namespace of a server is built with.
#[derive(Clone)]
pub(crate) struct NsSetup {
    pub(crate) recovery: Option<RecoveryConfig>,
    pub(crate) storage: ServerStorage,
    pub(crate) adapter: AdapterFactory,
    /// How long broadcasts wait for acknowledgements by default.
    pub(crate) ack_timeout: std::time::Duration,
    /// Where the namespace's sockets record their metrics.
    pub(crate) metrics: Metrics,
    /// Told of the sockets of every namespace of the server.
    pub(crate) observers: Observers,
}

impl Namespace {
    pub(crate) fn new(name: &str, setup: &NsSetup) -> Self {
        Self::with_parent(name, None, setup)
    }

    fn with_parent(name: &str, parent: Option<Arc<NsInner>>, setup: &NsSetup) -> Self {
        let adapter = setup.adapter.build(&AdapterContext {
            ns: name.to_owned(),
            events: setup.storage.event_store(),
            recovery: setup.recovery,
        });
        let recovery = setup
            .recovery
            .and_then(|config| match adapter.session_keeper() {
                Some(keeper) => Some(Recovery::Adapter(keeper)),
                None => RecoveryStore::open(config, &setup.storage, name).map(Recovery::Local),
            });
        let inner = Arc::new(NsInner {
            name: name.to_owned(),
            adapter,
            sockets: RwLock::default(),
            on_connection: RwLock::default(),
            middlewares: RwLock::default(),
            parent,
            recovery,
            children: RwLock::default(),
            connecting: AtomicUsize::new(0),
            server_side: RwLock::default(),
            setup: setup.clone(),
        });
        let _ = drive(
            "adapter init",
            inner.adapter.init(AdapterHandle::new(&inner)),
        );
        Self { inner }
    }

    /// A namespace created by a dynamic parent.
    pub(crate) fn child(&self, name: &str) -> Self {
        let child = Self::with_parent(name, Some(self.inner.clone()), &self.inner.setup);
        if let Ok(mut children) = self.inner.children.write() {
            children.push(child.inner.clone());
        }
        child
    }

    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Sets the handler run when a socket joins the namespace (after every
    /// middleware accepted it). `socket.auth()` holds the client's auth.
    pub fn on_connection<F>(&self, handler: F) -> &Self
    where
        F: Fn(&Arc<Socket>) + Send + Sync + 'static,
    {
        if let Ok(mut h) = self.inner.on_connection.write() {
            *h = Some(Arc::new(handler));
        }
        self
    }

    /// Adds a connection middleware: it may attach data to the socket
    /// (`socket.insert`) or refuse it with a [`ConnectError`], which the
    /// client receives as `connect_error`.
    pub fn use_middleware<F, Fut>(&self, middleware: F) -> &Self
    where
        F: Fn(Arc<Socket>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), ConnectError>> + Send + 'static,
    {
        if let Ok(mut m) = self.inner.middlewares.write() {
            m.push(Arc::new(move |s| Box::pin(middleware(s))));
        }
        self
    }

    /// A broadcast to `room`.
    pub fn to(&self, room: impl Into<Room>) -> BroadcastOperator {
        BroadcastOperator::new(self.inner.clone()).to(room)
    }

    /// A broadcast to every socket but those in `room`.
    pub fn except(&self, room: impl Into<Room>) -> BroadcastOperator {
        BroadcastOperator::new(self.inner.clone()).except(room)
    }

    /// A broadcast to every socket of the namespace.
    pub fn broadcast(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.inner.clone())
    }

    /// Emits to every socket of the namespace.
    pub fn emit<T: Serialize>(&self, name: &str, data: T) -> Result<(), EmitError> {
        self.broadcast().emit(name, data)
    }

    /// The connected socket `id`.
    pub fn socket(&self, id: &str) -> Option<Arc<Socket>> {
        self.inner.sockets.read().ok()?.get(id).cloned()
    }

    /// The number of connected sockets.
    pub fn socket_count(&self) -> usize {
        self.inner.sockets.read().map(|s| s.len()).unwrap_or(0)
    }

    /// Rooms with at least one socket on this node.
    pub fn rooms(&self) -> Vec<Room> {
        self.inner.adapter.rooms()
    }

    /// Rooms with at least one socket on any node (socket.io's
    /// `adapter.allRooms()`).
    pub async fn all_rooms(&self) -> Result<Vec<Room>, AdapterError> {
        let nsp = LocalNamespace { inner: &self.inner };
        self.inner.adapter.all_rooms(&nsp).await
    }

    /// Every socket of the namespace, on any node (socket.io's
    /// `fetchSockets`).
    pub async fn fetch_sockets(&self) -> Result<Vec<RemoteSocket>, AdapterError> {
        self.broadcast().fetch_sockets().await
    }

    /// How many nodes serve the namespace, this one included (socket.io's
    /// `serverCount`).
    pub async fn server_count(&self) -> Result<usize, AdapterError> {
        self.inner.adapter.server_count().await
    }
}

impl NsInner {
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn children(&self) -> Vec<Arc<NsInner>> {
        self.children.read().map(|c| c.clone()).unwrap_or_default()
    }

    /// True for a namespace a dynamic parent created.
    pub(crate) fn is_child(&self) -> bool {
        self.parent.is_some()
    }

    /// True when no socket is in the namespace and none is connecting.
    pub(crate) fn is_idle(&self) -> bool {
        self.connecting.load(Ordering::Acquire) == 0
            && self.sockets.read().map(|s| s.is_empty()).unwrap_or(false)
    }

    /// A CONNECT to the namespace began.
    pub(crate) fn connect_began(&self) {
        self.connecting.fetch_add(1, Ordering::AcqRel);
    }

    /// A CONNECT to the namespace ended (its socket in or refused).
    pub(crate) fn connect_ended(&self) {
        self.connecting.fetch_sub(1, Ordering::AcqRel);
    }

    /// A child leaves its parent's list (its parent's broadcasts no longer
    /// reach it).
    pub(crate) fn detach(self: &Arc<Self>) {
        if let Some(parent) = &self.parent {
            if let Ok(mut children) = parent.children.write() {
                children.retain(|c| !Arc::ptr_eq(c, self));
            }
        }
    }

    /// This node's recovery store, when recovery is on and kept here (not
    /// by the adapter): where broadcasts get their offsets.
    pub(crate) fn recovery(&self) -> Option<&RecoveryStore> {
        self.recovery.as_ref().and_then(Recovery::store)
    }

    /// Connection-state recovery, when on, wherever it is kept.
    pub(crate) fn recovery_mode(&self) -> Option<&Recovery> {
        self.recovery.as_ref()
    }

    /// How long broadcasts wait for acknowledgements by default.
    pub(crate) fn ack_timeout(&self) -> std::time::Duration {
        self.setup.ack_timeout
    }

    /// The dynamic parent that created this namespace.
    pub(crate) fn parent(&self) -> Option<&Arc<NsInner>> {
        self.parent.as_ref()
    }

    /// The handler of server-side event `name` set on this namespace.
    pub(crate) fn server_side_handler(&self, name: &str) -> Option<ServerSideHandler> {
        self.server_side.read().ok()?.get(name).cloned()
    }

    /// Sets the handler of server-side event `name`.
    pub(crate) fn set_server_side_handler(&self, name: &str, handler: ServerSideHandler) {
        if let Ok(mut h) = self.server_side.write() {
            h.insert(name.to_owned(), handler);
        }
    }

    pub(crate) fn adapter(&self) -> &Arc<dyn Adapter> {
        &self.adapter
    }

    pub(crate) fn socket(&self, sid: &Sid) -> Option<Arc<Socket>> {
        self.sockets.read().ok()?.get(sid).cloned()
    }

    pub(crate) fn insert(&self, socket: Arc<Socket>) {
        // Told in its handshake (`time`, `issued`) when it is fetched.
        socket.insert(ConnectedAt(std::time::SystemTime::now()));
        if let Ok(mut s) = self.sockets.write() {
            if s.insert(socket.id().clone(), socket).is_none() {
                self.metrics().socketio().socket_joined(&self.name);
            }
        }
    }

    pub(crate) fn remove(&self, sid: &Sid) {
        if let Ok(mut s) = self.sockets.write() {
            if s.remove(sid).is_some() {
                self.metrics().socketio().socket_left(&self.name);
            }
        }
    }

    /// Where the namespace records its metrics.
    pub(crate) fn metrics(&self) -> &Metrics {
        &self.setup.metrics
    }

    /// The server's observers, when it has any.
    pub(crate) fn observers(&self) -> Option<Vec<Arc<dyn Observer>>> {
        self.setup.observers.get()
    }

    pub(crate) fn middlewares(&self) -> Vec<Middleware> {
        let mut all = match &self.parent {
            Some(parent) => parent.middlewares(),
            None => Vec::new(),
        };
        if let Ok(own) = self.middlewares.read() {
            all.extend(own.iter().cloned());
        }
        all
    }

    pub(crate) fn run_connection_handler(&self, socket: &Arc<Socket>) {
        let handler = self.on_connection.read().ok().and_then(|h| h.clone());
        match (handler, &self.parent) {
            (Some(h), _) => h(socket),
            (None, Some(parent)) => parent.run_connection_handler(socket),
            (None, None) => {}
        }
    }
}

/// Why the auth payload is an object: socket.io hands `{}` to handlers when
/// the client sent none.
pub(crate) fn auth_or_empty(data: Option<Value>) -> Value {
    match data {
        Some(v @ Value::Object(_)) => v,
        _ => Value::Object(Default::default()),
    }
}
