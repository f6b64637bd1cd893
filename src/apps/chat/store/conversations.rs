//! Conversations: creating them (the same pair always gets the same
//! one-to-one), loading one into the cache (and repairing its counters after
//! a crash), and a user's list of them.

use std::collections::HashMap;

use super::{key, last_part, prefix, ChatStore, ConvHandle, ConvState};
use crate::apps::chat::clock::now_ms;
use crate::apps::chat::error::{ChatError, ChatResult};
use crate::apps::chat::model::{Conversation, Head, Kind, MessageRef, ReadState};

/// Conversations one user may be part of, at most (the chat list reads
/// them all).
pub const MAX_CONVERSATIONS_PER_USER: usize = 10_000;

impl ChatStore {
    /// The one-to-one conversation of `user` and `other`, created on first
    /// use. The bool is true when this call created it.
    pub async fn one_to_one(&self, user: &str, other: &str) -> ChatResult<(Conversation, bool)> {
        if user == other {
            return Err(ChatError::InvalidPayload(
                "a one-to-one conversation needs another participant".into(),
            ));
        }
        let (a, b) = if user < other {
            (user, other)
        } else {
            (other, user)
        };
        let pair = key(&[a, b]);
        if let Some(cid) = self.pairs.get::<String>(&pair).await? {
            if let Some(conv) = self.conversations.get::<Conversation>(&cid).await? {
                return Ok((conv, false));
            }
        }
        let conv = Conversation {
            id: uuid::Uuid::now_v7().to_string(),
            kind: Kind::OneToOne,
            name: None,
            participants: vec![a.to_string(), b.to_string()],
            created_by: user.to_string(),
            created_at: now_ms(),
        };
        self.write_conversation(&conv).await?;
        let claimed = self
            .pairs
            .raw()
            .insert_if_absent(&pair, edgeio_storage::codec::encode(&conv.id)?)
            .await?;
        if let Some(existing) = claimed {
            // Another request created the pair first: theirs stands.
            let cid: String = edgeio_storage::codec::decode(&existing)?;
            self.conversations.del(&conv.id).await?;
            let conv = self
                .conversations
                .get::<Conversation>(&cid)
                .await?
                .ok_or_else(|| ChatError::NotFound("conversation".into()))?;
            return Ok((conv, false));
        }
        self.flush().await?;
        Ok((conv, true))
    }

    /// A new group of `creator` and `others`, named `name`.
    pub async fn group(
        &self,
        creator: &str,
        others: &[String],
        name: &str,
    ) -> ChatResult<Conversation> {
        let mut participants: Vec<String> = others.to_vec();
        participants.push(creator.to_string());
        participants.sort();
        participants.dedup();
        let conv = Conversation {
            id: uuid::Uuid::now_v7().to_string(),
            kind: Kind::Group,
            name: Some(name.to_string()),
            participants,
            created_by: creator.to_string(),
            created_at: now_ms(),
        };
        self.write_conversation(&conv).await?;
        self.flush().await?;
        Ok(conv)
    }

    async fn write_conversation(&self, conv: &Conversation) -> ChatResult<()> {
        let head = Head {
            last_seq: 0,
            last_ts: conv.created_at,
        };
        self.heads.set(&conv.id, &head).await?;
        for p in &conv.participants {
            self.members
                .set(key(&[p, &conv.id]), &ReadState::default())
                .await?;
        }
        self.conversations.set(&conv.id, conv).await?;
        Ok(())
    }

    /// Conversation `cid`, loaded into the cache; `None` when there is none.
    pub async fn state(&self, cid: &str) -> ChatResult<Option<ConvHandle>> {
        if let Some(handle) = self.cached(cid) {
            return Ok(Some(handle));
        }
        let Some(conv) = self.conversations.get::<Conversation>(cid).await? else {
            return Ok(None);
        };
        let mut head = self.heads.get::<Head>(cid).await?.unwrap_or(Head {
            last_seq: 0,
            last_ts: conv.created_at,
        });
        self.repair(cid, &mut head).await?;
        let mut reads = HashMap::new();
        for p in &conv.participants {
            let read = self.members.get::<ReadState>(key(&[p, cid])).await?;
            reads.insert(p.clone(), read.unwrap_or_default());
        }
        let blocks = self
            .blocks
            .scan_prefix(prefix(&[cid]), usize::MAX)
            .await?
            .into_iter()
            .map(|(_, b)| b)
            .collect();
        let mut muted = std::collections::HashSet::new();
        for p in &conv.participants {
            if self.is_muted(p, cid).await? {
                muted.insert(p.clone());
            }
        }
        let state = ConvState {
            conv,
            head,
            reads,
            blocks,
            muted,
        };
        Ok(Some(self.remember(cid, state)))
    }

    /// Conversation `cid` for `user`: refused alike whether it does not
    /// exist or `user` is not in it, so a non-participant learns nothing.
    pub async fn state_for(&self, cid: &str, user: &str) -> ChatResult<ConvHandle> {
        let handle = self.state(cid).await?.ok_or(ChatError::NotParticipant)?;
        if !handle.lock().await.conv.has(user) {
            return Err(ChatError::NotParticipant);
        }
        Ok(handle)
    }

    /// After a crash the head may lag the messages written before it: walks
    /// the messages past it, restoring the head and the idempotency records.
    async fn repair(&self, cid: &str, head: &mut Head) -> ChatResult<()> {
        let start = prefix(&[cid]);
        loop {
            let from = messages_key(cid, head.last_seq + 1);
            let found: Vec<(Vec<u8>, crate::apps::chat::model::Message)> =
                self.messages.range_from(&from, 256).await?;
            let mut advanced = false;
            for (k, m) in found {
                if !k.starts_with(&start) {
                    break;
                }
                let reference = MessageRef {
                    conversation_id: m.conversation_id.clone(),
                    seq: m.seq,
                    sender_id: m.sender_id.clone(),
                };
                self.message_ids.set(&m.id, &reference).await?;
                head.last_seq = head.last_seq.max(m.seq);
                head.last_ts = head.last_ts.max(m.server_ts);
                advanced = true;
            }
            if !advanced {
                return Ok(());
            }
            self.heads.set(cid, head).await?;
            tracing::info!(
                conversation = cid,
                last_seq = head.last_seq,
                "chat head repaired"
            );
        }
    }

    /// The ids of `user`'s conversations.
    pub async fn conversations_of(&self, user: &str) -> ChatResult<Vec<String>> {
        let entries: Vec<(Vec<u8>, ReadState)> = self
            .members
            .scan_prefix(prefix(&[user]), MAX_CONVERSATIONS_PER_USER)
            .await?;
        Ok(entries.into_iter().map(|(k, _)| last_part(&k)).collect())
    }
}

/// The key of message `seq` of conversation `cid`.
pub(crate) fn messages_key(cid: &str, seq: u64) -> Vec<u8> {
    let mut k = prefix(&[cid]);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}
