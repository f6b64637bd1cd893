//! What the Admin UI is told as it happens: sockets connecting and leaving,
//! and rooms joined and left, on every namespace (`/admin` included, as the
//! Node module does), emitted to the `/admin` namespace.

use std::sync::Arc;

use serde_json::{json, Value};

use super::serialize::{now, socket_json};
use crate::server::socket::Sid;
use crate::server::{DisconnectReason, Namespace, Observer, Socket};

/// Tells the UI of every socket's life.
pub(super) struct Watch {
    admin: Namespace,
}

impl Watch {
    /// Tells the sockets of `admin`.
    pub(super) fn new(admin: Namespace) -> Self {
        Self { admin }
    }

    /// Emits `event` with `args()` to the UI, when one is connected (so
    /// that a server nobody watches serializes nothing).
    fn tell(&self, event: &str, args: impl FnOnce() -> Vec<Value>) {
        if self.admin.socket_count() == 0 {
            return;
        }
        let _ = self.admin.broadcast().emit_args(event, args(), Vec::new());
    }
}

impl Observer for Watch {
    fn socket_connected(&self, socket: &Arc<Socket>) {
        self.tell("socket_connected", || {
            vec![socket_json(socket), json!(now())]
        });
    }

    fn socket_disconnected(&self, socket: &Arc<Socket>, reason: DisconnectReason) {
        self.tell("socket_disconnected", || {
            vec![
                json!(socket.ns()),
                json!(socket.id().as_str()),
                json!(reason.as_str()),
                json!(now()),
            ]
        });
    }

    fn room_joined(&self, ns: &str, room: &str, sid: &Sid) {
        self.tell("room_joined", || {
            vec![json!(ns), json!(room), json!(sid.as_str()), json!(now())]
        });
    }

    fn room_left(&self, ns: &str, room: &str, sid: &Sid) {
        self.tell("room_left", || {
            vec![json!(ns), json!(room), json!(sid.as_str()), json!(now())]
        });
    }
}
