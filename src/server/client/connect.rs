//! A client's CONNECT to a namespace. At most one is handled per namespace at
//! a time: a CONNECT while the namespace's middlewares run, or once the
//! client is in, is ignored — never a second socket, never a ghost left in
//! the namespace or its rooms. A client is in (or connecting to) at most
//! [`IoConfig::max_namespaces_per_client`] namespaces; a CONNECT over it is
//! answered with CONNECT_ERROR, and the client stays.
//!
//! [`IoConfig::max_namespaces_per_client`]: crate::server::IoConfig

use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use futures_util::FutureExt as _;
use serde_json::Value;

use super::{Client, Membership};
use crate::engine;
use crate::protocol::{Packet, PacketKind};
use crate::server::error::{ConnectError, DisconnectReason};
use crate::server::handlers::panic_message;
use crate::server::namespace::{auth_or_empty, Middleware};
use crate::server::recovery::Restored;
use crate::server::socket::{Sid, Socket};

/// The CONNECT_ERROR message of a CONNECT over the client's cap.
const TOO_MANY_NAMESPACES: &str = "Too many namespaces";
/// The CONNECT_ERROR message of a namespace that does not exist.
const INVALID_NAMESPACE: &str = "Invalid namespace";
/// The CONNECT_ERROR message of a middleware that panicked (what it said
/// is logged, never sent).
const MIDDLEWARE_FAILED: &str = "Internal server error";

/// What a CONNECT may do, given where the client stands.
enum Claim {
    /// The client is in the namespace or connecting to it: ignored.
    Taken,
    /// The client is at its cap of namespaces.
    Full,
    /// Go on: the namespace is marked as connecting.
    Granted,
}

impl Client {
    /// A CONNECT: runs the namespace's middlewares, then lets the socket in.
    pub(super) fn connect(self: &Arc<Self>, packet: Packet) {
        let name = packet.ns.to_string();
        match self.claim(&name) {
            Claim::Taken => {
                return tracing::debug!(ns = %name, "CONNECT to a namespace joined or joining: ignored")
            }
            Claim::Full => return self.refuse(&name, ConnectError::new(TOO_MANY_NAMESPACES)),
            Claim::Granted => {}
        }
        let Some(joining) = self.io.namespace_for(&name, packet.data.as_ref()) else {
            self.release(&name);
            return self.refuse(&name, ConnectError::new(INVALID_NAMESPACE));
        };
        let ns = joining.namespace().inner.clone();
        let auth = auth_or_empty(packet.data);
        // A client coming back with its private id may get its socket back,
        // without running the middlewares again (as socket.io).
        let pid = ns
            .recovery_mode()
            .and_then(|_| auth.get("pid")?.as_str().map(Sid::from));
        let middlewares = ns.middlewares();
        if pid.is_none() && middlewares.is_empty() {
            let socket = Socket::new(ns, self.clone(), auth, None);
            self.admit(socket, None);
            return;
        }
        let client = self.clone();
        tokio::spawn(async move {
            // The namespace is kept while this CONNECT is handled.
            let _joining = joining;
            if let (Some(pid), Some(recovery)) = (pid, ns.recovery_mode()) {
                let offset = auth.get("offset").and_then(Value::as_str);
                let restored = recovery.restore(pid.as_str(), offset).await;
                let metrics = client.config().metrics.socketio();
                metrics.recovery(matches!(restored, Ok(Some(_))));
                match restored {
                    Ok(Some(restored)) => {
                        let identity = Some((restored.sid.clone(), pid));
                        let socket = Socket::new(ns.clone(), client.clone(), auth, identity);
                        client.admit(socket, Some(restored));
                        return;
                    }
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "session not restored: recovery failed"),
                }
            }
            let socket = Socket::new(ns, client.clone(), auth, None);
            for middleware in middlewares {
                if let Err(e) = run_middleware(&middleware, &socket).await {
                    socket.refused();
                    client.release(socket.ns());
                    client.refuse(socket.ns(), e);
                    return;
                }
            }
            client.admit(socket, None);
        });
    }

    /// Marks namespace `name` as connecting, if the client may connect to it.
    fn claim(&self, name: &str) -> Claim {
        let Ok(mut namespaces) = self.namespaces.write() else {
            return Claim::Taken;
        };
        if namespaces.iter().any(|(n, _)| n == name) {
            Claim::Taken
        } else if namespaces.len() >= self.config().max_namespaces_per_client {
            Claim::Full
        } else {
            namespaces.push((name.to_owned(), Membership::Connecting));
            Claim::Granted
        }
    }

    /// Forgets a CONNECT to `name` that did not let a socket in.
    fn release(&self, name: &str) {
        if let Ok(mut namespaces) = self.namespaces.write() {
            namespaces.retain(|(n, m)| !(n == name && matches!(m, Membership::Connecting)));
        }
    }

    /// Answers a CONNECT to `ns` with CONNECT_ERROR.
    fn refuse(&self, ns: &str, e: ConnectError) {
        let mut data = serde_json::json!({ "message": e.message });
        if let Some(extra) = e.data {
            data["data"] = extra;
        }
        self.send(&Packet::new(PacketKind::ConnectError, ns, Some(data)));
    }

    /// Lets `socket` in — unless the session closed meanwhile.
    fn admit(&self, socket: Arc<Socket>, restored: Option<Restored>) {
        let open = self.engine().is_some_and(|e| !e.is_closed());
        if !open || self.closed.load(Ordering::SeqCst) || !self.set_joined(&socket) {
            self.release(socket.ns());
            socket.refused();
            return;
        }
        socket.ns_inner().insert(socket.clone());
        socket.on_connected(restored);
        // The session may have closed while the socket came in, its sockets
        // already closed without this one: it leaves now.
        if self.closed.load(Ordering::SeqCst) {
            let reason = self
                .engine()
                .and_then(|e| e.close_reason())
                .unwrap_or(engine::DisconnectReason::ForcedClose);
            socket.close(DisconnectReason::from(reason));
        }
    }

    /// Turns the client's CONNECT to the socket's namespace into membership;
    /// false if there is no such CONNECT (any more).
    fn set_joined(&self, socket: &Arc<Socket>) -> bool {
        let Ok(mut namespaces) = self.namespaces.write() else {
            return false;
        };
        let slot = namespaces
            .iter_mut()
            .find(|(n, m)| n == socket.ns() && matches!(m, Membership::Connecting));
        match slot {
            Some((_, m)) => {
                *m = Membership::Joined(socket.clone());
                true
            }
            None => false,
        }
    }
}

/// Runs one connection middleware; one that panics (building its future or
/// running it) refuses the socket, and the panic is logged.
async fn run_middleware(middleware: &Middleware, socket: &Arc<Socket>) -> Result<(), ConnectError> {
    let built = std::panic::catch_unwind(AssertUnwindSafe(|| middleware(socket.clone())));
    let result = match built {
        Ok(future) => AssertUnwindSafe(future).catch_unwind().await,
        Err(panic) => Err(panic),
    };
    result.unwrap_or_else(|panic| {
        tracing::error!(
            sid = %socket.id(),
            ns = socket.ns(),
            panic = panic_message(&*panic),
            "connection middleware panicked: socket refused"
        );
        Err(ConnectError::new(MIDDLEWARE_FAILED))
    })
}
