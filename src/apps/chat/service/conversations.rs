//! Creating conversations, the chat list, and history.

use serde_json::{json, Value};

use super::{conversation_room, user_room, ChatService};
use crate::apps::chat::clock::iso;
use crate::apps::chat::error::{ChatError, ChatResult};
use crate::apps::chat::model::Conversation;
use crate::apps::chat::payload;
use crate::apps::chat::store::{HistoryPage, HistoryQuery};

/// The most conversations one chat-list page holds.
pub const MAX_PAGE: usize = 100;

impl ChatService {
    /// The one-to-one conversation of `user` and `payload.participantId`,
    /// and whether this call created it.
    pub async fn create_one_to_one(
        &self,
        user: &str,
        payload: &Value,
    ) -> ChatResult<(Value, bool)> {
        let other = payload::id(payload, "participantId")?;
        self.limit(user, "conversation:create").await?;
        let (conv, created) = self.store().one_to_one(user, &other).await?;
        if created {
            self.announce(&conv);
        }
        Ok((self.describe(&conv, user).await?, created))
    }

    /// A new group of `user` and `payload.participantIds`, named
    /// `payload.name`.
    pub async fn create_group(&self, user: &str, payload: &Value) -> ChatResult<Value> {
        let max = self.config().max_group_size;
        let others = payload::optional_ids(payload, "participantIds", max)?;
        if others.iter().all(|p| p == user) {
            return Err(ChatError::InvalidPayload(
                "participantIds must name someone else".into(),
            ));
        }
        let name = payload::string(payload, "name", 200)?;
        // The store drops repeats: count each participant once.
        let distinct: std::collections::BTreeSet<&String> =
            others.iter().filter(|p| *p != user).collect();
        if distinct.len() + 1 > max {
            return Err(ChatError::TooLarge(format!("a group holds {max} at most")));
        }
        self.limit(user, "conversation:create").await?;
        let conv = self.store().group(user, &others, &name).await?;
        self.announce(&conv);
        self.describe(&conv, user).await
    }

    /// Puts the participants' live sockets in the conversation's room and
    /// tells them of it.
    fn announce(&self, conv: &Conversation) {
        let data = conv.to_json();
        for p in &conv.participants {
            let room = user_room(p);
            if let Err(e) = self
                .namespace()
                .to(room.clone())
                .sockets_join(conversation_room(&conv.id))
            {
                tracing::warn!(error = %e, "joining a new conversation's room failed");
            }
            self.tell(room, "conversation:created", &data);
        }
    }

    /// `conv` as `user` sees it: with its last message, `user`'s unread
    /// count and whether they muted it.
    async fn describe(&self, conv: &Conversation, user: &str) -> ChatResult<Value> {
        let handle = self.conversation_for(&conv.id, user).await?;
        let state = handle.lock().await;
        let last = match state.head.last_seq {
            0 => Value::Null,
            seq => match self.store().message(&conv.id, seq).await? {
                Some(m) => m.to_json(&state.read_by(m.seq, &m.sender_id)),
                None => Value::Null,
            },
        };
        let mut out = state.conv.to_json();
        out["lastMessage"] = last;
        out["unreadCount"] = json!(state.unread(user));
        out["muted"] = json!(state.muted.contains(user));
        out["lastActivityAt"] = json!(iso(state.head.last_ts));
        out["lastActivity"] = json!(state.head.last_ts);
        out["lastSequence"] = json!(state.head.last_seq);
        Ok(out)
    }

    /// Conversation `cid` as participant `user` sees it.
    pub async fn conversation(&self, user: &str, cid: &str) -> ChatResult<Value> {
        let handle = self.conversation_for(cid, user).await?;
        let conv = handle.lock().await.conv.clone();
        self.describe(&conv, user).await
    }

    /// `user`'s conversations, most recent activity first, `limit` a page;
    /// `cursor` is the previous page's `nextCursor`.
    pub async fn chat_list(
        &self,
        user: &str,
        limit: usize,
        cursor: Option<&str>,
    ) -> ChatResult<Value> {
        let after = cursor.map(parse_cursor).transpose()?;
        let mut rows = Vec::new();
        for cid in self.store().conversations_of(user).await? {
            let Some(handle) = self.store().state(&cid).await? else {
                continue;
            };
            let last_ts = handle.lock().await.head.last_ts;
            let key = (last_ts, cid);
            // Descending by (activity, id): strictly past the cursor.
            if after.as_ref().is_none_or(|a| key < *a) {
                rows.push(key);
            }
        }
        rows.sort_by(|a, b| b.cmp(a));
        let limit = limit.clamp(1, MAX_PAGE);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = match (more, rows.last()) {
            (true, Some((ts, cid))) => json!(format!("{ts}.{cid}")),
            _ => Value::Null,
        };
        let mut conversations = Vec::with_capacity(rows.len());
        for (_, cid) in &rows {
            conversations.push(self.conversation(user, cid).await?);
        }
        Ok(json!({ "conversations": conversations, "nextCursor": next }))
    }

    /// A page of `cid`'s history for participant `user`.
    pub async fn history(&self, user: &str, cid: &str, query: &HistoryQuery) -> ChatResult<Value> {
        let handle = self.conversation_for(cid, user).await?;
        let state = handle.lock().await;
        let HistoryPage {
            messages,
            next,
            prev,
        } = self.store().history(&state, query).await?;
        Ok(json!({
            "conversationId": cid,
            "messages": messages,
            "nextCursor": next.map(|n| n.to_string()),
            "prevCursor": prev.map(|p| p.to_string()),
            "lastSequence": state.head.last_seq,
        }))
    }

    /// Unread counts of every conversation of `user`, by id.
    pub async fn unread_counts(&self, user: &str) -> ChatResult<Value> {
        let mut counts = serde_json::Map::new();
        for cid in self.store().conversations_of(user).await? {
            if let Some(handle) = self.store().state(&cid).await? {
                counts.insert(cid, json!(handle.lock().await.unread(user)));
            }
        }
        Ok(Value::Object(counts))
    }
}

/// A chat-list cursor: `{activity ms}.{conversation id}`.
fn parse_cursor(cursor: &str) -> ChatResult<(u64, String)> {
    let bad = || ChatError::InvalidPayload("cursor is not one this server gave".into());
    let (ts, cid) = cursor.split_once('.').ok_or_else(bad)?;
    let ts = ts.parse().map_err(|_| bad())?;
    payload::check_id("cursor", cid).map_err(|_| bad())?;
    Ok((ts, cid.to_string()))
}
