//! Messages: the idempotent append (numbered without gaps, flushed before
//! it returns), history pages, reading, and what a device missed.

use serde_json::Value;

use super::conversations::messages_key;
use super::{ChatStore, ConvHandle, ConvState};
use crate::apps::chat::clock::now_ms;
use crate::apps::chat::error::{ChatError, ChatResult};
use crate::apps::chat::model::{Kind, Message, MessageRef, ReadState};

/// What a send did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// Stored now.
    New(Message),
    /// Stored before under the same message id: the original.
    Again(Message),
}

impl Sent {
    /// The message, new or original.
    pub fn message(&self) -> &Message {
        match self {
            Self::New(m) | Self::Again(m) => m,
        }
    }
}

/// A history request.
#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    /// Messages after this sequence (a `nextCursor`).
    pub after: Option<u64>,
    /// Messages before this sequence (a `prevCursor`); without `after`, the
    /// page ends just before it.
    pub before: Option<u64>,
    /// Sent at or after this time (unix ms).
    pub since: Option<u64>,
    /// Sent at or before this time (unix ms).
    pub until: Option<u64>,
    /// Messages at most.
    pub limit: usize,
}

/// A page of history, oldest first.
#[derive(Debug, Clone)]
pub struct HistoryPage {
    /// The messages as clients see them.
    pub messages: Vec<Value>,
    /// Pass as `after` for the next page; `None` at the end.
    pub next: Option<u64>,
    /// Pass as `before` for the page before; `None` at the start.
    pub prev: Option<u64>,
}

impl ChatStore {
    /// Stores `message` (its `seq` and `server_ts` are assigned here) unless
    /// its id was used before, and returns once it is durable. Refused when
    /// the sender is not a participant or a block stands.
    pub async fn append(&self, handle: &ConvHandle, mut message: Message) -> ChatResult<Sent> {
        let sent = {
            let mut state = handle.lock().await;
            let sender = message.sender_id.as_str();
            if !state.conv.has(sender) {
                return Err(ChatError::NotParticipant);
            }
            if let Some(reference) = self.message_ids.get::<MessageRef>(&message.id).await? {
                Sent::Again(self.original(&state, &message, reference).await?)
            } else {
                check_blocks(&state, sender)?;
                message.seq = state.head.last_seq + 1;
                message.server_ts = now_ms().max(state.head.last_ts);
                self.write(&mut state, &message).await?;
                Sent::New(message)
            }
        };
        // A resend may arrive before the original's flush: flush either way.
        self.flush().await?;
        Ok(sent)
    }

    async fn original(
        &self,
        state: &ConvState,
        message: &Message,
        reference: MessageRef,
    ) -> ChatResult<Message> {
        if reference.conversation_id != state.conv.id || reference.sender_id != message.sender_id {
            return Err(ChatError::InvalidPayload(
                "this messageId was already used for another message".into(),
            ));
        }
        let key = messages_key(&state.conv.id, reference.seq);
        self.messages
            .get::<Message>(key)
            .await?
            .ok_or_else(|| ChatError::NotFound("the original message".into()))
    }

    /// The message first (a crash after it is repaired from it), then its
    /// idempotency record, the head, and the sender's reading state.
    async fn write(&self, state: &mut ConvState, message: &Message) -> ChatResult<()> {
        let cid = state.conv.id.clone();
        self.messages
            .set(messages_key(&cid, message.seq), message)
            .await?;
        let reference = MessageRef {
            conversation_id: cid.clone(),
            seq: message.seq,
            sender_id: message.sender_id.clone(),
        };
        self.message_ids.set(&message.id, &reference).await?;
        let mut head = state.head;
        head.last_seq = message.seq;
        head.last_ts = message.server_ts;
        self.heads.set(&cid, &head).await?;
        state.head = head;
        // Sending reads everything before.
        let read = ReadState {
            seq: message.seq,
            at: message.server_ts,
        };
        self.members
            .set(super::key(&[&message.sender_id, &cid]), &read)
            .await?;
        state.reads.insert(message.sender_id.clone(), read);
        Ok(())
    }

    /// Message `seq` of the conversation.
    pub async fn message(&self, cid: &str, seq: u64) -> ChatResult<Option<Message>> {
        Ok(self.messages.get::<Message>(messages_key(cid, seq)).await?)
    }

    /// The first sequence whose message was stored after `ms` (one past the
    /// last when none was): a binary search, server times never go back.
    pub async fn first_after(&self, state: &ConvState, ms: u64) -> ChatResult<u64> {
        let (mut lo, mut hi) = (1, state.head.last_seq + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let ts = self
                .message(&state.conv.id, mid)
                .await?
                .map_or(0, |m| m.server_ts);
            if ts > ms {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Ok(lo)
    }

    /// A page of `state`'s history as `query` asks.
    pub async fn history(
        &self,
        state: &ConvState,
        query: &HistoryQuery,
    ) -> ChatResult<HistoryPage> {
        let last = state.head.last_seq;
        let limit = query.limit.clamp(1, 100) as u64;
        let mut lo = query.after.map_or(1, |a| a.saturating_add(1));
        let mut hi = query.before.map_or(last, |b| b.saturating_sub(1)).min(last);
        if let Some(since) = query.since {
            lo = lo.max(self.first_after(state, since.saturating_sub(1)).await?);
        }
        if let Some(until) = query.until {
            hi = hi.min(self.first_after(state, until).await?.saturating_sub(1));
        }
        if lo > hi {
            return Ok(HistoryPage {
                messages: Vec::new(),
                next: None,
                prev: None,
            });
        }
        // With only an upper bound, the page ends at it; else starts at lo.
        let (from, to) = if query.before.is_some() && query.after.is_none() {
            (hi.saturating_sub(limit - 1).max(lo), hi)
        } else {
            (lo, (lo + limit - 1).min(hi))
        };
        let found: Vec<(Vec<u8>, Message)> = self
            .messages
            .range_from(messages_key(&state.conv.id, from), (to - from + 1) as usize)
            .await?;
        let messages = found
            .into_iter()
            .map(|(_, m)| m)
            .filter(|m| m.conversation_id == state.conv.id && m.seq <= to)
            .map(|m| m.to_json(&state.read_by(m.seq, &m.sender_id)))
            .collect();
        Ok(HistoryPage {
            messages,
            next: (to < hi).then_some(to),
            prev: (from > lo).then_some(from),
        })
    }

    /// Marks `state` read by `user` up to the later of `ids`' messages and
    /// the last message stored by `at` (everything when both are absent).
    /// Returns the new reading state and unread count.
    pub async fn mark_read(
        &self,
        state: &mut ConvState,
        user: &str,
        ids: &[String],
        at: Option<u64>,
    ) -> ChatResult<(ReadState, u64)> {
        let cid = state.conv.id.clone();
        let mut upto = 0;
        for id in ids {
            match self.message_ids.get::<MessageRef>(id).await? {
                Some(r) if r.conversation_id == cid => upto = upto.max(r.seq),
                _ => return Err(ChatError::NotFound(format!("message {id}"))),
            }
        }
        if let Some(at) = at {
            upto = upto.max(self.first_after(state, at).await?.saturating_sub(1));
        }
        if ids.is_empty() && at.is_none() {
            upto = state.head.last_seq;
        }
        let old = state.reads.get(user).copied().unwrap_or_default();
        let read = ReadState {
            seq: old.seq.max(upto),
            at: at.unwrap_or_else(now_ms).max(old.at),
        };
        if read != old {
            self.members.set(super::key(&[user, &cid]), &read).await?;
            state.reads.insert(user.to_string(), read);
            self.flush().await?;
        }
        Ok((read, state.unread(user)))
    }

    /// Messages of `user`'s conversations stored at or after `since` (unix
    /// ms), oldest first, at most `limit`. Inclusive: a message stored in the
    /// millisecond a device left may reach it twice (clients know it by its
    /// id), but never not at all.
    pub async fn missed(&self, user: &str, since: u64, limit: usize) -> ChatResult<Vec<Message>> {
        let mut out = Vec::new();
        for cid in self.conversations_of(user).await? {
            let Some(handle) = self.state(&cid).await? else {
                continue;
            };
            let state = handle.lock().await;
            if state.head.last_ts < since {
                continue;
            }
            let from = self.first_after(&state, since.saturating_sub(1)).await?;
            let found: Vec<(Vec<u8>, Message)> = self
                .messages
                .range_from(messages_key(&cid, from), limit)
                .await?;
            out.extend(
                found
                    .into_iter()
                    .map(|(_, m)| m)
                    .filter(|m| m.conversation_id == cid),
            );
        }
        out.sort_by_key(|m| (m.server_ts, m.seq));
        out.truncate(limit);
        Ok(out)
    }
}

/// A sender is refused when a participant blocked them here, or when they
/// blocked the other side of a one-to-one (unblock to write again).
fn check_blocks(state: &ConvState, sender: &str) -> ChatResult<()> {
    if state.blocks.iter().any(|b| b.blocked == sender) {
        return Err(ChatError::Blocked(
            "you cannot send messages here: you are blocked".into(),
        ));
    }
    if state.conv.kind == Kind::OneToOne && state.blocks.iter().any(|b| b.blocker == sender) {
        return Err(ChatError::Blocked(
            "you blocked this conversation; unblock it to send".into(),
        ));
    }
    Ok(())
}
