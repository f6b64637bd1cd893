//! The asking side of the Redis adapter's request/response operations, as
//! Node's `@socket.io/redis-adapter` asks them: `REMOTE_FETCH`
//! (`fetch_sockets`), `SERVER_SIDE_EMIT` with a request id
//! (`server_side_emit_with_ack`), `ALL_ROOMS` (`all_rooms`), and the node
//! count by `PUBSUB NUMSUB` on the request channel (`server_count`).
//!
//! Each request waits for one answer per other node (the count of
//! subscribers to the request channel, this node excepted), within the
//! adapter's `requests_timeout` (or the caller's timeout for server-side
//! acks).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as Json;

use super::convert::filter_to_wire;
use super::link::Link;
use super::node::{random_id, RedisNode};
use super::requests::Waiter;
use super::wire::{
    from_json, to_json, Request, RequestBody, RequestType, ResponseBody, Value, WireSocket,
};
use crate::server::adapter::{
    ready, AdapterFuture, Answers, BroadcastOptions, RemoteSocketData, Room, SocketHandshake,
};
use crate::server::error::AdapterError;

/// The adapter's view for asking: its node and its namespace's link.
pub(super) struct Asker<'a> {
    pub(super) node: &'a Arc<RedisNode>,
    pub(super) link: &'a Arc<Link>,
}

impl Asker<'_> {
    /// How many nodes serve the namespace: the subscribers of its request
    /// channel (this node among them).
    pub(super) fn server_count(&self) -> AdapterFuture<usize> {
        let node = self.node.clone();
        let channel = self.link.channels().request().to_owned();
        Box::pin(async move { Ok(node.numsub(&channel).await?.max(1)) })
    }

    /// The other nodes' sockets `opts` selects (this node's come from the
    /// caller); an error when some node did not answer in time, as Node's
    /// `fetchSockets` rejects.
    pub(super) fn fetch_sockets(
        &self,
        opts: &BroadcastOptions,
    ) -> AdapterFuture<Vec<RemoteSocketData>> {
        if opts.local {
            return ready(Ok(Vec::new()));
        }
        let body = RequestBody::RemoteFetch {
            filter: filter_to_wire(opts),
        };
        let timeout = self.node.config().requests_timeout;
        let asking = self.ask(body, timeout);
        Box::pin(async move {
            let got = asking.await?;
            if got.missing > 0 {
                return Err(AdapterError::AckTimeout);
            }
            let mut out = Vec::new();
            for body in got.answers {
                if let ResponseBody::FetchedSockets(sockets) = body {
                    out.extend(sockets.iter().filter_map(socket_data));
                }
            }
            Ok(out)
        })
    }

    /// Every room with a socket on another node.
    pub(super) fn all_rooms(&self) -> AdapterFuture<Vec<Room>> {
        let timeout = self.node.config().requests_timeout;
        let asking = self.ask(RequestBody::AllRooms, timeout);
        Box::pin(async move {
            let got = asking.await?;
            if got.missing > 0 {
                return Err(AdapterError::AckTimeout);
            }
            let mut rooms = BTreeSet::new();
            for body in got.answers {
                if let ResponseBody::AllRooms(r) = body {
                    rooms.extend(r);
                }
            }
            Ok(rooms.into_iter().collect())
        })
    }

    /// Event `name` for the other nodes' server-side handlers, each asked
    /// to acknowledge within `timeout`: the first argument of each answer.
    pub(super) fn server_side_emit_with_ack(
        &self,
        name: &str,
        args: &[Json],
        timeout: Duration,
    ) -> AdapterFuture<Answers<Json>> {
        let mut data = Vec::with_capacity(args.len() + 1);
        data.push(Value::from(name));
        data.extend(args.iter().cloned().map(from_json));
        let asking = self.ask(RequestBody::ServerSideEmit { data }, timeout);
        Box::pin(async move {
            let got = asking.await?;
            let answers = got
                .answers
                .into_iter()
                .filter_map(|body| match body {
                    ResponseBody::ServerSideEmitAck(v) => to_json(&v).ok(),
                    _ => None,
                })
                .collect::<Vec<_>>();
            // An unreadable answer counts as one that did not come.
            let expected = got.missing + got.answered;
            Ok(Answers {
                missing: expected - answers.len(),
                answers,
            })
        })
    }

    /// Publishes request `body` under a new id and collects one answer per
    /// other node within `timeout`.
    fn ask(&self, body: RequestBody, timeout: Duration) -> AdapterFuture<Collected> {
        let asked: RequestType = body.request_type();
        let id = random_id(6);
        let waiter = match self.link.requests().open(&id, asked) {
            Ok(w) => w,
            Err(e) => return ready(Err(AdapterError::Storage(e.to_string()))),
        };
        let request = Request {
            uid: self.node.uid().to_owned(),
            request_id: Some(id),
            body,
        };
        let node = self.node.clone();
        let channel = self.link.channels().request().to_owned();
        Box::pin(async move {
            let bytes = request
                .encode()
                .map_err(|e| AdapterError::Message(e.to_string()))?;
            let nodes = node.numsub(&channel).await?.saturating_sub(1);
            if nodes == 0 {
                return Ok(Collected::default());
            }
            node.publish(&channel, bytes).await?;
            Ok(collect(waiter, nodes, timeout).await)
        })
    }
}

/// What a request collected: the answers, how many there were, and how
/// many nodes did not answer.
#[derive(Default)]
struct Collected {
    answers: Vec<ResponseBody>,
    answered: usize,
    missing: usize,
}

/// Waits for `nodes` answers, or for `timeout`.
async fn collect(mut waiter: Waiter, nodes: usize, timeout: Duration) -> Collected {
    let mut answers = Vec::with_capacity(nodes);
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    while answers.len() < nodes {
        tokio::select! {
            body = waiter.recv() => match body {
                Some(body) => answers.push(body),
                None => break,
            },
            () = &mut deadline => break,
        }
    }
    Collected {
        answered: answers.len(),
        missing: nodes - answers.len(),
        answers,
    }
}

/// A socket of a `REMOTE_FETCH` answer as the server API shows it; `None`
/// (logged) when its handshake or data cannot be read as JSON.
fn socket_data(socket: &WireSocket) -> Option<RemoteSocketData> {
    let read = || -> Result<RemoteSocketData, String> {
        let handshake = to_json(&socket.handshake).map_err(|e| e.to_string())?;
        let handshake: SocketHandshake =
            serde_json::from_value(handshake).map_err(|e| e.to_string())?;
        let data = if socket.data.is_nil() {
            Json::Null
        } else {
            to_json(&socket.data).map_err(|e| e.to_string())?
        };
        Ok(RemoteSocketData {
            id: socket.id.clone(),
            handshake,
            rooms: socket.rooms.clone(),
            data,
        })
    };
    read()
        .map_err(|e| tracing::warn!(id = %socket.id, error = %e, "redis adapter: unreadable fetched socket"))
        .ok()
}
