//! Layer 3: the Socket.IO server — namespaces, middleware, events and
//! acknowledgements, rooms and broadcasts — over the Engine.IO layer.
//!
//! - [`Io`]: the server and its namespaces; [`Io::engine_handler`] plugs it
//!   into an [`crate::engine::Engine`].
//! - [`Namespace`]: middlewares, the connection handler, broadcasts.
//! - [`Socket`]: one client in one namespace: handlers, emits, acks, rooms.
//! - [`adapter`]: room membership and cluster-wide operations behind a
//!   trait ([`LocalAdapter`] by default, publishing through the event store).
//! - [`observer`]: [`Observer`]s told of every socket's life, and
//!   [`Plugin`]s run on a server as it is built (the Admin UI is one).
//! - [`storage`]: [`ServerStorage`], where recovery state lives.

mod ack;
pub mod adapter;
pub mod broadcast;
mod client;
pub mod config;
mod drive;
pub mod error;
pub mod event;
mod handlers;
pub mod io;
pub mod namespace;
pub mod observer;
mod recovery;
pub mod server_side;
pub mod socket;
pub mod storage;

pub use adapter::{
    Acks, Adapter, AdapterFactory, BroadcastOptions, LocalAdapter, RemoteSocket, RemoteSocketData,
    SocketHandshake,
};
pub use broadcast::BroadcastOperator;
pub use config::{IoConfig, RecoveryConfig};
pub use error::{
    AckError, AdapterError, BroadcastAckError, ConnectError, DisconnectReason, EmitError,
};
pub use event::{AckResponse, AckSender, Event};
pub use io::Io;
pub use namespace::Namespace;
pub use observer::{Observer, Plugin};
pub use server_side::{ServerSideAck, ServerSideAckError};
pub use socket::Socket;
pub use storage::ServerStorage;
