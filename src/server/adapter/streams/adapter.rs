//! [`StreamsAdapter`]: one namespace's adapter on a [`StreamsNode`]. Room
//! membership is in memory; broadcasts, socketsJoin/Leave and
//! disconnectSockets go to the other nodes as stream entries, serverSideEmit
//! over pub/sub, as Node's `@socket.io/redis-streams-adapter` sends them;
//! what other nodes send is applied here by [`apply`]. With
//! connection-state recovery on, broadcasts carry their stream entry id as
//! their offset ([`offsets`](super::offsets)) and sessions are kept in Redis
//! ([`StreamsSessions`]).

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::Value as Json;

use super::node::{Shared, StreamsNode};
use super::offsets::{takes_offset, Chain};
use super::packet::{from_wire, to_wire};
use super::recovery::StreamsSessions;
use super::wire::pubsub::public_channel;
use super::wire::{Body, ClusterMessage, Filter};
use super::{answers, asking};
use crate::engine::Frame;
use crate::protocol::Packet;
use crate::server::adapter::redis::wire::to_json;
use crate::server::adapter::rooms::RoomIndex;
use crate::server::adapter::{
    ready, Acks, Adapter, AdapterFuture, AdapterHandle, Answers, BroadcastOptions, LocalNamespace,
    RemoteSocketData, Room, SessionKeeper,
};
use crate::server::config::RecoveryConfig;
use crate::server::error::AdapterError;

/// The Redis Streams adapter of one namespace.
pub struct StreamsAdapter {
    ns: String,
    rooms: RoomIndex,
    node: Arc<StreamsNode>,
    /// Its registration on the node (0 before `init`).
    registration: AtomicU64,
    /// Connection-state recovery across nodes, when on.
    sessions: Option<Arc<StreamsSessions>>,
    /// Its namespace here (from `init`), for broadcasts delivered once
    /// their offset is known.
    handle: OnceLock<AdapterHandle>,
    /// The order those are delivered in.
    chain: Chain,
}

impl StreamsAdapter {
    /// The adapter of namespace `ns` on `node`; with `recovery`, it carries
    /// connection-state recovery across the cluster's nodes.
    pub fn new(ns: &str, node: Arc<StreamsNode>, recovery: Option<RecoveryConfig>) -> Self {
        let sessions =
            recovery.map(|config| Arc::new(StreamsSessions::new(node.shared.clone(), ns, config)));
        Self {
            ns: ns.to_owned(),
            rooms: RoomIndex::new(),
            node,
            registration: AtomicU64::new(0),
            sessions,
            handle: OnceLock::new(),
            chain: Chain::default(),
        }
    }

    /// Adds `body` to the stream, unless the operation is `local`.
    fn append(&self, local: bool, body: impl FnOnce() -> Body) -> AdapterFuture<()> {
        if local {
            return ready(Ok(()));
        }
        let Some(message) = body().into_message(&self.node.shared.uid, &self.ns) else {
            return ready(Ok(()));
        };
        let node = self.node.clone();
        Box::pin(async move { node.shared.xadd(&message).await.map(drop) })
    }
}

/// `opts` as the wire's filter (rooms sorted, for stable messages).
pub(super) fn filter_of(opts: &BroadcastOptions) -> Filter {
    let sorted = |set: &HashSet<Room>| {
        let mut v: Vec<Room> = set.iter().cloned().collect();
        v.sort();
        v
    };
    Filter {
        rooms: sorted(&opts.rooms),
        except: sorted(&opts.except),
        local: false,
        volatile: opts.volatile,
        timeout: None,
    }
}

/// The wire's filter as broadcast options (for this node: never `local`).
fn options_of(filter: &Filter) -> BroadcastOptions {
    BroadcastOptions {
        rooms: filter.rooms.iter().cloned().collect(),
        except: filter.except.iter().cloned().collect(),
        local: false,
        volatile: filter.volatile,
    }
}

/// The event name and arguments of a serverSideEmit's `packet`.
fn event_of(packet: &[rmpv::Value]) -> Result<(String, Vec<Json>), AdapterError> {
    let mut items = packet.iter();
    let name = items.next().and_then(|v| v.as_str()).unwrap_or_default();
    let args = items
        .map(|v| to_json(v).map_err(|e| AdapterError::Message(e.to_string())))
        .collect::<Result<Vec<Json>, _>>()?;
    Ok((name.to_owned(), args))
}

/// Applies a message from another node to namespace `handle` here, and
/// answers the requests among them ([`answers`]). A broadcast given an
/// `offset` (its entry id, recovery on) carries it as its last argument.
/// What the adapter does not act on (answers to requests it did not make,
/// closes) is ignored.
pub(super) fn apply(
    shared: &Arc<Shared>,
    handle: &AdapterHandle,
    message: &ClusterMessage,
    offset: Option<&str>,
) -> Result<(), AdapterError> {
    let body = Body::of(message).map_err(|e| AdapterError::Message(e.to_string()))?;
    match body {
        Body::Broadcast {
            packet,
            filter,
            request_id: None,
        } => {
            let mut packet = from_wire(&message.nsp, &packet)?;
            let opts = options_of(&filter);
            let offset = offset.filter(|_| takes_offset(&packet, &opts));
            if let (Some(id), Some(Json::Array(data))) = (offset, &mut packet.data) {
                data.push(Json::String(id.to_owned()));
            }
            handle.deliver(&packet, &opts)
        }
        Body::Broadcast {
            packet,
            filter,
            request_id: Some(id),
        } => answers::broadcast_with_ack(
            shared,
            handle,
            message,
            (&packet, &filter, &options_of(&filter)),
            &id,
        )?,
        Body::SocketsJoin { filter, rooms } => handle.join(&options_of(&filter), &rooms),
        Body::SocketsLeave { filter, rooms } => handle.leave(&options_of(&filter), &rooms),
        Body::DisconnectSockets { filter, close } => handle.disconnect(&options_of(&filter), close),
        Body::FetchSockets { filter, request_id } => {
            answers::fetch_sockets(shared, handle, message, &options_of(&filter), &request_id)
        }
        Body::ServerSideEmit {
            packet,
            request_id: None,
        } => {
            let (name, args) = event_of(&packet)?;
            handle.server_side_emit(&name, &args);
        }
        Body::ServerSideEmit {
            packet,
            request_id: Some(id),
        } => {
            let (name, args) = event_of(&packet)?;
            answers::server_side_emit(shared, handle, message, (&name, &args), &id);
        }
        Body::Other => tracing::debug!(kind = ?message.kind, "cluster message not acted upon"),
    }
    Ok(())
}

impl Adapter for StreamsAdapter {
    fn room_index(&self) -> &RoomIndex {
        &self.rooms
    }

    fn init(&self, handle: AdapterHandle) -> AdapterFuture<()> {
        let offsets = self.sessions.is_some();
        let number = self.node.shared.register(&self.ns, handle.clone(), offsets);
        self.registration.store(number, Ordering::Relaxed);
        let _ = self.handle.set(handle);
        ready(Ok(()))
    }

    fn broadcast(
        &self,
        nsp: &LocalNamespace<'_>,
        packet: &Packet,
        frames: &[Frame],
        opts: &BroadcastOptions,
    ) -> AdapterFuture<()> {
        if self.sessions.is_some() {
            let handle = self.handle.get().cloned();
            return self
                .chain
                .broadcast(&self.node, &self.ns, handle, packet, opts);
        }
        nsp.deliver(&self.local_targets(opts), packet, frames, opts.volatile);
        self.append(opts.local, || Body::Broadcast {
            packet: to_wire(packet),
            filter: filter_of(opts),
            request_id: None,
        })
    }

    fn add_sockets(
        &self,
        nsp: &LocalNamespace<'_>,
        opts: &BroadcastOptions,
        rooms: &[Room],
    ) -> AdapterFuture<()> {
        nsp.join(&self.local_targets(opts), rooms);
        self.append(opts.local, || Body::SocketsJoin {
            filter: filter_of(opts),
            rooms: rooms.to_vec(),
        })
    }

    fn del_sockets(
        &self,
        nsp: &LocalNamespace<'_>,
        opts: &BroadcastOptions,
        rooms: &[Room],
    ) -> AdapterFuture<()> {
        nsp.leave(&self.local_targets(opts), rooms);
        self.append(opts.local, || Body::SocketsLeave {
            filter: filter_of(opts),
            rooms: rooms.to_vec(),
        })
    }

    fn disconnect_sockets(
        &self,
        nsp: &LocalNamespace<'_>,
        opts: &BroadcastOptions,
        close: bool,
    ) -> AdapterFuture<()> {
        nsp.disconnect(&self.local_targets(opts), close);
        self.append(opts.local, || Body::DisconnectSockets {
            filter: filter_of(opts),
            close,
        })
    }

    /// This node's sockets' acknowledgements and the other nodes' (asked
    /// with the broadcast's timeout as `flags.timeout`, as Node asks).
    fn broadcast_with_ack(
        &self,
        nsp: &LocalNamespace<'_>,
        packet: &Packet,
        opts: &BroadcastOptions,
        timeout: Duration,
    ) -> AdapterFuture<Acks> {
        let local = nsp.emit_with_ack(&self.local_targets(opts), packet, timeout);
        if opts.local {
            return local;
        }
        let mut filter = filter_of(opts);
        filter.timeout = Some(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX));
        let remote = asking::broadcast_with_ack(
            self.node.clone(),
            self.ns.clone(),
            to_wire(packet),
            filter,
            timeout,
        );
        Box::pin(async move {
            let (local, remote) = tokio::join!(local, remote);
            let mut acks = local?;
            let remote = remote?;
            acks.responses.extend(remote.responses);
            acks.missing += remote.missing;
            Ok(acks)
        })
    }

    /// This node's sockets that `opts` selects, then the other nodes'.
    fn fetch_sockets(
        &self,
        nsp: &LocalNamespace<'_>,
        opts: &BroadcastOptions,
    ) -> AdapterFuture<Vec<RemoteSocketData>> {
        let local = nsp.socket_data(&self.local_targets(opts));
        if opts.local {
            return ready(Ok(local));
        }
        let timeout = self.node.shared.config.requests_timeout;
        let remote =
            asking::fetch_sockets(self.node.clone(), self.ns.clone(), opts.clone(), timeout);
        Box::pin(async move {
            let mut sockets = local;
            sockets.extend(remote.await?);
            Ok(sockets)
        })
    }

    fn server_side_emit_with_ack(
        &self,
        _nsp: &LocalNamespace<'_>,
        name: &str,
        args: &[Json],
        timeout: Duration,
    ) -> AdapterFuture<Answers<Json>> {
        let packet = asking::event_packet(name, args);
        Box::pin(asking::server_side_emit_with_ack(
            self.node.clone(),
            self.ns.clone(),
            packet,
            timeout,
        ))
    }

    /// The nodes subscribed to the namespace's public channel, this one
    /// counted even before its subscription is made.
    /// Node's cluster adapter has no ALL_ROOMS request: the other nodes'
    /// rooms are those of their sockets, fetched (a room with no socket
    /// exists nowhere).
    fn all_rooms(&self, _nsp: &LocalNamespace<'_>) -> AdapterFuture<Vec<Room>> {
        let mut rooms = self.rooms();
        let timeout = self.node.shared.config.requests_timeout;
        let all = BroadcastOptions::default();
        let remote = asking::fetch_sockets(self.node.clone(), self.ns.clone(), all, timeout);
        Box::pin(async move {
            rooms.extend(remote.await?.into_iter().flat_map(|s| s.rooms));
            rooms.sort();
            rooms.dedup();
            Ok(rooms)
        })
    }

    fn server_count(&self) -> AdapterFuture<usize> {
        let node = self.node.clone();
        let channel = public_channel(&node.shared.config.channel_prefix, &self.ns);
        Box::pin(async move { Ok(node.shared.numsub(channel).await?.max(1)) })
    }

    fn session_keeper(&self) -> Option<Arc<dyn SessionKeeper>> {
        self.sessions
            .clone()
            .map(|sessions| sessions as Arc<dyn SessionKeeper>)
    }

    fn server_side_emit(
        &self,
        _nsp: &LocalNamespace<'_>,
        name: &str,
        args: &[Json],
    ) -> AdapterFuture<()> {
        let body = Body::ServerSideEmit {
            packet: asking::event_packet(name, args),
            request_id: None,
        };
        let Some(message) = body.into_message(&self.node.shared.uid, &self.ns) else {
            return ready(Ok(()));
        };
        let node = self.node.clone();
        let channel = public_channel(&node.shared.config.channel_prefix, &self.ns);
        Box::pin(async move { node.shared.publish(channel, &message).await })
    }
}

impl Drop for StreamsAdapter {
    fn drop(&mut self) {
        let number = self.registration.load(Ordering::Relaxed);
        self.node.shared.unregister(&self.ns, number);
    }
}
