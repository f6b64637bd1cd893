//! A [`Socket`]'s life in its namespace: let in (restored or not), its rooms
//! and data — written to this node's recovery store as they change, so that
//! a killed process leaves them behind (an adapter's session keeper gets
//! them as the socket leaves) — the packets it receives, and its leaving.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::Socket;
use crate::protocol::{Packet, PacketKind};
use crate::server::adapter::{Room, Session};
use crate::server::error::{DisconnectReason, EmitError};
use crate::server::event::{AckSender, Event};
use crate::server::handlers::guarded;
use crate::server::recovery::{is_recoverable, Recovery, Restored, SessionState};

impl Socket {
    /// Joins `room`.
    pub fn join(&self, room: impl Into<Room>) {
        self.join_all(&[room.into()]);
    }

    /// Joins every room of `rooms`. Once the socket has left (a handler
    /// still holding it), nothing: it must not linger in rooms. A room name
    /// longer than [`IoConfig::max_room_name_len`] bytes is not joined (and
    /// that is logged): room names often come from client input.
    ///
    /// [`IoConfig::max_room_name_len`]: crate::server::IoConfig
    pub fn join_all(&self, rooms: &[Room]) {
        if self.left.load(Ordering::Acquire) {
            return;
        }
        let max = self.client.config().max_room_name_len;
        if rooms.iter().any(|r| r.len() > max) {
            tracing::warn!(
                sid = %self.id,
                ns = self.ns(),
                max,
                "room name too long: not joined"
            );
            let within: Vec<Room> = rooms.iter().filter(|r| r.len() <= max).cloned().collect();
            return self.join_all(&within);
        }
        let observers = self.ns.observers();
        let before = observers.as_ref().map(|_| self.rooms());
        self.ns.adapter().add_all(&self.id, rooms);
        self.save_session(false);
        if let (Some(observers), Some(before)) = (observers, before) {
            let mut told = HashSet::new();
            for room in rooms {
                if !before.contains(room) && told.insert(room) {
                    for o in &observers {
                        o.room_joined(self.ns(), room, &self.id);
                    }
                }
            }
        }
    }

    /// Leaves `room`.
    pub fn leave(&self, room: &str) {
        if self.left.load(Ordering::Acquire) {
            return;
        }
        let observers = self.ns.observers();
        let was_in = observers.is_some() && self.rooms().contains(room);
        self.ns.adapter().del(&self.id, room);
        self.save_session(false);
        if let (Some(observers), true) = (observers, was_in) {
            for o in &observers {
                o.room_left(self.ns(), room, &self.id);
            }
        }
    }

    /// A socket a middleware refused: whatever it joined meanwhile is undone.
    pub(crate) fn refused(&self) {
        self.left.store(true, Ordering::Release);
        self.ns.adapter().del_all(&self.id);
    }

    /// The rooms the socket is in (its own id included).
    pub fn rooms(&self) -> HashSet<Room> {
        self.ns.adapter().socket_rooms(&self.id)
    }

    /// Sets the socket's data (socket.io's `socket.data`): any serializable
    /// value, kept with the session and given back when it is restored.
    pub fn set_data<T: Serialize>(&self, data: T) -> Result<(), EmitError> {
        let value = super::send::to_value(data)?;
        if let Ok(mut d) = self.data.write() {
            *d = Some(value);
        }
        self.save_session(false);
        Ok(())
    }

    /// The socket's data as a `T`, when set and of that shape.
    pub fn data<T: DeserializeOwned>(&self) -> Option<T> {
        let d = self.data.read().ok()?;
        T::deserialize(d.as_ref()?).ok()
    }

    /// Removes the socket from its namespace, telling the client.
    pub fn disconnect(self: &Arc<Self>) {
        if self.connected() {
            let _ = self.send_packet(&Packet::new(PacketKind::Disconnect, self.ns(), None));
        }
        self.close(DisconnectReason::ServerNamespaceDisconnect);
    }

    /// Removes the socket from its namespace and closes the client's whole
    /// connection (socket.io's `socket.disconnect(true)`): each of the
    /// client's sockets, in every namespace, is told and leaves, then the
    /// connection closes.
    pub fn disconnect_closing(self: &Arc<Self>) {
        if self.connected() {
            self.client.disconnect_closing();
        }
    }

    /// Writes the session record (recovery on): in this node's store while
    /// connected and as it leaves; through the adapter's keeper as it
    /// leaves only (as socket.io's adapters persist it).
    fn save_session(&self, left: bool) {
        let (Some(recovery), Some(pid)) = (self.ns.recovery_mode(), &self.pid) else {
            return;
        };
        if !left && !self.connected() {
            return;
        }
        if matches!(recovery, Recovery::Adapter(_)) && !left {
            return;
        }
        let mut rooms: Vec<Room> = self.rooms().into_iter().collect();
        rooms.retain(|r| r != self.id.as_str());
        rooms.sort();
        let data = self.data.read().ok().and_then(|d| d.clone());
        match recovery {
            Recovery::Local(store) => store.save(
                pid,
                SessionState {
                    sid: &self.id,
                    rooms,
                    data: data.as_ref(),
                    since: self.since,
                    left,
                },
            ),
            Recovery::Adapter(keeper) => keeper.persist(Session {
                sid: self.id.clone(),
                pid: pid.clone(),
                rooms,
                data,
            }),
        }
    }

    /// The socket is in: joins its own room (and, restored, its old ones),
    /// answers CONNECT, sends what it missed, runs the connection handler.
    pub(crate) fn on_connected(self: &Arc<Self>, restored: Option<Restored>) {
        self.connected.store(true, Ordering::Release);
        let mut rooms = vec![self.id.to_string()];
        let mut missed = Vec::new();
        if let Some(r) = restored {
            rooms.extend(r.rooms);
            if let Ok(mut d) = self.data.write() {
                *d = r.data;
            }
            missed = r.missed;
        }
        self.ns.adapter().add_all(&self.id, &rooms);
        self.save_session(false);
        let mut data = serde_json::json!({ "sid": self.id.as_str() });
        if let Some(pid) = &self.pid {
            data["pid"] = Value::String(pid.to_string());
        }
        let _ = self.send_packet(&Packet::new(PacketKind::Connect, self.ns(), Some(data)));
        self.replay(missed);
        for o in self.ns.observers().unwrap_or_default() {
            o.socket_connected(self);
        }
        // A connection handler that panicked may have set the socket up by
        // half: it leaves, cleanly (the client is told, its disconnect
        // handlers run), rather than stay without its handlers.
        if guarded(self, "connection handler", "connection", || {
            self.ns.run_connection_handler(self)
        })
        .is_none()
        {
            self.disconnect();
        }
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
    /// its rooms), its session is kept if it may come back (and forgotten
    /// otherwise), then it leaves every room and its namespace. Once only.
    pub(crate) fn close(self: &Arc<Self>, reason: DisconnectReason) {
        if !self.connected.swap(false, Ordering::AcqRel) {
            return;
        }
        self.handlers.disconnected(self, reason);
        self.metrics().socketio().disconnected(reason.as_str());
        self.left.store(true, Ordering::Release);
        if is_recoverable(reason) {
            self.save_session(true);
        } else if let (Some(store), Some(pid)) = (self.ns.recovery(), &self.pid) {
            store.forget(pid);
        }
        let observers = self.ns.observers();
        let rooms = observers.as_ref().map(|_| self.rooms());
        self.ns.adapter().del_all(&self.id);
        self.ns.remove(&self.id);
        self.client.remove(self);
        if let Ok(mut acks) = self.acks.lock() {
            acks.clear();
        }
        if let (Some(observers), Some(rooms)) = (observers, rooms) {
            for o in &observers {
                o.socket_disconnected(self, reason);
                for room in &rooms {
                    o.room_left(self.ns(), room, &self.id);
                }
            }
        }
    }
}
