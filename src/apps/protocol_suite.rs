//! `--app protocol-suite`: the server the official Socket.IO protocol test
//! suite expects. Namespaces `/` and `/custom`; on connect, `auth` is emitted
//! with the handshake's auth payload; `message` is answered with
//! `message-back` and the same arguments (binary included);
//! `message-with-ack` is acknowledged with its arguments. Recovery is off
//! whatever `--recovery-window` says (the suite checks the CONNECT answer).

use std::sync::Arc;
use std::time::Duration;

use crate::engine::EngineHandler;
use crate::server::{Io, IoConfig, Namespace};

/// Builds the application. Connection-state recovery is always off: the
/// suite expects a CONNECT answer holding the `sid` alone, and recovery adds
/// a `pid` to it.
pub fn build(config: IoConfig) -> Arc<dyn EngineHandler> {
    let io = Io::new(IoConfig {
        recovery: None,
        ..config
    });
    serve(&io.of("/"));
    serve(&io.of("/custom"));
    io.engine_handler()
}

/// The suite's Node client reads both of two frames that arrive in one TCP
/// read in the same tick and misses the second (its `waitFor` re-arms a
/// microtask later), so `auth` is sent a moment after the CONNECT answer
/// rather than in the same write.
const AUTH_DELAY: Duration = Duration::from_millis(5);

fn serve(ns: &Namespace) {
    ns.on_connection(|socket| {
        let delayed = socket.clone();
        tokio::spawn(async move {
            tokio::time::sleep(AUTH_DELAY).await;
            let _ = delayed.emit("auth", delayed.auth().clone());
        });
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
