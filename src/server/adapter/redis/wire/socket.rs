//! A socket of another node, as a `REMOTE_FETCH` response describes it.

use rmpv::Value;

use super::msgpack::{self, Fields};
use super::WireError;

/// What `fetchSockets` learns of a remote socket: enough to show it, and to
/// emit to, join, leave or disconnect it by id.
#[derive(Debug, Clone, PartialEq)]
pub struct WireSocket {
    /// The socket id.
    pub id: String,
    /// Its handshake, as Node builds it (`headers`, `time`, `address`,
    /// `xdomain`, `secure`, `issued`, `url`, `query`, `auth`), a map.
    pub handshake: Value,
    /// The rooms it is in (its own id among them).
    pub rooms: Vec<String>,
    /// Its `socket.data`; nil when the sender had none.
    pub data: Value,
}

impl WireSocket {
    pub(super) fn decode(value: &Value) -> Result<Self, WireError> {
        let f = Fields::of(value, "socket")?;
        let handshake = f.req("handshake")?;
        Fields::of(handshake, "handshake")?;
        Ok(Self {
            id: f.str("id")?,
            handshake: handshake.clone(),
            rooms: f.strings("rooms")?,
            data: f.get("data").cloned().unwrap_or(Value::Nil),
        })
    }

    pub(super) fn encode(&self) -> Value {
        let mut pairs = vec![
            ("id", msgpack::string(&self.id)),
            ("handshake", self.handshake.clone()),
            ("rooms", msgpack::strings(&self.rooms)),
        ];
        if !self.data.is_nil() {
            pairs.push(("data", self.data.clone()));
        }
        msgpack::map(pairs)
    }
}
