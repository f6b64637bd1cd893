//! Layer 2: Socket.IO v5 packets, pure (no I/O): [`packet`] encodes and
//! decodes, [`error`] says what was wrong with a packet.

pub mod error;
pub mod packet;

pub use error::ProtocolError;
pub use packet::{decode, placeholder, Decoded, Limits, Packet, PacketKind, RESERVED_EVENTS};
