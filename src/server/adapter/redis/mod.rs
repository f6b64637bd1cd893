//! The Redis adapter of Node's `@socket.io/redis-adapter` (v8), so that
//! edgeio nodes and Node socket.io nodes can share one cluster. For now only
//! its wire format ([`wire`]): what travels on which Redis channel, and how.
pub mod wire;
