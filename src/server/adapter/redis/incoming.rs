//! What the adapter does with a message from another node: a broadcast is
//! delivered to this node's sockets, a request acted on (and answered when
//! it asks for an answer), a response handed to the request waiting for it.
//! Node's own rules apply: a node ignores its own broadcasts, requests and
//! server-side emits, and the messages of other namespaces.

use std::sync::Arc;

use super::convert::{ack_to_wire, filter_from_wire, opts_from_wire, packet_from_wire};
use super::link::Link;
use super::node::RedisNode;
use super::wire::{
    to_json, BroadcastMessage, RawResponse, Request, RequestBody, Response, ResponseBody, Target,
    Value, WireError, WireSocket,
};
use crate::server::adapter::{AdapterHandle, BroadcastOptions, RemoteSocketData};
use crate::server::socket::Socket;

/// A broadcast from another node.
pub fn broadcast(link: &Link, handle: &AdapterHandle, payload: &[u8]) -> Result<(), WireError> {
    let message = BroadcastMessage::decode(payload)?;
    if message.uid == link.uid() || message.packet.nsp != link.ns() {
        return Ok(());
    }
    let packet = packet_from_wire(&message.packet, link.ns())?;
    handle.deliver(&packet, &opts_from_wire(&message.opts));
    Ok(())
}

/// A response on a response channel: ours when its request id is open.
pub fn response(link: &Link, payload: &[u8]) -> Result<(), WireError> {
    let raw = RawResponse::decode(payload)?;
    let Some(asked) = link.requests().asked(raw.request_id()) else {
        return Ok(());
    };
    link.requests().answer(raw.into_response(asked)?);
    Ok(())
}

/// The options selecting one socket by id (its own room).
fn one_socket(sid: &str) -> BroadcastOptions {
    BroadcastOptions {
        rooms: [sid.to_owned()].into(),
        ..BroadcastOptions::default()
    }
}

/// A request from another node.
pub fn request(
    link: &Link,
    node: &Arc<RedisNode>,
    handle: &AdapterHandle,
    payload: &[u8],
) -> Result<(), WireError> {
    let request = Request::decode(payload)?;
    if request.uid == link.uid() {
        return Ok(());
    }
    if let Some(id) = &request.request_id {
        if link.requests().asked(id).is_some() {
            return Ok(());
        }
    }
    let id = request.request_id;
    let answer = |body: ResponseBody| {
        if let Some(id) = &id {
            respond(node, link, id, body);
        }
    };
    match request.body {
        RequestBody::Sockets { rooms } => {
            let opts = BroadcastOptions {
                rooms: rooms.into_iter().collect(),
                ..BroadcastOptions::default()
            };
            let ids = handle
                .sockets(&opts)
                .iter()
                .map(|s| s.id().to_string())
                .collect();
            answer(ResponseBody::Sockets(ids));
        }
        RequestBody::AllRooms => answer(ResponseBody::AllRooms(handle.rooms())),
        RequestBody::RemoteJoin { target, rooms } => match target {
            Target::Matching(filter) => handle.join(&filter_from_wire(&filter), &rooms),
            Target::Socket(sid) => {
                if !handle.sockets(&one_socket(&sid)).is_empty() {
                    handle.join(&one_socket(&sid), &rooms);
                    answer(ResponseBody::Done);
                }
            }
        },
        RequestBody::RemoteLeave { target, rooms } => match target {
            Target::Matching(filter) => handle.leave(&filter_from_wire(&filter), &rooms),
            Target::Socket(sid) => {
                if !handle.sockets(&one_socket(&sid)).is_empty() {
                    handle.leave(&one_socket(&sid), &rooms);
                    answer(ResponseBody::Done);
                }
            }
        },
        RequestBody::RemoteDisconnect { target, close } => match target {
            Target::Matching(filter) => handle.disconnect(&filter_from_wire(&filter), close),
            Target::Socket(sid) => {
                if !handle.sockets(&one_socket(&sid)).is_empty() {
                    handle.disconnect(&one_socket(&sid), close);
                    answer(ResponseBody::Done);
                }
            }
        },
        RequestBody::RemoteFetch { filter } => {
            let sockets = handle
                .sockets(&filter_from_wire(&filter))
                .iter()
                .map(remote_socket)
                .collect();
            answer(ResponseBody::FetchedSockets(sockets));
        }
        RequestBody::ServerSideEmit { data } => {
            let mut data = data.into_iter();
            let name = match data.next() {
                Some(Value::String(s)) => s.into_str().ok_or(WireError::WrongType("data"))?,
                _ => return Err(WireError::WrongType("data")),
            };
            let args = data.map(|v| to_json(&v)).collect::<Result<Vec<_>, _>>()?;
            match id {
                // Asked to acknowledge: the handler's answer, if it gives one
                // within the request timeout (Node's asker waits that long).
                Some(id) => {
                    let answer = handle.server_side_emit_with_ack(&name, &args);
                    let (node, channel) = (node.clone(), link.channels().response().to_owned());
                    let timeout = node.config().requests_timeout;
                    tokio::spawn(async move {
                        if let Ok(Some(answer)) = tokio::time::timeout(timeout, answer).await {
                            let body =
                                ResponseBody::ServerSideEmitAck(super::wire::from_json(answer));
                            publish_response(&node, &channel, id, body).await;
                        }
                    });
                }
                None => handle.server_side_emit(&name, &args),
            }
        }
        RequestBody::Broadcast { packet, opts } => {
            let Some(id) = id else {
                return Err(WireError::Missing("requestId"));
            };
            let packet = packet_from_wire(&packet, link.ns())?;
            let timeout = opts
                .flags
                .timeout
                .map(std::time::Duration::from_millis)
                .unwrap_or(node.config().requests_timeout);
            let asked = handle.ask(&packet, &opts_from_wire(&opts), timeout);
            respond(
                node,
                link,
                &id,
                ResponseBody::BroadcastClientCount(asked.len() as u64),
            );
            for ack in asked {
                let node = node.clone();
                let channel = link.channels().response().to_owned();
                let id = id.clone();
                tokio::spawn(async move {
                    if let Some(ack) = ack.await {
                        let body = ResponseBody::BroadcastAck(ack_to_wire(&ack));
                        publish_response(&node, &channel, id, body).await;
                    }
                });
            }
        }
    }
    Ok(())
}

/// What a `REMOTE_FETCH` answer says of local socket `socket`.
fn remote_socket(socket: &Arc<Socket>) -> WireSocket {
    let described = RemoteSocketData::of(socket);
    let handshake = serde_json::to_value(&described.handshake)
        .map(super::wire::from_json)
        .unwrap_or(Value::Nil);
    WireSocket {
        id: described.id,
        handshake,
        rooms: described.rooms,
        data: super::wire::from_json(described.data),
    }
}

/// Publishes an answer to request `id` on the shared response channel (as
/// Node does by default), in a task.
fn respond(node: &Arc<RedisNode>, link: &Link, id: &str, body: ResponseBody) {
    let node = node.clone();
    let channel = link.channels().response().to_owned();
    let id = id.to_owned();
    tokio::spawn(async move { publish_response(&node, &channel, id, body).await });
}

async fn publish_response(node: &RedisNode, channel: &str, id: String, body: ResponseBody) {
    let response = Response {
        request_id: id,
        body,
    };
    let sent = match response.encode() {
        Ok(bytes) => node.publish(channel, bytes).await,
        Err(e) => {
            tracing::warn!(error = %e, "redis adapter: cannot encode a response");
            return;
        }
    };
    if let Err(e) = sent {
        tracing::warn!(error = %e, "redis adapter: cannot publish a response");
    }
}
