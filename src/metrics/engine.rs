//! [`EngineMetrics`]: what the Engine.IO layer records — sessions, handshakes,
//! packets and bytes, refusals, drops and closes.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

/// One label, fixed at build time.
pub(crate) type Label = [(&'static str, &'static str); 1];

/// A transport, as the metrics label it (`transport="polling"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// HTTP long-polling.
    Polling = 0,
    /// WebSocket.
    WebSocket = 1,
}

impl Transport {
    const ALL: [Transport; 2] = [Transport::Polling, Transport::WebSocket];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Polling => "polling",
            Transport::WebSocket => "websocket",
        }
    }
}

/// Why a handshake was refused (`reason` of
/// `edgeio_handshakes_refused_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Over the per-address handshake rate (`429`).
    RateLimit,
    /// The server holds `max_sessions` already (`503`).
    TooManySessions,
    /// The `allow_request` hook said no (`403`).
    Forbidden,
    /// Not a valid handshake: bad method, query, transport or protocol
    /// version (`400`).
    BadRequest,
    /// The server is draining for a shutdown (`503`).
    Draining,
}

impl Refusal {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::RateLimit => "rate_limit",
            Refusal::TooManySessions => "too_many_sessions",
            Refusal::Forbidden => "forbidden",
            Refusal::BadRequest => "bad_request",
            Refusal::Draining => "draining",
        }
    }
}

/// Why a packet was dropped or refused (`reason` of
/// `edgeio_packets_dropped_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// A volatile emit found its receiver's queue full.
    Volatile = 0,
    /// A packet found its receiver's queue full (the session is closed).
    SendBufferFull = 1,
    /// A message or POST over `max_payload` (the session is closed).
    PayloadTooLarge = 2,
    /// A packet that could not be decoded (the session is closed).
    ParseError = 3,
}

impl Dropped {
    const ALL: [Dropped; 4] = [
        Dropped::Volatile,
        Dropped::SendBufferFull,
        Dropped::PayloadTooLarge,
        Dropped::ParseError,
    ];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Dropped::Volatile => "volatile",
            Dropped::SendBufferFull => "send_buffer_full",
            Dropped::PayloadTooLarge => "payload_too_large",
            Dropped::ParseError => "parse_error",
        }
    }
}

/// The Engine.IO traffic since the start, every transport together
/// ([`EngineMetrics::traffic`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Sessions opened.
    pub connections: u64,
    /// Packets received.
    pub packets_in: u64,
    /// Packets sent.
    pub packets_out: u64,
    /// Bytes received.
    pub bytes_in: u64,
    /// Bytes sent.
    pub bytes_out: u64,
}

/// A counter per transport, made up front (indexed by [`Transport`]).
type PerTransport = [Counter; 2];

/// What the Engine.IO layer records. Part of [`super::Metrics`].
#[derive(Debug)]
pub struct EngineMetrics {
    sessions: [Gauge; 2],
    handshakes: PerTransport,
    upgrades: Counter,
    refused: Family<Label, Counter>,
    packets_in: PerTransport,
    packets_out: PerTransport,
    bytes_in: PerTransport,
    bytes_out: PerTransport,
    dropped: [Counter; 4],
    closes: Family<Label, Counter>,
}

/// Registers a family labelled `key` and returns it with one member per
/// value, made now (so that recording needs no lookup).
fn per_value<M, const N: usize>(
    registry: &mut Registry,
    name: &str,
    help: &str,
    unit: Option<Unit>,
    key: &'static str,
    values: [&'static str; N],
) -> [M; N]
where
    M: prometheus_client::encoding::EncodeMetric
        + prometheus_client::metrics::TypedMetric
        + Clone
        + Default
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    let family = Family::<Label, M>::default();
    let made = values.map(|v| family.get_or_create(&[(key, v)]).clone());
    match unit {
        Some(unit) => registry.register_with_unit(name, help, unit, family),
        None => registry.register(name, help, family),
    }
    made
}

fn transports() -> [&'static str; 2] {
    Transport::ALL.map(Transport::as_str)
}

impl EngineMetrics {
    pub(crate) fn register(r: &mut Registry) -> Self {
        let t = transports();
        let sessions = per_value(
            r,
            "sessions",
            "Open Engine.IO sessions (client connections) by transport",
            None,
            "transport",
            t,
        );
        let handshakes = per_value(
            r,
            "handshakes",
            "Sessions opened, by the transport of their handshake",
            None,
            "transport",
            t,
        );
        let upgrades = Counter::default();
        r.register(
            "upgrades",
            "Sessions upgraded from polling to WebSocket",
            upgrades.clone(),
        );
        let refused = Family::default();
        r.register(
            "handshakes_refused",
            "Handshakes refused, by reason",
            refused.clone(),
        );
        let packets_in = per_value(
            r,
            "packets_received",
            "Engine.IO packets received from clients",
            None,
            "transport",
            t,
        );
        let packets_out = per_value(
            r,
            "packets_sent",
            "Engine.IO packets sent to clients",
            None,
            "transport",
            t,
        );
        let bytes_in = per_value(
            r,
            "received",
            "Bytes of Engine.IO packets received (POST bodies, WebSocket messages)",
            Some(Unit::Bytes),
            "transport",
            t,
        );
        let bytes_out = per_value(
            r,
            "sent",
            "Bytes of Engine.IO packets sent (polling payloads, WebSocket messages)",
            Some(Unit::Bytes),
            "transport",
            t,
        );
        let dropped = per_value(
            r,
            "packets_dropped",
            "Packets dropped or refused, by reason",
            None,
            "reason",
            Dropped::ALL.map(Dropped::as_str),
        );
        let closes = Family::default();
        r.register(
            "session_closes",
            "Engine.IO sessions closed, by reason",
            closes.clone(),
        );
        Self {
            sessions,
            handshakes,
            upgrades,
            refused,
            packets_in,
            packets_out,
            bytes_in,
            bytes_out,
            dropped,
            closes,
        }
    }

    /// A session opened on `transport`.
    pub fn session_opened(&self, transport: Transport) {
        self.handshakes[transport as usize].inc();
        self.sessions[transport as usize].inc();
    }

    /// The traffic so far, every transport together.
    pub fn traffic(&self) -> Traffic {
        let sum = |c: &PerTransport| c.iter().map(Counter::get).sum();
        Traffic {
            connections: sum(&self.handshakes),
            packets_in: sum(&self.packets_in),
            packets_out: sum(&self.packets_out),
            bytes_in: sum(&self.bytes_in),
            bytes_out: sum(&self.bytes_out),
        }
    }

    /// How many sessions are open on `transport` now.
    pub fn open_sessions(&self, transport: Transport) -> i64 {
        self.sessions[transport as usize].get()
    }

    /// An open session moved from polling to WebSocket.
    pub fn session_upgraded(&self) {
        self.upgrades.inc();
        self.sessions[Transport::Polling as usize].dec();
        self.sessions[Transport::WebSocket as usize].inc();
    }

    /// A session carried by `transport` closed for `reason` (the engine's
    /// name of it).
    pub fn session_closed(&self, transport: Transport, reason: &'static str) {
        self.sessions[transport as usize].dec();
        self.closes.get_or_create(&[("reason", reason)]).inc();
    }

    /// A handshake refused for `reason`.
    pub fn handshake_refused(&self, reason: Refusal) {
        self.refused
            .get_or_create(&[("reason", reason.as_str())])
            .inc();
    }

    /// `packets` packets in `bytes` bytes arrived on `transport`.
    pub fn received(&self, transport: Transport, packets: u64, bytes: u64) {
        self.packets_in[transport as usize].inc_by(packets);
        self.bytes_in[transport as usize].inc_by(bytes);
    }

    /// `packets` packets in `bytes` bytes left on `transport`.
    pub fn sent(&self, transport: Transport, packets: u64, bytes: u64) {
        self.packets_out[transport as usize].inc_by(packets);
        self.bytes_out[transport as usize].inc_by(bytes);
    }

    /// A packet dropped or refused for `reason`.
    pub fn dropped(&self, reason: Dropped) {
        self.dropped[reason as usize].inc();
    }
}
