//! [`PendingRequests`]: the requests this node sent to the other nodes of a
//! cluster and awaits answers to (socket.io's `fetchSockets`,
//! `serverSideEmit` with an acknowledgement, `allRooms`, broadcast acks).
//!
//! A multi-node adapter registers a request with the number of answers it
//! expects and a timeout, publishes it under the id it got, feeds the
//! answers it hears by id, and awaits [`Pending::wait`]: the answers, once
//! all came, or at the timeout those that did and how many did not. The
//! table is bounded; an entry is gone once resolved, timed out or dropped.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use rand::Rng;
use tokio::sync::oneshot;

/// How many requests a table holds by default: a request is a few hundred
/// bytes while it waits, so this is well within a 512 MB box.
pub const DEFAULT_MAX_PENDING: usize = 4096;

/// What a request collected: the answers that came, and how many of those
/// expected did not come in time.
#[derive(Debug, Clone, PartialEq)]
pub struct Answers<T> {
    /// The answers, in the order they came.
    pub answers: Vec<T>,
    /// Expected answers that did not come before the timeout.
    pub missing: usize,
}

impl<T> Default for Answers<T> {
    fn default() -> Self {
        Self {
            answers: Vec::new(),
            missing: 0,
        }
    }
}

/// A request the table could not take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// As many requests as the table holds are waiting already.
    #[error("too many requests pending ({max})")]
    Full {
        /// The table's bound.
        max: usize,
    },
}

/// One waiting request.
struct Entry<T> {
    /// How many answers complete it.
    expected: usize,
    answers: Vec<T>,
    /// Where the answers go once complete.
    done: Option<oneshot::Sender<Vec<T>>>,
}

struct Inner<T> {
    entries: HashMap<String, Entry<T>>,
}

/// The requests of one node awaiting answers, by id.
pub struct PendingRequests<T> {
    inner: Arc<Mutex<Inner<T>>>,
    max_pending: usize,
    /// Answers whose id matched no waiting request (late, duplicated or
    /// addressed to another node).
    unknown: AtomicU64,
}

/// A registered request: its id, to publish it under, and the wait for
/// its answers. Dropping it removes the request from the table.
pub struct Pending<T> {
    id: String,
    expected: usize,
    timeout: Duration,
    rx: oneshot::Receiver<Vec<T>>,
    table: Weak<Mutex<Inner<T>>>,
}

impl<T: Send + 'static> PendingRequests<T> {
    /// A table holding at most `max_pending` waiting requests.
    pub fn new(max_pending: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                entries: HashMap::new(),
            })),
            max_pending,
            unknown: AtomicU64::new(0),
        }
    }

    /// Registers a request expecting `expected` answers within `timeout`
    /// (counted from [`Pending::wait`]), under a new id no other waiting
    /// request of this table has. Fails when the table is full.
    pub fn register(&self, expected: usize, timeout: Duration) -> Result<Pending<T>, RequestError> {
        let (tx, rx) = oneshot::channel();
        let mut inner = self.lock();
        if inner.entries.len() >= self.max_pending {
            return Err(RequestError::Full {
                max: self.max_pending,
            });
        }
        let mut id = new_id();
        while inner.entries.contains_key(&id) {
            id = new_id();
        }
        let mut entry = Entry {
            expected,
            answers: Vec::new(),
            done: Some(tx),
        };
        if expected == 0 {
            complete(&mut entry);
        } else {
            inner.entries.insert(id.clone(), entry);
        }
        Ok(Pending {
            id,
            expected,
            timeout,
            rx,
            table: Arc::downgrade(&self.inner),
        })
    }

    /// Hands `answer` to request `id`; it resolves when that was the last
    /// answer it expected. False (and counted) when no request `id` waits.
    pub fn answer(&self, id: &str, answer: T) -> bool {
        let mut inner = self.lock();
        let Some(entry) = inner.entries.get_mut(id) else {
            drop(inner);
            self.unknown.fetch_add(1, Ordering::Relaxed);
            return false;
        };
        entry.answers.push(answer);
        if entry.answers.len() >= entry.expected {
            if let Some(mut entry) = inner.entries.remove(id) {
                complete(&mut entry);
            }
        }
        true
    }

    /// True while request `id` waits (a node skips the requests it sent
    /// itself when they come back on a shared channel).
    pub fn is_pending(&self, id: &str) -> bool {
        self.lock().entries.contains_key(id)
    }

    /// The number of requests waiting.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// True when no request waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many answers matched no waiting request so far.
    pub fn unknown_answers(&self) -> u64 {
        self.unknown.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<T>> {
        // A panic while holding the lock leaves the map consistent (every
        // change is one insert or remove), so the poison is ignored.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl<T: Send + 'static> Default for PendingRequests<T> {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_PENDING)
    }
}

impl<T> Pending<T> {
    /// The request's id, unique among this table's waiting requests.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Waits for every expected answer, or for the timeout: then resolves
    /// to the answers that came and how many did not, and the request
    /// leaves the table (answers after that are unknown).
    pub async fn wait(mut self) -> Answers<T> {
        let answers = match tokio::time::timeout(self.timeout, &mut self.rx).await {
            Ok(Ok(answers)) => answers,
            // Timed out (or the table is gone): whatever came so far.
            _ => self.take().map(|e| e.answers).unwrap_or_default(),
        };
        Answers {
            missing: self.expected.saturating_sub(answers.len()),
            answers,
        }
    }

    /// Removes the request from its table, with what it collected.
    fn take(&self) -> Option<Entry<T>> {
        let table = self.table.upgrade()?;
        let mut inner = table.lock().unwrap_or_else(|p| p.into_inner());
        inner.entries.remove(&self.id)
    }
}

impl<T> Drop for Pending<T> {
    fn drop(&mut self) {
        drop(self.take());
    }
}

/// Sends a complete entry's answers to its waiter.
fn complete<T>(entry: &mut Entry<T>) {
    if let Some(done) = entry.done.take() {
        let _ = done.send(std::mem::take(&mut entry.answers));
    }
}

/// A new request id: 16 random letters and digits, so that requests of
/// different nodes on one channel do not share an id.
fn new_id() -> String {
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(16)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG: Duration = Duration::from_secs(3600);

    #[tokio::test]
    async fn resolves_once_every_expected_answer_came() {
        let table = PendingRequests::new(8);
        let pending = table.register(2, LONG).expect("register");
        let id = pending.id().to_owned();
        assert!(table.answer(&id, "a"));
        assert!(table.is_pending(&id));
        assert!(table.answer(&id, "b"));
        let got = pending.wait().await;
        assert_eq!(got.answers, vec!["a", "b"]);
        assert_eq!(got.missing, 0);
        assert!(table.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn the_timeout_gives_what_came_and_how_many_did_not() {
        let table = PendingRequests::new(8);
        let pending = table.register(3, Duration::from_secs(5)).expect("register");
        let id = pending.id().to_owned();
        table.answer(&id, 1);
        let got = pending.wait().await;
        assert_eq!(got.answers, vec![1]);
        assert_eq!(got.missing, 2);
        // Cleaned: a late answer is unknown.
        assert!(table.is_empty());
        assert!(!table.answer(&id, 2));
        assert_eq!(table.unknown_answers(), 1);
    }

    #[tokio::test]
    async fn expecting_no_answer_resolves_at_once() {
        let table = PendingRequests::<u8>::new(8);
        let got = table.register(0, LONG).expect("register").wait().await;
        assert_eq!(got, Answers::default());
        assert!(table.is_empty());
    }

    #[tokio::test]
    async fn unknown_ids_are_ignored_and_counted() {
        let table = PendingRequests::new(8);
        let pending = table.register(1, LONG).expect("register");
        assert!(!table.answer("nobody", 7));
        assert!(!table.answer("nobody", 8));
        assert_eq!(table.unknown_answers(), 2);
        assert!(table.is_pending(pending.id()));
        assert!(!table.is_pending("nobody"));
        assert!(!table.is_empty());
    }

    #[tokio::test]
    async fn a_full_table_refuses_and_takes_again_once_one_is_gone() {
        let table = PendingRequests::<u8>::new(2);
        let first = table.register(1, LONG).expect("first");
        let _second = table.register(1, LONG).expect("second");
        assert_eq!(
            table.register(1, LONG).err(),
            Some(RequestError::Full { max: 2 })
        );
        drop(first);
        assert_eq!(table.len(), 1);
        assert!(table.register(1, LONG).is_ok());
    }

    #[tokio::test]
    async fn ids_differ() {
        let table = PendingRequests::<u8>::new(100);
        let held: Vec<_> = (0..100)
            .map(|_| table.register(1, LONG).expect("register"))
            .collect();
        let ids: std::collections::HashSet<_> = held.iter().map(|p| p.id().to_owned()).collect();
        assert_eq!(ids.len(), 100);
        assert_eq!(table.len(), 100);
    }

    #[tokio::test]
    async fn answers_for_one_request_do_not_reach_another() {
        let table = PendingRequests::new(8);
        let a = table.register(1, LONG).expect("a");
        let b = table.register(1, LONG).expect("b");
        let (a_id, b_id) = (a.id().to_owned(), b.id().to_owned());
        table.answer(&b_id, "for b");
        table.answer(&a_id, "for a");
        assert_eq!(a.wait().await.answers, vec!["for a"]);
        assert_eq!(b.wait().await.answers, vec!["for b"]);
    }
}
