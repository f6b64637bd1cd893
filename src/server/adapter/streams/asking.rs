//! The asking side of the request/response operations, as Node's
//! socket.io-adapter `ClusterAdapter` asks them over the Streams adapter's
//! pub/sub: `FETCH_SOCKETS` (`fetch_sockets`) and `SERVER_SIDE_EMIT` with a
//! request id (`server_side_emit_with_ack`), published on the namespace's
//! public channel; each waits for one answer per other node (the public
//! channel's subscribers, this node excepted), in the node's bounded
//! request table ([`super::requests`]).

use std::sync::Arc;
use std::time::Duration;

use rmpv::Value;
use serde_json::Value as Json;

use super::node::StreamsNode;
use super::wire::body::field;
use super::wire::pubsub::public_channel;
use super::wire::Body;
use crate::server::adapter::redis::wire::{from_json, to_json};
use crate::server::adapter::{Answers, BroadcastOptions, RemoteSocketData};
use crate::server::error::AdapterError;

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

/// `args` after event `name`, as a serverSideEmit's packet.
pub(super) fn event_packet(name: &str, args: &[Json]) -> Vec<Value> {
    let mut packet = Vec::with_capacity(1 + args.len());
    packet.push(name.into());
    packet.extend(args.iter().cloned().map(from_json));
    packet
}
