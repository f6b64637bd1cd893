//! [`Link`]: one namespace's side of the Redis node — its channels, its way
//! back into the namespace, and its open requests.

use std::sync::{Arc, OnceLock};

use super::incoming;
use super::node::RedisNode;
use super::requests::Requests;
use super::wire::{ChannelKind, Channels};
use crate::server::adapter::AdapterHandle;

/// What the reader needs to hand a namespace its messages.
pub struct Link {
    ns: String,
    uid: String,
    channels: Channels,
    handle: OnceLock<AdapterHandle>,
    requests: Requests,
}

impl Link {
    /// The link of namespace `ns` on `node`.
    pub fn new(node: &RedisNode, ns: &str) -> Self {
        Self {
            ns: ns.to_owned(),
            uid: node.uid().to_owned(),
            channels: Channels::new(&node.config().prefix, ns),
            handle: OnceLock::new(),
            requests: Requests::new(node.config().max_pending_requests),
        }
    }

    /// The namespace's name.
    pub fn ns(&self) -> &str {
        &self.ns
    }

    /// The node's uid.
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// The namespace's channels.
    pub fn channels(&self) -> &Channels {
        &self.channels
    }

    /// The namespace's open requests.
    pub fn requests(&self) -> &Requests {
        &self.requests
    }

    /// Keeps the namespace's handle (from the adapter's `init`).
    pub fn set_handle(&self, handle: AdapterHandle) {
        let _ = self.handle.set(handle);
    }

    /// Hands a message from `channel` (of kind `kind`) to the namespace;
    /// dropped until the namespace is initialized.
    pub fn receive(&self, node: &Arc<RedisNode>, channel: &str, kind: ChannelKind, payload: &[u8]) {
        let Some(handle) = self.handle.get() else {
            return;
        };
        let handled = match kind {
            ChannelKind::Broadcast { .. } => incoming::broadcast(self, handle, payload),
            ChannelKind::Request => incoming::request(self, node, handle, payload),
            ChannelKind::Response { .. } => incoming::response(self, payload),
        };
        if let Err(e) = handled {
            node.refuse(channel, &e);
        }
    }
}
