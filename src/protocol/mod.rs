//! Layer 2: Socket.IO v5 packets, pure (no I/O): [`packet`] is the packet
//! and its encoding, [`parser`] decodes with limits (its JSON read as
//! JavaScript writes it, by `json`), [`error`] says what was wrong with a
//! packet.

pub mod error;
mod json;
pub mod packet;
pub mod parser;

pub use error::ProtocolError;
pub use packet::{placeholder, Packet, PacketKind, RESERVED_EVENTS};
pub use parser::{decode, Decoded, Limits};
