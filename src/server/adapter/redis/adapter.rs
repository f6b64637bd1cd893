//! [`RedisAdapter`]: one namespace's adapter on the Redis node. Acts on this
//! node's sockets at once, then tells the other nodes what Node's
//! `@socket.io/redis-adapter` would tell them, on the same channels and in
//! the same encoding.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as Json;

use super::convert::{filter_to_wire, opts_to_wire, packet_to_wire};
use super::link::Link;
use super::node::{random_id, RedisNode};
use super::remote_ops::Asker;
use super::wire::{from_json, BroadcastMessage, Request, RequestBody, RequestType, Target, Value};
use crate::engine::Frame;
use crate::protocol::Packet;
use crate::server::adapter::{
    ready, Acks, Adapter, AdapterFuture, AdapterHandle, Answers, BroadcastOptions, LocalNamespace,
    RemoteSocketData, Room, RoomIndex,
};
use crate::server::error::AdapterError;

/// The Redis adapter of one namespace.
pub struct RedisAdapter {
    node: Arc<RedisNode>,
    link: Arc<Link>,
    rooms: RoomIndex,
}

fn message_error(e: impl std::fmt::Display) -> AdapterError {
    AdapterError::Message(e.to_string())
}

impl RedisAdapter {
    /// The adapter of namespace `ns` on `node`.
    pub fn new(node: Arc<RedisNode>, ns: &str) -> Self {
        let link = Arc::new(Link::new(&node, ns));
        Self {
            node,
            link,
            rooms: RoomIndex::new(),
        }
    }

    /// Publishes `bytes` on `channel`, in the returned future.
    fn publish(&self, channel: String, bytes: Vec<u8>) -> AdapterFuture<()> {
        let node = self.node.clone();
        Box::pin(async move { node.publish(&channel, bytes).await })
    }

    /// Publishes a request that waits for no answer, unless `local`.
    fn tell(&self, local: bool, body: RequestBody) -> AdapterFuture<()> {
        if local {
            return ready(Ok(()));
        }
        let request = Request {
            uid: self.node.uid().to_owned(),
            request_id: None,
            body,
        };
        match request.encode() {
            Ok(bytes) => self.publish(self.link.channels().request().to_owned(), bytes),
            Err(e) => ready(Err(message_error(e))),
        }
    }
}

impl Adapter for RedisAdapter {
    fn room_index(&self) -> &RoomIndex {
        &self.rooms
    }

    fn init(&self, handle: AdapterHandle) -> AdapterFuture<()> {
        self.link.set_handle(handle);
        self.node.register(self.link.clone());
        ready(Ok(()))
    }

    fn broadcast(
        &self,
        nsp: &LocalNamespace<'_>,
        packet: &Packet,
        frames: &[Frame],
        opts: &BroadcastOptions,
    ) -> AdapterFuture<()> {
        nsp.deliver(&self.local_targets(opts), packet, frames, opts.volatile);
        if opts.local {
            return ready(Ok(()));
        }
        let channels = self.link.channels();
        let channel = match opts.rooms.iter().next() {
            Some(room) if opts.rooms.len() == 1 => channels.room(room),
            _ => channels.broadcast().to_owned(),
        };
        let mut wire = packet_to_wire(packet);
        wire.nsp = self.link.ns().to_owned();
        let message = BroadcastMessage {
            uid: self.node.uid().to_owned(),
            packet: wire,
            opts: opts_to_wire(opts),
        };
        self.publish(channel, message.encode())
    }

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
        let request_id = random_id(6);
        let waiter = match self
            .link
            .requests()
            .open(&request_id, RequestType::Broadcast)
        {
            Ok(w) => w,
            Err(e) => return ready(Err(AdapterError::Storage(e.to_string()))),
        };
        let mut wire_opts = opts_to_wire(opts);
        wire_opts.flags.timeout = Some(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX));
        let mut wire_packet = packet_to_wire(packet);
        wire_packet.nsp = self.link.ns().to_owned();
        let request = Request {
            uid: self.node.uid().to_owned(),
            request_id: Some(request_id),
            body: RequestBody::Broadcast {
                packet: wire_packet,
                opts: wire_opts,
            },
        };
        let node = self.node.clone();
        let channel = self.link.channels().request().to_owned();
        Box::pin(async move {
            let bytes = request.encode().map_err(message_error)?;
            let nodes = node.numsub(&channel).await?.saturating_sub(1);
            node.publish(&channel, bytes).await?;
            let (local, remote) = tokio::join!(local, waiter.broadcast_acks(nodes, timeout));
            let mut acks = local?;
            acks.responses.extend(remote.responses);
            acks.missing += remote.missing;
            Ok(acks)
        })
    }

    fn add_sockets(
        &self,
        nsp: &LocalNamespace<'_>,
        opts: &BroadcastOptions,
        rooms: &[Room],
    ) -> AdapterFuture<()> {
        nsp.join(&self.local_targets(opts), rooms);
        let target = Target::Matching(filter_to_wire(opts));
        let rooms = rooms.to_vec();
        self.tell(opts.local, RequestBody::RemoteJoin { target, rooms })
    }

    fn del_sockets(
        &self,
        nsp: &LocalNamespace<'_>,
        opts: &BroadcastOptions,
        rooms: &[Room],
    ) -> AdapterFuture<()> {
        nsp.leave(&self.local_targets(opts), rooms);
        let target = Target::Matching(filter_to_wire(opts));
        let rooms = rooms.to_vec();
        self.tell(opts.local, RequestBody::RemoteLeave { target, rooms })
    }

    fn disconnect_sockets(
        &self,
        nsp: &LocalNamespace<'_>,
        opts: &BroadcastOptions,
        close: bool,
    ) -> AdapterFuture<()> {
        nsp.disconnect(&self.local_targets(opts), close);
        let target = Target::Matching(filter_to_wire(opts));
        self.tell(opts.local, RequestBody::RemoteDisconnect { target, close })
    }

    fn server_side_emit(
        &self,
        _nsp: &LocalNamespace<'_>,
        name: &str,
        args: &[Json],
    ) -> AdapterFuture<()> {
        let mut data = Vec::with_capacity(args.len() + 1);
        data.push(Value::from(name));
        data.extend(args.iter().cloned().map(from_json));
        self.tell(false, RequestBody::ServerSideEmit { data })
    }

    fn fetch_sockets(
        &self,
        nsp: &LocalNamespace<'_>,
        opts: &BroadcastOptions,
    ) -> AdapterFuture<Vec<RemoteSocketData>> {
        let local = nsp.socket_data(&self.local_targets(opts));
        let remote = self.asker().fetch_sockets(opts);
        Box::pin(async move {
            let mut all = local;
            all.extend(remote.await?);
            Ok(all)
        })
    }

    fn server_side_emit_with_ack(
        &self,
        _nsp: &LocalNamespace<'_>,
        name: &str,
        args: &[Json],
        timeout: Duration,
    ) -> AdapterFuture<Answers<Json>> {
        self.asker().server_side_emit_with_ack(name, args, timeout)
    }

    fn server_count(&self) -> AdapterFuture<usize> {
        self.asker().server_count()
    }

    fn all_rooms(&self, _nsp: &LocalNamespace<'_>) -> AdapterFuture<Vec<Room>> {
        let mut local = self.rooms();
        let remote = self.asker().all_rooms();
        Box::pin(async move {
            local.extend(remote.await?);
            local.sort();
            local.dedup();
            Ok(local)
        })
    }
}

impl RedisAdapter {
    fn asker(&self) -> Asker<'_> {
        Asker {
            node: &self.node,
            link: &self.link,
        }
    }
}

impl Drop for RedisAdapter {
    fn drop(&mut self) {
        self.node.unregister(&self.link);
    }
}
