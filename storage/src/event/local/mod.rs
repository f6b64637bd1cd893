//! [`LocalEventStore`]: events between nodes in this process. Nodes meet on
//! a *hub*; [`LocalEventStore::new`] starts a node on a fresh hub and
//! [`LocalEventStore::peer`] adds another node to the same hub. It is the
//! default store of a single node (which then has no peers and skips
//! encoding) and lets tests run several servers in one process.
//!
//! A publish is delivered synchronously, before `publish` returns, to the
//! listeners of that type on every other live node of the hub. Listeners are
//! called with no lock held, so a listener may publish or subscribe again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use async_trait::async_trait;

use super::{
    EventListener, EventMessage, EventStore, EventStoreMode, EventStoreType, EventType,
    PublishMode, SubscriptionId,
};
use crate::error::{Result, StorageError};

/// Locks `m`, recovering from poisoning: no code here panics while holding
/// one of these locks (listeners run outside them), so the data is whole.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Where the nodes of one process meet.
#[derive(Default)]
struct Hub {
    /// Every node attached, weakly: a dropped node leaves by itself.
    nodes: Mutex<Vec<Weak<LocalEventStore>>>,
}

impl Hub {
    /// The live nodes other than those called `node_id` (pruning the
    /// dropped ones on the way).
    fn others(&self, node_id: &str) -> Vec<Arc<LocalEventStore>> {
        let mut nodes = lock(&self.nodes);
        nodes.retain(|n| n.strong_count() > 0);
        nodes
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|n| n.hears(node_id))
            .collect()
    }

    /// True when a live node other than those called `node_id` is attached
    /// (without collecting them: a lone publisher asks on every publish).
    fn has_other(&self, node_id: &str) -> bool {
        lock(&self.nodes)
            .iter()
            .filter_map(Weak::upgrade)
            .any(|n| n.hears(node_id))
    }
}

/// A node's subscriptions, laid out by mode.
enum Listeners {
    /// One list per event type: a publish looks up only its type's list.
    Multi(HashMap<EventType, Vec<(SubscriptionId, EventListener)>>),
    /// One list for every type, filtered by type on delivery (in
    /// subscription order across types).
    Single(Vec<(SubscriptionId, EventType, EventListener)>),
}

impl Listeners {
    fn new(mode: EventStoreMode) -> Self {
        match mode {
            EventStoreMode::MultiChannel => Self::Multi(HashMap::new()),
            EventStoreMode::SingleChannel => Self::Single(Vec::new()),
        }
    }

    fn add(&mut self, id: SubscriptionId, event_type: EventType, listener: EventListener) {
        match self {
            Self::Multi(by_type) => by_type.entry(event_type).or_default().push((id, listener)),
            Self::Single(all) => all.push((id, event_type, listener)),
        }
    }

    fn remove(&mut self, id: SubscriptionId) -> bool {
        match self {
            Self::Multi(by_type) => by_type.values_mut().any(|list| {
                let before = list.len();
                list.retain(|(i, _)| *i != id);
                list.len() != before
            }),
            Self::Single(all) => {
                let before = all.len();
                all.retain(|(i, _, _)| *i != id);
                all.len() != before
            }
        }
    }

    /// The listeners of `event_type`, cloned out so they run unlocked.
    fn of(&self, event_type: EventType) -> Vec<EventListener> {
        match self {
            Self::Multi(by_type) => by_type
                .get(&event_type)
                .map(|list| list.iter().map(|(_, l)| l.clone()).collect())
                .unwrap_or_default(),
            Self::Single(all) => all
                .iter()
                .filter(|(_, t, _)| *t == event_type)
                .map(|(_, _, l)| l.clone())
                .collect(),
        }
    }
}

/// An in-process node: publishes to, and hears from, the other nodes of its
/// hub. A node never hears events published under its own `node_id`.
///
/// The two modes behave the same to an observer; they differ in layout:
/// multi-channel keeps a listener list per event type (a subscription per
/// type, as a Redis channel per type), single-channel keeps one list for
/// every type and filters on delivery (one subscription for all).
pub struct LocalEventStore {
    /// This node's id, stamped on what it publishes and used to filter.
    node_id: String,
    /// How subscriptions are laid out.
    mode: EventStoreMode,
    /// The nodes this one talks to.
    hub: Arc<Hub>,
    /// This node's subscriptions.
    listeners: Mutex<Listeners>,
    /// The next subscription id.
    next_id: AtomicU64,
    /// Set by `shutdown`: nothing in or out afterwards.
    shut: AtomicBool,
}

impl LocalEventStore {
    /// A multi-channel node called `node_id` on a fresh hub of its own.
    pub fn new(node_id: impl Into<String>) -> Arc<Self> {
        Self::with_mode(node_id, EventStoreMode::MultiChannel)
    }

    /// A node called `node_id` in `mode` on a fresh hub of its own.
    pub fn with_mode(node_id: impl Into<String>, mode: EventStoreMode) -> Arc<Self> {
        Self::attach(Arc::new(Hub::default()), node_id.into(), mode)
    }

    /// Another node, called `node_id`, on this node's hub and in its mode.
    pub fn peer(&self, node_id: impl Into<String>) -> Arc<Self> {
        Self::attach(self.hub.clone(), node_id.into(), self.mode)
    }

    fn attach(hub: Arc<Hub>, node_id: String, mode: EventStoreMode) -> Arc<Self> {
        let node = Arc::new(Self {
            node_id,
            mode,
            hub,
            listeners: Mutex::new(Listeners::new(mode)),
            next_id: AtomicU64::new(1),
            shut: AtomicBool::new(false),
        });
        lock(&node.hub.nodes).push(Arc::downgrade(&node));
        node
    }

    /// True once [`EventStore::shutdown`] was called.
    pub fn is_shut_down(&self) -> bool {
        self.shut.load(Ordering::Acquire)
    }

    /// True when this node takes what a node called `publisher` publishes.
    fn hears(&self, publisher: &str) -> bool {
        self.node_id != publisher && !self.is_shut_down()
    }

    /// Calls this node's listeners of `message`'s type, unlocked.
    fn deliver(&self, message: &EventMessage) {
        if self.is_shut_down() {
            return;
        }
        let listeners = lock(&self.listeners).of(message.event_type);
        for listener in listeners {
            listener(message);
        }
    }
}

#[async_trait]
impl EventStore for LocalEventStore {
    fn node_id(&self) -> &str {
        &self.node_id
    }

    fn mode(&self) -> EventStoreMode {
        self.mode
    }

    fn store_type(&self) -> EventStoreType {
        EventStoreType::Local
    }

    fn publish_mode(&self) -> PublishMode {
        PublishMode::Reliable
    }

    fn has_peers(&self) -> bool {
        self.hub.has_other(&self.node_id)
    }

    async fn publish(&self, event_type: EventType, payload: Vec<u8>) -> Result<()> {
        if self.is_shut_down() {
            tracing::warn!(
                node_id = %self.node_id,
                event_type = event_type.as_str(),
                "publish on a shut-down event store"
            );
            return Err(StorageError::ShutDown);
        }
        let message = EventMessage {
            node_id: self.node_id.clone(),
            event_type,
            payload,
        };
        for node in self.hub.others(&self.node_id) {
            node.deliver(&message);
        }
        Ok(())
    }

    async fn subscribe(
        &self,
        event_type: EventType,
        listener: EventListener,
    ) -> Result<SubscriptionId> {
        let mut listeners = lock(&self.listeners);
        // Checked under the lock so a concurrent shutdown cannot miss it.
        if self.is_shut_down() {
            return Err(StorageError::ShutDown);
        }
        let id = SubscriptionId(self.next_id.fetch_add(1, Ordering::Relaxed));
        listeners.add(id, event_type, listener);
        Ok(id)
    }

    async fn unsubscribe(&self, id: SubscriptionId) -> Result<bool> {
        Ok(lock(&self.listeners).remove(id))
    }

    async fn shutdown(&self) -> Result<()> {
        // Take the listeners out under the lock, drop them outside it: a
        // listener's captured state may itself hold an event store.
        let dropped = {
            let mut listeners = lock(&self.listeners);
            self.shut.store(true, Ordering::Release);
            std::mem::replace(&mut *listeners, Listeners::new(self.mode))
        };
        drop(dropped);
        let me: *const Self = self;
        lock(&self.hub.nodes).retain(|n| n.strong_count() > 0 && !std::ptr::eq(n.as_ptr(), me));
        Ok(())
    }
}

impl std::fmt::Debug for LocalEventStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalEventStore")
            .field("node_id", &self.node_id)
            .field("mode", &self.mode)
            .field("shut_down", &self.is_shut_down())
            .finish()
    }
}

#[cfg(test)]
mod tests;
