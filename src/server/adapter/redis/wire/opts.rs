//! Which sockets an operation targets (`rooms`, `except`) and, for
//! broadcasts, its flags, as the adapter writes them.

use rmpv::Value;

use super::msgpack::{self, Fields};
use super::WireError;

/// The sockets an operation targets: those in any of `rooms` (every socket
/// when empty), minus those in any of `except`. The `opts` of the
/// join/leave/disconnect/fetch requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SocketFilter {
    /// Rooms whose sockets are targeted; empty targets every socket.
    pub rooms: Vec<String>,
    /// Rooms (or socket ids) whose sockets are left out.
    pub except: Vec<String>,
}

/// Node's `BroadcastFlags`. Each is `None` when the sender did not set it, so
/// that what was not sent is not written back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BroadcastFlags {
    /// `volatile`: may be dropped when the client is not ready.
    pub volatile: Option<bool>,
    /// `compress`.
    pub compress: Option<bool>,
    /// `local`: this node only. Never published by Node; honoured on receipt.
    pub local: Option<bool>,
    /// `broadcast`.
    pub broadcast: Option<bool>,
    /// `binary`.
    pub binary: Option<bool>,
    /// `timeout` of an acknowledged broadcast, in milliseconds.
    pub timeout: Option<u64>,
    /// `expectSingleResponse`.
    pub expect_single_response: Option<bool>,
}

/// The options of a broadcast: its filter and flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WireOpts {
    /// Which sockets receive it.
    pub filter: SocketFilter,
    /// How it is sent.
    pub flags: BroadcastFlags,
}

impl SocketFilter {
    pub(super) fn decode(value: &Value) -> Result<Self, WireError> {
        let f = Fields::of(value, "opts")?;
        Ok(Self {
            rooms: f.strings("rooms")?,
            except: f.strings("except")?,
        })
    }

    pub(super) fn encode(&self) -> Value {
        msgpack::map(vec![
            ("rooms", msgpack::strings(&self.rooms)),
            ("except", msgpack::strings(&self.except)),
        ])
    }
}

impl BroadcastFlags {
    /// The flags that are booleans, with their wire names, in the order they
    /// are written.
    fn booleans(&self) -> [(&'static str, Option<bool>); 5] {
        [
            ("volatile", self.volatile),
            ("compress", self.compress),
            ("local", self.local),
            ("broadcast", self.broadcast),
            ("binary", self.binary),
        ]
    }

    /// Reads the flags; flags this codec does not know are ignored.
    pub(super) fn decode(value: Option<&Value>) -> Result<Self, WireError> {
        let Some(value) = value else {
            return Ok(Self::default());
        };
        let f = Fields::of(value, "flags")?;
        let boolean = |name: &'static str| match f.get(name) {
            None => Ok(None),
            Some(v) => v.as_bool().map(Some).ok_or(WireError::WrongType(name)),
        };
        Ok(Self {
            volatile: boolean("volatile")?,
            compress: boolean("compress")?,
            local: boolean("local")?,
            broadcast: boolean("broadcast")?,
            binary: boolean("binary")?,
            timeout: match f.get("timeout") {
                None => None,
                Some(v) => Some(v.as_u64().ok_or(WireError::WrongType("timeout"))?),
            },
            expect_single_response: boolean("expectSingleResponse")?,
        })
    }

    pub(super) fn encode(&self) -> Value {
        let mut pairs: Vec<(&str, Value)> = self
            .booleans()
            .into_iter()
            .filter_map(|(name, v)| v.map(|b| (name, Value::from(b))))
            .collect();
        if let Some(t) = self.timeout {
            pairs.push(("timeout", Value::from(t)));
        }
        if let Some(b) = self.expect_single_response {
            pairs.push(("expectSingleResponse", Value::from(b)));
        }
        msgpack::map(pairs)
    }
}

impl WireOpts {
    pub(super) fn decode(value: &Value) -> Result<Self, WireError> {
        let filter = SocketFilter::decode(value)?;
        let flags = BroadcastFlags::decode(Fields::of(value, "opts")?.get("flags"))?;
        Ok(Self { filter, flags })
    }

    pub(super) fn encode(&self) -> Value {
        msgpack::map(vec![
            ("rooms", msgpack::strings(&self.filter.rooms)),
            ("except", msgpack::strings(&self.filter.except)),
            ("flags", self.flags.encode()),
        ])
    }
}
