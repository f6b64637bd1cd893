//! The chat's records as stored (postcard, through `edgeio-storage`) and as
//! clients see them (JSON, camelCase as the seed's payloads).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::clock::iso;

/// One-to-one or group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// Two participants; the same pair always gets the same conversation.
    OneToOne,
    /// Named, any number of participants up to the configured cap.
    Group,
}

impl Kind {
    /// The name clients see.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OneToOne => "one-to-one",
            Self::Group => "group",
        }
    }
}

/// A conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// Its id (a UUID v7: time-ordered).
    pub id: String,
    /// One-to-one or group.
    pub kind: Kind,
    /// A group's name.
    pub name: Option<String>,
    /// Participants' user ids, sorted.
    pub participants: Vec<String>,
    /// Who created it.
    pub created_by: String,
    /// When (unix ms).
    pub created_at: u64,
}

impl Conversation {
    /// True when `user` takes part.
    pub fn has(&self, user: &str) -> bool {
        self.participants
            .binary_search_by(|p| p.as_str().cmp(user))
            .is_ok()
    }

    /// The conversation as clients see it.
    pub fn to_json(&self) -> Value {
        json!({
            "conversationId": self.id,
            "type": self.kind.as_str(),
            "name": self.name,
            "participants": self.participants,
            "createdBy": self.created_by,
            "createdAt": iso(self.created_at),
        })
    }
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The client's id for it: what makes a resend idempotent.
    pub id: String,
    /// Its conversation.
    pub conversation_id: String,
    /// The sender: the token's user, never a payload's field.
    pub sender_id: String,
    /// The device it was sent from.
    pub device_id: String,
    /// The text.
    pub content: String,
    /// The sender's own numbering, when given.
    pub client_sequence: Option<u64>,
    /// The sender's clock, when given (unix ms).
    pub client_timestamp: Option<u64>,
    /// Its place in the conversation: 1, 2, 3, ... without gaps.
    pub seq: u64,
    /// When the server stored it (unix ms; never earlier than the message
    /// before it).
    pub server_ts: u64,
}

impl Message {
    /// The acknowledgement of `message:send` (the same for a resend).
    pub fn ack(&self) -> Value {
        json!({
            "messageId": self.id,
            "conversationId": self.conversation_id,
            "serverSequence": self.seq,
            "status": "delivered",
            "serverTimestamp": self.server_ts,
            "persistedAt": iso(self.server_ts),
        })
    }

    /// The message as history and `message:received` show it; `read_by`
    /// are the other participants who have read it.
    pub fn to_json(&self, read_by: &[&str]) -> Value {
        json!({
            "messageId": self.id,
            "conversationId": self.conversation_id,
            "senderId": self.sender_id,
            "senderName": self.sender_id,
            "senderDeviceId": self.device_id,
            "content": self.content,
            "serverSequence": self.seq,
            "clientSequence": self.client_sequence,
            "clientTimestamp": self.client_timestamp,
            "serverTimestamp": self.server_ts,
            "timestamp": iso(self.server_ts),
            "status": "delivered",
            "readBy": read_by,
        })
    }
}

/// Where a message id was used: the idempotency record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRef {
    /// The conversation it was sent to.
    pub conversation_id: String,
    /// Its sequence there.
    pub seq: u64,
    /// Who sent it.
    pub sender_id: String,
}

/// A conversation's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// The last message's sequence (0: none yet).
    pub last_seq: u64,
    /// The last message's time, or the creation time.
    pub last_ts: u64,
}

/// One participant's reading state in one conversation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadState {
    /// Every message up to this sequence is read (sending one reads all
    /// before it).
    pub seq: u64,
    /// The `lastReadAt` the client last gave (unix ms).
    pub at: u64,
}

/// A block: `blocker` stopped `blocked` from writing to a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// The conversation.
    pub conversation_id: String,
    /// Who blocked.
    pub blocker: String,
    /// Who is blocked.
    pub blocked: String,
    /// When (unix ms).
    pub at: u64,
}

impl Block {
    /// As clients see it.
    pub fn to_json(&self) -> Value {
        json!({
            "conversationId": self.conversation_id,
            "blockerId": self.blocker,
            "blockedUserId": self.blocked,
            "blockedAt": iso(self.at),
        })
    }
}

/// A device of a user, as last seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceSeen {
    /// Until when it had everything (unix ms): its disconnect, or the last
    /// heartbeat while connected.
    pub seen_until: u64,
}
