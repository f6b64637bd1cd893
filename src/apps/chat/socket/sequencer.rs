//! [`Sequencer`]: puts one sender's messages in their `clientSequence`
//! order. A message whose predecessor has not arrived is held until it does
//! or for the hold time, whichever is first; then it goes on (the gap is
//! given up). Keyed by (user, device, conversation).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

/// Senders tracked at most; past it the oldest state is forgotten (their
/// next message simply starts a new run).
const MAX_KEYS: usize = 100_000;

type Key = (Arc<str>, Arc<str>, String);

#[derive(Default)]
struct Run {
    /// The sequence expected next.
    next: u64,
    /// Messages held for their turn.
    waiting: BTreeMap<u64, Vec<oneshot::Sender<()>>>,
}

/// The ordering of every sender's messages.
pub struct Sequencer {
    hold: Duration,
    runs: Mutex<HashMap<Key, Run>>,
}

/// A message's turn: call [`Sequencer::done`] with it once it is stored (or
/// refused), so the next one goes.
#[derive(Debug)]
pub struct Turn {
    key: Key,
    seq: u64,
}

impl Sequencer {
    /// Holds a message at most `hold` for its predecessors.
    pub fn new(hold: Duration) -> Self {
        Self {
            hold,
            runs: Mutex::default(),
        }
    }

    /// Waits for message `seq`'s turn in `user`'s `device`'s run in `cid`.
    pub async fn turn(&self, user: &Arc<str>, device: &Arc<str>, cid: &str, seq: u64) -> Turn {
        let key = (user.clone(), device.clone(), cid.to_string());
        let wait = {
            let Ok(mut runs) = self.runs.lock() else {
                return Turn { key, seq };
            };
            if runs.len() >= MAX_KEYS && !runs.contains_key(&key) {
                runs.retain(|_, r| !r.waiting.is_empty());
            }
            let run = runs.entry(key.clone()).or_insert_with(|| Run {
                next: seq,
                waiting: BTreeMap::new(),
            });
            if seq <= run.next {
                None
            } else {
                let (tx, rx) = oneshot::channel();
                run.waiting.entry(seq).or_default().push(tx);
                Some(rx)
            }
        };
        if let Some(rx) = wait {
            let _ = tokio::time::timeout(self.hold, rx).await;
        }
        Turn { key, seq }
    }

    /// Message `turn` is through: the run moves past it and the message
    /// expected next, if held, goes.
    pub fn done(&self, turn: Turn) {
        let Ok(mut runs) = self.runs.lock() else {
            return;
        };
        let Some(run) = runs.get_mut(&turn.key) else {
            return;
        };
        if turn.seq >= run.next {
            run.next = turn.seq + 1;
        }
        // Held messages at or below the new `next` may go now.
        while let Some(entry) = run.waiting.first_entry() {
            if *entry.key() > run.next {
                break;
            }
            for tx in entry.remove() {
                let _ = tx.send(());
            }
        }
    }

    /// Forgets `user`'s `device`'s runs (the device left).
    pub fn forget(&self, user: &str, device: &str) {
        if let Ok(mut runs) = self.runs.lock() {
            runs.retain(|(u, d, _), r| !(&**u == user && &**d == device && r.waiting.is_empty()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ids() -> (Arc<str>, Arc<str>) {
        (Arc::from("alice"), Arc::from("web"))
    }

    #[tokio::test]
    async fn a_gap_is_waited_for_and_then_filled_in_order() {
        let seq = Arc::new(Sequencer::new(Duration::from_secs(30)));
        let (u, d) = ids();
        let first = seq.turn(&u, &d, "c", 1).await;
        seq.done(first);
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for n in [4u64, 3] {
            let (seq, u, d, order) = (seq.clone(), u.clone(), d.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                let t = seq.turn(&u, &d, "c", n).await;
                order.lock().expect("lock").push(n);
                seq.done(t);
            }));
            tokio::task::yield_now().await;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(order.lock().expect("lock").is_empty(), "3 and 4 wait for 2");
        let two = seq.turn(&u, &d, "c", 2).await;
        order.lock().expect("lock").push(2);
        seq.done(two);
        for t in tasks {
            t.await.expect("task");
        }
        assert_eq!(*order.lock().expect("lock"), vec![2, 3, 4]);
        // Another conversation is another run; a late message goes at once.
        let other = seq.turn(&u, &d, "other", 9).await;
        seq.done(other);
        let late = seq.turn(&u, &d, "c", 1).await;
        seq.done(late);
    }

    #[tokio::test(start_paused = true)]
    async fn a_gap_never_filled_is_given_up_after_the_hold() {
        let seq = Sequencer::new(Duration::from_secs(1));
        let (u, d) = ids();
        let first = seq.turn(&u, &d, "c", 1).await;
        seq.done(first);
        let started = tokio::time::Instant::now();
        let third = seq.turn(&u, &d, "c", 3).await;
        assert!(
            started.elapsed() >= Duration::from_secs(1),
            "held for the hold time"
        );
        seq.done(third);
        let fourth = seq.turn(&u, &d, "c", 4).await;
        assert_eq!(
            started.elapsed(),
            Duration::from_secs(1),
            "4 follows 3 at once"
        );
        seq.done(fourth);
        seq.forget("alice", "web");
        let fresh = seq.turn(&u, &d, "c", 10).await;
        assert_eq!(
            started.elapsed(),
            Duration::from_secs(1),
            "a forgotten run starts anew"
        );
        seq.done(fresh);
    }
}
