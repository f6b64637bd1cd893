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
            recovery: None,
            storage: None,
            adapter: AdapterFactory::default(),
        }
    }
}
