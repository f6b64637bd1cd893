//! [`SessionKeeper`]: connection-state recovery carried by the adapter
//! rather than by this node's own recovery store — sessions and missed
//! broadcasts kept where every node of a cluster reaches them, so that a
//! client that left one node is restored by another (socket.io's
//! `adapter.persistSession` / `adapter.restoreSession`).
//!
//! An adapter that has one returns it from
//! [`Adapter::session_keeper`](super::Adapter::session_keeper); the
//! namespace then keeps no recovery store of its own, and the adapter also
//! gives each broadcast its offset.

use serde_json::Value;

use super::{AdapterFuture, Room};
use crate::protocol::Packet;
use crate::server::socket::Sid;

/// What is kept of a socket that left and may come back.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// The socket's id.
    pub sid: Sid,
    /// Its private id, which the client sends back to be restored.
    pub pid: Sid,
    /// Its rooms (its own id excluded).
    pub rooms: Vec<Room>,
    /// Its `socket.data`.
    pub data: Option<Value>,
}

/// A session given back, with the broadcasts its socket missed.
#[derive(Debug, Clone, PartialEq)]
pub struct RecoveredSession {
    /// The session as it was kept.
    pub session: Session,
    /// The event packets it missed, oldest first, each with its offset as
    /// its last argument.
    pub missed: Vec<Packet>,
}

/// Keeps sessions of sockets that left, for any node to restore.
pub trait SessionKeeper: Send + Sync + 'static {
    /// Keeps `session` for the recovery window (the socket left for a
    /// reason it may come back from). Fire and forget: failures are the
    /// keeper's to log.
    fn persist(&self, session: Session);

    /// Session `pid` and what it missed after the broadcast at `offset`;
    /// `None` when it is not kept (any more), when `offset` is unknown or
    /// gone, or when what it missed is over the recovery budgets — never a
    /// replay with a hole in it. A session restored is no longer kept.
    fn restore(&self, pid: &str, offset: &str) -> AdapterFuture<Option<RecoveredSession>>;
}
