//! [`Client`]: the Socket.IO side of one Engine.IO session — the namespaces it
//! joined, and the reassembly of binary packets from their attachments.
//!
//! - `attachments`: binary packets parked until their attachments are in,
//!   bounded in bytes and time.

mod attachments;

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, RwLock, Weak};

use bytes::Bytes;
use serde_json::Value;

use super::config::IoConfig;
use super::error::DisconnectReason;
use super::io::IoInner;
use super::namespace::auth_or_empty;
use super::recovery::Restored;
use super::socket::{encode_frames, Sid, Socket};
use crate::engine::{self, Text};
use crate::protocol::{self, Packet, PacketKind, ProtocolError};
use attachments::{Parked, Received};

/// One Engine.IO session as Socket.IO sees it.
pub(crate) struct Client {
    /// The session (weak: the session owns the client, not the reverse).
    engine: Weak<engine::Socket>,
    /// The server.
    io: Arc<IoInner>,
    /// The client's socket in each namespace it joined.
    /// (A client joins a few namespaces at most: a short list beats hashing
    /// the name of every packet.)
    sockets: RwLock<Vec<(String, Arc<Socket>)>>,
    /// A binary packet waiting for its attachments.
    pending: Mutex<Option<Parked>>,
    /// Packets parked so far (numbers each for its timer).
    parked: AtomicU64,
}

impl Client {
    pub(crate) fn new(engine: &Arc<engine::Socket>, io: Arc<IoInner>) -> Self {
        Self {
            engine: Arc::downgrade(engine),
            io,
            sockets: RwLock::default(),
            pending: Mutex::default(),
            parked: AtomicU64::new(0),
        }
    }

    pub(crate) fn engine(&self) -> Option<Arc<engine::Socket>> {
        self.engine.upgrade()
    }

    pub(crate) fn config(&self) -> &IoConfig {
        self.io.config()
    }

    /// True once the client joined a namespace (for the connect timeout).
    pub(crate) fn has_sockets(&self) -> bool {
        self.sockets.read().map(|s| !s.is_empty()).unwrap_or(false)
    }

    fn socket(&self, ns: &str) -> Option<Arc<Socket>> {
        let sockets = self.sockets.read().ok()?;
        sockets
            .iter()
            .find(|(n, _)| n == ns)
            .map(|(_, s)| s.clone())
    }

    pub(crate) fn remove(&self, ns: &str) {
        if let Ok(mut s) = self.sockets.write() {
            s.retain(|(n, _)| n != ns);
        }
    }

    /// A text message from the session.
    pub(crate) fn on_text(self: &Arc<Self>, text: &Text) {
        if self.is_parked() {
            return self.parse_error(ProtocolError::MissingAttachments);
        }
        match protocol::decode(text, &self.config().limits) {
            Ok(d) if d.attachments > 0 => self.park(d.packet, d.attachments),
            Ok(d) => self.dispatch(d.packet),
            Err(e) => self.parse_error(e),
        }
    }

    /// A binary message: the next attachment of the parked packet.
    pub(crate) fn on_binary(self: &Arc<Self>, data: Bytes) {
        match self.attach(data) {
            Ok(Received::Complete(packet)) => self.dispatch(packet),
            Ok(Received::Waiting) => {}
            Err(e) => self.parse_error(e),
        }
    }

    fn parse_error(&self, e: ProtocolError) {
        tracing::debug!(error = %e, "invalid Socket.IO packet");
        if let Some(engine) = self.engine() {
            engine.close_with(engine::DisconnectReason::ParseError);
        }
    }

    fn dispatch(self: &Arc<Self>, packet: Packet) {
        if packet.kind == PacketKind::Connect {
            return self.connect(packet);
        }
        match self.socket(&packet.ns) {
            Some(socket) => socket.on_packet(packet),
            None => tracing::debug!(ns = %packet.ns, "packet for a namespace not joined"),
        }
    }

    /// A CONNECT: runs the namespace's middlewares, then lets the socket in.
    fn connect(self: &Arc<Self>, packet: Packet) {
        if self.socket(&packet.ns).is_some() {
            return;
        }
        let Some(ns) = self.io.namespace_for(&packet.ns, packet.data.as_ref()) else {
            let error = serde_json::json!({ "message": "Invalid namespace" });
            self.send(&Packet::new(
                PacketKind::ConnectError,
                &packet.ns,
                Some(error),
            ));
            return;
        };
        let auth = auth_or_empty(packet.data);
        // A client coming back with its private id may get its socket back,
        // without running the middlewares again (as socket.io).
        let pid = ns
            .inner
            .recovery()
            .and_then(|_| auth.get("pid")?.as_str().map(Sid::from));
        let middlewares = ns.inner.middlewares();
        if pid.is_none() && middlewares.is_empty() {
            let socket = Socket::new(ns.inner.clone(), self.clone(), auth, None);
            self.admit(socket, None);
            return;
        }
        let client = self.clone();
        tokio::spawn(async move {
            if let (Some(pid), Some(store)) = (pid, ns.inner.recovery()) {
                let offset = auth.get("offset").and_then(Value::as_str);
                match store.restore(pid.as_str(), offset).await {
                    Ok(Some(restored)) => {
                        let identity = Some((restored.sid.clone(), pid));
                        let socket = Socket::new(ns.inner.clone(), client.clone(), auth, identity);
                        client.admit(socket, Some(restored));
                        return;
                    }
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "session not restored: storage failed"),
                }
            }
            let socket = Socket::new(ns.inner.clone(), client.clone(), auth, None);
            for middleware in middlewares {
                if let Err(e) = middleware(socket.clone()).await {
                    let mut data = serde_json::json!({ "message": e.message });
                    if let Some(extra) = e.data {
                        data["data"] = extra;
                    }
                    socket.refused();
                    client.send(&Packet::new(
                        PacketKind::ConnectError,
                        socket.ns(),
                        Some(data),
                    ));
                    return;
                }
            }
            client.admit(socket, None);
        });
    }

    fn admit(&self, socket: Arc<Socket>, restored: Option<Restored>) {
        let Some(engine) = self.engine() else { return };
        if engine.is_closed() {
            return;
        }
        if let Ok(mut s) = self.sockets.write() {
            s.retain(|(n, _)| n != socket.ns());
            s.push((socket.ns().to_owned(), socket.clone()));
        }
        socket.ns_inner().insert(socket.clone());
        socket.on_connected(restored);
    }

    fn send(&self, packet: &Packet) {
        if let Some(engine) = self.engine() {
            for frame in encode_frames(packet) {
                let _ = engine.send_frame(frame);
            }
        }
    }

    /// The session closed: every socket leaves with the matching reason.
    pub(crate) fn on_close(&self, reason: engine::DisconnectReason) {
        self.unpark();
        let sockets: Vec<_> = self
            .sockets
            .read()
            .map(|s| s.iter().map(|(_, socket)| socket.clone()).collect())
            .unwrap_or_default();
        for socket in sockets {
            socket.close(DisconnectReason::from(reason));
        }
    }
}
