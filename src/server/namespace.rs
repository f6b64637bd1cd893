//! [`Namespace`]: a named channel on one connection (`/`, `/chat`), with its
//! connection middlewares, its connection handler, its sockets and rooms.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

use serde::Serialize;
use serde_json::Value;

use super::adapter::{Adapter, LocalAdapter, Room};
use super::broadcast::BroadcastOperator;
use super::config::RecoveryConfig;
use super::error::{ConnectError, EmitError};
use super::recovery::RecoveryStore;
use super::socket::{Sid, Socket};

type ConnectionHandler = Arc<dyn Fn(&Arc<Socket>) + Send + Sync>;
type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type Middleware = Arc<dyn Fn(Arc<Socket>) -> BoxFuture<Result<(), ConnectError>> + Send + Sync>;

/// A namespace. Cheap to clone; clones are the same namespace.
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
    /// Connection-state recovery, when on.
    recovery: Option<Arc<RecoveryStore>>,
    /// For the parent of dynamic namespaces: the namespaces it created, which
    /// its broadcasts reach.
    children: RwLock<Vec<Arc<NsInner>>>,
}

impl Namespace {
    pub(crate) fn new(name: &str, recovery: Option<RecoveryConfig>) -> Self {
        Self::with_parent(name, None, recovery)
    }

    fn with_parent(
        name: &str,
        parent: Option<Arc<NsInner>>,
        recovery: Option<RecoveryConfig>,
    ) -> Self {
        Self {
            inner: Arc::new(NsInner {
                name: name.to_owned(),
                adapter: Arc::new(LocalAdapter::new()),
                sockets: RwLock::default(),
                on_connection: RwLock::default(),
                middlewares: RwLock::default(),
                parent,
                recovery: recovery.map(|c| Arc::new(RecoveryStore::new(c))),
                children: RwLock::default(),
            }),
        }
    }

    /// A namespace created by a dynamic parent.
    pub(crate) fn child(&self, name: &str) -> Self {
        let recovery = self.inner.recovery.as_ref().map(|r| r.config());
        let child = Self::with_parent(name, Some(self.inner.clone()), recovery);
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

    /// Sends event `name` to this namespace on the other nodes of a cluster
    /// (never to this one); returns how many nodes it reached — none with the
    /// in-memory adapter.
    pub fn server_side_emit(&self, name: &str, args: &[Value]) -> usize {
        self.inner.adapter.server_side_emit(name, args)
    }

    /// The connected socket `id`.
    pub fn socket(&self, id: &str) -> Option<Arc<Socket>> {
        self.inner.sockets.read().ok()?.get(id).cloned()
    }

    /// The number of connected sockets.
    pub fn socket_count(&self) -> usize {
        self.inner.sockets.read().map(|s| s.len()).unwrap_or(0)
    }

    /// Rooms with at least one socket.
    pub fn rooms(&self) -> Vec<Room> {
        self.inner.adapter.rooms()
    }
}

impl NsInner {
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn children(&self) -> Vec<Arc<NsInner>> {
        self.children.read().map(|c| c.clone()).unwrap_or_default()
    }

    pub(crate) fn recovery(&self) -> Option<&Arc<RecoveryStore>> {
        self.recovery.as_ref()
    }

    pub(crate) fn adapter(&self) -> &Arc<dyn Adapter> {
        &self.adapter
    }

    pub(crate) fn socket(&self, sid: &Sid) -> Option<Arc<Socket>> {
        self.sockets.read().ok()?.get(sid).cloned()
    }

    pub(crate) fn insert(&self, socket: Arc<Socket>) {
        if let Ok(mut s) = self.sockets.write() {
            s.insert(socket.id().clone(), socket);
        }
    }

    pub(crate) fn remove(&self, sid: &Sid) {
        if let Ok(mut s) = self.sockets.write() {
            s.remove(sid);
        }
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
