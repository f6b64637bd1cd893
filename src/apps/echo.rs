//! `--app echo`: every Engine.IO message goes back to its sender unchanged.
//! Used by the Engine.IO protocol test suite and the interop tests.

use std::sync::Arc;

use crate::engine::{DisconnectReason, EngineHandler, Message, Session};

/// The echo application.
#[derive(Debug, Default, Clone, Copy)]
pub struct Echo;

impl EngineHandler for Echo {
    fn on_connect(&self, _socket: &Arc<Session>) {}

    fn on_message(&self, socket: &Arc<Session>, message: Message) {
        // A full queue closes the session itself; nothing more to do here.
        let _ = socket.send(message);
    }

    fn on_disconnect(&self, _socket: &Arc<Session>, _reason: DisconnectReason) {}
}
