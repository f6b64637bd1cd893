//! [`Client`]: the Socket.IO side of one Engine.IO session — the namespaces it
//! joined or is joining, and the reassembly of binary packets from their
//! attachments.
//!
//! - `connect`: a CONNECT — at most one per namespace at a time, within the
//!   client's cap — its middlewares (a panic in one refuses the socket) and
//!   the socket let in.
//! - `attachments`: binary packets parked until their attachments are in,
//!   bounded in bytes and time.

mod attachments;
mod connect;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};

use bytes::Bytes;

use super::config::IoConfig;
use super::error::DisconnectReason;
use super::io::IoInner;
use super::socket::{encode_frames, Socket};
use crate::engine::{self, Text};
use crate::protocol::{self, Packet, PacketKind, ProtocolError};
use attachments::{Parked, Received};

/// Where a client stands in one namespace.
enum Membership {
    /// Its CONNECT is being handled (middlewares, recovery): a second one is
    /// ignored.
    Connecting,
    /// It is in, as this socket.
    Joined(Arc<Socket>),
}

/// One Engine.IO session as Socket.IO sees it.
pub(crate) struct Client {
    /// The session (weak: the session owns the client, not the reverse).
    engine: Weak<engine::Session>,
    /// The server.
    io: Arc<IoInner>,
    /// The client's standing in each namespace it joined or is joining.
    /// (A client joins a few namespaces at most: a short list beats hashing
    /// the name of every packet.)
    namespaces: RwLock<Vec<(String, Membership)>>,
    /// Set once the session closed: no socket is let in after.
    closed: AtomicBool,
    /// A binary packet waiting for its attachments.
    pending: Mutex<Option<Parked>>,
    /// Packets parked so far (numbers each for its timer).
    parked: AtomicU64,
}

impl Client {
    pub(crate) fn new(engine: &Arc<engine::Session>, io: Arc<IoInner>) -> Self {
        Self {
            engine: Arc::downgrade(engine),
            io,
            namespaces: RwLock::default(),
            closed: AtomicBool::new(false),
            pending: Mutex::default(),
            parked: AtomicU64::new(0),
        }
    }

    pub(crate) fn engine(&self) -> Option<Arc<engine::Session>> {
        self.engine.upgrade()
    }

    pub(crate) fn config(&self) -> &IoConfig {
        self.io.config()
    }

    /// True once the client joined a namespace (for the connect timeout).
    pub(crate) fn has_sockets(&self) -> bool {
        self.namespaces
            .read()
            .map(|n| n.iter().any(|(_, m)| matches!(m, Membership::Joined(_))))
            .unwrap_or(false)
    }

    fn socket(&self, ns: &str) -> Option<Arc<Socket>> {
        let namespaces = self.namespaces.read().ok()?;
        namespaces.iter().find_map(|(n, m)| match m {
            Membership::Joined(s) if n == ns => Some(s.clone()),
            _ => None,
        })
    }

    /// `socket` left its namespace: the client is no longer in it, and the
    /// namespace may now be empty.
    pub(crate) fn remove(&self, socket: &Socket) {
        if let Ok(mut n) = self.namespaces.write() {
            n.retain(|(_, m)| !matches!(m, Membership::Joined(s) if s.id() == socket.id()));
        }
        self.io.namespace_left(socket.ns_inner());
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
        self.config()
            .metrics
            .engine()
            .dropped(crate::metrics::Dropped::ParseError);
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

    fn send(&self, packet: &Packet) {
        if let Some(engine) = self.engine() {
            for frame in encode_frames(packet) {
                let _ = engine.send_frame(frame);
            }
        }
    }

    /// The session closed: every socket leaves with the matching reason, and
    /// none is let in after.
    pub(crate) fn on_close(&self, reason: engine::DisconnectReason) {
        self.closed.store(true, Ordering::SeqCst);
        self.unpark();
        for socket in self.joined() {
            socket.close(DisconnectReason::from(reason));
        }
    }

    /// Every socket of the client leaves its namespace, told as by
    /// [`Socket::disconnect`], then the session closes (what socket.io does
    /// on `socket.disconnect(true)`): the client learns of each namespace
    /// before its connection ends.
    pub(crate) fn disconnect_closing(&self) {
        for socket in self.joined() {
            socket.disconnect();
        }
        if let Some(engine) = self.engine() {
            engine.close();
        }
    }

    /// The sockets of the namespaces the client is in.
    fn joined(&self) -> Vec<Arc<Socket>> {
        self.namespaces
            .read()
            .map(|n| {
                n.iter()
                    .filter_map(|(_, m)| match m {
                        Membership::Joined(s) => Some(s.clone()),
                        Membership::Connecting => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}
