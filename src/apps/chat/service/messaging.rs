//! Sending and reading: `message:send` and `message:read`, and what they
//! tell the participants' sockets.

use serde_json::{json, Value};

use super::{conversation_room, device_room, user_room, ChatService};
use crate::apps::chat::clock::{iso, now_ms};
use crate::apps::chat::error::{ChatError, ChatResult};
use crate::apps::chat::model::Message;
use crate::apps::chat::payload;
use crate::apps::chat::store::{ConvState, Sent};

/// A `message:send` as read from its payload.
#[derive(Debug, Clone)]
pub struct SendRequest {
    /// The conversation.
    pub conversation_id: String,
    /// The text.
    pub content: String,
    /// The client's id for the message.
    pub message_id: String,
    /// The sender's numbering, when given.
    pub client_sequence: Option<u64>,
    /// The sender's clock, when given.
    pub client_timestamp: Option<u64>,
}

impl SendRequest {
    /// Reads and checks `payload`; content over `max_content` bytes is
    /// `too_large`.
    pub fn parse(payload: &Value, max_content: usize) -> ChatResult<Self> {
        Ok(Self {
            conversation_id: payload::id(payload, "conversationId")?,
            content: payload::string(payload, "content", max_content)?,
            message_id: payload::id(payload, "messageId")?,
            client_sequence: payload::optional_u64(payload, "clientSequence")?,
            client_timestamp: payload::optional_time(payload, "clientTimestamp")?,
        })
    }
}

impl ChatService {
    /// Stores `req` from `user` on `device` idempotently and durably, then
    /// tells everyone: `message:delivered` to the sender's other devices,
    /// `message:received` to the conversation (flagged `muted` for those who
    /// muted it), `unread_count:updated` to the other participants. A resend
    /// only gets the original's acknowledgement. Returns the message.
    pub async fn send(&self, user: &str, device: &str, req: SendRequest) -> ChatResult<Sent> {
        let handle = self.conversation_for(&req.conversation_id, user).await?;
        let message = Message {
            id: req.message_id,
            conversation_id: req.conversation_id,
            sender_id: user.to_string(),
            device_id: device.to_string(),
            content: req.content,
            client_sequence: req.client_sequence,
            client_timestamp: req.client_timestamp,
            seq: 0,
            server_ts: 0,
        };
        let sent = self.store().append(&handle, message).await?;
        if let Sent::New(m) = &sent {
            let state = handle.lock().await;
            self.announce_message(&state, m, device);
        }
        Ok(sent)
    }

    fn announce_message(&self, state: &ConvState, m: &Message, device: &str) {
        let ns = self.namespace();
        // Volatile: a device that recovers its session gets the message in
        // `message:received`'s replay.
        let delivered = ns
            .to(user_room(&m.sender_id))
            .except(device_room(&m.sender_id, device))
            .volatile();
        if let Err(e) = delivered.emit("message:delivered", m.ack()) {
            tracing::warn!(error = %e, "message:delivered failed");
        }
        let mut payload = m.to_json(&[]);
        payload["muted"] = json!(false);
        let mut everyone = ns.to(conversation_room(&m.conversation_id));
        for muted in &state.muted {
            everyone = everyone.except(user_room(muted));
        }
        if let Err(e) = everyone.emit("message:received", &payload) {
            tracing::warn!(error = %e, "message:received failed");
        }
        let mut rooms = state.muted.iter().map(|u| user_room(u));
        if let Some(first) = rooms.next() {
            payload["muted"] = json!(true);
            let muted = rooms.fold(ns.to(first), |op, room| op.to(room));
            if let Err(e) = muted.emit("message:received", &payload) {
                tracing::warn!(error = %e, "message:received (muted) failed");
            }
        }
        for p in state
            .conv
            .participants
            .iter()
            .filter(|p| **p != m.sender_id)
        {
            let read = state.reads.get(p).copied().unwrap_or_default();
            let data = json!({
                "conversationId": m.conversation_id,
                "unreadCount": state.unread(p),
                "updatedAt": iso(m.server_ts),
                "lastReadAt": (read.at > 0).then(|| iso(read.at)),
            });
            self.tell_volatile(user_room(p), "unread_count:updated", &data);
        }
    }

    /// `message:read` (and `POST /conversations/{id}/read`): marks the
    /// conversation read by `user`, tells their devices the new unread count
    /// and the conversation the receipt. Returns the acknowledgement.
    pub async fn read(&self, user: &str, cid: &str, payload: &Value) -> ChatResult<Value> {
        let ids = payload::optional_ids(payload, "messageIds", self.config().max_read_ids)?;
        let at = payload::optional_time(payload, "lastReadAt")?;
        if at.is_some_and(|at| at > now_ms() + 60_000) {
            return Err(ChatError::InvalidPayload(
                "lastReadAt is in the future".into(),
            ));
        }
        let handle = self.conversation_for(cid, user).await?;
        let mut state = handle.lock().await;
        let (read, unread) = self.store().mark_read(&mut state, user, &ids, at).await?;
        let updated = now_ms();
        let ack = json!({
            "conversationId": cid,
            "updatedAt": iso(updated),
            "newUnreadCount": unread,
            "lastReadAt": iso(read.at),
            "lastReadSequence": read.seq,
        });
        self.tell(
            user_room(user),
            "unread_count:updated",
            &json!({
                "conversationId": cid,
                "unreadCount": unread,
                "updatedAt": iso(updated),
                "lastReadAt": iso(read.at),
            }),
        );
        self.tell(
            conversation_room(cid),
            "read_receipt:received",
            &json!({
                "conversationId": cid,
                "userId": user,
                "messageIds": ids,
                "lastReadAt": iso(read.at),
                "lastReadSequence": read.seq,
            }),
        );
        Ok(ack)
    }
}
