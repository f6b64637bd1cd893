//! The chat's Socket.IO side: the connect middleware that reads the token,
//! the rooms a socket joins (`user:{id}`, `device:{id}:{device}`,
//! `conversation:{id}` of each conversation), `connected` / `reconnected`,
//! presence, and the events (`events`).
//!
//! - `session`: what the chat knows of one socket.
//! - `events`: the client's events and their answers.
//! - `presence`, `typing`, `sequencer`: in-memory state of live users.

mod events;
mod presence;
mod sequencer;
mod session;
mod typing;

use std::sync::Arc;

use serde_json::{json, Value};

use super::clock::{iso, now_ms};
use super::error::{ChatError, ChatResult};
use super::identity::Verifier;
use super::model::Kind;
use super::service::{conversation_room, device_room, user_room, ChatService};
use crate::server::{ConnectError, Namespace, Socket};

pub use events::EVENTS;
pub use presence::{Presence, Status};
pub use sequencer::Sequencer;
pub use session::{ChatSession, DEFAULT_DEVICE};
pub use typing::Typing;

/// The chat's live state, shared by every socket.
#[derive(Clone)]
pub struct ChatSockets {
    service: ChatService,
    verifier: Arc<dyn Verifier>,
    presence: Arc<Presence>,
    typing: Arc<Typing>,
    sequencer: Arc<Sequencer>,
}

/// Serves the chat's events on `ns`.
pub fn serve(ns: &Namespace, service: ChatService, verifier: Arc<dyn Verifier>) {
    let config = service.config().clone();
    let chat = ChatSockets {
        service,
        verifier,
        presence: Arc::default(),
        typing: Arc::new(Typing::new(config.typing_timeout)),
        sequencer: Arc::new(Sequencer::new(config.sequence_hold)),
    };
    let admit = chat.clone();
    ns.use_middleware(move |socket: Arc<Socket>| {
        let chat = admit.clone();
        async move {
            let handshake = socket.handshake();
            let opened = ChatSession::open(
                chat.verifier.as_ref(),
                socket.auth(),
                handshake.as_ref(),
                chat.service.config().max_in_flight,
            );
            match opened {
                Ok(session) => {
                    socket.insert(session);
                    Ok(())
                }
                Err(e) => Err(ConnectError {
                    message: e.to_string(),
                    data: Some(e.body()),
                }),
            }
        }
    });
    let connected = chat.clone();
    ns.on_connection(move |socket| connected.on_connection(socket));
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(keep_devices_seen(
            Arc::downgrade(&chat.presence),
            chat.service.clone(),
        ));
    }
}

/// Writes "seen until now" for every connected device now and then, so that
/// after a crash a device is sent again at most that much.
async fn keep_devices_seen(presence: std::sync::Weak<Presence>, service: ChatService) {
    let mut tick = tokio::time::interval(service.config().seen_interval);
    loop {
        tick.tick().await;
        let Some(presence) = presence.upgrade() else {
            return;
        };
        let now = now_ms();
        for (user, device) in presence.devices() {
            if let Err(e) = service.store().set_device_seen(&user, &device, now).await {
                tracing::warn!(error = %e, "recording a device as seen failed");
            }
        }
    }
}

impl ChatSockets {
    fn on_connection(&self, socket: &Arc<Socket>) {
        let session = match socket.get::<ChatSession>() {
            Some(session) => Ok(session),
            None if socket.recovered() => self.restored_session(socket),
            None => Err(ChatError::Unauthorized("no session".into())),
        };
        let session = match session {
            Ok(session) => session,
            Err(e) => {
                let _ = socket.emit(&format!("error:{}", e.code()), e.body());
                socket.disconnect();
                return;
            }
        };
        socket.join(user_room(&session.user));
        socket.join(device_room(&session.user, &session.device));
        events::register(socket, self, &session);
        let online = self.presence.connect(&session.user, &session.device);
        let leaving = self.clone();
        let left = session.clone();
        socket.on_disconnect(move |socket, _reason| leaving.on_disconnect(socket, &left));
        let (chat, socket) = (self.clone(), socket.clone());
        tokio::spawn(async move {
            if let Err(e) = chat.welcome(&socket, &session, online).await {
                tracing::warn!(error = %e, user = %session.user, "chat welcome failed");
                let _ = socket.emit(&format!("error:{}", e.code()), e.body());
            }
        });
    }

    /// The session of a socket restored by connection-state recovery, which
    /// skips the connect middleware: the token the client sent again is
    /// checked again, and must name the user whose room the socket kept.
    fn restored_session(&self, socket: &Arc<Socket>) -> ChatResult<ChatSession> {
        let handshake = socket.handshake();
        let session = ChatSession::open(
            self.verifier.as_ref(),
            socket.auth(),
            handshake.as_ref(),
            self.service.config().max_in_flight,
        )?;
        if !socket.rooms().contains(&user_room(&session.user)) {
            return Err(ChatError::Unauthorized(
                "the token names another user than the restored session's".into(),
            ));
        }
        socket.insert(session.clone());
        Ok(session)
    }

    /// Joins the conversations' rooms, then sends `connected` (a device seen
    /// for the first time) or `reconnected` with what it missed, and tells
    /// the user's contacts when they came online.
    async fn welcome(&self, socket: &Arc<Socket>, s: &ChatSession, online: bool) -> ChatResult<()> {
        let store = self.service.store();
        let mut rooms = Vec::new();
        for cid in store.conversations_of(&s.user).await? {
            let Some(handle) = store.state(&cid).await? else {
                continue;
            };
            let state = handle.lock().await;
            let shut_out = state.conv.kind == Kind::OneToOne
                && state.blocks.iter().any(|b| *b.blocked == *s.user);
            if !shut_out {
                rooms.push(conversation_room(&cid));
            }
        }
        socket.join_all(&rooms);
        let unread = self.service.unread_counts(&s.user).await?;
        let seen = store.device_seen(&s.user, &s.device).await?;
        store.set_device_seen(&s.user, &s.device, now_ms()).await?;
        match seen {
            None => {
                let _ = socket.emit(
                    "connected",
                    json!({ "userId": *s.user, "deviceId": *s.device, "unreadCounts": unread }),
                );
            }
            Some(seen) => {
                // A socket restored by connection-state recovery was sent
                // what it missed already.
                let missed = if socket.recovered() {
                    Vec::new()
                } else {
                    let max = self.service.config().max_pending;
                    store.missed(&s.user, seen.seen_until, max).await?
                };
                let pending: Vec<Value> = missed
                    .iter()
                    .map(|m| {
                        json!({
                            "messageId": m.id,
                            "conversationId": m.conversation_id,
                            "senderId": m.sender_id,
                            "content": m.content,
                            "serverSequence": m.seq,
                            "sentAt": iso(m.server_ts),
                            "deliveryStatus": "pending",
                        })
                    })
                    .collect();
                let _ = socket.emit(
                    "reconnected",
                    json!({
                        "status": "resumed",
                        "userId": *s.user,
                        "deviceId": *s.device,
                        "pendingMessages": pending,
                        "unreadCounts": unread,
                    }),
                );
            }
        }
        if online {
            self.announce_presence(&s.user, Status::Online, None)
                .await?;
        }
        Ok(())
    }

    fn on_disconnect(&self, _socket: &Arc<Socket>, s: &ChatSession) {
        let (device_gone, offline) = self.presence.disconnect(&s.user, &s.device);
        if !device_gone {
            return;
        }
        self.sequencer.forget(&s.user, &s.device);
        // The time it left, not when the task below runs: what is stored
        // from then on is pending for the device when it comes back.
        let now = now_ms();
        let (chat, s) = (self.clone(), s.clone());
        tokio::spawn(async move {
            let store = chat.service.store();
            let result = async {
                store.set_device_seen(&s.user, &s.device, now).await?;
                if offline {
                    store.set_last_seen(&s.user, now).await?;
                    for cid in chat.typing.clear_user(&s.user) {
                        chat.indicate(&s.user, &cid, false);
                    }
                    chat.announce_presence(&s.user, Status::Offline, Some(now))
                        .await?;
                }
                Ok::<_, ChatError>(())
            };
            if let Err(e) = result.await {
                tracing::warn!(error = %e, user = %s.user, "chat disconnect bookkeeping failed");
            }
        });
    }

    /// `presence:update` from a client.
    async fn set_status(&self, user: &str, status: Status) -> ChatResult<()> {
        if self.presence.set(user, status) {
            self.announce_presence(user, status, None).await?;
        }
        Ok(())
    }

    /// `presence:changed` to everyone sharing a conversation with `user`.
    async fn announce_presence(
        &self,
        user: &str,
        status: Status,
        seen: Option<u64>,
    ) -> ChatResult<()> {
        let cids = self.service.store().conversations_of(user).await?;
        let mut rooms = cids.iter().map(|c| conversation_room(c));
        let Some(first) = rooms.next() else {
            return Ok(());
        };
        let last_seen = match seen {
            Some(ms) => Some(ms),
            None => self.service.store().last_seen(user).await?,
        };
        let op = rooms
            .fold(self.service.namespace().to(first), |op, r| op.to(r))
            .except(user_room(user))
            .volatile();
        let data = json!({
            "userId": user,
            "status": status.as_str(),
            "lastSeen": last_seen.map(iso),
            "timestamp": iso(now_ms()),
        });
        let _ = op.emit("presence:changed", &data);
        Ok(())
    }

    /// `auth`: a fresh token for this socket.
    fn refresh(&self, session: &ChatSession, payload: &Value) -> ChatResult<Value> {
        let token = match payload {
            Value::String(t) => t.clone(),
            other => super::payload::string(other, "token", 16 * 1024)?,
        };
        let identity = session.refresh(self.verifier.as_ref(), &token)?;
        Ok(json!({
            "userId": identity.user_id,
            "expiresAt": identity.expires_at.map(|s| iso(s.saturating_mul(1000))),
        }))
    }
}
