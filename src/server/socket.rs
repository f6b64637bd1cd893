//! [`Socket`]: one client's membership of one namespace — its handlers, its
//! rooms, its emits and acknowledgements.

use std::any::{Any, TypeId};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::oneshot;

use super::adapter::Room;
use super::broadcast::BroadcastOperator;
use super::client::Client;
use super::error::{DisconnectReason, EmitError};
use super::event::{AckResponse, AckSender, Event};
use super::handlers::Handlers;
use super::namespace::{Namespace, NsInner};
use super::recovery::{is_recoverable, Restored};
use crate::engine::{self, Frame};
use crate::protocol::{Packet, PacketKind};

/// A socket id (the socket's own room too).
pub type Sid = engine::Sid;

/// One client in one namespace.
pub struct Socket {
    /// The socket's id, public and also its own room.
    id: Sid,
    /// The private id a client presents to recover this socket (when
    /// recovery is on); never shared with other clients.
    pid: Option<Sid>,
    /// True when the socket was restored by connection-state recovery.
    recovered: bool,
    /// The namespace.
    ns: Arc<NsInner>,
    /// The client connection the socket rides on.
    pub(super) client: Arc<Client>,
    /// The `auth` payload of the CONNECT packet.
    auth: Value,
    /// What runs for the client's events.
    handlers: Handlers,
    /// Acknowledgements awaited from the client, by id.
    pub(super) acks: Mutex<HashMap<u64, oneshot::Sender<AckResponse>>>,
    /// The next acknowledgement id.
    pub(super) next_ack: AtomicU64,
    /// True from the CONNECT answer until the socket leaves.
    connected: AtomicBool,
    /// Data attached by middlewares and handlers, by type.
    extensions: RwLock<HashMap<TypeId, Box<dyn Any + Send + Sync>>>,
}

impl Socket {
    pub(crate) fn new(
        ns: Arc<NsInner>,
        client: Arc<Client>,
        auth: Value,
        restored: Option<(Sid, Sid)>,
    ) -> Arc<Self> {
        let recovered = restored.is_some();
        let (id, pid) = match restored {
            Some((sid, pid)) => (sid, Some(pid)),
            None => (Sid::random(), ns.recovery().map(|_| Sid::random())),
        };
        Arc::new(Self {
            id,
            pid,
            recovered,
            ns,
            client,
            auth,
            handlers: Handlers::default(),
            acks: Mutex::default(),
            next_ack: AtomicU64::new(0),
            connected: AtomicBool::new(false),
            extensions: RwLock::default(),
        })
    }

    /// The socket id.
    pub fn id(&self) -> &Sid {
        &self.id
    }

    /// The namespace's name.
    pub fn ns(&self) -> &str {
        self.ns.name()
    }

    /// The socket's namespace (to broadcast to all of it, this socket included).
    pub fn namespace(&self) -> Namespace {
        Namespace {
            inner: self.ns.clone(),
        }
    }

    pub(crate) fn ns_inner(&self) -> &Arc<NsInner> {
        &self.ns
    }

    /// The `auth` payload the client connected with (`{}` when none).
    pub fn auth(&self) -> &Value {
        &self.auth
    }

    /// The Engine.IO handshake (headers, query, remote address).
    pub fn handshake(&self) -> Option<engine::Handshake> {
        self.client.engine().map(|e| e.handshake().clone())
    }

    /// True when connection-state recovery restored this socket: same id,
    /// same rooms, and the broadcasts it missed were sent again.
    pub fn recovered(&self) -> bool {
        self.recovered
    }

    /// True while the socket is connected to its namespace.
    pub fn connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    /// Registers the handler of event `name` (replacing any before it).
    /// Handlers run in the order the client sent its events; spawn a task for
    /// slow work.
    pub fn on<F>(&self, name: &str, handler: F)
    where
        F: Fn(&Arc<Socket>, Event) + Send + Sync + 'static,
    {
        if let Ok(mut h) = self.handlers.events.write() {
            h.insert(name.to_owned(), Arc::new(handler));
        }
    }

    /// Registers a typed handler of event `name`: its first argument is
    /// deserialized into a `T`. An argument that does not fit is refused and
    /// reported to the error handlers.
    pub fn on_data<T, F>(&self, name: &str, handler: F)
    where
        T: DeserializeOwned,
        F: Fn(&Arc<Socket>, T, Option<AckSender>) + Send + Sync + 'static,
    {
        self.on(name, move |socket, event| match event.arg::<T>(0) {
            Ok(data) => handler(socket, data, event.ack),
            Err(e) => socket
                .handlers
                .error(socket, &format!("event {:?}: {e}", event.name)),
        });
    }

    /// Registers a handler called for every incoming event.
    pub fn on_any<F>(&self, handler: F)
    where
        F: Fn(&Arc<Socket>, &str, &[Value]) + Send + Sync + 'static,
    {
        if let Ok(mut h) = self.handlers.any_incoming.write() {
            h.push(Arc::new(handler));
        }
    }

    /// Registers a handler called for every event emitted to this socket.
    pub fn on_any_outgoing<F>(&self, handler: F)
    where
        F: Fn(&Arc<Socket>, &str, &[Value]) + Send + Sync + 'static,
    {
        if let Ok(mut h) = self.handlers.any_outgoing.write() {
            h.push(Arc::new(handler));
        }
    }

    /// Adds a packet middleware, run in order on every incoming event before
    /// its handler: it may change the event, or refuse it with a message
    /// (the event is dropped and the error handlers are told).
    pub fn use_middleware<F>(&self, middleware: F)
    where
        F: Fn(&Arc<Socket>, &mut Event) -> Result<(), String> + Send + Sync + 'static,
    {
        if let Ok(mut m) = self.handlers.middlewares.write() {
            m.push(Arc::new(middleware));
        }
    }

    /// Registers a handler told when an event is refused.
    pub fn on_error<F>(&self, handler: F)
    where
        F: Fn(&Arc<Socket>, &str) + Send + Sync + 'static,
    {
        if let Ok(mut h) = self.handlers.errors.write() {
            h.push(Arc::new(handler));
        }
    }

    /// Registers a handler called once when the socket leaves, with why.
    pub fn on_disconnect<F>(&self, handler: F)
    where
        F: FnOnce(&Arc<Socket>, DisconnectReason) + Send + 'static,
    {
        if let Ok(mut h) = self.handlers.disconnect.lock() {
            h.push(Box::new(handler));
        }
    }

    /// Emits event `name` with one argument.
    pub fn emit<T: Serialize>(self: &Arc<Self>, name: &str, data: T) -> Result<(), EmitError> {
        self.emit_args(name, vec![to_value(data)?], Vec::new())
    }

    /// Emits event `name` with these arguments and binary attachments
    /// (referenced by placeholders in `args`).
    pub fn emit_args(
        self: &Arc<Self>,
        name: &str,
        args: Vec<Value>,
        bins: Vec<Bytes>,
    ) -> Result<(), EmitError> {
        self.notify_outgoing(name, &args);
        self.send_packet(&Packet::event(self.ns(), name, args, bins))
    }

    /// Joins `room`.
    pub fn join(&self, room: impl Into<Room>) {
        self.ns.adapter().add_all(&self.id, &[room.into()]);
    }

    /// Leaves `room`.
    pub fn leave(&self, room: &str) {
        self.ns.adapter().del(&self.id, room);
    }

    /// The rooms the socket is in (its own id included).
    pub fn rooms(&self) -> HashSet<Room> {
        self.ns.adapter().socket_rooms(&self.id)
    }

    /// A broadcast to `room`, leaving this socket out.
    pub fn to(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.broadcast().to(room)
    }

    /// A broadcast to every socket of the namespace but this one.
    pub fn broadcast(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.ns.clone()).except(self.id.as_str())
    }

    /// Attaches a value to the socket (one per type).
    pub fn insert<T: Any + Send + Sync>(&self, value: T) {
        if let Ok(mut e) = self.extensions.write() {
            e.insert(TypeId::of::<T>(), Box::new(value));
        }
    }

    /// A copy of the attached value of type `T`.
    pub fn get<T: Any + Send + Sync + Clone>(&self) -> Option<T> {
        let e = self.extensions.read().ok()?;
        e.get(&TypeId::of::<T>())?.downcast_ref::<T>().cloned()
    }

    /// Removes the socket from its namespace, telling the client.
    pub fn disconnect(self: &Arc<Self>) {
        if self.connected() {
            let _ = self.send_packet(&Packet::new(PacketKind::Disconnect, self.ns(), None));
        }
        self.close(DisconnectReason::ServerNamespaceDisconnect);
    }

    /// Sends an encoded packet.
    pub(crate) fn send_packet(&self, packet: &Packet) -> Result<(), EmitError> {
        // Frames moved in, not cloned: a frame used once is never shared.
        let engine = self.client.engine().ok_or(EmitError::Disconnected)?;
        queue(&engine, text_frame(packet))?;
        for data in &packet.attachments {
            queue(&engine, Frame::binary(data.clone()))?;
        }
        Ok(())
    }

    /// Sends frames encoded once (a broadcast shares them).
    pub(crate) fn send_frames(&self, frames: &[Frame]) -> Result<(), EmitError> {
        let engine = self.client.engine().ok_or(EmitError::Disconnected)?;
        for frame in frames {
            queue(&engine, frame.clone())?;
        }
        Ok(())
    }

    pub(crate) fn notify_outgoing(self: &Arc<Self>, name: &str, args: &[Value]) {
        self.handlers.outgoing(self, name, args);
    }

    /// The socket is in: joins its own room, answers CONNECT, runs the
    /// namespace's connection handler.
    pub(crate) fn on_connected(self: &Arc<Self>, restored: Option<Restored>) {
        self.connected.store(true, Ordering::Release);
        let mut rooms = vec![self.id.to_string()];
        if let Some(r) = &restored {
            rooms.extend(r.rooms.iter().cloned());
        }
        self.ns.adapter().add_all(&self.id, &rooms);
        let mut data = serde_json::json!({ "sid": self.id.as_str() });
        if let Some(pid) = &self.pid {
            data["pid"] = Value::String(pid.to_string());
        }
        let _ = self.send_packet(&Packet::new(PacketKind::Connect, self.ns(), Some(data)));
        for packet in restored.map(|r| r.missed).unwrap_or_default() {
            let _ = self.send_packet(&packet);
        }
        self.ns.run_connection_handler(self);
    }

    /// Handles an event or ack packet from the client.
    pub(crate) fn on_packet(self: &Arc<Self>, packet: Packet) {
        match packet.kind {
            PacketKind::Event => self.on_event(packet),
            PacketKind::Ack => self.on_ack(packet),
            PacketKind::Disconnect => self.close(DisconnectReason::ClientNamespaceDisconnect),
            PacketKind::Connect | PacketKind::ConnectError => {}
        }
    }

    fn on_event(self: &Arc<Self>, packet: Packet) {
        let Some(Value::Array(mut data)) = packet.data else {
            return;
        };
        if data.is_empty() {
            return;
        }
        let name = match data.remove(0) {
            Value::String(s) => s,
            other => other.to_string(),
        };
        let ack = packet.id.map(|id| AckSender {
            socket: self.clone(),
            id,
        });
        let event = Event {
            name,
            args: data,
            bins: packet.attachments,
            ack,
        };
        self.handlers.dispatch(self, event);
    }

    /// The socket leaves for `reason`: its disconnect handlers run (still in
    /// its rooms), then it leaves every room and its namespace. Once only.
    pub(crate) fn close(self: &Arc<Self>, reason: DisconnectReason) {
        if !self.connected.swap(false, Ordering::AcqRel) {
            return;
        }
        self.handlers.disconnected(self, reason);
        if let (Some(store), Some(pid)) = (self.ns.recovery(), &self.pid) {
            if is_recoverable(reason) {
                let mut rooms = self.rooms();
                rooms.remove(self.id.as_str());
                store.save(pid, &self.id, rooms);
            }
        }
        self.ns.adapter().del_all(&self.id);
        self.ns.remove(&self.id);
        self.client.remove(self.ns());
        if let Ok(mut acks) = self.acks.lock() {
            acks.clear();
        }
    }
}

/// The frames of a packet: its text, then its attachments.
pub(crate) fn encode_frames(packet: &Packet) -> Vec<Frame> {
    let mut frames = Vec::with_capacity(1 + packet.attachments.len());
    frames.push(text_frame(packet));
    frames.extend(packet.attachments.iter().cloned().map(Frame::binary));
    frames
}

/// The text frame of a packet, built in one buffer.
fn text_frame(packet: &Packet) -> Frame {
    Frame::message_with(64, |out| packet.encode_into(out))
}

/// Queues one frame on a session.
fn queue(engine: &Arc<engine::Socket>, frame: Frame) -> Result<(), EmitError> {
    engine.send_frame(frame).map_err(|e| match e {
        engine::SendError::Closed => EmitError::Disconnected,
        engine::SendError::QueueFull => EmitError::QueueFull,
    })
}

pub(crate) fn to_value<T: Serialize>(data: T) -> Result<Value, EmitError> {
    serde_json::to_value(data).map_err(|e| EmitError::Serialize(e.to_string()))
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("id", &self.id)
            .field("ns", &self.ns())
            .field("connected", &self.connected())
            .finish()
    }
}
