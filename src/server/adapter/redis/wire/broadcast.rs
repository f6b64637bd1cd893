//! The broadcast message, published on the namespace's broadcast channel (or
//! its single-room channel): MessagePack `[uid, packet, opts]`.

use rmpv::Value;

use super::msgpack::{self, Fields};
use super::{WireError, WireOpts};

/// A Socket.IO packet as the adapter carries it: socket.io-parser's packet
/// object *before* encoding, so binary arguments are MessagePack bin values
/// inside `data` (no placeholders, no attachments) and an event with binary
/// still has type 2 (`EVENT`).
#[derive(Debug, Clone, PartialEq)]
pub struct WirePacket {
    /// The Socket.IO packet type (2 = EVENT, 3 = ACK, ...).
    pub packet_type: u64,
    /// The arguments (event name first, for an event); `None` when absent.
    pub data: Option<Value>,
    /// The namespace; Node reads an absent one as `/`.
    pub nsp: String,
    /// The acknowledgement id, when the packet has one.
    pub id: Option<u64>,
}

/// A broadcast from node `uid`: Node ignores its own (same `uid`).
#[derive(Debug, Clone, PartialEq)]
pub struct BroadcastMessage {
    /// The sending node's uid.
    pub uid: String,
    /// What is broadcast.
    pub packet: WirePacket,
    /// To whom, and how.
    pub opts: WireOpts,
}

impl WirePacket {
    pub(super) fn decode(value: &Value) -> Result<Self, WireError> {
        let f = Fields::of(value, "packet")?;
        Ok(Self {
            packet_type: f.uint("type")?,
            data: f.get("data").cloned(),
            nsp: f.opt_str("nsp")?.unwrap_or_else(|| "/".to_owned()),
            id: match f.get("id") {
                None => None,
                Some(v) => Some(v.as_u64().ok_or(WireError::WrongType("id"))?),
            },
        })
    }

    pub(super) fn encode(&self) -> Value {
        let mut pairs = vec![("type", Value::from(self.packet_type))];
        if let Some(data) = &self.data {
            pairs.push(("data", data.clone()));
        }
        pairs.push(("nsp", msgpack::string(&self.nsp)));
        if let Some(id) = self.id {
            pairs.push(("id", Value::from(id)));
        }
        msgpack::map(pairs)
    }
}

impl BroadcastMessage {
    /// Decodes a message received on a broadcast channel.
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let value = msgpack::decode(bytes)?;
        let Value::Array(items) = &value else {
            return Err(WireError::WrongType("broadcast"));
        };
        let [uid, packet, opts] = items.as_slice() else {
            return Err(WireError::WrongType("broadcast"));
        };
        Ok(Self {
            uid: msgpack::as_string(uid, "uid")?,
            packet: WirePacket::decode(packet)?,
            opts: WireOpts::decode(opts)?,
        })
    }

    /// The bytes to publish.
    pub fn encode(&self) -> Vec<u8> {
        msgpack::encode(&Value::Array(vec![
            msgpack::string(&self.uid),
            self.packet.encode(),
            self.opts.encode(),
        ]))
    }
}
