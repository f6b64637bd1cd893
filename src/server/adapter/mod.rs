//! The adapter: who is in which room, and the delivery of broadcasts. Behind
//! a trait so that the multi-node adapter can replace the in-memory one
//! without touching the server.

pub mod local;

use std::collections::HashSet;

use super::socket::Sid;

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

/// Room membership of one namespace.
pub trait Adapter: Send + Sync + 'static {
    /// Adds socket `sid` to `rooms`.
    fn add_all(&self, sid: &Sid, rooms: &[Room]);
    /// Removes socket `sid` from `room`.
    fn del(&self, sid: &Sid, room: &str);
    /// Removes socket `sid` from every room.
    fn del_all(&self, sid: &Sid);
    /// The rooms socket `sid` is in.
    fn socket_rooms(&self, sid: &Sid) -> HashSet<Room>;
    /// The sockets a broadcast with `opts` reaches on this node.
    fn targets(&self, opts: &BroadcastOptions) -> Vec<Sid>;
    /// Every room of the namespace that has at least one socket.
    fn rooms(&self) -> Vec<Room>;
    /// Sends event `name` to the namespace's handlers on the *other* nodes
    /// (socket.io's `serverSideEmit`); returns how many nodes it reached.
    fn server_side_emit(&self, name: &str, args: &[serde_json::Value]) -> usize;
}
