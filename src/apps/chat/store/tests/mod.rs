//! The store on the memory backend, and on sled across a reopen.
//!
//! - `messages`: numbering, idempotency, unread counts, history, repair.
//! - `social`: blocks, mutes, missed messages, sled.

mod messages;
mod social;

use edgeio_storage::{LocalEventStore, MemoryStoreFactory};

use super::*;
use crate::apps::chat::model::Message;

pub(super) fn store() -> ChatStore {
    let factory = MemoryStoreFactory::new(LocalEventStore::new("n"));
    ChatStore::open(&factory).expect("open")
}

pub(super) fn message(id: &str, cid: &str, sender: &str) -> Message {
    Message {
        id: id.into(),
        conversation_id: cid.into(),
        sender_id: sender.into(),
        device_id: "web".into(),
        content: format!("text of {id}"),
        client_sequence: None,
        client_timestamp: None,
        seq: 0,
        server_ts: 0,
    }
}

pub(super) async fn pair(store: &ChatStore) -> (String, ConvHandle) {
    let (conv, created) = store.one_to_one("alice", "bob").await.expect("create");
    assert!(created);
    let handle = store.state(&conv.id).await.expect("load").expect("exists");
    (conv.id, handle)
}

pub(super) fn clone_maps(s: &ChatStore) -> ChatStore {
    ChatStore {
        conversations: s.conversations.clone(),
        heads: s.heads.clone(),
        pairs: s.pairs.clone(),
        members: s.members.clone(),
        messages: s.messages.clone(),
        message_ids: s.message_ids.clone(),
        blocks: s.blocks.clone(),
        user_blocks: s.user_blocks.clone(),
        mutes: s.mutes.clone(),
        devices: s.devices.clone(),
        last_seen: s.last_seen.clone(),
        cache: std::sync::Mutex::default(),
    }
}
