//! The answering side of the request/response operations of Node's
//! `@socket.io/redis-streams-adapter` (socket.io-adapter's
//! `ClusterAdapter`): another node's `fetchSockets()`, `serverSideEmit`
//! with an acknowledgement and broadcast with acknowledgements
//! (`emitWithAck`) get this node's answers, published on the asker's
//! private channel `PREFIX#NSP#UID#` as MessagePack maps
//! `{type, data: {requestId, ...}, uid, nsp}`.

use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use rmpv::Value;
use serde_json::Value as Json;

use super::node::Shared;
use super::packet::{ack_to_wire, from_wire};
use super::wire::pubsub::private_channel;
use super::wire::{ClusterMessage, Filter, MessageType};
use crate::server::adapter::redis::wire::from_json;
use crate::server::adapter::{AdapterHandle, BroadcastOptions, RemoteSocketData};
use crate::server::error::AdapterError;

/// An answer to request `request_id` of node `asker` in namespace `nsp`.
struct Answer<'a> {
    shared: &'a Arc<Shared>,
    asker: &'a str,
    nsp: &'a str,
    request_id: &'a str,
}

impl Answer<'_> {
    /// The answer of type `kind` whose data is `{requestId, key: value}`,
    /// and the channel it goes to.
    fn message(&self, kind: MessageType, key: &str, value: Value) -> (String, ClusterMessage) {
        let data = Value::Map(vec![
            (Value::from("requestId"), Value::from(self.request_id)),
            (Value::from(key), value),
        ]);
        let channel = private_channel(&self.shared.config.channel_prefix, self.nsp, self.asker);
        let message = ClusterMessage {
            uid: self.shared.uid.clone(),
            nsp: self.nsp.to_owned(),
            kind,
            data: Some(data),
        };
        (channel, message)
    }
}

/// Publishes `message` on `channel`; a failure is logged (the asker times
/// out, as it would with a Node node that lost Redis).
async fn send(shared: &Shared, (channel, message): (String, ClusterMessage)) {
    if let Err(e) = shared.publish(channel, &message).await {
        tracing::warn!(error = %e, "redis streams adapter: cannot publish an answer");
    }
}

/// `socket` as a `FETCH_SOCKETS_RESPONSE` describes it (Node's
/// `{id, handshake, rooms, data}`).
fn wire_socket(socket: RemoteSocketData) -> Value {
    let handshake = serde_json::to_value(&socket.handshake)
        .map(from_json)
        .unwrap_or(Value::Nil);
    Value::Map(vec![
        (Value::from("id"), Value::from(socket.id)),
        (Value::from("handshake"), handshake),
        (
            Value::from("rooms"),
            Value::Array(socket.rooms.into_iter().map(Value::from).collect()),
        ),
        (Value::from("data"), from_json(socket.data)),
    ])
}

/// Answers a `FETCH_SOCKETS` of node `message.uid` with this node's sockets
/// that `opts` selects.
pub(super) fn fetch_sockets(
    shared: &Arc<Shared>,
    handle: &AdapterHandle,
    message: &ClusterMessage,
    opts: &BroadcastOptions,
    request_id: &str,
) {
    let sockets = handle.fetch_sockets(opts);
    let answer = Answer {
        shared,
        asker: &message.uid,
        nsp: &message.nsp,
        request_id,
    };
    let reply = answer.message(
        MessageType::FetchSocketsResponse,
        "sockets",
        Value::Array(sockets.into_iter().map(wire_socket).collect()),
    );
    let shared = shared.clone();
    tokio::spawn(async move { send(&shared, reply).await });
}

/// Runs the server-side handler of `name` asking it to acknowledge, and
/// answers its acknowledgement (`SERVER_SIDE_EMIT_RESPONSE`) if it comes
/// within the adapter's requests timeout (Node's asker waits no longer).
pub(super) fn server_side_emit(
    shared: &Arc<Shared>,
    handle: &AdapterHandle,
    message: &ClusterMessage,
    (name, args): (&str, &[Json]),
    request_id: &str,
) {
    let acked = handle.server_side_emit_with_ack(name, args);
    let answer = Answer {
        shared,
        asker: &message.uid,
        nsp: &message.nsp,
        request_id,
    };
    // Built now (the channel and ids), filled when the handler answers.
    let (channel, template) =
        answer.message(MessageType::ServerSideEmitResponse, "packet", Value::Nil);
    let shared = shared.clone();
    let timeout = shared.config.requests_timeout;
    tokio::spawn(async move {
        if let Ok(Some(arg)) = tokio::time::timeout(timeout, acked).await {
            let reply = with_value(template, from_json(arg));
            send(&shared, (channel, reply)).await;
        }
    });
}

/// `message` with the value of its data's second field replaced.
fn with_value(mut message: ClusterMessage, value: Value) -> ClusterMessage {
    if let Some(Value::Map(pairs)) = &mut message.data {
        if let Some(pair) = pairs.get_mut(1) {
            pair.1 = value;
        }
    }
    message
}

/// Sends a broadcast asking for acknowledgements to this node's sockets
/// that `filter` selects; answers how many were asked
/// (`BROADCAST_CLIENT_COUNT`), then each acknowledgement as it comes
/// (`BROADCAST_ACK`), all in order on one task. Clients that do not answer
/// within the broadcast's timeout (its `flags.timeout`, else the requests
/// timeout) are not waited for any longer.
pub(super) fn broadcast_with_ack(
    shared: &Arc<Shared>,
    handle: &AdapterHandle,
    message: &ClusterMessage,
    (packet, filter, opts): (&Value, &Filter, &BroadcastOptions),
    request_id: &str,
) -> Result<(), AdapterError> {
    let packet = from_wire(&message.nsp, packet)?;
    let timeout = filter
        .timeout
        .map(Duration::from_millis)
        .unwrap_or(shared.config.requests_timeout);
    let asked = handle.ask(&packet, opts, timeout);
    let answer = Answer {
        shared,
        asker: &message.uid,
        nsp: &message.nsp,
        request_id,
    };
    let count = answer.message(
        MessageType::BroadcastClientCount,
        "clientCount",
        Value::from(asked.len() as u64),
    );
    let (channel, template) = answer.message(MessageType::BroadcastAck, "packet", Value::Nil);
    let shared = shared.clone();
    tokio::spawn(async move {
        send(&shared, count).await;
        let mut acks: FuturesUnordered<_> = asked.into_iter().collect();
        while let Some(ack) = acks.next().await {
            if let Some(ack) = ack {
                let reply = with_value(template.clone(), ack_to_wire(&ack));
                send(&shared, (channel.clone(), reply)).await;
            }
        }
    });
    Ok(())
}
