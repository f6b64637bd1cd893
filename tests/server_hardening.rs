//! The Socket.IO layer against misbehaving clients and application code,
//! over real WebSocket clients speaking raw Socket.IO frames: what one client
//! can make the server hold is bounded, and a panicking handler is caught.
//!
//! - `json`: JSON as JavaScript writes it (lone surrogates).
//!
//! Every wait is bounded by `LIMIT`; none is a timing assertion.

mod sio_client;

#[path = "server_hardening/json.rs"]
mod json;
