//! `--app echo`: every Engine.IO message goes back to its sender unchanged.
//! Used by the Engine.IO protocol test suite and the interop tests.

use std::sync::Arc;

use crate::engine::{DisconnectReason, EngineHandler, Message, Socket};

/// The echo application.
#[derive(Debug, Default, Clone, Copy)]
pub struct Echo;

impl EngineHandler for Echo {
    fn on_connect(&self, _socket: &Arc<Socket>) {}

    fn on_message(&self, socket: &Arc<Socket>, message: Message) {
        // A full queue closes the session itself; nothing more to do here.
        let _ = socket.send(message);
    }

    fn on_disconnect(&self, _socket: &Arc<Socket>, _reason: DisconnectReason) {}
}
