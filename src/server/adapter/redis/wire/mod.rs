//! The wire format of Node's `@socket.io/redis-adapter` 8.x: channel names,
//! the MessagePack broadcast message, and the request/response messages
//! between nodes (JSON for most, MessagePack where a packet may carry binary).
//!
//! This is a pure codec: bytes in, typed values out, and back. Payload values
//! (event arguments, handshakes, socket data) are MessagePack [`Value`]s, the
//! model that holds both JSON and binary; messages that travel as JSON
//! convert to and from it. Facts and source references:
//! `fixtures/redis-adapter/` and the golden test `tests/redis_wire_fixtures.rs`.

mod broadcast;
mod channel;
mod error;
mod json;
mod msgpack;
mod opts;
mod request;
mod response;
mod socket;

pub use broadcast::{BroadcastMessage, WirePacket};
pub use channel::{ChannelKind, Channels};
pub use error::WireError;
pub use json::{from_json, to_json};
pub use opts::{BroadcastFlags, SocketFilter, WireOpts};
pub use request::{Request, RequestBody, Target};
pub use response::{RawResponse, Response, ResponseBody};
pub use rmpv::Value;
pub use socket::WireSocket;

/// The `type` number of a request between nodes (and of some responses), as
/// the adapter's `RequestType` enum numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestType {
    /// Socket ids in some rooms (pre-`fetchSockets` API; still answered).
    Sockets = 0,
    /// Every room of every node.
    AllRooms = 1,
    /// `socketsJoin`.
    RemoteJoin = 2,
    /// `socketsLeave`.
    RemoteLeave = 3,
    /// `disconnectSockets`.
    RemoteDisconnect = 4,
    /// `fetchSockets`.
    RemoteFetch = 5,
    /// `serverSideEmit`, with or without acknowledgement.
    ServerSideEmit = 6,
    /// A broadcast that expects acknowledgements.
    Broadcast = 7,
    /// The response: how many clients a node sent an acked broadcast to.
    BroadcastClientCount = 8,
    /// The response: one client's acknowledgement of an acked broadcast.
    BroadcastAck = 9,
}

impl RequestType {
    /// The type for a wire number, or `None` for a number the adapter does
    /// not define.
    pub fn from_number(n: u64) -> Option<Self> {
        Some(match n {
            0 => Self::Sockets,
            1 => Self::AllRooms,
            2 => Self::RemoteJoin,
            3 => Self::RemoteLeave,
            4 => Self::RemoteDisconnect,
            5 => Self::RemoteFetch,
            6 => Self::ServerSideEmit,
            7 => Self::Broadcast,
            8 => Self::BroadcastClientCount,
            9 => Self::BroadcastAck,
            _ => return None,
        })
    }

    /// The wire number.
    pub fn number(self) -> u64 {
        self as u64
    }
}
