//! `--app loadtest`: the three events every server in the load harness serves
//! (see `benches/harness`), on namespace `/`:
//! - `echo`: acknowledged with its payload;
//! - `join`: puts the socket in room `r`, then acknowledges;
//! - `bcast`: emits `bcast` with its payload to room `r` (the sender is not
//!   in it), then acknowledges.

use std::sync::Arc;

use crate::engine::EngineHandler;
use crate::server::{Io, IoConfig};

/// The room `join` puts sockets in.
const ROOM: &str = "r";

/// Builds the application.
pub fn build(config: IoConfig) -> Arc<dyn EngineHandler> {
    let io = Io::new(config);
    io.of("/").on_connection(|socket| {
        socket.on("echo", |_socket, event| {
            if let Some(ack) = event.ack {
                let _ = ack.send_args(event.args, event.bins);
            }
        });
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
    io.engine_handler()
}
