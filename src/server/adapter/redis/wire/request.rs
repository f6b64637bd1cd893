//! Requests from one node to every other, on the request channel. Node
//! writes them as JSON, except `BROADCAST` (its packet may hold binary),
//! which is MessagePack; it reads either (JSON when the first byte is `{`).

use rmpv::Value;

use super::broadcast::WirePacket;
use super::msgpack::{self, Fields};
use super::{json, RequestType, SocketFilter, WireError, WireOpts};

/// A request from node `uid`.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The asking node's uid; answering nodes skip their own requests.
    pub uid: String,
    /// Present when the asker waits for responses (they carry it back).
    pub request_id: Option<String>,
    /// What is asked.
    pub body: RequestBody,
}

/// Which sockets a join, leave or disconnect request acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Every socket matching the filter (`opts`), on every node; no response.
    Matching(SocketFilter),
    /// The one socket `sid` (older adapters' form); its node responds.
    Socket(String),
}

/// What a request asks, by its `type`.
#[derive(Debug, Clone, PartialEq)]
pub enum RequestBody {
    /// `SOCKETS`: ids of the sockets in `rooms` (all when empty).
    Sockets {
        /// Rooms to list.
        rooms: Vec<String>,
    },
    /// `ALL_ROOMS`: every room name.
    AllRooms,
    /// `REMOTE_JOIN`: the target sockets join `rooms` (`room`, one, when the
    /// target is a single socket).
    RemoteJoin {
        /// Who joins.
        target: Target,
        /// What they join.
        rooms: Vec<String>,
    },
    /// `REMOTE_LEAVE`: the target sockets leave `rooms`.
    RemoteLeave {
        /// Who leaves.
        target: Target,
        /// What they leave.
        rooms: Vec<String>,
    },
    /// `REMOTE_DISCONNECT`: the target sockets are disconnected; `close`
    /// also closes their underlying connection.
    RemoteDisconnect {
        /// Who is disconnected.
        target: Target,
        /// Whether the connection closes too.
        close: bool,
    },
    /// `REMOTE_FETCH`: the sockets matching `filter`, with their details.
    RemoteFetch {
        /// Which sockets.
        filter: SocketFilter,
    },
    /// `SERVER_SIDE_EMIT`: an event for the other servers (`data` is the
    /// event name then its arguments); acknowledged when the request has an id.
    ServerSideEmit {
        /// Event name and arguments.
        data: Vec<Value>,
    },
    /// `BROADCAST`: a broadcast that collects acknowledgements.
    Broadcast {
        /// What is broadcast.
        packet: WirePacket,
        /// To whom, and how (`flags.timeout` bounds the wait).
        opts: WireOpts,
    },
}

impl RequestBody {
    /// The request's `type`.
    pub fn request_type(&self) -> RequestType {
        match self {
            Self::Sockets { .. } => RequestType::Sockets,
            Self::AllRooms => RequestType::AllRooms,
            Self::RemoteJoin { .. } => RequestType::RemoteJoin,
            Self::RemoteLeave { .. } => RequestType::RemoteLeave,
            Self::RemoteDisconnect { .. } => RequestType::RemoteDisconnect,
            Self::RemoteFetch { .. } => RequestType::RemoteFetch,
            Self::ServerSideEmit { .. } => RequestType::ServerSideEmit,
            Self::Broadcast { .. } => RequestType::Broadcast,
        }
    }
}

/// Reads a message body that is JSON when it starts with `{`, else MessagePack.
pub(super) fn decode_body(bytes: &[u8]) -> Result<Value, WireError> {
    match bytes.first() {
        Some(b'{') => json::decode(bytes),
        _ => msgpack::decode(bytes),
    }
}

impl Target {
    fn decode(f: &Fields<'_>) -> Result<Self, WireError> {
        match f.get("opts") {
            Some(opts) => Ok(Self::Matching(SocketFilter::decode(opts)?)),
            None => Ok(Self::Socket(f.str("sid")?)),
        }
    }

    fn encode(&self, pairs: &mut Vec<(&'static str, Value)>) {
        match self {
            Self::Matching(filter) => pairs.push(("opts", filter.encode())),
            Self::Socket(sid) => pairs.push(("sid", msgpack::string(sid))),
        }
    }
}

/// The rooms of a join or leave: `rooms` for a filter, `room` for one socket.
fn decode_rooms(f: &Fields<'_>, target: &Target) -> Result<Vec<String>, WireError> {
    match target {
        Target::Matching(_) => f.strings("rooms"),
        Target::Socket(_) => Ok(vec![f.str("room")?]),
    }
}

fn encode_rooms(pairs: &mut Vec<(&'static str, Value)>, target: &Target, rooms: &[String]) {
    match (target, rooms) {
        (Target::Socket(_), [room]) => pairs.push(("room", msgpack::string(room))),
        _ => pairs.push(("rooms", msgpack::strings(rooms))),
    }
}

impl Request {
    /// Decodes a message received on the request channel.
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let value = decode_body(bytes)?;
        let f = Fields::of(&value, "request")?;
        let kind = f.uint("type")?;
        let body = match RequestType::from_number(kind) {
            Some(RequestType::Sockets) => RequestBody::Sockets {
                rooms: f.strings("rooms")?,
            },
            Some(RequestType::AllRooms) => RequestBody::AllRooms,
            Some(RequestType::RemoteJoin) => {
                let target = Target::decode(&f)?;
                RequestBody::RemoteJoin {
                    rooms: decode_rooms(&f, &target)?,
                    target,
                }
            }
            Some(RequestType::RemoteLeave) => {
                let target = Target::decode(&f)?;
                RequestBody::RemoteLeave {
                    rooms: decode_rooms(&f, &target)?,
                    target,
                }
            }
            Some(RequestType::RemoteDisconnect) => RequestBody::RemoteDisconnect {
                target: Target::decode(&f)?,
                close: f.flag("close")?,
            },
            Some(RequestType::RemoteFetch) => RequestBody::RemoteFetch {
                filter: SocketFilter::decode(f.req("opts")?)?,
            },
            Some(RequestType::ServerSideEmit) => match f.req("data")? {
                Value::Array(items) => RequestBody::ServerSideEmit {
                    data: items.clone(),
                },
                _ => return Err(WireError::WrongType("data")),
            },
            Some(RequestType::Broadcast) => RequestBody::Broadcast {
                packet: WirePacket::decode(f.req("packet")?)?,
                opts: WireOpts::decode(f.req("opts")?)?,
            },
            Some(RequestType::BroadcastClientCount | RequestType::BroadcastAck) | None => {
                return Err(WireError::UnknownType(kind));
            }
        };
        Ok(Self {
            uid: f.str("uid")?,
            request_id: f.opt_str("requestId")?,
            body,
        })
    }

    /// The bytes to publish on the request channel: MessagePack for
    /// `BROADCAST`, JSON otherwise, fields in Node's order.
    pub fn encode(&self) -> Result<Vec<u8>, WireError> {
        let mut pairs = vec![("uid", msgpack::string(&self.uid))];
        if let Some(id) = &self.request_id {
            pairs.push(("requestId", msgpack::string(id)));
        }
        pairs.push(("type", Value::from(self.body.request_type().number())));
        match &self.body {
            RequestBody::Sockets { rooms } => pairs.push(("rooms", msgpack::strings(rooms))),
            RequestBody::AllRooms => {}
            RequestBody::RemoteJoin { target, rooms }
            | RequestBody::RemoteLeave { target, rooms } => {
                target.encode(&mut pairs);
                encode_rooms(&mut pairs, target, rooms);
            }
            RequestBody::RemoteDisconnect { target, close } => {
                target.encode(&mut pairs);
                pairs.push(("close", Value::from(*close)));
            }
            RequestBody::RemoteFetch { filter } => pairs.push(("opts", filter.encode())),
            RequestBody::ServerSideEmit { data } => {
                pairs.push(("data", Value::Array(data.clone())))
            }
            RequestBody::Broadcast { packet, opts } => {
                pairs.push(("packet", packet.encode()));
                pairs.push(("opts", opts.encode()));
                return Ok(msgpack::encode(&msgpack::map(pairs)));
            }
        }
        json::encode(&msgpack::map(pairs))
    }
}
