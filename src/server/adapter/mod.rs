//! The adapter: who is in which room, and the operations that reach every
//! node of a cluster (broadcasts, with or without acknowledgements, fetching,
//! joining, leaving and disconnecting sockets, server-side emits). Behind a
//! trait so that a multi-node adapter can replace the in-memory one without
//! touching the server; [`IoConfig::adapter`](super::IoConfig) picks it.
//!
//! Room membership of this node's sockets is synchronous (it is on every
//! packet's path); the cluster-wide operations return futures that may fail.
//! Their defaults act on this node only; [`LocalAdapter`] also publishes them
//! through the [`EventStore`] so that nodes sharing it hear them.

mod answers;
mod cluster;
mod handle;
pub mod local;
pub mod redis;
pub mod remote;
pub mod rooms;
pub mod sessions;
pub mod streams;
pub(crate) mod turn;

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use edgeio_storage::EventStore;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::config::RecoveryConfig;
use super::error::AdapterError;
use super::event::AckResponse;
use super::socket::Sid;
use crate::engine::Frame;
use crate::protocol::Packet;

pub use answers::Answers;
pub use handle::{AdapterHandle, LocalNamespace, PendingAck};
pub use local::LocalAdapter;
pub use remote::{RemoteSocket, RemoteSocketData, SocketHandshake};
pub use rooms::RoomIndex;
pub use sessions::{RecoveredSession, Session, SessionKeeper};

/// A room name.
pub type Room = String;

/// What an adapter operation resolves to.
pub type AdapterResult<T> = Result<T, AdapterError>;

/// The future of a cluster-wide operation.
pub type AdapterFuture<T> = Pin<Box<dyn Future<Output = AdapterResult<T>> + Send + 'static>>;

/// A future already resolved to `value`.
pub fn ready<T: Send + 'static>(value: AdapterResult<T>) -> AdapterFuture<T> {
    Box::pin(std::future::ready(value))
}

/// Who a broadcast goes to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BroadcastOptions {
    /// Rooms to reach; empty means every socket of the namespace.
    pub rooms: HashSet<Room>,
    /// Rooms (and socket ids, which are rooms too) to leave out.
    pub except: HashSet<Room>,
    /// Deliver on this node only.
    pub local: bool,
    /// May be dropped when a client cannot take it now; never kept for
    /// recovery.
    pub volatile: bool,
}

/// What a broadcast with acknowledgements collected on the sockets it
/// asked: the answers that came in time, and how many did not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Acks {
    /// The answers that came in time, in no particular order.
    pub responses: Vec<AckResponse>,
    /// Sockets asked that did not answer in time (or left first, or could
    /// not be asked).
    pub missing: usize,
}

/// Builds one namespace's adapter.
type BuildAdapter = dyn Fn(&AdapterContext) -> Arc<dyn Adapter> + Send + Sync;

/// Builds the adapter of each namespace.
#[derive(Clone)]
pub struct AdapterFactory {
    build: Arc<BuildAdapter>,
    /// Whether the adapters' service (Redis) is reachable, for `/ready` and
    /// the metrics; `None` for an adapter that needs none.
    health: Option<edgeio_storage::ComponentHealth>,
}

/// What an adapter is built with.
pub struct AdapterContext {
    /// The namespace's name.
    pub ns: String,
    /// The event store of the server's storage (node-to-node events).
    pub events: Arc<dyn EventStore>,
    /// Connection-state recovery's settings, when it is on (for an adapter
    /// that carries it, see [`Adapter::session_keeper`]).
    pub recovery: Option<RecoveryConfig>,
}

impl AdapterFactory {
    /// A factory calling `build` for every namespace.
    pub fn new<F>(build: F) -> Self
    where
        F: Fn(&AdapterContext) -> Arc<dyn Adapter> + Send + Sync + 'static,
    {
        Self {
            build: Arc::new(build),
            health: None,
        }
    }

    /// The same factory, reporting its adapters' reach of their service
    /// through `health`.
    pub fn with_health(mut self, health: edgeio_storage::ComponentHealth) -> Self {
        self.health = Some(health);
        self
    }

    /// Whether its adapters reach their service (Redis), when they need one.
    pub fn health(&self) -> Option<edgeio_storage::ComponentHealth> {
        self.health.clone()
    }

    /// The in-memory adapter, publishing through the storage's event store.
    pub fn local() -> Self {
        Self::new(|ctx| Arc::new(LocalAdapter::new(&ctx.ns, ctx.events.clone())))
    }

    pub(crate) fn build(&self, ctx: &AdapterContext) -> Arc<dyn Adapter> {
        (self.build)(ctx)
    }
}

impl Default for AdapterFactory {
    fn default() -> Self {
        Self::local()
    }
}

impl std::fmt::Debug for AdapterFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdapterFactory")
    }
}

/// Room membership and cluster-wide operations of one namespace.
///
/// An adapter keeps the membership of this node's sockets in a
/// [`RoomIndex`] ([`Adapter::room_index`]); the
/// operations that reach every node have defaults acting on this node,
/// which a multi-node adapter overrides to also reach the others (calling
/// the [`LocalNamespace`] functions for this one).
pub trait Adapter: Send + Sync + 'static {
    /// Called once, when the namespace is created: `handle` delivers what
    /// arrives from other nodes to this node's sockets and handlers.
    fn init(&self, _handle: AdapterHandle) -> AdapterFuture<()> {
        ready(Ok(()))
    }

    /// Who is in which room on this node (the membership methods below
    /// read and change it).
    fn room_index(&self) -> &RoomIndex;

    /// Adds socket `sid` to `rooms`.
    fn add_all(&self, sid: &Sid, rooms: &[Room]) {
        self.room_index().add_all(sid, rooms);
    }
    /// Removes socket `sid` from `room`.
    fn del(&self, sid: &Sid, room: &str) {
        self.room_index().del(sid, room);
    }
    /// Removes socket `sid` from every room.
    fn del_all(&self, sid: &Sid) {
        self.room_index().del_all(sid);
    }
    /// The rooms socket `sid` is in.
    fn socket_rooms(&self, sid: &Sid) -> HashSet<Room> {
        self.room_index().socket_rooms(sid)
    }
    /// Every room of the namespace that has at least one socket here.
    fn rooms(&self) -> Vec<Room> {
        self.room_index().rooms()
    }
    /// This node's sockets that `opts` selects.
    fn local_targets(&self, opts: &BroadcastOptions) -> Vec<Sid> {
        self.room_index().local_targets(opts)
    }

    /// Delivers broadcast `packet` to every socket `opts` selects: this
    /// node's get `frames` (the packet encoded, with this node's recovery
    /// offset when recovery is on) and have them when the call returns; the
    /// future reaches the other nodes, which get `packet` as it is. (An
    /// adapter with a [`session_keeper`](Adapter::session_keeper) gives the
    /// broadcast its offset itself, and may deliver it here only once that
    /// offset is known: by the time the future resolves.)
    fn broadcast(
        &self,
        nsp: &LocalNamespace<'_>,
        packet: &Packet,
        frames: &[Frame],
        opts: &BroadcastOptions,
    ) -> AdapterFuture<()> {
        nsp.deliver(&self.local_targets(opts), packet, frames, opts.volatile);
        ready(Ok(()))
    }

    /// Sends `packet` (an event) to every socket `opts` selects, each with an
    /// acknowledgement id, and collects the answers that come within
    /// `timeout` (counting the sockets that did not answer).
    fn broadcast_with_ack(
        &self,
        nsp: &LocalNamespace<'_>,
        packet: &Packet,
        opts: &BroadcastOptions,
        timeout: Duration,
    ) -> AdapterFuture<Acks> {
        nsp.emit_with_ack(&self.local_targets(opts), packet, timeout)
    }

    /// What every node tells of the sockets `opts` selects (socket.io's
    /// `fetchSockets`); this node's are told by
    /// [`LocalNamespace::socket_data`].
    fn fetch_sockets(
        &self,
        nsp: &LocalNamespace<'_>,
        opts: &BroadcastOptions,
    ) -> AdapterFuture<Vec<RemoteSocketData>> {
        ready(Ok(nsp.socket_data(&self.local_targets(opts))))
    }

    /// Makes the sockets `opts` selects join `rooms`.
    fn add_sockets(
        &self,
        nsp: &LocalNamespace<'_>,
        opts: &BroadcastOptions,
        rooms: &[Room],
    ) -> AdapterFuture<()> {
        nsp.join(&self.local_targets(opts), rooms);
        ready(Ok(()))
    }

    /// Makes the sockets `opts` selects leave `rooms`.
    fn del_sockets(
        &self,
        nsp: &LocalNamespace<'_>,
        opts: &BroadcastOptions,
        rooms: &[Room],
    ) -> AdapterFuture<()> {
        nsp.leave(&self.local_targets(opts), rooms);
        ready(Ok(()))
    }

    /// Disconnects the sockets `opts` selects from the namespace; with
    /// `close`, closes their clients' whole connections too (socket.io's
    /// `disconnectSockets(true)`).
    fn disconnect_sockets(
        &self,
        nsp: &LocalNamespace<'_>,
        opts: &BroadcastOptions,
        close: bool,
    ) -> AdapterFuture<()> {
        nsp.disconnect(&self.local_targets(opts), close);
        ready(Ok(()))
    }

    /// Sends event `name` to the namespace's server-side handlers on the
    /// *other* nodes (socket.io's `serverSideEmit`); nothing on one node.
    fn server_side_emit(
        &self,
        _nsp: &LocalNamespace<'_>,
        _name: &str,
        _args: &[Value],
    ) -> AdapterFuture<()> {
        ready(Ok(()))
    }

    /// Sends event `name` to the namespace's server-side handlers on the
    /// *other* nodes, each asked to acknowledge it, and collects, within
    /// `timeout`, one answer per node (the first argument of its
    /// acknowledgement) and how many nodes did not answer. With no other
    /// node: no answer, at once.
    fn server_side_emit_with_ack(
        &self,
        _nsp: &LocalNamespace<'_>,
        _name: &str,
        _args: &[Value],
        _timeout: Duration,
    ) -> AdapterFuture<Answers<Value>> {
        ready(Ok(Answers::default()))
    }

    /// How many nodes serve the namespace, this one included.
    fn server_count(&self) -> AdapterFuture<usize> {
        ready(Ok(1))
    }

    /// Every room of the namespace that has a socket on any node.
    fn all_rooms(&self, _nsp: &LocalNamespace<'_>) -> AdapterFuture<Vec<Room>> {
        ready(Ok(self.rooms()))
    }

    /// The adapter's own connection-state recovery, when it carries it
    /// (sessions any node of the cluster can restore, offsets it gives its
    /// broadcasts): the namespace then keeps no recovery store of its own.
    /// `None` (the default): recovery, when on, is this node's.
    fn session_keeper(&self) -> Option<Arc<dyn SessionKeeper>> {
        None
    }
}
