//! Settings of the Socket.IO layer.

use std::time::Duration;

use super::adapter::AdapterFactory;
use super::observer::Plugin;
use super::storage::ServerStorage;
use crate::metrics::Metrics;
use crate::protocol::Limits;

/// Connection-state recovery: how long a disconnected socket's state and
/// missed packets are kept for it to come back, and how much of them, per
/// namespace. A client that missed a broadcast dropped for these budgets is
/// not restored: it gets a fresh session (`recovered: false`), never a
/// replay with a hole in it.
#[derive(Debug, Clone, Copy)]
pub struct RecoveryConfig {
    /// How long after a disconnection the socket may be restored.
    pub max_disconnection_duration: Duration,
    /// Broadcasts kept for recovery, at most (oldest dropped first).
    pub max_buffered_packets: usize,
    /// Bytes of broadcasts kept for recovery (as stored), at most (oldest
    /// dropped first). A broadcast larger than this is dropped at once.
    pub max_buffered_bytes: usize,
    /// Disconnected sockets kept for recovery, at most: past it, the one that
    /// left first is forgotten (it gets a fresh session if it comes back).
    pub max_kept_sessions: usize,
}

impl Default for RecoveryConfig {
    /// Two minutes; 10,000 broadcasts, 16 MiB and 10,000 sessions per
    /// namespace — a few tens of MB at most on a 512 MB box.
    fn default() -> Self {
        Self {
            max_disconnection_duration: Duration::from_secs(120),
            max_buffered_packets: 10_000,
            max_buffered_bytes: 16 * 1024 * 1024,
            max_kept_sessions: 10_000,
        }
    }
}

/// Everything the Socket.IO layer can be told.
///
/// ```
/// use std::time::Duration;
/// use edgeio::{IoConfig, RecoveryConfig};
///
/// let config = IoConfig {
///     ack_timeout: Duration::from_secs(10),
///     // Connection state recovery with its default budgets.
///     recovery: Some(RecoveryConfig::default()),
///     ..IoConfig::default()
/// };
/// # let _ = config;
/// ```
#[derive(Debug, Clone)]
pub struct IoConfig {
    /// A client that has joined no namespace within this time is closed.
    pub connect_timeout: Duration,
    /// The timeout of `emit_with_ack` when none is given.
    pub ack_timeout: Duration,
    /// Limits on the packets clients send.
    pub limits: Limits,
    /// A binary packet whose announced attachments have not all arrived
    /// within this time closes its client (as a parse error).
    pub attachment_timeout: Duration,
    /// Namespaces one client may be in (or connecting to) at once; a CONNECT
    /// over it is answered with CONNECT_ERROR, and the client stays.
    pub max_namespaces_per_client: usize,
    /// The longest namespace name, in bytes, that a client's CONNECT may
    /// create through a dynamic namespace; a longer one is answered as an
    /// invalid namespace (names the application created are always found).
    pub max_namespace_name_len: usize,
    /// The longest room name, in bytes: `socket.join` of a longer one is
    /// logged and ignored (room names often come from client input).
    pub max_room_name_len: usize,
    /// Removes a dynamic namespace's child once its last socket has left
    /// (socket.io's `cleanupEmptyChildNamespaces`, off there by default): so
    /// that clients connecting to ever new names cannot pile namespaces up.
    /// With recovery on, the removal waits for the recovery window, so that
    /// a socket that may come back finds its namespace.
    pub cleanup_empty_namespaces: bool,
    /// Connection-state recovery; off when `None`.
    pub recovery: Option<RecoveryConfig>,
    /// Where recovery state lives and which event store adapters publish
    /// through; in memory when `None`.
    pub storage: Option<ServerStorage>,
    /// Builds each namespace's adapter ([`AdapterFactory::local`] by
    /// default).
    pub adapter: AdapterFactory,
    /// Where the Socket.IO layer records its metrics (a fresh, unscraped
    /// set by default); give the engine the same handle
    /// ([`crate::engine::EngineConfig::metrics`]).
    pub metrics: Metrics,
    /// Run in order on the server at the end of [`crate::server::Io::new`]
    /// (none by default): tools that watch any application's server, such
    /// as the Admin UI.
    pub plugins: Vec<Plugin>,
}

impl Default for IoConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(45),
            ack_timeout: Duration::from_secs(10),
            limits: Limits::default(),
            attachment_timeout: Duration::from_secs(20),
            max_namespaces_per_client: 32,
            max_namespace_name_len: 256,
            max_room_name_len: 256,
            cleanup_empty_namespaces: true,
            recovery: None,
            storage: None,
            adapter: AdapterFactory::default(),
            metrics: Metrics::new(),
            plugins: Vec::new(),
        }
    }
}
