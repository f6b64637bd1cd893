//! The wire format of Node's `@socket.io/redis-streams-adapter` 0.3.x.
//!
//! What travels is a socket.io-adapter `ClusterMessage` (`uid`, `nsp`,
//! `type`, `data`), in one of two forms:
//! - most messages (broadcasts without acknowledgement, socketsJoin/Leave,
//!   disconnectSockets) are entries of a Redis Stream ([`entry`]): fields
//!   `uid`, `nsp`, `type` (the number as a string) and `data` (JSON, or
//!   base64 MessagePack when the data holds binary);
//! - ephemeral ones (serverSideEmit, fetchSockets, broadcasts with
//!   acknowledgement) and every answer are MessagePack maps over pub/sub
//!   ([`pubsub`]).
//!
//! This is a pure codec; `data` stays a MessagePack [`Value`] and
//! [`body`] reads the fields the adapter acts on. Facts and references:
//! `fixtures/redis-streams-adapter/`, checked by `tests/redis_streams_fixtures.rs`.

pub mod body;
pub mod entry;
mod error;
pub mod pubsub;

pub use body::{Body, Filter};
pub use error::StreamsWireError;
pub use rmpv::Value;

/// The largest stream entry or pub/sub message accepted, in bytes (a
/// broadcast's packet included).
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;

/// How deeply MessagePack values may nest; deeper input is refused.
pub(super) const MAX_DEPTH: usize = 256;

/// socket.io-adapter's `MessageType` (`cluster-adapter.js`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// A node started (heartbeat adapters only).
    InitialHeartbeat = 1,
    /// A node is alive (heartbeat adapters only).
    Heartbeat = 2,
    /// A broadcast; with a `requestId` it expects acknowledgements.
    Broadcast = 3,
    /// `socketsJoin`.
    SocketsJoin = 4,
    /// `socketsLeave`.
    SocketsLeave = 5,
    /// `disconnectSockets`.
    DisconnectSockets = 6,
    /// `fetchSockets`.
    FetchSockets = 7,
    /// The answer to `fetchSockets`.
    FetchSocketsResponse = 8,
    /// `serverSideEmit`; with a `requestId` it expects answers.
    ServerSideEmit = 9,
    /// An answer to `serverSideEmit`.
    ServerSideEmitResponse = 10,
    /// How many clients a node sent an acknowledged broadcast to.
    BroadcastClientCount = 11,
    /// One client's acknowledgement of a broadcast.
    BroadcastAck = 12,
    /// A node's adapter closed (heartbeat adapters only).
    AdapterClose = 13,
}

impl MessageType {
    /// The type for a wire number, or `None` for one socket.io-adapter does
    /// not define.
    pub fn from_number(n: u64) -> Option<Self> {
        use MessageType::*;
        Some(match n {
            1 => InitialHeartbeat,
            2 => Heartbeat,
            3 => Broadcast,
            4 => SocketsJoin,
            5 => SocketsLeave,
            6 => DisconnectSockets,
            7 => FetchSockets,
            8 => FetchSocketsResponse,
            9 => ServerSideEmit,
            10 => ServerSideEmitResponse,
            11 => BroadcastClientCount,
            12 => BroadcastAck,
            13 => AdapterClose,
            _ => return None,
        })
    }

    /// The wire number.
    pub fn number(self) -> u64 {
        self as u64
    }

    /// Whether its data may hold binary (then a stream entry carries it as
    /// base64 MessagePack instead of JSON).
    pub fn may_contain_binary(self) -> bool {
        matches!(
            self,
            Self::Broadcast
                | Self::FetchSocketsResponse
                | Self::ServerSideEmit
                | Self::ServerSideEmitResponse
                | Self::BroadcastAck
        )
    }
}

/// One message between nodes: who sent it (`uid`), for which namespace,
/// what it is, and its data (absent for heartbeats).
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterMessage {
    /// The sending node's adapter id.
    pub uid: String,
    /// The namespace it concerns.
    pub nsp: String,
    /// What it is.
    pub kind: MessageType,
    /// Its data, a map whose fields depend on `kind` (see [`Body`]).
    pub data: Option<Value>,
}

impl ClusterMessage {
    /// Whether Node sends it over pub/sub rather than the stream (it is
    /// not kept: serverSideEmit, fetchSockets, acknowledged broadcasts).
    pub fn is_ephemeral(&self) -> bool {
        match self.kind {
            MessageType::ServerSideEmit | MessageType::FetchSockets => true,
            MessageType::Broadcast => self
                .data
                .as_ref()
                .is_some_and(|d| body::field(d, "requestId").is_some()),
            _ => false,
        }
    }
}

/// Whether `value` holds binary anywhere.
pub(super) fn has_binary(value: &Value) -> bool {
    match value {
        Value::Binary(_) => true,
        Value::Array(items) => items.iter().any(has_binary),
        Value::Map(pairs) => pairs.iter().any(|(_, v)| has_binary(v)),
        _ => false,
    }
}

/// Decodes exactly one MessagePack value filling all of `bytes`.
pub(super) fn decode_msgpack(bytes: &[u8]) -> Result<Value, StreamsWireError> {
    let mut rd = bytes;
    let value = rmpv::decode::read_value_with_max_depth(&mut rd, MAX_DEPTH)
        .map_err(|e| StreamsWireError::Data(format!("MessagePack: {e}")))?;
    if !rd.is_empty() {
        return Err(StreamsWireError::Data(format!(
            "{} bytes after the MessagePack value",
            rd.len()
        )));
    }
    Ok(value)
}

/// Encodes `value` as MessagePack.
pub(super) fn encode_msgpack(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = rmpv::encode::write_value(&mut out, value);
    out
}

/// Refuses `size` bytes when over [`MAX_MESSAGE_BYTES`].
pub(super) fn check_size(size: usize) -> Result<(), StreamsWireError> {
    if size > MAX_MESSAGE_BYTES {
        return Err(StreamsWireError::TooLarge {
            size,
            limit: MAX_MESSAGE_BYTES,
        });
    }
    Ok(())
}
