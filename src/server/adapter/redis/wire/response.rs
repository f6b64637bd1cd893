//! Responses to requests, on the response channel (or the asker's own one).
//!
//! A response names its request by `requestId`; only some carry a `type`
//! (server-side-emit acks, and the two answers to a `BROADCAST`). The others
//! mean what the request they answer asked, so decoding takes two steps:
//! [`RawResponse::decode`] finds the request id, then
//! [`RawResponse::into_response`] reads it as the answer to that request.

use rmpv::Value;

use super::msgpack::{self, Fields};
use super::request::decode_body;
use super::{json, RequestType, WireError, WireSocket};

/// A response whose request is not looked up yet.
#[derive(Debug, Clone, PartialEq)]
pub struct RawResponse {
    request_id: String,
    response_type: Option<u64>,
    value: Value,
}

/// A response to request `request_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The request it answers.
    pub request_id: String,
    /// The answer.
    pub body: ResponseBody,
}

/// The answer a response carries, by the request it answers.
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseBody {
    /// To `SOCKETS`: socket ids.
    Sockets(Vec<String>),
    /// To `ALL_ROOMS`: room names.
    AllRooms(Vec<String>),
    /// To `REMOTE_FETCH`: the matching sockets.
    FetchedSockets(Vec<WireSocket>),
    /// To a join, leave or disconnect of one socket: done.
    Done,
    /// To `SERVER_SIDE_EMIT` with an id: the one argument of the ack.
    ServerSideEmitAck(Value),
    /// To `BROADCAST`: how many clients one node sent it to.
    BroadcastClientCount(u64),
    /// To `BROADCAST`: one client's acknowledgement (its arguments).
    BroadcastAck(Value),
}

impl RawResponse {
    /// Decodes a message from a response channel (JSON when it starts with
    /// `{`, MessagePack otherwise).
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let value = decode_body(bytes)?;
        let f = Fields::of(&value, "response")?;
        let request_id = f.str("requestId")?;
        let response_type = match f.get("type") {
            None => None,
            Some(v) => Some(v.as_u64().ok_or(WireError::WrongType("type"))?),
        };
        Ok(Self {
            request_id,
            response_type,
            value,
        })
    }

    /// The request this answers.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// Reads the response as the answer to a request of type `asked`.
    pub fn into_response(self, asked: RequestType) -> Result<Response, WireError> {
        let f = Fields::of(&self.value, "response")?;
        let typed = self.response_type.and_then(RequestType::from_number);
        let body = match (typed, asked) {
            (Some(RequestType::BroadcastClientCount), _) => {
                ResponseBody::BroadcastClientCount(f.uint("clientCount")?)
            }
            (Some(RequestType::BroadcastAck), _) => {
                ResponseBody::BroadcastAck(f.get("packet").cloned().unwrap_or(Value::Nil))
            }
            (_, RequestType::Sockets) => ResponseBody::Sockets(f.strings("sockets")?),
            (_, RequestType::AllRooms) => ResponseBody::AllRooms(f.strings("rooms")?),
            (_, RequestType::RemoteFetch) => match f.req("sockets")? {
                Value::Array(items) => ResponseBody::FetchedSockets(
                    items
                        .iter()
                        .map(WireSocket::decode)
                        .collect::<Result<_, _>>()?,
                ),
                _ => return Err(WireError::WrongType("sockets")),
            },
            (
                _,
                RequestType::RemoteJoin | RequestType::RemoteLeave | RequestType::RemoteDisconnect,
            ) => ResponseBody::Done,
            (_, RequestType::ServerSideEmit) => {
                ResponseBody::ServerSideEmitAck(f.get("data").cloned().unwrap_or(Value::Nil))
            }
            (_, other) => {
                return Err(WireError::UnknownType(
                    self.response_type.unwrap_or(other.number()),
                ))
            }
        };
        Ok(Response {
            request_id: self.request_id,
            body,
        })
    }
}

impl Response {
    /// The bytes to publish: MessagePack for a broadcast ack (it may hold
    /// binary), JSON otherwise, fields in Node's order.
    pub fn encode(&self) -> Result<Vec<u8>, WireError> {
        let id = ("requestId", msgpack::string(&self.request_id));
        let typed = |t: RequestType| ("type", Value::from(t.number()));
        let pairs = match &self.body {
            ResponseBody::Sockets(ids) => vec![id, ("sockets", msgpack::strings(ids))],
            ResponseBody::AllRooms(rooms) => vec![id, ("rooms", msgpack::strings(rooms))],
            ResponseBody::FetchedSockets(sockets) => vec![
                id,
                (
                    "sockets",
                    Value::Array(sockets.iter().map(WireSocket::encode).collect()),
                ),
            ],
            ResponseBody::Done => vec![id],
            ResponseBody::ServerSideEmitAck(data) => {
                vec![
                    typed(RequestType::ServerSideEmit),
                    id,
                    ("data", data.clone()),
                ]
            }
            ResponseBody::BroadcastClientCount(n) => {
                vec![
                    typed(RequestType::BroadcastClientCount),
                    id,
                    ("clientCount", Value::from(*n)),
                ]
            }
            ResponseBody::BroadcastAck(packet) => {
                let pairs = vec![
                    typed(RequestType::BroadcastAck),
                    id,
                    ("packet", packet.clone()),
                ];
                return Ok(msgpack::encode(&msgpack::map(pairs)));
            }
        };
        json::encode(&msgpack::map(pairs))
    }
}
