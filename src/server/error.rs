//! Errors and reasons of the Socket.IO server layer.

use std::fmt;

use serde_json::Value;

use super::event::AckResponse;
use crate::engine;

/// Why a socket left its namespace, named as socket.io names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisconnectReason {
    /// The client left the namespace (`socket.disconnect()` client-side).
    ClientNamespaceDisconnect,
    /// The server removed the socket (`socket.disconnect()` server-side).
    ServerNamespaceDisconnect,
    /// The connection under the socket ended (transport close or error,
    /// ping timeout, parse error, forced close, shutdown, a full queue).
    Connection(engine::DisconnectReason),
}

impl DisconnectReason {
    /// The reason's name, as socket.io reports it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientNamespaceDisconnect => "client namespace disconnect",
            Self::ServerNamespaceDisconnect => "server namespace disconnect",
            Self::Connection(reason) => reason.as_str(),
        }
    }
}

impl From<engine::DisconnectReason> for DisconnectReason {
    fn from(reason: engine::DisconnectReason) -> Self {
        Self::Connection(reason)
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refusal of a connection by a middleware: the client receives
/// `connect_error` with this message and data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ConnectError {
    /// Shown to the client as `err.message`.
    pub message: String,
    /// Sent to the client as `err.data`, when set.
    pub data: Option<Value>,
}

impl ConnectError {
    /// A refusal with a message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            data: None,
        }
    }

    /// Adds data for the client.
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }
}

/// An emit that could not be queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmitError {
    /// The socket is no longer connected.
    #[error("socket disconnected")]
    Disconnected,
    /// The data could not be serialized to JSON.
    #[error("data not serializable: {0}")]
    Serialize(String),
    /// The client's outgoing queue is full: it has been disconnected — or,
    /// for a volatile packet, the packet was dropped for it.
    #[error("client outgoing queue full")]
    QueueFull,
    /// The adapter could not reach the other nodes (this node's sockets
    /// were served).
    #[error(transparent)]
    Adapter(#[from] AdapterError),
}

/// An acknowledgement that did not come.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    /// No answer within the timeout.
    #[error("acknowledgement timed out")]
    Timeout,
    /// The socket disconnected before answering.
    #[error("socket disconnected before acknowledging")]
    Disconnected,
    /// The emit itself failed.
    #[error(transparent)]
    Emit(#[from] EmitError),
}

/// A broadcast whose acknowledgements did not all come (socket.io's
/// `timeout().emitWithAck()`, whose callback gets the error and the answers
/// that did come): those answers, and how many sockets did not answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{cause}: {missing} of {total} sockets did not answer", total = .missing + .received.len())]
pub struct BroadcastAckError {
    /// The answers that came in time, in no particular order.
    pub received: Vec<AckResponse>,
    /// Sockets asked that did not answer in time (a socket that left before
    /// answering, or could not be asked, counts too).
    pub missing: usize,
    /// Why: [`AckError::Timeout`], or the adapter's failure to reach the
    /// other nodes (whose sockets are then not counted in `missing`).
    pub cause: AckError,
}

/// A cluster-wide operation that failed in the adapter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdapterError {
    /// The storage or event store under the adapter failed.
    #[error("adapter storage: {0}")]
    Storage(String),
    /// A message between nodes could not be encoded or decoded.
    #[error("cluster message: {0}")]
    Message(String),
    /// An acknowledgement did not come in time.
    #[error("acknowledgement timed out")]
    AckTimeout,
    /// A socket disconnected before acknowledging.
    #[error("socket disconnected before acknowledging")]
    AckDisconnected,
}

impl From<AckError> for AdapterError {
    fn from(e: AckError) -> Self {
        match e {
            AckError::Timeout => Self::AckTimeout,
            AckError::Disconnected => Self::AckDisconnected,
            AckError::Emit(EmitError::Adapter(e)) => e,
            AckError::Emit(e) => Self::Message(e.to_string()),
        }
    }
}

impl From<AdapterError> for AckError {
    fn from(e: AdapterError) -> Self {
        match e {
            AdapterError::AckTimeout => Self::Timeout,
            AdapterError::AckDisconnected => Self::Disconnected,
            other => Self::Emit(EmitError::Adapter(other)),
        }
    }
}
