//! [`ChatStore`]: the chat's durable state in `edgeio-storage` maps, and a
//! cache of the conversations touched since the start.
//!
//! Every change to a conversation happens under its lock (one
//! [`ConvState`] each), so sequences are assigned without gaps; what must
//! survive a crash is flushed (group commit) before it is acknowledged.
//!
//! Maps and keys (`\0` separates parts; ids never hold it):
//! - `chat:conversations` `cid` → [`Conversation`]; `chat:heads` `cid` →
//!   [`Head`]; `chat:pairs` `a\0b` → `cid` (one-to-one, sorted pair).
//! - `chat:members` `user\0cid` → [`ReadState`]: a user's conversations and
//!   how far they have read.
//! - `chat:messages` `cid\0seq(8 bytes BE)` → [`Message`](crate::apps::chat::model::Message);
//!   `chat:message-ids` `messageId` → [`MessageRef`](crate::apps::chat::model::MessageRef) (idempotency).
//! - `chat:blocks` `cid\0blocked\0blocker` and `chat:user-blocks`
//!   `blocker\0cid\0blocked` → [`Block`]; `chat:mutes` `user\0cid` → ms.
//! - `chat:devices` `user\0device` → [`DeviceSeen`](crate::apps::chat::model::DeviceSeen); `chat:last-seen`
//!   `user` → ms.

mod conversations;
mod messages;
mod social;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex as SyncMutex};

use edgeio_storage::{Map, StoreFactory};
use tokio::sync::Mutex;

use super::error::ChatResult;
use super::model::{Block, Conversation, Head, ReadState};

pub use messages::{HistoryPage, HistoryQuery, Sent};

/// Conversations kept in the cache at most; past it, the ones nobody is
/// using are dropped (and read again when needed).
const CACHE_CAP: usize = 50_000;

/// A conversation's state while cached: everything a send or a read checks
/// and changes, behind one lock.
#[derive(Debug)]
pub struct ConvState {
    /// The conversation.
    pub conv: Conversation,
    /// Its counters.
    pub head: Head,
    /// Each participant's reading state.
    pub reads: HashMap<String, ReadState>,
    /// The blocks standing in it.
    pub blocks: Vec<Block>,
    /// The participants who muted it.
    pub muted: HashSet<String>,
}

impl ConvState {
    /// How many messages `user` has not read.
    pub fn unread(&self, user: &str) -> u64 {
        let read = self.reads.get(user).map_or(0, |r| r.seq);
        self.head.last_seq.saturating_sub(read)
    }

    /// The other participants who have read message `seq` of `sender`.
    pub fn read_by<'a>(&'a self, seq: u64, sender: &str) -> Vec<&'a str> {
        self.conv
            .participants
            .iter()
            .filter(|p| p.as_str() != sender)
            .filter(|p| self.reads.get(p.as_str()).is_some_and(|r| r.seq >= seq))
            .map(String::as_str)
            .collect()
    }
}

/// A cached conversation.
pub type ConvHandle = Arc<Mutex<ConvState>>;

/// The chat's state.
pub struct ChatStore {
    pub(crate) conversations: Map,
    pub(crate) heads: Map,
    pub(crate) pairs: Map,
    pub(crate) members: Map,
    pub(crate) messages: Map,
    pub(crate) message_ids: Map,
    pub(crate) blocks: Map,
    pub(crate) user_blocks: Map,
    pub(crate) mutes: Map,
    pub(crate) devices: Map,
    pub(crate) last_seen: Map,
    /// Conversations touched since the start.
    cache: SyncMutex<HashMap<String, ConvHandle>>,
}

impl ChatStore {
    /// The chat's maps in `factory`.
    pub fn open(factory: &dyn StoreFactory) -> ChatResult<Self> {
        let map = |name: &str| factory.create_map(&format!("chat:{name}"));
        Ok(Self {
            conversations: map("conversations")?,
            heads: map("heads")?,
            pairs: map("pairs")?,
            members: map("members")?,
            messages: map("messages")?,
            message_ids: map("message-ids")?,
            blocks: map("blocks")?,
            user_blocks: map("user-blocks")?,
            mutes: map("mutes")?,
            devices: map("devices")?,
            last_seen: map("last-seen")?,
            cache: SyncMutex::new(HashMap::new()),
        })
    }

    /// Makes every write so far durable (one group commit for all maps).
    pub async fn flush(&self) -> ChatResult<()> {
        self.messages.flush().await?;
        Ok(())
    }

    fn cached(&self, cid: &str) -> Option<ConvHandle> {
        self.cache.lock().ok()?.get(cid).cloned()
    }

    fn remember(&self, cid: &str, state: ConvState) -> ConvHandle {
        let Ok(mut cache) = self.cache.lock() else {
            return Arc::new(Mutex::new(state));
        };
        if cache.len() >= CACHE_CAP {
            cache.retain(|_, handle| Arc::strong_count(handle) > 1);
        }
        cache
            .entry(cid.to_string())
            .or_insert_with(|| Arc::new(Mutex::new(state)))
            .clone()
    }
}

/// `a\0b\0...`: a composite key.
pub(crate) fn key(parts: &[&str]) -> Vec<u8> {
    let mut k = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            k.push(0);
        }
        k.extend_from_slice(p.as_bytes());
    }
    k
}

/// `a\0b\0`: the prefix of every key starting with `parts`.
pub(crate) fn prefix(parts: &[&str]) -> Vec<u8> {
    let mut k = key(parts);
    k.push(0);
    k
}

/// The last part of a composite key.
pub(crate) fn last_part(key: &[u8]) -> String {
    let start = key.iter().rposition(|b| *b == 0).map_or(0, |i| i + 1);
    String::from_utf8_lossy(&key[start..]).into_owned()
}

#[cfg(test)]
mod tests;
