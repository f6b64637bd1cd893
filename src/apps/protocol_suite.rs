//! `--app protocol-suite`: the server the official Socket.IO protocol test
//! suite expects. Namespaces `/` and `/custom`; on connect, `auth` is emitted
//! with the handshake's auth payload; `message` is answered with
//! `message-back` and the same arguments (binary included);
//! `message-with-ack` is acknowledged with its arguments.

use std::sync::Arc;

use crate::engine::EngineHandler;
use crate::server::{Io, IoConfig, Namespace};

/// Builds the application.
pub fn build(config: IoConfig) -> Arc<dyn EngineHandler> {
    let io = Io::new(config);
    serve(&io.of("/"));
    serve(&io.of("/custom"));
    io.engine_handler()
}

fn serve(ns: &Namespace) {
    ns.on_connection(|socket| {
        let _ = socket.emit("auth", socket.auth().clone());
        socket.on("message", |socket, event| {
            let _ = socket.emit_args("message-back", event.args, event.bins);
        });
        socket.on("message-with-ack", |_socket, event| {
            if let Some(ack) = event.ack {
                let _ = ack.send_args(event.args, event.bins);
            }
        });
    });
}
