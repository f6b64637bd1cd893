//! `--app loadtest`: the three events every server in the load harness serves
//! (see `benches/harness`), on namespace `/`:
//! - `echo`: acknowledged with its payload;
//! - `join`: puts the socket in room `r`, then acknowledges;
//! - `bcast`: emits `bcast` with its payload to room `r` (the sender is not
//!   in it), then acknowledges.
//!
//! Dynamic namespaces `/dyn-*` (any name starting with `/dyn-`) are served
//! too, each created on first use and answering `echo` like `/`: the abuse
//! scenario's client joins thousands of them (see `benches/harness`).

use std::sync::Arc;

use crate::engine::EngineHandler;
use crate::server::{Event, Io, IoConfig, Socket};

/// The room `join` puts sockets in.
const ROOM: &str = "r";

/// What the names of the dynamic namespaces start with.
const DYNAMIC_PREFIX: &str = "/dyn-";

/// Builds the application.
pub fn build(config: IoConfig) -> Arc<dyn EngineHandler> {
    let io = Io::new(config);
    io.of("/").on_connection(|socket| {
        socket.on("echo", echo);
        socket.on("join", |socket, event| {
            socket.join(ROOM);
            if let Some(ack) = event.ack {
                let _ = ack.send_args(Vec::new(), Vec::new());
            }
        });
        socket.on("bcast", |socket, event| {
            let _ = socket
                .namespace()
                .to(ROOM)
                .emit_args("bcast", event.args, event.bins);
            if let Some(ack) = event.ack {
                let _ = ack.send_args(Vec::new(), Vec::new());
            }
        });
    });
    io.of_dynamic(|name, _auth| name.starts_with(DYNAMIC_PREFIX))
        .on_connection(|socket| socket.on("echo", echo));
    io.engine_handler()
}

/// `echo`: acknowledged with its payload.
fn echo(_socket: &Arc<Socket>, event: Event) {
    if let Some(ack) = event.ack {
        let _ = ack.send_args(event.args, event.bins);
    }
}
