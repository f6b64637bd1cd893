//! [`GroupCommit`]: many writers, one flush. A writer's
//! [`GroupCommit::commit`] returns once a flush that *started after the
//! call* has completed; writers that arrive while a flush runs all share the
//! next one. One blocking thread runs flushes back to back while anyone waits,
//! so at most one flush is in progress and every waiter of a flush is released
//! together, with that flush's result.
//!
//! A caller registers a one-shot reply in the list of the *next* flush; the
//! flusher thread takes the whole list when it starts a flush, so exactly
//! the callers that arrived before that flush started get its result, and
//! nobody waiting for a later flush is woken early.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use tokio::sync::oneshot;

use crate::error::{Result, StorageError};

/// The blocking flush a [`GroupCommit`] shares (sled's `Db::flush`).
pub type FlushFn = dyn Fn() -> Result<()> + Send + Sync;

/// Told how long each flush took (for a latency histogram); set with
/// [`GroupCommit::observe`].
pub type FlushObserver = Arc<dyn Fn(std::time::Duration) + Send + Sync>;

/// What one flush tells its waiters: `Err` holds the failure's message.
type Outcome = std::result::Result<(), Arc<str>>;

/// Shares one flush among every writer waiting at the time.
pub struct GroupCommit {
    /// Makes everything written so far durable; blocking.
    flush: Box<FlushFn>,
    /// Who waits for the next flush, and whether a flusher runs.
    state: Mutex<State>,
    /// Flushes run so far (for tests and benches: the sharing shows here).
    flushes: AtomicU64,
    /// Told the duration of every flush, when set.
    observer: OnceLock<FlushObserver>,
}

/// The flusher's schedule, behind the mutex.
#[derive(Default)]
struct State {
    /// The callers of the next flush (none has started since they came).
    next: Vec<oneshot::Sender<Outcome>>,
    /// A thread is running flushes (it looks at `next` before it stops).
    running: bool,
}

impl GroupCommit {
    /// A group commit around the blocking `flush`.
    pub fn new(flush: impl Fn() -> Result<()> + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Self {
            flush: Box::new(flush),
            state: Mutex::default(),
            flushes: AtomicU64::new(0),
            observer: OnceLock::new(),
        })
    }

    /// Tells `observer` how long each flush from now on takes (the first
    /// observer set stays; later calls are ignored).
    pub fn observe(&self, observer: FlushObserver) {
        let _ = self.observer.set(observer);
    }

    /// Returns once a flush that started after this call has ended, with
    /// that flush's result. Needs a tokio runtime (the flush runs on its
    /// blocking pool).
    pub async fn commit(self: &Arc<Self>) -> Result<()> {
        let (reply, outcome) = oneshot::channel();
        {
            let mut state = self.lock();
            if !state.running {
                let runtime = tokio::runtime::Handle::try_current()
                    .map_err(|e| StorageError::Backend(format!("group commit: {e}")))?;
                state.running = true;
                let this = Arc::clone(self);
                drop(runtime.spawn_blocking(move || this.run_flushes()));
            }
            state.next.push(reply);
        }
        match outcome.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(StorageError::Backend(format!("flush: {reason}"))),
            // The flusher thread went away without replying (the runtime is
            // shutting down).
            Err(_) => Err(StorageError::Backend("flush: flusher stopped".into())),
        }
    }

    /// How many flushes ran so far.
    pub fn flushes(&self) -> u64 {
        self.flushes.load(Ordering::Relaxed)
    }

    /// The state; a panic elsewhere cannot leave it half-changed (a list
    /// and a flag), so a poisoned lock is used as it is.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The flusher thread: one flush after another while callers wait. A
    /// panicking flush is caught and fails only its own waiters: the thread
    /// goes on, so callers that registered meanwhile still get their flush
    /// (were the thread to die, nobody would serve them).
    fn run_flushes(&self) {
        loop {
            // Let the writers sharing this core run first: on a busy core
            // (a server pinned to one) they register more waiters before the
            // list is taken; on an idle one this returns at once.
            std::thread::yield_now();
            let waiters = {
                let mut state = self.lock();
                if state.next.is_empty() {
                    state.running = false;
                    return;
                }
                std::mem::take(&mut state.next)
            };
            let started = std::time::Instant::now();
            let flushed = catch_unwind(AssertUnwindSafe(|| (self.flush)()));
            if let Some(observe) = self.observer.get() {
                observe(started.elapsed());
            }
            let outcome: Outcome = match flushed {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "storage flush failed");
                    Err(e.to_string().into())
                }
                Err(_) => {
                    tracing::error!("storage flush panicked");
                    Err("the flush panicked".into())
                }
            };
            self.flushes.fetch_add(1, Ordering::Relaxed);
            for waiter in waiters {
                // A waiter that gave up (dropped its future) needs no reply.
                drop(waiter.send(outcome.clone()));
            }
        }
    }
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit")
            .field("flushes", &self.flushes())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::time::Duration;

    /// A flush that takes `ms` and fails while `fail` is set.
    fn slow_flush(ms: u64, fail: Arc<AtomicBool>) -> Arc<GroupCommit> {
        GroupCommit::new(move || {
            std::thread::sleep(Duration::from_millis(ms));
            if fail.load(Ordering::SeqCst) {
                Err(StorageError::Backend("disk on fire".into()))
            } else {
                Ok(())
            }
        })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_observer_is_told_how_long_each_flush_took() {
        let fail = Arc::new(AtomicBool::new(false));
        let gc = slow_flush(20, fail.clone());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let told = seen.clone();
        gc.observe(Arc::new(move |took| told.lock().expect("lock").push(took)));
        gc.commit().await.expect("commits");
        fail.store(true, Ordering::SeqCst);
        assert!(gc.commit().await.is_err());
        let seen = seen.lock().expect("lock").clone();
        assert_eq!(seen.len(), 2, "failed flushes are timed too");
        assert!(
            seen.iter().all(|d| *d >= Duration::from_millis(20)),
            "{seen:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_commits_share_flushes() {
        let gc = slow_flush(20, Arc::default());
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                let gc = gc.clone();
                tokio::spawn(async move { gc.commit().await })
            })
            .collect();
        for t in tasks {
            t.await.expect("joins").expect("commits");
        }
        let flushes = gc.flushes();
        assert!(
            (1..=8).contains(&flushes),
            "64 commits took {flushes} flushes"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_commit_waits_for_a_flush_that_started_after_it() {
        // A flush running when the commit arrives does not count: the commit
        // needs the next one, so two flushes run in all.
        let gc = slow_flush(100, Arc::default());
        let first = {
            let gc = gc.clone();
            tokio::spawn(async move { gc.commit().await })
        };
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(gc.flushes(), 0, "the first flush is still running");
        gc.commit().await.expect("commits");
        assert_eq!(gc.flushes(), 2);
        first.await.expect("joins").expect("commits");
        // Alone, a commit runs exactly one flush.
        gc.commit().await.expect("commits");
        assert_eq!(gc.flushes(), 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_flush_fails_every_waiter_then_recovers() {
        let fail = Arc::new(AtomicBool::new(true));
        let gc = slow_flush(20, fail.clone());
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let gc = gc.clone();
                tokio::spawn(async move { gc.commit().await })
            })
            .collect();
        for t in tasks {
            let err = t.await.expect("joins").expect_err("flush failed");
            assert!(err.to_string().contains("disk on fire"), "{err}");
        }
        fail.store(false, Ordering::SeqCst);
        gc.commit().await.expect("the next flush succeeds");
    }

    #[tokio::test]
    async fn a_panicking_flush_fails_its_waiters_and_the_next_commit_flushes_again() {
        let panics = Arc::new(AtomicBool::new(true));
        let flag = panics.clone();
        let gc = GroupCommit::new(move || {
            assert!(!flag.swap(false, Ordering::SeqCst), "flush panics once");
            Ok(())
        });
        let err = gc.commit().await.expect_err("the flush panicked");
        assert!(err.to_string().contains("panicked"), "{err}");
        gc.commit().await.expect("a new flusher runs");
        assert!(!panics.load(Ordering::SeqCst));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_commit_that_arrives_during_a_panicking_flush_is_flushed() {
        // The second commit registers while the first flush runs, and that
        // flush then panics: the second commit needs a flush of its own and
        // must get one, not wait for a flusher that is gone.
        let panics = Arc::new(AtomicBool::new(true));
        let flag = panics.clone();
        let gc = GroupCommit::new(move || {
            if flag.swap(false, Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(100));
                panic!("flush panics once");
            }
            Ok(())
        });
        let first = {
            let gc = gc.clone();
            tokio::spawn(async move { gc.commit().await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        let second = tokio::time::timeout(Duration::from_secs(5), gc.commit()).await;
        second
            .expect("the second commit is answered")
            .expect("a new flush ran for it");
        let err = first.await.expect("joins").expect_err("its flush panicked");
        assert!(err.to_string().contains("panicked"), "{err}");
    }

    #[tokio::test]
    async fn commits_in_sequence_each_flush() {
        let gc = slow_flush(0, Arc::default());
        for n in 1..=5 {
            gc.commit().await.expect("commits");
            assert_eq!(gc.flushes(), n);
        }
        assert_eq!(format!("{gc:?}"), "GroupCommit { flushes: 5 }");
    }
}
