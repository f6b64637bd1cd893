//! Blocks and mutes, from REST or socket events alike, and what they tell
//! the user's devices.

use serde_json::{json, Value};

use super::{conversation_room, user_room, ChatService};
use crate::apps::chat::clock::iso;
use crate::apps::chat::error::ChatResult;
use crate::apps::chat::model::Kind;
use crate::apps::chat::payload;

impl ChatService {
    /// `user` blocks `payload.blockedUserId` (or a one-to-one's other side)
    /// in `cid`. In a one-to-one the blocked user's sockets leave the
    /// conversation's room. `user:blocked` goes to all of `user`'s devices.
    pub async fn block(&self, user: &str, cid: &str, payload: &Value) -> ChatResult<Value> {
        let blocked = optional_user(payload)?;
        let handle = self.conversation_for(cid, user).await?;
        self.limit(user, "block:user").await?;
        let mut state = handle.lock().await;
        let block = self
            .store()
            .block(&mut state, user, blocked.as_deref())
            .await?;
        if state.conv.kind == Kind::OneToOne {
            let leave = self
                .namespace()
                .to(user_room(&block.blocked))
                .sockets_leave(&conversation_room(cid));
            if let Err(e) = leave {
                tracing::warn!(error = %e, "leaving a blocked conversation's room failed");
            }
        }
        let mut data = block.to_json();
        data["blocked"] = json!(true);
        self.tell(user_room(user), "user:blocked", &data);
        let mut ack = block.to_json();
        ack["success"] = json!(true);
        Ok(ack)
    }

    /// Lifts `user`'s block in `cid`; the blocked user's sockets rejoin a
    /// one-to-one's room. `user:blocked` with `blocked: false` goes to all
    /// of `user`'s devices.
    pub async fn unblock(&self, user: &str, cid: &str, payload: &Value) -> ChatResult<Value> {
        let blocked = optional_user(payload)?;
        let handle = self.conversation_for(cid, user).await?;
        self.limit(user, "block:user").await?;
        let mut state = handle.lock().await;
        let lifted = self
            .store()
            .unblock(&mut state, user, blocked.as_deref())
            .await?;
        let Some(block) = lifted else {
            return Ok(json!({ "success": true, "conversationId": cid, "changed": false }));
        };
        let still_blocked = state.blocks.iter().any(|b| b.blocked == block.blocked);
        if state.conv.kind == Kind::OneToOne && !still_blocked {
            let join = self
                .namespace()
                .to(user_room(&block.blocked))
                .sockets_join(conversation_room(cid));
            if let Err(e) = join {
                tracing::warn!(error = %e, "rejoining an unblocked conversation's room failed");
            }
        }
        let data = json!({
            "conversationId": cid,
            "blockerId": user,
            "blockedUserId": block.blocked,
            "blocked": false,
        });
        self.tell(user_room(user), "user:blocked", &data);
        Ok(json!({
            "success": true,
            "conversationId": cid,
            "blockedUserId": block.blocked,
            "changed": true,
        }))
    }

    /// Mutes or unmutes `cid` for `user`: messages still arrive, flagged
    /// `muted`. `conversation:muted` goes to all of `user`'s devices.
    pub async fn mute(&self, user: &str, cid: &str, muted: bool) -> ChatResult<Value> {
        let handle = self.conversation_for(cid, user).await?;
        self.limit(user, "mute:conversation").await?;
        let mut state = handle.lock().await;
        let at = self.store().set_muted(&mut state, user, muted).await?;
        let data = json!({
            "conversationId": cid,
            "muted": muted,
            "mutedAt": at.map(iso),
        });
        self.tell(user_room(user), "conversation:muted", &data);
        let mut ack = data;
        ack["success"] = json!(true);
        Ok(ack)
    }

    /// The blocks `user` made.
    pub async fn blocks(&self, user: &str) -> ChatResult<Value> {
        let blocks: Vec<Value> = self
            .store()
            .blocks_of(user)
            .await?
            .iter()
            .map(|b| b.to_json())
            .collect();
        Ok(json!({ "blocks": blocks }))
    }

    /// The conversations `user` muted.
    pub async fn mutes(&self, user: &str) -> ChatResult<Value> {
        let mutes: Vec<Value> = self
            .store()
            .mutes_of(user)
            .await?
            .into_iter()
            .map(|(cid, at)| json!({ "conversationId": cid, "mutedAt": iso(at) }))
            .collect();
        Ok(json!({ "mutes": mutes }))
    }
}

/// `blockedUserId`, when the payload names one.
fn optional_user(payload: &Value) -> ChatResult<Option<String>> {
    if payload.is_null() {
        return Ok(None);
    }
    let user = payload::optional_string(payload, "blockedUserId", payload::MAX_ID_LEN)?;
    if let Some(u) = &user {
        payload::check_id("blockedUserId", u)?;
    }
    Ok(user)
}
