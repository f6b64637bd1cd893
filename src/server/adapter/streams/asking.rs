//! The asking side of the request/response operations, as Node's
//! socket.io-adapter `ClusterAdapter` asks them over the Streams adapter's
//! pub/sub: `FETCH_SOCKETS` (`fetch_sockets`), `SERVER_SIDE_EMIT` with a
//! request id (`server_side_emit_with_ack`) and `BROADCAST` with a request
//! id (`broadcast_with_ack`), published on the namespace's
//! public channel; each waits for one answer per other node (the public
//! channel's subscribers, this node excepted), in the node's bounded
//! request table ([`super::requests`]).

use std::sync::Arc;
use std::time::Duration;

use rmpv::Value;
use serde_json::Value as Json;

use super::node::StreamsNode;
use super::packet::extract;
use super::wire::body::field;
use super::wire::pubsub::public_channel;
use super::wire::{Body, Filter};
use crate::server::adapter::redis::wire::{from_json, to_json};
use crate::server::adapter::{Acks, Answers, BroadcastOptions, RemoteSocketData};
use crate::server::error::AdapterError;
use crate::server::AckResponse;

/// Publishes the request `body` (built with the request's id) in namespace
/// `ns` and collects the data of the other nodes' answers within `timeout`;
/// also says how many nodes were expected to answer.
async fn ask(
    node: &Arc<StreamsNode>,
    ns: &str,
    body: impl FnOnce(String) -> Body,
    timeout: Duration,
) -> Result<(Vec<Value>, usize), AdapterError> {
    let shared = &node.shared;
    let channel = public_channel(&shared.config.channel_prefix, ns);
    let others = shared.numsub(channel.clone()).await?.saturating_sub(1);
    if others == 0 {
        return Ok((Vec::new(), 0));
    }
    let pending = shared.requests.open()?;
    let Some(message) = body(pending.id.clone()).into_message(&shared.uid, ns) else {
        return Ok((Vec::new(), 0));
    };
    shared.publish(channel, &message).await?;
    Ok((pending.collect(others, timeout).await, others))
}

/// A socket as a `FETCH_SOCKETS_RESPONSE` describes it; `None` when it is
/// not `{id, ...}`.
fn socket_data(value: &Value) -> Option<RemoteSocketData> {
    serde_json::from_value(to_json(value).ok()?).ok()
}

/// The sockets of the other nodes that `opts` selects; an error when some
/// node did not answer within `timeout`, as Node's `fetchSockets` rejects.
pub(super) async fn fetch_sockets(
    node: Arc<StreamsNode>,
    ns: String,
    opts: BroadcastOptions,
    timeout: Duration,
) -> Result<Vec<RemoteSocketData>, AdapterError> {
    let filter = super::adapter::filter_of(&opts);
    let body = |request_id| Body::FetchSockets { filter, request_id };
    let (answers, expected) = ask(&node, &ns, body, timeout).await?;
    if answers.len() < expected {
        return Err(AdapterError::AckTimeout);
    }
    let mut sockets = Vec::new();
    for data in &answers {
        if let Some(Value::Array(items)) = field(data, "sockets") {
            sockets.extend(items.iter().filter_map(socket_data));
        }
    }
    Ok(sockets)
}

/// Event `name` for the other nodes' server-side handlers, each asked to
/// acknowledge within `timeout`: each answer's value, and how many did not
/// come (an unreadable one counts as not come).
pub(super) async fn server_side_emit_with_ack(
    node: Arc<StreamsNode>,
    ns: String,
    packet: Vec<Value>,
    timeout: Duration,
) -> Result<Answers<Json>, AdapterError> {
    let body = |request_id| Body::ServerSideEmit {
        packet,
        request_id: Some(request_id),
    };
    let (answers, expected) = ask(&node, &ns, body, timeout).await?;
    let answers: Vec<Json> = answers
        .iter()
        .filter_map(|data| to_json(field(data, "packet").unwrap_or(&Value::Nil)).ok())
        .collect();
    Ok(Answers {
        missing: expected.saturating_sub(answers.len()),
        answers,
    })
}

/// Broadcast `packet` (a wire packet object) to the other nodes' sockets
/// that `filter` selects, asking each to acknowledge: each node answers how
/// many clients it asked (`BROADCAST_CLIENT_COUNT`), then each client's
/// acknowledgement (`BROADCAST_ACK`). Waits until every node counted and
/// every counted client answered, or `timeout`; clients counted that did
/// not answer are `missing` (a node that did not even count is not known
/// to have any).
pub(super) async fn broadcast_with_ack(
    node: Arc<StreamsNode>,
    ns: String,
    packet: Value,
    filter: Filter,
    timeout: Duration,
) -> Result<Acks, AdapterError> {
    let shared = &node.shared;
    let channel = public_channel(&shared.config.channel_prefix, &ns);
    let others = shared.numsub(channel.clone()).await?.saturating_sub(1);
    if others == 0 {
        return Ok(Acks::default());
    }
    let mut pending = shared.requests.open()?;
    let body = Body::Broadcast {
        packet,
        filter,
        request_id: Some(pending.id.clone()),
    };
    let Some(message) = body.into_message(&shared.uid, &ns) else {
        return Ok(Acks::default());
    };
    shared.publish(channel, &message).await?;
    let deadline = tokio::time::Instant::now() + timeout;
    let (mut counted, mut clients) = (0usize, 0usize);
    let mut acks = Acks::default();
    while counted < others || acks.responses.len() < clients {
        let Some(data) = pending.next(deadline).await else {
            break;
        };
        if let Some(count) = field(&data, "clientCount").and_then(Value::as_u64) {
            counted += 1;
            clients = clients.saturating_add(usize::try_from(count).unwrap_or(usize::MAX));
        } else if let Some(arg) = field(&data, "packet") {
            let mut bins = Vec::new();
            if let Ok(arg) = extract(arg, &mut bins) {
                acks.responses.push(AckResponse {
                    args: vec![arg],
                    bins,
                });
            }
        }
    }
    acks.missing = clients.saturating_sub(acks.responses.len());
    Ok(acks)
}

/// `args` after event `name`, as a serverSideEmit's packet.
pub(super) fn event_packet(name: &str, args: &[Json]) -> Vec<Value> {
    let mut packet = Vec::with_capacity(1 + args.len());
    packet.push(name.into());
    packet.extend(args.iter().cloned().map(from_json));
    packet
}
