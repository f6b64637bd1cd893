//! [`Subscriptions`]: the in-process publish/subscribe of [`super::MapCache`]:
//! listeners keyed by a compiled glob pattern. A publish picks the matching
//! listeners under the lock and calls them after releasing it, so a listener
//! may publish or subscribe again.

use std::sync::{Mutex, MutexGuard, PoisonError};

use super::glob::Pattern;
use super::MessageListener;
use crate::error::{Result, StorageError};
use crate::event::SubscriptionId;

/// The longest pattern accepted, in bytes: patterns may come from clients,
/// and every publish matches every pattern.
pub const MAX_PATTERN_LEN: usize = 1024;

/// The listeners of one cache.
#[derive(Default)]
pub(crate) struct Subscriptions {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// The id the next subscription gets.
    next_id: u64,
    /// Every subscription, in subscription order (the order of delivery).
    list: Vec<(SubscriptionId, Pattern, MessageListener)>,
}

impl Subscriptions {
    /// Recovers from poisoning: listeners never run under this lock, so
    /// nothing can panic while holding it.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `listener` for the channels matching `pattern`.
    pub(crate) fn subscribe(
        &self,
        pattern: &str,
        listener: MessageListener,
    ) -> Result<SubscriptionId> {
        if pattern.len() > MAX_PATTERN_LEN {
            return Err(StorageError::TooLarge {
                what: "pattern",
                len: pattern.len(),
                max: MAX_PATTERN_LEN,
            });
        }
        let compiled = Pattern::new(pattern);
        let mut inner = self.lock();
        inner.next_id += 1;
        let id = SubscriptionId(inner.next_id);
        inner.list.push((id, compiled, listener));
        Ok(id)
    }

    /// Removes a subscription; true when it existed.
    pub(crate) fn unsubscribe(&self, id: SubscriptionId) -> bool {
        let mut inner = self.lock();
        let before = inner.list.len();
        inner.list.retain(|(i, _, _)| *i != id);
        inner.list.len() != before
    }

    /// Calls every listener whose pattern matches `channel`; returns how
    /// many were called.
    pub(crate) fn publish(&self, channel: &str, message: &[u8]) -> usize {
        let matching: Vec<MessageListener> = self
            .lock()
            .list
            .iter()
            .filter(|(_, pattern, _)| pattern.matches(channel))
            .map(|(_, _, listener)| listener.clone())
            .collect();
        for listener in &matching {
            listener(channel, message);
        }
        matching.len()
    }

    /// The number of subscriptions.
    pub(crate) fn len(&self) -> usize {
        self.lock().list.len()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    #[test]
    fn delivers_to_matching_patterns_in_order_and_counts_them() {
        let subs = Subscriptions::default();
        let seen = Arc::new(Mutex::new(Vec::new()));
        for pattern in ["photo.*", "video.*", "*"] {
            let seen = seen.clone();
            subs.subscribe(
                pattern,
                Arc::new(move |channel: &str, message: &[u8]| {
                    let mut seen = seen.lock().expect("lock");
                    seen.push((pattern, channel.to_owned(), message.to_vec()))
                }),
            )
            .expect("subscribe");
        }
        assert_eq!(subs.publish("photo.new", b"x"), 2);
        assert_eq!(
            *seen.lock().expect("lock"),
            vec![
                ("photo.*", "photo.new".to_owned(), b"x".to_vec()),
                ("*", "photo.new".to_owned(), b"x".to_vec())
            ]
        );
        assert_eq!(subs.len(), 3);
    }

    #[test]
    fn a_listener_may_subscribe_and_unsubscribe_while_called() {
        let subs = Arc::new(Subscriptions::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let (inner, count) = (subs.clone(), calls.clone());
        let id = subs
            .subscribe(
                "a",
                Arc::new(move |_: &str, _: &[u8]| {
                    count.fetch_add(1, Ordering::SeqCst);
                    inner
                        .subscribe("b", Arc::new(|_: &str, _: &[u8]| {}))
                        .expect("subscribe");
                    inner.publish("b", b"");
                }),
            )
            .expect("subscribe");
        assert_eq!(subs.publish("a", b""), 1);
        assert!(subs.unsubscribe(id));
        assert!(!subs.unsubscribe(id));
        assert_eq!(subs.publish("a", b""), 0);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(subs.len(), 1);
    }

    #[test]
    fn refuses_over_long_patterns() {
        let subs = Subscriptions::default();
        let listener: MessageListener = Arc::new(|_: &str, _: &[u8]| {});
        let fits = "*".repeat(MAX_PATTERN_LEN);
        assert!(subs.subscribe(&fits, listener.clone()).is_ok());
        let long = "*".repeat(MAX_PATTERN_LEN + 1);
        assert!(matches!(
            subs.subscribe(&long, listener),
            Err(StorageError::TooLarge { len, max: MAX_PATTERN_LEN, .. }) if len == MAX_PATTERN_LEN + 1
        ));
    }
}
