//! What an adapter gets to act on this node: [`LocalNamespace`], lent for
//! the duration of a call, and [`AdapterHandle`], kept from `init` to
//! deliver what other nodes send.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::time::Duration;

use serde_json::Value;

use super::{Acks, AdapterFuture, BroadcastOptions, RemoteSocketData, Room};
use crate::engine::Frame;
use crate::protocol::Packet;
use crate::server::event::AckResponse;
use crate::server::namespace::NsInner;
use crate::server::recovery::local_frames;
use crate::server::socket::{encode_frames, Sid, Socket};

/// One socket's acknowledgement, or `None` when it did not come in time.
pub type PendingAck =
    std::pin::Pin<Box<dyn std::future::Future<Output = Option<AckResponse>> + Send>>;

/// This node's side of a namespace, handed to the adapter to deliver to and
/// find local sockets.
pub struct LocalNamespace<'a> {
    pub(crate) inner: &'a NsInner,
}

impl LocalNamespace<'_> {
    /// The namespace's name.
    pub fn name(&self) -> &str {
        self.inner.name()
    }

    /// The connected sockets among `sids`.
    pub fn sockets(&self, sids: &[Sid]) -> Vec<Arc<Socket>> {
        sids.iter()
            .filter_map(|sid| self.inner.socket(sid))
            .collect()
    }

    /// What this node tells of each of `sids` connected here.
    pub fn socket_data(&self, sids: &[Sid]) -> Vec<RemoteSocketData> {
        sids.iter()
            .filter_map(|sid| self.inner.socket(sid))
            .map(|socket| RemoteSocketData::of(&socket))
            .collect()
    }

    /// Sends `frames` (the encoding of `packet`) to each of `sids` that is
    /// connected here. A receiver that cannot take them is disconnected by its
    /// own session — or, for a `volatile` packet, does without it; the
    /// others still get them.
    pub fn deliver(&self, sids: &[Sid], packet: &Packet, frames: &[Frame], volatile: bool) {
        let name = packet.event_name().unwrap_or_default();
        let args = match &packet.data {
            Some(Value::Array(a)) if !a.is_empty() => &a[1..],
            _ => &[],
        };
        for sid in sids {
            if let Some(socket) = self.inner.socket(sid) {
                socket.notify_outgoing(name, args);
                if socket.send_frames(frames, volatile).is_ok() {
                    self.inner.metrics().socketio().delivered();
                }
            }
        }
    }

    /// Sends event `packet` to each of `sids` connected here with an
    /// acknowledgement id, and resolves, once every answer has come or
    /// `timeout` has passed, to the answers and the count of those that did
    /// not come (a socket that could not be asked counts among them).
    pub fn emit_with_ack(
        &self,
        sids: &[Sid],
        packet: &Packet,
        timeout: Duration,
    ) -> AdapterFuture<Acks> {
        let name = packet.event_name().unwrap_or_default().to_owned();
        let args = match &packet.data {
            Some(Value::Array(a)) if !a.is_empty() => a[1..].to_vec(),
            _ => Vec::new(),
        };
        let mut waiting = Vec::with_capacity(sids.len());
        let mut missing = 0;
        for socket in self.sockets(sids) {
            // Not connected any more: leaving, no longer selected.
            let Ok((id, rx)) = socket.register_ack() else {
                continue;
            };
            let mut own = packet.clone();
            own.id = Some(id);
            socket.notify_outgoing(&name, &args);
            if socket.send_packet(&own).is_ok() {
                waiting.push((socket, id, rx));
            } else {
                socket.forget_ack(id);
                missing += 1;
            }
        }
        Box::pin(async move {
            let answers = waiting
                .into_iter()
                .map(|(socket, id, rx)| async move { socket.await_ack(id, rx, timeout).await });
            let mut acks = Acks {
                responses: Vec::with_capacity(answers.len()),
                missing,
            };
            for result in futures_util::future::join_all(answers).await {
                match result {
                    Ok(answer) => acks.responses.push(answer),
                    Err(_) => acks.missing += 1,
                }
            }
            Ok(acks)
        })
    }

    /// Makes each of `sids` connected here join `rooms`.
    pub fn join(&self, sids: &[Sid], rooms: &[Room]) {
        for socket in self.sockets(sids) {
            socket.join_all(rooms);
        }
    }

    /// Disconnects each of `sids` connected here from the namespace.
    pub fn disconnect(&self, sids: &[Sid]) {
        for socket in self.sockets(sids) {
            socket.disconnect();
        }
    }

    /// Makes each of `sids` connected here leave `rooms`.
    pub fn leave(&self, sids: &[Sid], rooms: &[Room]) {
        for socket in self.sockets(sids) {
            for room in rooms {
                socket.leave(room);
            }
        }
    }
}

/// An adapter's way back into its namespace on this node, for what arrives
/// from other nodes. Holds the namespace weakly: once it is gone, every call
/// does nothing.
#[derive(Clone)]
pub struct AdapterHandle {
    ns: Weak<NsInner>,
}

impl AdapterHandle {
    pub(crate) fn new(ns: &Arc<NsInner>) -> Self {
        Self {
            ns: Arc::downgrade(ns),
        }
    }

    /// The namespace's name (empty once it is gone).
    pub fn name(&self) -> String {
        self.ns
            .upgrade()
            .map(|ns| ns.name().to_owned())
            .unwrap_or_default()
    }

    /// Delivers `packet` to this node's sockets that `opts` selects; with
    /// connection-state recovery on, it is kept here under this node's
    /// offset, as this node's own broadcasts are.
    pub fn deliver(&self, packet: &Packet, opts: &BroadcastOptions) {
        let Some(ns) = self.ns.upgrade() else { return };
        let frames = match ns.recovery() {
            Some(store) => local_frames(Some(store), &mut packet.clone(), opts),
            None => encode_frames(packet),
        };
        let targets = ns.adapter().local_targets(opts);
        LocalNamespace { inner: &ns }.deliver(&targets, packet, &frames, opts.volatile);
    }

    /// Makes this node's sockets that `opts` selects join `rooms`.
    pub fn join(&self, opts: &BroadcastOptions, rooms: &[Room]) {
        let Some(ns) = self.ns.upgrade() else { return };
        let targets = ns.adapter().local_targets(opts);
        LocalNamespace { inner: &ns }.join(&targets, rooms);
    }

    /// Makes this node's sockets that `opts` selects leave `rooms`.
    pub fn leave(&self, opts: &BroadcastOptions, rooms: &[Room]) {
        let Some(ns) = self.ns.upgrade() else { return };
        let targets = ns.adapter().local_targets(opts);
        LocalNamespace { inner: &ns }.leave(&targets, rooms);
    }

    /// Disconnects this node's sockets that `opts` selects.
    pub fn disconnect(&self, opts: &BroadcastOptions) {
        let Some(ns) = self.ns.upgrade() else { return };
        let targets = ns.adapter().local_targets(opts);
        LocalNamespace { inner: &ns }.disconnect(&targets);
    }

    /// Runs this node's server-side handler of event `name`.
    pub fn server_side_emit(&self, name: &str, args: &[Value]) {
        if let Some(ns) = self.ns.upgrade() {
            ns.run_server_side_handler(name, args, None);
        }
    }

    /// What this node tells of its sockets that `opts` selects (to answer
    /// another node's `fetch_sockets`).
    pub fn fetch_sockets(&self, opts: &BroadcastOptions) -> Vec<RemoteSocketData> {
        let Some(ns) = self.ns.upgrade() else {
            return Vec::new();
        };
        let targets = ns.adapter().local_targets(opts);
        LocalNamespace { inner: &ns }.socket_data(&targets)
    }

    /// Runs this node's server-side handler of event `name`, asking it to
    /// acknowledge (another node's `server_side_emit_with_ack`). Resolves
    /// to its answer, or to `None` when there is no handler or it dropped
    /// the acknowledgement; a handler may keep it as long as it likes, so
    /// the caller bounds the wait.
    pub fn server_side_emit_with_ack(
        &self,
        name: &str,
        args: &[Value],
    ) -> Pin<Box<dyn Future<Output = Option<Value>> + Send + 'static>> {
        let Some(ns) = self.ns.upgrade() else {
            return Box::pin(std::future::ready(None));
        };
        let (ack, answer) = crate::server::server_side::ServerSideAck::channel();
        ns.run_server_side_handler(name, args, Some(ack));
        Box::pin(async move { answer.await.ok() })
    }

    /// This node's connected sockets that `opts` selects.
    pub fn sockets(&self, opts: &BroadcastOptions) -> Vec<Arc<Socket>> {
        let Some(ns) = self.ns.upgrade() else {
            return Vec::new();
        };
        let targets = ns.adapter().local_targets(opts);
        LocalNamespace { inner: &ns }.sockets(&targets)
    }

    /// Every room with a socket on this node.
    pub fn rooms(&self) -> Vec<Room> {
        self.ns
            .upgrade()
            .map(|ns| ns.adapter().rooms())
            .unwrap_or_default()
    }

    /// Sends event `packet` to this node's sockets that `opts` selects, each
    /// with an acknowledgement id: one future per socket asked, resolving to
    /// its answer, or `None` when it did not come within `timeout`.
    pub fn ask(
        &self,
        packet: &Packet,
        opts: &BroadcastOptions,
        timeout: Duration,
    ) -> Vec<PendingAck> {
        let name = packet.event_name().unwrap_or_default().to_owned();
        let args = match &packet.data {
            Some(Value::Array(a)) if !a.is_empty() => a[1..].to_vec(),
            _ => Vec::new(),
        };
        let mut asked: Vec<PendingAck> = Vec::new();
        for socket in self.sockets(opts) {
            let Ok((id, rx)) = socket.register_ack() else {
                continue;
            };
            let mut own = packet.clone();
            own.id = Some(id);
            socket.notify_outgoing(&name, &args);
            if socket.send_packet(&own).is_err() {
                socket.forget_ack(id);
                continue;
            }
            asked.push(Box::pin(async move {
                socket.await_ack(id, rx, timeout).await.ok()
            }));
        }
        asked
    }
}

impl std::fmt::Debug for AdapterHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdapterHandle")
            .field("ns", &self.name())
            .finish()
    }
}
