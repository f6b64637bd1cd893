//! [`Io`]: the Socket.IO server — its namespaces, and the Engine.IO handler
//! that feeds them.
//!
//! The namespaces a dynamic parent creates are removed once their last
//! socket has left (and no CONNECT to them is being handled), with
//! [`IoConfig::cleanup_empty_namespaces`]: from the registry CONNECTs look
//! in, from their parent's list, and with them their adapter and recovery
//! state. With recovery on, the removal waits for the recovery window.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, RwLock};

use serde_json::Value;

use super::adapter::RemoteSocket;
use super::client::Client;
use super::config::IoConfig;
use super::error::AdapterError;
use super::handlers::panic_message;
use super::namespace::{Namespace, NsInner, NsSetup};
use super::observer::{Observer, Observers};
use super::storage::ServerStorage;
use crate::engine::{self, EngineHandler, Message};
use crate::metrics::{HandlerError, Metrics};

type NamespaceMatcher = Arc<dyn Fn(&str, Option<&Value>) -> bool + Send + Sync>;

/// The Socket.IO server. Cheap to clone; clones are the same server.
///
/// ```
/// use edgeio::engine::{Engine, EngineConfig};
/// use edgeio::{Io, IoConfig};
///
/// # #[tokio::main] async fn main() {
/// let io = Io::new(IoConfig::default());
/// io.main().on_connection(|socket| {
///     let _ = socket.emit("welcome", "hi");
/// });
/// let chat = io.of("/chat");
/// assert_eq!(chat.name(), "/chat");
/// // The Engine.IO server that carries it, to serve or mount as a layer.
/// let engine = Engine::new(EngineConfig::default(), io.engine_handler());
/// # let _ = engine;
/// # }
/// ```
#[derive(Clone)]
pub struct Io {
    inner: Arc<IoInner>,
}

pub(crate) struct IoInner {
    config: IoConfig,
    /// What namespaces are built with (the storage resolved).
    setup: NsSetup,
    /// Namespaces by name.
    namespaces: RwLock<HashMap<String, Namespace>>,
    /// Dynamic namespaces: a matcher and the parent whose handlers and
    /// middlewares the namespaces it creates share.
    dynamic: RwLock<Vec<(NamespaceMatcher, Namespace)>>,
}

impl Io {
    /// A server with `config` and the main namespace `/`.
    pub fn new(config: IoConfig) -> Self {
        let setup = NsSetup {
            recovery: config.recovery,
            storage: config.storage.clone().unwrap_or_else(ServerStorage::memory),
            adapter: config.adapter.clone(),
            ack_timeout: config.ack_timeout,
            metrics: config.metrics.clone(),
            observers: Observers::default(),
        };
        let io = Self {
            inner: Arc::new(IoInner {
                config,
                setup,
                namespaces: RwLock::default(),
                dynamic: RwLock::default(),
            }),
        };
        io.of("/");
        for plugin in io.inner.config.plugins.clone() {
            plugin.attach(&io);
        }
        io
    }

    /// Adds `observer`: told of the sockets of every namespace, those
    /// created later included.
    pub fn observe(&self, observer: Arc<dyn Observer>) {
        self.inner.setup.observers.add(observer);
    }

    /// The namespaces that exist now (as [`Io::namespace_names`]), sorted
    /// by name.
    pub fn namespaces(&self) -> Vec<Namespace> {
        let mut all: Vec<Namespace> = self
            .inner
            .namespaces
            .read()
            .map(|n| n.values().cloned().collect())
            .unwrap_or_default();
        all.sort_by(|a, b| a.name().cmp(b.name()));
        all
    }

    /// The settings.
    pub fn config(&self) -> &IoConfig {
        &self.inner.config
    }

    /// The storage the server keeps its state in.
    pub fn storage(&self) -> &ServerStorage {
        &self.inner.setup.storage
    }

    /// The namespace `name`, created if needed.
    pub fn of(&self, name: &str) -> Namespace {
        let name = normalize(name);
        let Ok(mut namespaces) = self.inner.namespaces.write() else {
            return Namespace::new(&name, &self.inner.setup);
        };
        namespaces
            .entry(name.clone())
            .or_insert_with(|| Namespace::new(&name, &self.inner.setup))
            .clone()
    }

    /// Dynamic namespaces: a client connecting to a name for which `matcher`
    /// (given the name and the auth payload) says yes gets a namespace of that
    /// name, created on first use, with the middlewares and connection
    /// handler of the returned parent.
    pub fn of_dynamic<F>(&self, matcher: F) -> Namespace
    where
        F: Fn(&str, Option<&Value>) -> bool + Send + Sync + 'static,
    {
        let parent = Namespace::new("/_dynamic", &self.inner.setup);
        if let Ok(mut d) = self.inner.dynamic.write() {
            d.push((Arc::new(matcher), parent.clone()));
        }
        parent
    }

    /// The main namespace, `/`.
    pub fn main(&self) -> Namespace {
        self.of("/")
    }

    /// Every socket of the main namespace, on any node (socket.io's
    /// `io.fetchSockets()`).
    pub async fn fetch_sockets(&self) -> Result<Vec<RemoteSocket>, AdapterError> {
        self.main().fetch_sockets().await
    }

    /// How many nodes serve the cluster, this one included (socket.io's
    /// `io.serverCount()`).
    pub async fn server_count(&self) -> Result<usize, AdapterError> {
        self.main().server_count().await
    }

    /// The names of the namespaces that exist now (those created with
    /// [`Io::of`] and those dynamic parents created and still hold), sorted.
    pub fn namespace_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .inner
            .namespaces
            .read()
            .map(|n| n.keys().cloned().collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    /// The Engine.IO handler to build an [`engine::Engine`] with.
    pub fn engine_handler(&self) -> Arc<dyn EngineHandler> {
        Arc::new(IoHandler(self.inner.clone()))
    }
}

impl IoInner {
    pub(crate) fn config(&self) -> &IoConfig {
        &self.config
    }

    /// The namespace a CONNECT to `name` reaches, if any, kept until the
    /// returned [`Joining`] is dropped. A dynamic parent creates it only
    /// when the name is within [`IoConfig::max_namespace_name_len`].
    pub(crate) fn namespace_for(
        self: &Arc<Self>,
        name: &str,
        auth: Option<&Value>,
    ) -> Option<Joining> {
        if let Some(ns) = self.namespaces.read().ok()?.get(name) {
            return Some(Joining::new(ns.clone(), self.clone()));
        }
        if name.len() > self.config.max_namespace_name_len {
            tracing::debug!(len = name.len(), "CONNECT to a namespace name too long");
            return None;
        }
        let parent = self
            .dynamic
            .read()
            .ok()?
            .iter()
            .find(|(matches, _)| matcher_says_yes(matches, name, auth, &self.config.metrics))
            .map(|(_, parent)| parent.clone())?;
        let mut namespaces = self.namespaces.write().ok()?;
        let ns = namespaces
            .entry(name.to_owned())
            .or_insert_with(|| parent.child(name))
            .clone();
        Some(Joining::new(ns, self.clone()))
    }

    /// A socket left `ns`, or a CONNECT to it ended: an idle child of a
    /// dynamic parent is removed (after the recovery window, with recovery).
    pub(crate) fn namespace_left(self: &Arc<Self>, ns: &Arc<NsInner>) {
        if !self.config.cleanup_empty_namespaces || !ns.is_child() || !ns.is_idle() {
            return;
        }
        let window = match (ns.recovery_mode(), self.setup.recovery) {
            (Some(_), Some(recovery)) => recovery.max_disconnection_duration,
            _ => return self.remove_if_idle(ns),
        };
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (io, ns) = (Arc::downgrade(self), Arc::downgrade(ns));
        rt.spawn(async move {
            tokio::time::sleep(window).await;
            if let (Some(io), Some(ns)) = (io.upgrade(), ns.upgrade()) {
                io.remove_if_idle(&ns);
            }
        });
    }

    /// Removes `ns` if it is still idle. Idleness is checked under the
    /// registry's lock, which a CONNECT takes to find the namespace: one that
    /// finds it has marked it as connecting first, and one that comes after
    /// creates it anew.
    fn remove_if_idle(&self, ns: &Arc<NsInner>) {
        let removed = {
            let Ok(mut namespaces) = self.namespaces.write() else {
                return;
            };
            let registered = namespaces
                .get(ns.name())
                .is_some_and(|n| Arc::ptr_eq(&n.inner, ns));
            if !registered || !ns.is_idle() {
                return;
            }
            namespaces.remove(ns.name())
        };
        ns.detach();
        tracing::debug!(ns = ns.name(), "empty dynamic namespace removed");
        // Dropped out of the lock: its adapter unsubscribes as it goes.
        drop(removed);
    }
}

/// Asks a dynamic namespace matcher (the application's code): one that
/// panics says no.
fn matcher_says_yes(
    matcher: &NamespaceMatcher,
    name: &str,
    auth: Option<&Value>,
    metrics: &Metrics,
) -> bool {
    std::panic::catch_unwind(AssertUnwindSafe(|| matcher(name, auth))).unwrap_or_else(|panic| {
        metrics.socketio().handler_error(HandlerError::Panic);
        tracing::error!(
            ns = name,
            panic = panic_message(&*panic),
            "namespace matcher panicked"
        );
        false
    })
}

/// A namespace a CONNECT is being handled for: while one exists, the
/// namespace is not removed for being empty.
pub(crate) struct Joining {
    ns: Namespace,
    io: Arc<IoInner>,
}

impl Joining {
    /// Marks `ns` as connecting (called under the registry's lock).
    fn new(ns: Namespace, io: Arc<IoInner>) -> Self {
        ns.inner.connect_began();
        Self { ns, io }
    }

    /// The namespace.
    pub(crate) fn namespace(&self) -> &Namespace {
        &self.ns
    }
}

impl Drop for Joining {
    fn drop(&mut self) {
        self.ns.inner.connect_ended();
        self.io.namespace_left(&self.ns.inner);
    }
}

fn normalize(name: &str) -> String {
    if name.starts_with('/') {
        name.to_owned()
    } else {
        format!("/{name}")
    }
}

/// Feeds Engine.IO sessions to the Socket.IO server.
struct IoHandler(Arc<IoInner>);

impl EngineHandler for IoHandler {
    fn on_connect(&self, socket: &Arc<engine::Session>) {
        let client = Arc::new(Client::new(socket, self.0.clone()));
        if socket.set_user_data(client.clone()).is_err() {
            return;
        }
        // A client that joins no namespace in time is closed.
        let timeout = self.0.config.connect_timeout;
        let session = Arc::downgrade(socket);
        tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            if let Some(session) = session.upgrade() {
                if !client.has_sockets() && !session.is_closed() {
                    tracing::debug!(sid = %session.id(), "no namespace joined in time");
                    session.close();
                }
            }
        });
    }

    fn on_message(&self, socket: &Arc<engine::Session>, message: Message) {
        let Some(client) = socket.user_data::<Arc<Client>>() else {
            return;
        };
        match message {
            Message::Text(text) => client.on_text(&text),
            Message::Binary(data) => client.on_binary(data),
        }
    }

    fn on_disconnect(&self, socket: &Arc<engine::Session>, reason: engine::DisconnectReason) {
        if let Some(client) = socket.user_data::<Arc<Client>>() {
            client.on_close(reason);
        }
    }
}
