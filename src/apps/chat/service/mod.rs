//! [`ChatService`]: what the chat does, once for both front doors — the REST
//! API and the socket events call the same operations, which check the
//! caller's rights, change the store, and tell the users' sockets.
//!
//! - `conversations`: creating, listing, history.
//! - `messaging`: sending and reading.
//! - `moderation`: blocks and mutes.

mod conversations;
mod messaging;
mod moderation;

use std::sync::Arc;

use serde_json::Value;

use super::config::ChatConfig;
use super::error::ChatResult;
use super::ratelimit::RateLimiter;
use super::store::{ChatStore, ConvHandle};
use crate::server::Namespace;

pub use messaging::SendRequest;

/// The room of every socket of `user`.
pub fn user_room(user: &str) -> String {
    format!("user:{user}")
}

/// The room of every participant's sockets in conversation `cid`.
pub fn conversation_room(cid: &str) -> String {
    format!("conversation:{cid}")
}

/// The room of `user`'s sockets on `device`.
pub fn device_room(user: &str, device: &str) -> String {
    format!("device:{user}:{device}")
}

/// The chat service. Cheap to clone.
#[derive(Clone)]
pub struct ChatService {
    inner: Arc<Inner>,
}

struct Inner {
    store: ChatStore,
    ns: Namespace,
    limiter: RateLimiter,
    config: ChatConfig,
}

impl ChatService {
    /// The service over `store`, telling sockets of namespace `ns`.
    pub fn new(store: ChatStore, ns: Namespace, limiter: RateLimiter, config: ChatConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                ns,
                limiter,
                config,
            }),
        }
    }

    /// The store.
    pub fn store(&self) -> &ChatStore {
        &self.inner.store
    }

    /// The settings.
    pub fn config(&self) -> &ChatConfig {
        &self.inner.config
    }

    /// The namespace the chat's sockets are in.
    pub fn namespace(&self) -> &Namespace {
        &self.inner.ns
    }

    /// Counts one `event` of `user` against its rate limit.
    pub async fn limit(&self, user: &str, event: &str) -> ChatResult<()> {
        self.inner.limiter.check(user, event).await
    }

    /// Conversation `cid` for participant `user` (refused alike when it does
    /// not exist).
    pub async fn conversation_for(&self, cid: &str, user: &str) -> ChatResult<ConvHandle> {
        super::payload::check_id("conversationId", cid)?;
        self.inner.store.state_for(cid, user).await
    }

    /// Emits `event` to `room`; a failure is logged (the state is stored
    /// either way, and a client catches up from history).
    fn tell(&self, room: String, event: &str, data: &Value) {
        if let Err(e) = self.inner.ns.to(room).emit(event, data) {
            tracing::warn!(error = %e, event, "chat notification failed");
        }
    }

    /// [`Self::tell`], volatile: not kept for connection-state recovery.
    /// For what a returning device gets anyway (its unread counts come in
    /// `reconnected`, a message in `message:received`'s replay), so a send
    /// keeps one broadcast on disk instead of three.
    fn tell_volatile(&self, room: String, event: &str, data: &Value) {
        if let Err(e) = self.inner.ns.to(room).volatile().emit(event, data) {
            tracing::warn!(error = %e, event, "chat notification failed");
        }
    }
}
