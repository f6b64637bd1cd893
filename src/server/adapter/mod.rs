//! The adapter: who is in which room, and the delivery of broadcasts. Behind
//! a trait so that the multi-node adapter can replace the in-memory one
//! without touching the server.

pub mod local;

use std::collections::HashSet;
use std::sync::Arc;

use super::namespace::NsInner;
use super::socket::{Sid, Socket};
use crate::engine::Frame;
use crate::protocol::Packet;

pub use local::LocalAdapter;

/// A room name.
pub type Room = String;

/// Who a broadcast goes to.
#[derive(Debug, Clone, Default)]
pub struct BroadcastOptions {
    /// Rooms to reach; empty means every socket of the namespace.
    pub rooms: HashSet<Room>,
    /// Rooms (and socket ids, which are rooms too) to leave out.
    pub except: HashSet<Room>,
    /// Deliver on this node only (meaningful once there are several).
    pub local: bool,
    /// May be dropped when a client cannot take it now; never kept for
    /// recovery.
    pub volatile: bool,
}

/// Room membership and cluster-wide operations of one namespace.
///
/// An adapter implements the membership of this node's sockets; the
/// operations that reach every node (broadcast, fetch, join, leave,
/// disconnect, server-side emit) have in-memory defaults, which a multi-node
/// adapter overrides to also reach the other nodes (calling the `local`
/// functions for this one).
pub trait Adapter: Send + Sync + 'static {
    /// Adds socket `sid` to `rooms`.
    fn add_all(&self, sid: &Sid, rooms: &[Room]);
    /// Removes socket `sid` from `room`.
    fn del(&self, sid: &Sid, room: &str);
    /// Removes socket `sid` from every room.
    fn del_all(&self, sid: &Sid);
    /// The rooms socket `sid` is in.
    fn socket_rooms(&self, sid: &Sid) -> HashSet<Room>;
    /// Every room of the namespace that has at least one socket.
    fn rooms(&self) -> Vec<Room>;
    /// This node's sockets that `opts` selects.
    fn local_targets(&self, opts: &BroadcastOptions) -> Vec<Sid>;

    /// Delivers `packet` (already encoded as `frames`) to every socket
    /// `opts` selects.
    fn broadcast(
        &self,
        nsp: &LocalNamespace<'_>,
        packet: &Packet,
        frames: &[Frame],
        opts: &BroadcastOptions,
    ) {
        nsp.deliver(&self.local_targets(opts), packet, frames);
    }

    /// The sockets `opts` selects.
    fn fetch_sockets(&self, nsp: &LocalNamespace<'_>, opts: &BroadcastOptions) -> Vec<Arc<Socket>> {
        nsp.sockets(&self.local_targets(opts))
    }

    /// Makes the sockets `opts` selects join `rooms`.
    fn add_sockets(&self, opts: &BroadcastOptions, rooms: &[Room]) {
        for sid in self.local_targets(opts) {
            self.add_all(&sid, rooms);
        }
    }

    /// Makes the sockets `opts` selects leave `rooms`.
    fn del_sockets(&self, opts: &BroadcastOptions, rooms: &[Room]) {
        for sid in self.local_targets(opts) {
            for room in rooms {
                self.del(&sid, room);
            }
        }
    }

    /// Disconnects the sockets `opts` selects from the namespace.
    fn disconnect_sockets(&self, nsp: &LocalNamespace<'_>, opts: &BroadcastOptions) {
        for socket in nsp.sockets(&self.local_targets(opts)) {
            socket.disconnect();
        }
    }

    /// Sends event `name` to the namespace's handlers on the *other* nodes
    /// (socket.io's `serverSideEmit`); returns how many nodes it reached —
    /// none for a single node.
    fn server_side_emit(&self, _name: &str, _args: &[serde_json::Value]) -> usize {
        0
    }
}

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

    /// Sends `frames` (the encoding of `packet`) to each of `sids` that is
    /// connected here. A receiver that cannot take them is disconnected by its
    /// own session; the others still get them.
    pub fn deliver(&self, sids: &[Sid], packet: &Packet, frames: &[Frame]) {
        let name = packet.event_name().unwrap_or_default();
        let args = match &packet.data {
            Some(serde_json::Value::Array(a)) if !a.is_empty() => &a[1..],
            _ => &[],
        };
        for sid in sids {
            if let Some(socket) = self.inner.socket(sid) {
                socket.notify_outgoing(name, args);
                let _ = socket.send_frames(frames);
            }
        }
    }
}
