//! Settings of the Socket.IO layer.

use std::time::Duration;

use super::adapter::AdapterFactory;
use super::storage::ServerStorage;
use crate::protocol::Limits;

/// Connection-state recovery: how long a disconnected socket's state and
/// missed packets are kept for it to come back.
#[derive(Debug, Clone, Copy)]
pub struct RecoveryConfig {
    /// How long after a disconnection the socket may be restored.
    pub max_disconnection_duration: Duration,
    /// Packets kept for recovery, at most (oldest dropped first).
    pub max_buffered_packets: usize,
}

impl Default for RecoveryConfig {
    fn default() -> Self {
        Self {
            max_disconnection_duration: Duration::from_secs(120),
            max_buffered_packets: 10_000,
        }
    }
}

/// Everything the Socket.IO layer can be told.
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
        }
    }
}
