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
mod tests {
    use super::*;

    type Heard = Arc<Mutex<Vec<(String, EventType, Vec<u8>)>>>;

    /// Subscribes to `event_type` on `node`, recording what it hears.
    async fn record(node: &LocalEventStore, event_type: EventType) -> (SubscriptionId, Heard) {
        let heard: Heard = Arc::default();
        let sink = heard.clone();
        let id = node
            .subscribe(
                event_type,
                Arc::new(move |m: &EventMessage| {
                    lock(&sink).push((m.node_id.clone(), m.event_type, m.payload.clone()))
                }),
            )
            .await
            .expect("subscribe");
        (id, heard)
    }

    /// Runs a future that never waits (every call here) to completion.
    fn now<F: std::future::Future>(f: F) -> F::Output {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match std::pin::pin!(f).poll(&mut cx) {
            std::task::Poll::Ready(out) => out,
            std::task::Poll::Pending => panic!("the future waited"),
        }
    }

    fn count(heard: &Heard) -> usize {
        lock(heard).len()
    }

    #[tokio::test]
    async fn a_peer_hears_and_the_publisher_does_not_in_both_modes() {
        for mode in [EventStoreMode::MultiChannel, EventStoreMode::SingleChannel] {
            let a = LocalEventStore::with_mode("a", mode);
            let b = a.peer("b");
            assert_eq!(b.mode(), mode);
            let (_, at_a) = record(&a, EventType::Join).await;
            let (_, at_b) = record(&b, EventType::Join).await;
            let (_, leaves_at_b) = record(&b, EventType::Leave).await;
            a.publish(EventType::Join, vec![1, 2])
                .await
                .expect("publish");
            assert_eq!(count(&at_a), 0, "{mode:?}: the publisher heard itself");
            assert_eq!(
                *lock(&at_b),
                vec![("a".to_owned(), EventType::Join, vec![1, 2])],
                "{mode:?}"
            );
            assert_eq!(count(&leaves_at_b), 0, "{mode:?}: another type heard it");
        }
    }

    #[tokio::test]
    async fn describes_itself() {
        let a = LocalEventStore::new("a");
        assert_eq!(a.node_id(), "a");
        assert_eq!(a.mode(), EventStoreMode::MultiChannel);
        assert_eq!(a.store_type(), EventStoreType::Local);
        assert_eq!(a.publish_mode(), PublishMode::Reliable);
        assert!(format!("{a:?}").contains("\"a\""));
    }

    #[tokio::test]
    async fn nodes_on_different_hubs_do_not_hear_each_other() {
        let a = LocalEventStore::new("a");
        let other = LocalEventStore::new("b");
        let (_, heard) = record(&other, EventType::Ack).await;
        a.publish(EventType::Ack, vec![]).await.expect("publish");
        assert_eq!(count(&heard), 0);
        assert!(!a.has_peers());
    }

    #[tokio::test]
    async fn a_node_under_the_same_id_is_filtered_out() {
        let a = LocalEventStore::new("a");
        let twin = a.peer("a");
        let (_, heard) = record(&twin, EventType::Sync).await;
        a.publish(EventType::Sync, vec![]).await.expect("publish");
        assert_eq!(count(&heard), 0);
        assert!(!a.has_peers());
    }

    #[tokio::test]
    async fn has_peers_only_with_another_live_node() {
        let a = LocalEventStore::new("a");
        assert!(!a.has_peers());
        let b = a.peer("b");
        assert!(a.has_peers() && b.has_peers());
        drop(b);
        assert!(!a.has_peers(), "a dropped node is still a peer");
        let c = a.peer("c");
        assert!(a.has_peers());
        c.shutdown().await.expect("shutdown");
        assert!(!a.has_peers(), "a shut-down node is still a peer");
    }

    #[tokio::test]
    async fn the_hub_forgets_dropped_and_shut_down_nodes() {
        let a = LocalEventStore::new("a");
        let (b, c) = (a.peer("b"), a.peer("c"));
        let attached = || lock(&a.hub.nodes).len();
        assert_eq!(attached(), 3);
        drop(b);
        a.publish(EventType::Join, vec![]).await.expect("publish");
        assert_eq!(attached(), 2, "a dropped node is pruned");
        c.shutdown().await.expect("shutdown");
        assert_eq!(attached(), 1, "a shut-down node leaves");
        assert!(!a.is_shut_down());
    }

    #[tokio::test]
    async fn unsubscribe_stops_delivery_in_both_modes() {
        for mode in [EventStoreMode::MultiChannel, EventStoreMode::SingleChannel] {
            let a = LocalEventStore::with_mode("a", mode);
            let b = a.peer("b");
            let (id, heard) = record(&b, EventType::Broadcast).await;
            let (_, kept) = record(&b, EventType::Broadcast).await;
            assert!(b.unsubscribe(id).await.expect("unsubscribe"), "{mode:?}");
            assert!(!b.unsubscribe(id).await.expect("unsubscribe"), "{mode:?}");
            a.publish(EventType::Broadcast, vec![])
                .await
                .expect("publish");
            assert_eq!(count(&heard), 0, "{mode:?}");
            assert_eq!(count(&kept), 1, "{mode:?}");
        }
    }

    #[tokio::test]
    async fn after_shutdown_nothing_goes_in_or_out() {
        let a = LocalEventStore::new("a");
        let b = a.peer("b");
        let (id, heard) = record(&b, EventType::Disconnect).await;
        let (_, at_a) = record(&a, EventType::Disconnect).await;
        b.shutdown().await.expect("shutdown");
        assert!(b.is_shut_down());
        a.publish(EventType::Disconnect, vec![])
            .await
            .expect("publish");
        assert_eq!(count(&heard), 0);
        assert!(matches!(
            b.publish(EventType::Disconnect, vec![]).await,
            Err(StorageError::ShutDown)
        ));
        assert_eq!(count(&at_a), 0);
        assert!(!b.unsubscribe(id).await.expect("unsubscribe"), "kept");
        assert!(matches!(
            b.subscribe(EventType::Join, Arc::new(|_: &EventMessage| {}))
                .await,
            Err(StorageError::ShutDown)
        ));
        b.shutdown().await.expect("a second shutdown");
    }

    #[tokio::test]
    async fn a_listener_may_publish_and_subscribe_reentrantly() {
        let a = LocalEventStore::new("a");
        let b = a.peer("b");
        let (_, echoes) = record(&a, EventType::Ack).await;
        let b2 = b.clone();
        b.subscribe(
            EventType::ServerSideEmit,
            Arc::new(move |m: &EventMessage| {
                // Inside delivery: a lock held by `publish` would deadlock.
                now(b2.subscribe(EventType::Join, Arc::new(|_: &EventMessage| {})))
                    .expect("subscribe");
                now(b2.publish(EventType::Ack, m.payload.clone())).expect("publish");
            }),
        )
        .await
        .expect("subscribe");
        a.publish(EventType::ServerSideEmit, vec![9])
            .await
            .expect("publish");
        assert_eq!(*lock(&echoes), vec![("b".into(), EventType::Ack, vec![9])]);
    }
}
