//! [`Observer`]: told of every socket's life on every namespace of a server
//! (connected, disconnected, rooms joined and left), and [`Plugin`]: code
//! run on a server as it is built — how tools such as the Admin UI watch a
//! server they did not write the handlers of.
//!
//! Observers run in line, in the socket's own call (after the change, never
//! under a lock of the server): keep them short, and spawn for slow work.

use std::fmt;
use std::sync::{Arc, RwLock};

use super::error::DisconnectReason;
use super::io::Io;
use super::socket::{Sid, Socket};

/// Told of the sockets of every namespace. Every method does nothing by
/// default.
pub trait Observer: Send + Sync + 'static {
    /// `socket` joined its namespace (in its own room, before its
    /// connection handler runs).
    fn socket_connected(&self, socket: &Arc<Socket>) {
        let _ = socket;
    }

    /// `socket` left its namespace for `reason` (out of its rooms already).
    fn socket_disconnected(&self, socket: &Arc<Socket>, reason: DisconnectReason) {
        let _ = (socket, reason);
    }

    /// Socket `sid` of namespace `ns` joined `room` (rooms it was in already
    /// are not told again; its own room, joined as it connects, is not told).
    fn room_joined(&self, ns: &str, room: &str, sid: &Sid) {
        let _ = (ns, room, sid);
    }

    /// Socket `sid` of namespace `ns` left `room` (each of its rooms, its own
    /// included, when it disconnects).
    fn room_left(&self, ns: &str, room: &str, sid: &Sid) {
        let _ = (ns, room, sid);
    }
}

/// The observers of one server, shared by its namespaces.
#[derive(Clone, Default)]
pub(crate) struct Observers(Arc<RwLock<Vec<Arc<dyn Observer>>>>);

impl Observers {
    /// Adds `observer`.
    pub(crate) fn add(&self, observer: Arc<dyn Observer>) {
        if let Ok(mut list) = self.0.write() {
            list.push(observer);
        }
    }

    /// A copy of the list, or `None` when there is no observer (the common
    /// case: nothing to compute for them).
    pub(crate) fn get(&self) -> Option<Vec<Arc<dyn Observer>>> {
        match self.0.read() {
            Ok(list) if !list.is_empty() => Some(list.clone()),
            _ => None,
        }
    }
}

/// Code run on a server at the end of [`Io::new`], before any application
/// handler is set: it may add namespaces and [`Observer`]s. Given in
/// [`crate::server::IoConfig::plugins`], so that it reaches whichever
/// application builds the server.
#[derive(Clone)]
pub struct Plugin {
    name: &'static str,
    attach: Arc<dyn Fn(&Io) + Send + Sync>,
}

impl Plugin {
    /// A plugin called `name` (for logs) that runs `attach`.
    pub fn new<F>(name: &'static str, attach: F) -> Self
    where
        F: Fn(&Io) + Send + Sync + 'static,
    {
        Self {
            name,
            attach: Arc::new(attach),
        }
    }

    /// The plugin's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Runs the plugin on `io`.
    pub(crate) fn attach(&self, io: &Io) {
        tracing::debug!(plugin = self.name, "plugin attached");
        (self.attach)(io)
    }
}

impl fmt::Debug for Plugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Plugin").field(&self.name).finish()
    }
}
