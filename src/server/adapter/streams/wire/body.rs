//! What a [`ClusterMessage`]'s `data` says, for the messages the adapter
//! acts on, and the data of the messages it sends. Key orders are those of
//! socket.io-adapter's `cluster-adapter.js`, so what edgeio sends reads as
//! what a Node node would have sent.

use rmpv::Value;

use super::{ClusterMessage, MessageType, StreamsWireError};

/// Which sockets an operation targets, and how (the `opts` of a message).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Sockets in any of these rooms; every socket when empty.
    pub rooms: Vec<String>,
    /// Minus the sockets in any of these rooms (socket ids are rooms).
    pub except: Vec<String>,
    /// `flags.local`: this node only (never published by Node).
    pub local: bool,
    /// `flags.volatile`: may be dropped by a client that is not ready.
    pub volatile: bool,
    /// `flags.timeout` in milliseconds, for fetches and acknowledged
    /// broadcasts.
    pub timeout: Option<u64>,
}

/// The messages the adapter acts on; anything else is [`Body::Other`].
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// A broadcast of `packet` (socket.io-parser's packet object, before
    /// encoding: `{type, data[, id, nsp]}`, binary in place); with a
    /// `request_id` the sender collects acknowledgements.
    Broadcast {
        /// The packet.
        packet: Value,
        /// Its targets.
        filter: Filter,
        /// Set when acknowledgements are expected.
        request_id: Option<String>,
    },
    /// The targeted sockets join `rooms`.
    SocketsJoin {
        /// The targets.
        filter: Filter,
        /// The rooms.
        rooms: Vec<String>,
    },
    /// The targeted sockets leave `rooms`.
    SocketsLeave {
        /// The targets.
        filter: Filter,
        /// The rooms.
        rooms: Vec<String>,
    },
    /// The targeted sockets are disconnected (`close`: their whole
    /// connection).
    DisconnectSockets {
        /// The targets.
        filter: Filter,
        /// Whether the underlying connection closes too.
        close: bool,
    },
    /// A request for the targeted sockets' descriptions.
    FetchSockets {
        /// The targets.
        filter: Filter,
        /// The id to answer with.
        request_id: String,
    },
    /// An event for the namespace's server-side handlers: `[name, ...args]`.
    ServerSideEmit {
        /// The event name and arguments.
        packet: Vec<Value>,
        /// Set when the sender waits for answers.
        request_id: Option<String>,
    },
    /// A heartbeat, an answer, or a close: nothing the adapter acts on.
    Other,
}

/// The value of map field `name` in `value`, if it is a map that has it.
pub(crate) fn field<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    match value {
        Value::Map(pairs) => pairs
            .iter()
            .find(|(k, _)| k.as_str() == Some(name))
            .map(|(_, v)| v),
        _ => None,
    }
}

fn required<'a>(value: &'a Value, name: &'static str) -> Result<&'a Value, StreamsWireError> {
    field(value, name).ok_or(StreamsWireError::Missing(name))
}

fn strings(value: &Value, name: &'static str) -> Result<Vec<String>, StreamsWireError> {
    match required(value, name)? {
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or(StreamsWireError::WrongType(name)),
        _ => Err(StreamsWireError::WrongType(name)),
    }
}

fn optional_string(value: &Value, name: &'static str) -> Result<Option<String>, StreamsWireError> {
    match field(value, name) {
        None | Some(Value::Nil) => Ok(None),
        Some(v) => v
            .as_str()
            .map(|s| Some(s.to_owned()))
            .ok_or(StreamsWireError::WrongType(name)),
    }
}

fn flag(flags: Option<&Value>, name: &'static str) -> Result<bool, StreamsWireError> {
    match flags.and_then(|f| field(f, name)) {
        None | Some(Value::Nil) => Ok(false),
        Some(v) => v.as_bool().ok_or(StreamsWireError::WrongType(name)),
    }
}

fn map(pairs: Vec<(&str, Value)>) -> Value {
    Value::Map(
        pairs
            .into_iter()
            .map(|(k, v)| (Value::from(k), v))
            .collect(),
    )
}

fn string_array(items: &[String]) -> Value {
    Value::Array(items.iter().map(|s| Value::from(s.as_str())).collect())
}

impl Filter {
    /// Reads `opts` (a map with `rooms`, `except` and optional `flags`).
    pub fn decode(opts: &Value) -> Result<Self, StreamsWireError> {
        if !matches!(opts, Value::Map(_)) {
            return Err(StreamsWireError::WrongType("opts"));
        }
        let flags = field(opts, "flags");
        let timeout = match flags.and_then(|f| field(f, "timeout")) {
            None | Some(Value::Nil) => None,
            Some(v) => Some(v.as_u64().ok_or(StreamsWireError::WrongType("timeout"))?),
        };
        Ok(Self {
            rooms: strings(opts, "rooms")?,
            except: strings(opts, "except")?,
            local: flag(flags, "local")?,
            volatile: flag(flags, "volatile")?,
            timeout,
        })
    }

    /// `opts` as socket.io-adapter's `encodeOptions` writes it.
    pub fn encode(&self) -> Value {
        let mut flags = Vec::new();
        if self.volatile {
            flags.push(("volatile", Value::from(true)));
        }
        if self.local {
            flags.push(("local", Value::from(true)));
        }
        if let Some(t) = self.timeout {
            flags.push(("timeout", Value::from(t)));
        }
        map(vec![
            ("rooms", string_array(&self.rooms)),
            ("except", string_array(&self.except)),
            ("flags", map(flags)),
        ])
    }
}

impl Body {
    /// What `message` says. Fails when a message the adapter acts on lacks
    /// a field or has one of the wrong type.
    pub fn of(message: &ClusterMessage) -> Result<Self, StreamsWireError> {
        let data = || {
            message
                .data
                .as_ref()
                .ok_or(StreamsWireError::Missing("data"))
        };
        let filter = |d: &Value| Filter::decode(required(d, "opts")?);
        Ok(match message.kind {
            MessageType::Broadcast => {
                let d = data()?;
                let packet = required(d, "packet")?.clone();
                if !matches!(packet, Value::Map(_)) {
                    return Err(StreamsWireError::WrongType("packet"));
                }
                Self::Broadcast {
                    packet,
                    filter: filter(d)?,
                    request_id: optional_string(d, "requestId")?,
                }
            }
            MessageType::SocketsJoin | MessageType::SocketsLeave => {
                let d = data()?;
                let (filter, rooms) = (filter(d)?, strings(d, "rooms")?);
                if message.kind == MessageType::SocketsJoin {
                    Self::SocketsJoin { filter, rooms }
                } else {
                    Self::SocketsLeave { filter, rooms }
                }
            }
            MessageType::DisconnectSockets => {
                let d = data()?;
                Self::DisconnectSockets {
                    filter: filter(d)?,
                    close: flag(Some(d), "close")?,
                }
            }
            MessageType::FetchSockets => {
                let d = data()?;
                Self::FetchSockets {
                    filter: filter(d)?,
                    request_id: optional_string(d, "requestId")?
                        .ok_or(StreamsWireError::Missing("requestId"))?,
                }
            }
            MessageType::ServerSideEmit => {
                let d = data()?;
                let Value::Array(packet) = required(d, "packet")? else {
                    return Err(StreamsWireError::WrongType("packet"));
                };
                if !packet.first().is_some_and(Value::is_str) {
                    return Err(StreamsWireError::WrongType("packet"));
                }
                Self::ServerSideEmit {
                    packet: packet.clone(),
                    request_id: optional_string(d, "requestId")?,
                }
            }
            _ => Self::Other,
        })
    }

    /// The message carrying this body from node `uid` in namespace `nsp`;
    /// `None` for [`Body::Other`].
    pub fn into_message(self, uid: &str, nsp: &str) -> Option<ClusterMessage> {
        let (kind, data) = match self {
            Self::Broadcast {
                packet,
                filter,
                request_id,
            } => {
                let mut pairs = vec![("packet", packet)];
                if let Some(id) = request_id {
                    pairs.push(("requestId", Value::from(id)));
                }
                pairs.push(("opts", filter.encode()));
                (MessageType::Broadcast, map(pairs))
            }
            Self::SocketsJoin { filter, rooms } => (
                MessageType::SocketsJoin,
                map(vec![
                    ("opts", filter.encode()),
                    ("rooms", string_array(&rooms)),
                ]),
            ),
            Self::SocketsLeave { filter, rooms } => (
                MessageType::SocketsLeave,
                map(vec![
                    ("opts", filter.encode()),
                    ("rooms", string_array(&rooms)),
                ]),
            ),
            Self::DisconnectSockets { filter, close } => (
                MessageType::DisconnectSockets,
                map(vec![
                    ("opts", filter.encode()),
                    ("close", Value::from(close)),
                ]),
            ),
            Self::FetchSockets { filter, request_id } => (
                MessageType::FetchSockets,
                map(vec![
                    ("opts", filter.encode()),
                    ("requestId", Value::from(request_id)),
                ]),
            ),
            Self::ServerSideEmit { packet, request_id } => {
                let mut pairs = Vec::new();
                if let Some(id) = request_id {
                    pairs.push(("requestId", Value::from(id)));
                }
                pairs.push(("packet", Value::Array(packet)));
                (MessageType::ServerSideEmit, map(pairs))
            }
            Self::Other => return None,
        };
        Some(ClusterMessage {
            uid: uid.to_owned(),
            nsp: nsp.to_owned(),
            kind,
            data: Some(data),
        })
    }
}
