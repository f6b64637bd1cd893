//! [`EventStore`]: how nodes tell each other what happened (socketio4j's
//! `EventStore`): room joins and leaves, broadcasts, acknowledgements,
//! disconnections, server-side emits and node-to-node sync, as typed
//! [`EventMessage`]s. Every node has a stable `node_id`, and a node never
//! hears what it published itself.
//!
//! [`LocalEventStore`] (in this process; the default) is one implementation;
//! [`RedisPubSubEventStore`] and [`RedisStreamEventStore`] carry events
//! between processes over Redis.

mod local;
mod redis;

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;

pub use self::redis::{
    masked_url, open_redis_client, RedisEventConfig, RedisPubSubEventStore, RedisStreamEventStore,
    StreamWriter,
};
pub use local::LocalEventStore;

/// What an event is about. Listeners subscribe by type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    /// Sockets joined rooms.
    Join,
    /// Sockets left rooms.
    Leave,
    /// A packet for the sockets of a selection.
    Broadcast,
    /// An acknowledgement travelling back to the node that asked for it.
    Ack,
    /// Sockets to disconnect.
    Disconnect,
    /// An event for the server-side handlers of the other nodes.
    ServerSideEmit,
    /// Node-to-node state sync (requests and responses).
    Sync,
}

impl EventType {
    /// Every type, in a fixed order.
    pub const ALL: [EventType; 7] = [
        Self::Join,
        Self::Leave,
        Self::Broadcast,
        Self::Ack,
        Self::Disconnect,
        Self::ServerSideEmit,
        Self::Sync,
    ];

    /// The type's name (a channel suffix in multi-channel mode).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Join => "join",
            Self::Leave => "leave",
            Self::Broadcast => "broadcast",
            Self::Ack => "ack",
            Self::Disconnect => "disconnect",
            Self::ServerSideEmit => "server-side-emit",
            Self::Sync => "sync",
        }
    }
}

/// One channel for every type, or one channel per type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventStoreMode {
    /// A channel per event type: a node subscribes only to what it handles.
    MultiChannel,
    /// One channel for every type: one subscription, ordered across types.
    SingleChannel,
}

/// The transport family of an event store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventStoreType {
    /// In this process only.
    Local,
    /// Publish/subscribe: fire and forget (Redis pub/sub).
    PubSub,
    /// A log nodes read from their last position (Redis Streams).
    Stream,
}

/// What a successful publish promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PublishMode {
    /// Delivered to every node subscribed, or kept until it reads it.
    Reliable,
    /// Delivered to the nodes listening now; lost for the others.
    Unreliable,
}

/// An event as nodes exchange it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMessage {
    /// The node that published it.
    pub node_id: String,
    /// What it is about.
    pub event_type: EventType,
    /// The event's data, encoded by the layer that publishes it.
    pub payload: Vec<u8>,
}

/// Called for every event of the type subscribed to.
pub type EventListener = Arc<dyn Fn(&EventMessage) + Send + Sync>;

/// A subscription, to unsubscribe with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubscriptionId(pub u64);

/// Node-to-node event propagation.
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// This node's id: stable across restarts when configured so.
    fn node_id(&self) -> &str;

    /// Multi- or single-channel.
    fn mode(&self) -> EventStoreMode;

    /// The transport family.
    fn store_type(&self) -> EventStoreType;

    /// What a publish promises.
    fn publish_mode(&self) -> PublishMode;

    /// True when other nodes may be listening (a publish can reach someone).
    /// Lets a publisher skip encoding when it is alone.
    fn has_peers(&self) -> bool {
        true
    }

    /// Sends an event to every other node. An error is logged here and
    /// returned, never swallowed.
    async fn publish(&self, event_type: EventType, payload: Vec<u8>) -> Result<()>;

    /// Calls `listener` for every event of `event_type` from another node.
    async fn subscribe(
        &self,
        event_type: EventType,
        listener: EventListener,
    ) -> Result<SubscriptionId>;

    /// Removes a subscription; true when it existed.
    async fn unsubscribe(&self, id: SubscriptionId) -> Result<bool>;

    /// The state of this store's connection to an outside service (Redis),
    /// for readiness and metrics; `None` for a store in this process.
    fn health(&self) -> Option<crate::health::ComponentHealth> {
        None
    }

    /// Stops: no more events in or out; publishing afterwards fails with
    /// [`crate::StorageError::ShutDown`].
    async fn shutdown(&self) -> Result<()>;
}
