//! Layer 1: Engine.IO v4, by hand over hyper.
//!
//! - [`packet`], [`payload`]: the pure codec (no I/O).
//! - [`Session`]: one Engine.IO session and its outgoing queue; [`heartbeat`] pings it.
//! - [`transport`]: HTTP long-polling and WebSocket, and the upgrade between them.
//! - [`Engine`]: the session registry and the request router; [`EngineHandler`]
//!   is what the layer above implements.

pub mod config;
pub mod cors;
pub mod error;
pub mod handler;
mod handshake;
pub mod heartbeat;
mod outbox;
pub mod packet;
pub mod payload;
pub mod query;
pub mod ratelimit;
mod response;
pub mod server;
pub mod session;
pub mod sid;
pub mod text;
pub mod transport;
mod upgrades;

pub use config::{CookieConfig, EngineConfig, TransportKind};
pub use cors::{AllowedOrigins, CorsConfig};
pub use error::{DisconnectReason, ErrorCode, PacketError, RequestError, SendError};
pub use handler::{EngineHandler, Message};
pub use packet::{Frame, Packet, PacketType};
pub use ratelimit::HandshakeRate;
pub use server::Engine;
pub use session::{Handshake, Session};
pub use sid::Sid;
pub use text::Text;
