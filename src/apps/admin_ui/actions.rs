//! The Admin UI's actions, served unless read-only: `emit` an event,
//! `join` or `leave` a room, `_disconnect` — each to the sockets of a
//! namespace, or of one room of it (the UI's `filter`, often a socket's own
//! room). A namespace that does not exist is never created by them, and an
//! action whose arguments are not what the UI sends does nothing.

use std::sync::Arc;

use serde_json::Value;

use crate::server::{BroadcastOperator, Io, Socket};

/// Serves the actions of the admin socket `socket` on `io`.
pub(super) fn serve(socket: &Arc<Socket>, io: &Io) {
    // Where each action's filter is: (nsp, payload, filter) for join, leave
    // and _disconnect; (nsp, filter, event, ...) for emit.
    let on = |name: &str, filter_at: usize, act: fn(BroadcastOperator, &[Value])| {
        let io = io.clone();
        socket.on(name, move |_socket, event| {
            let args = &event.args;
            let nsp = args.first().and_then(Value::as_str);
            if let Some(target) = nsp.and_then(|nsp| targets(&io, nsp, args.get(filter_at))) {
                act(target, args);
            }
        });
    };
    on("join", 2, join);
    on("leave", 2, leave);
    on("_disconnect", 2, disconnect);
    on("emit", 1, emit);
}

/// The sockets of namespace `nsp` (if it exists), of room `filter` when
/// one is given.
fn targets(io: &Io, nsp: &str, filter: Option<&Value>) -> Option<BroadcastOperator> {
    let ns = io.namespaces().into_iter().find(|ns| ns.name() == nsp)?;
    Some(
        match filter.and_then(Value::as_str).filter(|f| !f.is_empty()) {
            Some(room) => ns.to(room),
            None => ns.broadcast(),
        },
    )
}

/// `join(nsp, room, filter)`.
fn join(target: BroadcastOperator, args: &[Value]) {
    if let Some(room) = args.get(1).and_then(Value::as_str) {
        let _ = target.sockets_join(room);
    }
}

/// `leave(nsp, room, filter)`.
fn leave(target: BroadcastOperator, args: &[Value]) {
    if let Some(room) = args.get(1).and_then(Value::as_str) {
        let _ = target.sockets_leave(room);
    }
}

/// `_disconnect(nsp, close, filter)`: `close` closes the whole connection.
fn disconnect(target: BroadcastOperator, args: &[Value]) {
    let _ = match args.get(1).and_then(Value::as_bool) {
        Some(true) => target.disconnect_sockets_closing(),
        _ => target.disconnect_sockets(),
    };
}

/// `emit(nsp, filter, event, ...args)`.
fn emit(target: BroadcastOperator, args: &[Value]) {
    if let Some(event) = args.get(2).and_then(Value::as_str) {
        let _ = target.emit_args(event, args[3..].to_vec(), Vec::new());
    }
}
