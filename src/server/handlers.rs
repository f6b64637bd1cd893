//! [`Handlers`]: what a socket runs for the events a client sends — per-event
//! handlers, catch-all listeners, packet middlewares, error and disconnect
//! handlers — and the dispatch of one event through them, in that order.
//!
//! Every one of them is the application's code: one that panics is caught
//! ([`guarded`]) and logged with the socket, namespace and event, and the
//! session goes on (as a handler's exception in socket.io) — never a dead
//! task holding the session until the ping timeout.

use std::any::Any;
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, RwLock};

use serde_json::Value;

use super::error::DisconnectReason;
use super::event::Event;
use super::socket::Socket;
use crate::metrics::HandlerError;

pub(crate) type EventHandler = Arc<dyn Fn(&Arc<Socket>, Event) + Send + Sync>;
pub(crate) type AnyHandler = Arc<dyn Fn(&Arc<Socket>, &str, &[Value]) + Send + Sync>;
pub(crate) type PacketMiddleware =
    Arc<dyn Fn(&Arc<Socket>, &mut Event) -> Result<(), String> + Send + Sync>;
pub(crate) type ErrorHandler = Arc<dyn Fn(&Arc<Socket>, &str) + Send + Sync>;
pub(crate) type DisconnectHandler = Box<dyn FnOnce(&Arc<Socket>, DisconnectReason) + Send>;

/// The handlers of one socket.
#[derive(Default)]
pub(crate) struct Handlers {
    /// By event name.
    pub(crate) events: RwLock<HashMap<String, EventHandler>>,
    /// Told of every incoming event, before its handler.
    pub(crate) any_incoming: RwLock<Vec<AnyHandler>>,
    /// Told of every event emitted to the socket.
    pub(crate) any_outgoing: RwLock<Vec<AnyHandler>>,
    /// Run in order on every incoming event; may change or refuse it.
    pub(crate) middlewares: RwLock<Vec<PacketMiddleware>>,
    /// Told when a middleware refuses an event or a typed handler cannot
    /// read its argument.
    pub(crate) errors: RwLock<Vec<ErrorHandler>>,
    /// Run once when the socket leaves.
    pub(crate) disconnect: Mutex<Vec<DisconnectHandler>>,
}

/// A copy of the listeners in `list`, or `None` when there are none (the
/// common case, which then costs no allocation).
fn snapshot<T: Clone>(list: &RwLock<Vec<T>>) -> Option<Vec<T>> {
    match list.read() {
        Ok(l) if !l.is_empty() => Some(l.clone()),
        _ => None,
    }
}

/// The text of a panic's payload (what `panic!` was given, when a string).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(not a string)")
}

/// Runs `f`, an application's handler of kind `handler` for `event` on
/// `socket`; a panic is caught and logged, and gives `None`.
pub(crate) fn guarded<R>(
    socket: &Socket,
    handler: &'static str,
    event: &str,
    f: impl FnOnce() -> R,
) -> Option<R> {
    match std::panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => Some(r),
        Err(panic) => {
            socket
                .metrics()
                .socketio()
                .handler_error(HandlerError::Panic);
            tracing::error!(
                sid = %socket.id(),
                ns = socket.ns(),
                event,
                handler,
                panic = panic_message(&*panic),
                "handler panicked"
            );
            None
        }
    }
}

impl Handlers {
    /// Runs one incoming event through the middlewares, the catch-all
    /// listeners and its handler. A middleware that panics drops the event,
    /// as one that refuses it.
    pub(crate) fn dispatch(&self, socket: &Arc<Socket>, mut event: Event) {
        if let Some(middlewares) = snapshot(&self.middlewares) {
            let name = event.name.clone();
            for m in middlewares {
                match guarded(socket, "packet middleware", &name, || m(socket, &mut event)) {
                    Some(Ok(())) => {}
                    Some(Err(e)) => {
                        socket
                            .metrics()
                            .socketio()
                            .handler_error(HandlerError::Error);
                        return self.error(socket, &e);
                    }
                    None => return,
                }
            }
        }
        if let Some(any) = snapshot(&self.any_incoming) {
            for h in any {
                guarded(socket, "catch-all listener", &event.name, || {
                    h(socket, &event.name, &event.args)
                });
            }
        }
        let handler = self
            .events
            .read()
            .ok()
            .and_then(|h| h.get(&event.name).cloned());
        if let Some(handler) = handler {
            let name = event.name.clone();
            guarded(socket, "event handler", &name, || handler(socket, event));
        }
    }

    /// Tells the outgoing listeners of an emit.
    pub(crate) fn outgoing(&self, socket: &Arc<Socket>, name: &str, args: &[Value]) {
        if let Some(any) = snapshot(&self.any_outgoing) {
            for h in any {
                guarded(socket, "outgoing listener", name, || h(socket, name, args));
            }
        }
    }

    /// Tells the error handlers.
    pub(crate) fn error(&self, socket: &Arc<Socket>, message: &str) {
        tracing::debug!(sid = %socket.id(), error = message, "event refused");
        if let Some(handlers) = snapshot(&self.errors) {
            for h in handlers {
                guarded(socket, "error handler", "", || h(socket, message));
            }
        }
    }

    /// Runs the disconnect handlers, once; one that panics does not keep the
    /// others from running, nor the socket from leaving.
    pub(crate) fn disconnected(&self, socket: &Arc<Socket>, reason: DisconnectReason) {
        let handlers = self
            .disconnect
            .lock()
            .map(|mut h| std::mem::take(&mut *h))
            .unwrap_or_default();
        for h in handlers {
            guarded(socket, "disconnect handler", "disconnect", || {
                h(socket, reason)
            });
        }
    }
}
