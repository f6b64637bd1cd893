//! [`Io`]: the Socket.IO server — its namespaces, and the Engine.IO handler
//! that feeds them.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde_json::Value;

use super::client::Client;
use super::config::IoConfig;
use super::namespace::{Namespace, NsSetup};
use super::storage::ServerStorage;
use crate::engine::{self, EngineHandler, Message};

type NamespaceMatcher = Arc<dyn Fn(&str, Option<&Value>) -> bool + Send + Sync>;

/// The Socket.IO server. Cheap to clone; clones are the same server.
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
        io
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

    /// The Engine.IO handler to build an [`engine::Engine`] with.
    pub fn engine_handler(&self) -> Arc<dyn EngineHandler> {
        Arc::new(IoHandler(self.inner.clone()))
    }
}

impl IoInner {
    pub(crate) fn config(&self) -> &IoConfig {
        &self.config
    }

    /// The namespace a CONNECT to `name` reaches, if any.
    pub(crate) fn namespace_for(&self, name: &str, auth: Option<&Value>) -> Option<Namespace> {
        if let Some(ns) = self.namespaces.read().ok()?.get(name) {
            return Some(ns.clone());
        }
        let parent = self
            .dynamic
            .read()
            .ok()?
            .iter()
            .find(|(matches, _)| matches(name, auth))
            .map(|(_, parent)| parent.clone())?;
        let mut namespaces = self.namespaces.write().ok()?;
        Some(
            namespaces
                .entry(name.to_owned())
                .or_insert_with(|| parent.child(name))
                .clone(),
        )
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
    fn on_connect(&self, socket: &Arc<engine::Socket>) {
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

    fn on_message(&self, socket: &Arc<engine::Socket>, message: Message) {
        let Some(client) = socket.user_data::<Arc<Client>>() else {
            return;
        };
        match message {
            Message::Text(text) => client.on_text(&text),
            Message::Binary(data) => client.on_binary(data),
        }
    }

    fn on_disconnect(&self, socket: &Arc<engine::Socket>, reason: engine::DisconnectReason) {
        if let Some(client) = socket.user_data::<Arc<Client>>() {
            client.on_close(reason);
        }
    }
}
