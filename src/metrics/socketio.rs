//! [`SocketMetrics`]: what the Socket.IO layer records — sockets per
//! namespace, broadcasts and their deliveries, disconnects, recovery and the
//! errors of the application's handlers.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::engine::Label;
use super::namespaces::{NamespaceGauge, MAX_NAMESPACE_LABELS};

/// What went wrong in an application's handler (`kind` of
/// `edgeio_handler_errors_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandlerError {
    /// A handler, middleware or namespace matcher panicked (caught; the
    /// server goes on).
    Panic = 0,
    /// A packet middleware returned an error (the client gets an `error`
    /// event).
    Error = 1,
}

/// What the Socket.IO layer records. Part of [`super::Metrics`].
#[derive(Debug)]
pub struct SocketMetrics {
    sockets: NamespaceGauge,
    broadcasts: Counter,
    deliveries: Counter,
    disconnects: Family<Label, Counter>,
    recovery: [Counter; 2],
    handler_errors: [Counter; 2],
}

impl SocketMetrics {
    pub(crate) fn register(r: &mut Registry) -> Self {
        let sockets = Family::<_, Gauge>::default();
        r.register(
            "sockets",
            "Connected Socket.IO sockets per namespace (past 100 namespaces, the rest under \"_other\")",
            sockets.clone(),
        );
        let broadcasts = Counter::default();
        r.register(
            "broadcasts",
            "Broadcasts emitted (to a room, a namespace or everyone), each counted once",
            broadcasts.clone(),
        );
        let deliveries = Counter::default();
        r.register(
            "broadcast_deliveries",
            "Packets of broadcasts queued for a socket of this server (one per receiver)",
            deliveries.clone(),
        );
        let disconnects = Family::default();
        r.register(
            "disconnects",
            "Sockets that left their namespace, by the reason socket.io gives",
            disconnects.clone(),
        );
        let recovery = Family::<Label, Counter>::default();
        let hits = recovery.get_or_create(&[("result", "hit")]).clone();
        let misses = recovery.get_or_create(&[("result", "miss")]).clone();
        r.register(
            "recoveries",
            "Clients that came back with a recovery id: restored (hit) or not (miss)",
            recovery,
        );
        let errors = Family::<Label, Counter>::default();
        let panics = errors.get_or_create(&[("kind", "panic")]).clone();
        let returned = errors.get_or_create(&[("kind", "error")]).clone();
        r.register(
            "handler_errors",
            "Application handlers that panicked or returned an error",
            errors,
        );
        Self {
            sockets: NamespaceGauge::new(sockets, MAX_NAMESPACE_LABELS),
            broadcasts,
            deliveries,
            disconnects,
            recovery: [hits, misses],
            handler_errors: [panics, returned],
        }
    }

    /// A socket joined namespace `ns`.
    pub fn socket_joined(&self, ns: &str) {
        self.sockets.joined(ns);
    }

    /// A socket left namespace `ns`.
    pub fn socket_left(&self, ns: &str) {
        self.sockets.left(ns);
    }

    /// One broadcast was emitted.
    pub fn broadcast(&self) {
        self.broadcasts.inc();
    }

    /// A broadcast's packet was queued for one socket.
    pub fn delivered(&self) {
        self.deliveries.inc();
    }

    /// A socket left for `reason` (socket.io's name of it).
    pub fn disconnected(&self, reason: &'static str) {
        self.disconnects.get_or_create(&[("reason", reason)]).inc();
    }

    /// A client presented a recovery id: restored when `hit`.
    pub fn recovery(&self, hit: bool) {
        self.recovery[usize::from(!hit)].inc();
    }

    /// An application handler failed.
    pub fn handler_error(&self, kind: HandlerError) {
        self.handler_errors[kind as usize].inc();
    }
}
