//! [`Session`]: one Engine.IO session, whichever transport carries it.
//!
//! The socket owns the outgoing queue. A transport (a polling GET, or the
//! WebSocket task) takes the queue's receiving end while it writes, so exactly
//! one transport sends at a time; during an upgrade the queue passes from
//! polling to WebSocket without losing, repeating or reordering packets.

use std::any::Any;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::config::TransportKind;
use super::error::{DisconnectReason, SendError};
use super::handler::Message;
use super::outbox::{Budget, Outbox};
use super::packet::{Frame, Packet};
use super::server::EngineShared;
use super::sid::Sid;
use super::text::Text;

pub use super::handshake::Handshake;
use crate::metrics::{Dropped, Metrics, Transport};

/// The value of `Session::counted` once the session is closed.
const NOT_COUNTED: u8 = u8::MAX;

/// How long a polling session closed by the server stays findable for the
/// GET that takes its last frames.
const LINGER: std::time::Duration = std::time::Duration::from_secs(5);

/// One Engine.IO session.
pub struct Session {
    /// The session id.
    id: Sid,
    /// The handshake request.
    handshake: Handshake,
    /// The engine the session belongs to (handler, registry, config).
    pub(super) engine: Arc<EngineShared>,
    /// The outgoing queue; bounded in frames and bytes so a client that does
    /// not read cannot grow server memory.
    pub(super) outbox: Outbox,
    /// The current transport (a `TransportKind` as u8).
    transport: AtomicU8,
    /// The transport the session is counted under in the metrics'
    /// `edgeio_sessions` gauge, or [`NOT_COUNTED`] once it closed: the
    /// upgrade and the close each move it once, whichever comes first.
    counted: AtomicU8,
    /// An upgrade to WebSocket is in progress.
    pub(super) upgrading: AtomicBool,
    /// Signalled when the session moves to WebSocket.
    pub(super) upgraded: Notify,
    /// Releases a pending polling GET with a noop (during an upgrade). A
    /// permit is kept when no GET is pending, so the next GET returns at once.
    pub(super) release_poll: Notify,
    /// While a ping awaits its pong: the deadline for it, in milliseconds
    /// after `started` (0 when no pong is awaited).
    pong_deadline_ms: AtomicU64,
    /// When the session opened; the reference for `pong_deadline_ms`.
    started: Instant,
    /// Signalled when the awaited pong arrives.
    pub(super) pong: Notify,
    /// A polling POST is being read (a second one at once is an error).
    pub(super) posting: AtomicBool,
    /// Cancelled when the session closes; every task of the session ends on it.
    pub(super) closed: CancellationToken,
    /// Why the session closed; set once.
    close_reason: OnceLock<DisconnectReason>,
    /// The layer above's state for this session (set once, read lock-free).
    user_data: OnceLock<Box<dyn Any + Send + Sync>>,
}

impl Session {
    pub(super) fn new(
        id: Sid,
        handshake: Handshake,
        transport: TransportKind,
        engine: Arc<EngineShared>,
    ) -> Arc<Self> {
        let config = &engine.config;
        let outbox = Outbox::new(Budget {
            frames: config.max_buffered_packets,
            bytes: config.max_buffered_bytes,
        });
        let handshake = handshake.kept(config.max_handshake_header_bytes);
        Arc::new(Self {
            id,
            handshake,
            engine,
            outbox,
            transport: AtomicU8::new(transport as u8),
            counted: AtomicU8::new(transport as u8),
            upgrading: AtomicBool::new(false),
            upgraded: Notify::new(),
            release_poll: Notify::new(),
            pong_deadline_ms: AtomicU64::new(0),
            started: Instant::now(),
            pong: Notify::new(),
            posting: AtomicBool::new(false),
            closed: CancellationToken::new(),
            close_reason: OnceLock::new(),
            user_data: OnceLock::new(),
        })
    }

    /// The session id.
    pub fn id(&self) -> &Sid {
        &self.id
    }

    /// The handshake request, as kept for the session's life (see
    /// [`Handshake::kept`]).
    pub fn handshake(&self) -> &Handshake {
        &self.handshake
    }

    /// The transport carrying the session now.
    pub fn transport(&self) -> TransportKind {
        if self.transport.load(Ordering::Acquire) == TransportKind::WebSocket as u8 {
            TransportKind::WebSocket
        } else {
            TransportKind::Polling
        }
    }

    /// Moves the session to WebSocket for good.
    pub(super) fn set_upgraded(&self) {
        self.transport
            .store(TransportKind::WebSocket as u8, Ordering::Release);
        let moved = self.counted.compare_exchange(
            TransportKind::Polling as u8,
            TransportKind::WebSocket as u8,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
        if moved.is_ok() {
            self.metrics().engine().session_upgraded();
        }
        self.upgraded.notify_waiters();
        // A GET still pending must give the queue up to the WebSocket.
        self.release_poll.notify_one();
    }

    /// Where the session's engine records its metrics.
    pub(super) fn metrics(&self) -> &Metrics {
        &self.engine.config.metrics
    }

    /// Attaches the layer above's state to the session; fails (giving the
    /// value back) when some was attached already.
    pub fn set_user_data<T: Any + Send + Sync>(&self, data: T) -> Result<(), T> {
        let mut slot = Some(data);
        let _ = self.user_data.get_or_init(|| match slot.take() {
            Some(d) => Box::new(d),
            None => Box::new(()),
        });
        match slot {
            None => Ok(()),
            Some(d) => Err(d),
        }
    }

    /// The state attached with [`Session::set_user_data`], if it is a `T`.
    pub fn user_data<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.user_data.get()?.downcast_ref::<T>()
    }

    /// Queues a message for the client.
    pub fn send(self: &Arc<Self>, message: Message) -> Result<(), SendError> {
        let frame = match message {
            Message::Text(t) => Frame::message(&t),
            Message::Binary(b) => Frame::binary(b),
        };
        self.send_frame(frame)
    }

    /// Queues an already encoded frame: a broadcast encodes once and sends the
    /// same frame to every receiver.
    ///
    /// When the queue is full (`max_buffered_packets` frames, or
    /// `max_buffered_bytes` bytes) the client is not reading: the session is
    /// closed with [`DisconnectReason::SendBufferFull`].
    pub fn send_frame(self: &Arc<Self>, frame: Frame) -> Result<(), SendError> {
        if self.is_closed() {
            return Err(SendError::Closed);
        }
        if self.outbox.push(frame).is_err() {
            self.metrics().engine().dropped(Dropped::SendBufferFull);
            self.close_with(DisconnectReason::SendBufferFull);
            return Err(SendError::QueueFull);
        }
        Ok(())
    }

    /// Queues a frame that may be lost (a volatile emit): when the outgoing
    /// queue is full the frame is dropped and [`SendError::QueueFull`]
    /// returned, and the session stays open — unlike
    /// [`Session::send_frame`], which closes it.
    pub fn send_frame_volatile(&self, frame: Frame) -> Result<(), SendError> {
        if self.is_closed() {
            return Err(SendError::Closed);
        }
        self.outbox.push(frame).map_err(|_| {
            self.metrics().engine().dropped(Dropped::Volatile);
            SendError::QueueFull
        })
    }

    /// Queues a frame, waiting while the outgoing queue is full instead of
    /// closing the session (for a sender that must not drop frames and can
    /// wait, such as a recovery replay). Fails once the session is closed.
    pub async fn send_frame_when_room(&self, frame: Frame) -> Result<(), SendError> {
        if self.is_closed() {
            return Err(SendError::Closed);
        }
        tokio::select! {
            () = self.outbox.push_when_room(frame) => Ok(()),
            () = self.closed.cancelled() => Err(SendError::Closed),
        }
    }

    /// The bytes of the frames queued for the client and not yet taken by
    /// its transport.
    pub fn buffered_bytes(&self) -> usize {
        self.outbox.bytes()
    }

    /// Closes the session from the server side.
    pub fn close(self: &Arc<Self>) {
        self.close_with(DisconnectReason::ForcedClose);
    }

    /// True once the session is closed.
    pub fn is_closed(&self) -> bool {
        // Set before the token is cancelled, and a plain atomic load to read.
        self.close_reason.get().is_some()
    }

    /// Why the session closed, once it has.
    pub fn close_reason(&self) -> Option<DisconnectReason> {
        self.close_reason.get().copied()
    }

    /// Resolves when the session closes.
    pub async fn closed(&self) {
        self.closed.cancelled().await
    }

    /// Closes the session for `reason`: unregisters it, wakes its transports
    /// and tells the handler. Only the first call has an effect.
    pub fn close_with(self: &Arc<Self>, reason: DisconnectReason) {
        if self.close_reason.set(reason).is_err() {
            return;
        }
        self.unregister(reason);
        let counted = self.counted.swap(NOT_COUNTED, Ordering::AcqRel);
        if counted != NOT_COUNTED {
            let transport = if counted == TransportKind::WebSocket as u8 {
                Transport::WebSocket
            } else {
                Transport::Polling
            };
            self.metrics()
                .engine()
                .session_closed(transport, reason.as_str());
        }
        self.closed.cancel();
        tracing::debug!(sid = %self.id, %reason, "session closed");
        self.engine.handler.on_disconnect(self, reason);
    }

    /// Takes the closed session out of the engine's map. A polling client
    /// hears of a server-side close from its next GET, which takes what is
    /// still queued (the namespaces' disconnects) and a close packet: when
    /// frames wait and no GET has taken them yet, the session stays
    /// findable until one does (at most [`LINGER`]), as engine.io waits for
    /// its write buffer to drain before it closes a transport.
    fn unregister(self: &Arc<Self>, reason: DisconnectReason) {
        let linger = reason == DisconnectReason::ForcedClose
            && self.transport() == TransportKind::Polling
            && !self.outbox.is_empty();
        let runtime = tokio::runtime::Handle::try_current();
        let (true, Ok(runtime)) = (linger, runtime) else {
            return self.engine.remove(&self.id);
        };
        // The GET that takes the frames forgets the session; this is for a
        // client that never comes back for them.
        let session = self.clone();
        runtime.spawn(async move {
            tokio::time::sleep(LINGER).await;
            session.forget();
        });
    }

    /// Takes the session out of the engine's map (a closed one's last GET
    /// has its frames).
    pub(super) fn forget(&self) {
        self.engine.remove(&self.id);
    }

    /// True while the server closed the session and frames wait for the
    /// polling client's last GET ([`Session::unregister`]).
    pub(super) fn lingering(&self) -> bool {
        self.close_reason() == Some(DisconnectReason::ForcedClose) && !self.outbox.is_empty()
    }

    /// Handles one packet from the client, whichever transport brought it.
    pub(super) fn on_packet(self: &Arc<Self>, packet: Packet) {
        // A closed session hears nothing more, even from the rest of a
        // payload that closed it or a POST that was still arriving.
        if self.is_closed() {
            return;
        }
        match packet {
            Packet::Message(text) => self.engine.handler.on_message(self, Message::Text(text)),
            Packet::Binary(data) => self.engine.handler.on_message(self, Message::Binary(data)),
            Packet::Pong(_) => {
                if self.pong_deadline_ms.swap(0, Ordering::AcqRel) != 0 {
                    self.pong.notify_one();
                }
            }
            // Clients of protocol v3 ping the server; answering costs nothing.
            Packet::Ping(data) => {
                let _ = self.send_frame(Packet::Pong(data).encode());
            }
            Packet::Close => self.close_with(DisconnectReason::TransportClose),
            Packet::Noop | Packet::Upgrade => {}
            Packet::Open(_) => {
                self.metrics().engine().dropped(Dropped::ParseError);
                self.close_with(DisconnectReason::ParseError)
            }
        }
    }

    /// Records that a ping was sent and its pong is due by `deadline`.
    pub(super) fn expect_pong_by(&self, deadline: Instant) {
        let ms = deadline.saturating_duration_since(self.started).as_millis() as u64;
        self.pong_deadline_ms.store(ms.max(1), Ordering::Release);
    }

    /// Closes the session if its pong is overdue, whether or not the heartbeat
    /// timer has fired yet; true when the session is (now) closed. Called on
    /// every request, so a late client is refused from the deadline on.
    pub(super) fn check_alive(self: &Arc<Self>) -> bool {
        let deadline = self.pong_deadline_ms.load(Ordering::Acquire);
        if deadline != 0 && self.started.elapsed().as_millis() as u64 >= deadline {
            self.close_with(DisconnectReason::PingTimeout);
        }
        self.is_closed()
    }

    /// Queues the open packet; it is always the first frame of a session.
    pub(super) fn queue_open(self: &Arc<Self>, kind: TransportKind) {
        let config = &self.engine.config;
        let upgrades = if self.engine.upgrades.unavailable() {
            Vec::new()
        } else {
            config.upgrades_from(kind)
        };
        let open = serde_json::json!({
            "sid": self.id.as_str(),
            "upgrades": upgrades,
            "pingInterval": config.ping_interval.as_millis() as u64,
            "pingTimeout": config.ping_timeout.as_millis() as u64,
            "maxPayload": config.max_payload,
        });
        let _ = self.send_frame(Packet::Open(Text::from(open.to_string())).encode());
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("transport", &self.transport())
            .field("closed", &self.is_closed())
            .finish()
    }
}
