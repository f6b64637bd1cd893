//! [`GroupCommit`]: many writers, one flush. A writer's
//! [`GroupCommit::commit`] returns once a flush that *started after the
//! call* has completed; writers that arrive while a flush runs all share the
//! next one. One blocking thread runs flushes back to back while anyone waits,
//! so at most one flush is in progress and every waiter of a flush is released
//! together, with that flush's result.
//!
//! Flushes are numbered 1, 2, … in the order they start. A caller arriving
//! when flush `n` is the last one started needs flush `n + 1` (the running one
//! may have begun before its write). Completion is published on a
//! `tokio::sync::watch` channel.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

use crate::error::{Result, StorageError};

/// The blocking flush a [`GroupCommit`] shares (sled's `Db::flush`).
pub type FlushFn = dyn Fn() -> Result<()> + Send + Sync;

/// Shares one flush among every writer waiting at the time.
pub struct GroupCommit {
    /// Makes everything written so far durable; blocking.
    flush: Box<FlushFn>,
    /// Who runs the next flush, and whether one is needed.
    state: Mutex<State>,
    /// What the flushes that ended so far achieved.
    done: watch::Sender<Progress>,
    /// Flushes run so far (for tests and benches: the sharing shows here).
    flushes: AtomicU64,
}

/// The flusher's schedule, behind the mutex.
#[derive(Default)]
struct State {
    /// The number of the last flush started.
    started: u64,
    /// A caller waits for a flush that has not started yet.
    pending: bool,
    /// A thread is running flushes (it looks at `pending` before it stops).
    running: bool,
}

/// Published after every flush.
#[derive(Clone, Default)]
struct Progress {
    /// The number of the last flush that ended.
    completed: u64,
    /// The number of the last flush that succeeded.
    last_ok: u64,
    /// The error of the last flush that failed.
    last_err: Option<Arc<str>>,
}

impl GroupCommit {
    /// A group commit around the blocking `flush`.
    pub fn new(flush: impl Fn() -> Result<()> + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Self {
            flush: Box::new(flush),
            state: Mutex::default(),
            done: watch::Sender::new(Progress::default()),
            flushes: AtomicU64::new(0),
        })
    }

    /// Returns once a flush that started after this call has ended: `Ok`
    /// when it (or a later one) succeeded, else the flush's error. Needs a
    /// tokio runtime (the flush runs on its blocking pool).
    pub async fn commit(self: &Arc<Self>) -> Result<()> {
        let mut done = self.done.subscribe();
        let target = {
            let mut state = self.lock()?;
            state.pending = true;
            if !state.running {
                let runtime = tokio::runtime::Handle::try_current()
                    .map_err(|e| StorageError::Backend(format!("group commit: {e}")))?;
                state.running = true;
                let this = Arc::clone(self);
                drop(runtime.spawn_blocking(move || this.run_flushes()));
            }
            state.started + 1
        };
        let progress = done
            .wait_for(|p| p.completed >= target)
            .await
            .map_err(|_| StorageError::ShutDown)?
            .clone();
        if progress.last_ok >= target {
            Ok(())
        } else {
            let reason = progress.last_err.as_deref().unwrap_or("flush failed");
            Err(StorageError::Backend(format!("flush: {reason}")))
        }
    }

    /// How many flushes ran so far.
    pub fn flushes(&self) -> u64 {
        self.flushes.load(Ordering::Relaxed)
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>> {
        self.state
            .lock()
            .map_err(|_| StorageError::Backend("group commit: lock poisoned".into()))
    }

    /// The flusher thread: one flush after another while callers wait.
    fn run_flushes(&self) {
        loop {
            let number = match self.lock() {
                Ok(mut state) if state.pending => {
                    state.pending = false;
                    state.started += 1;
                    state.started
                }
                Ok(mut state) => {
                    state.running = false;
                    return;
                }
                Err(e) => {
                    // Poisoned: nobody can schedule again; fail every waiter.
                    self.publish(u64::MAX, Err(e));
                    return;
                }
            };
            let result = (self.flush)();
            self.flushes.fetch_add(1, Ordering::Relaxed);
            self.publish(number, result);
        }
    }

    fn publish(&self, number: u64, result: Result<()>) {
        self.done.send_modify(|p| {
            p.completed = number;
            match result {
                Ok(()) => p.last_ok = number,
                Err(e) => {
                    tracing::warn!(flush = number, error = %e, "storage flush failed");
                    p.last_err = Some(e.to_string().into());
                }
            }
        });
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
    async fn commits_in_sequence_each_flush() {
        let gc = slow_flush(0, Arc::default());
        for n in 1..=5 {
            gc.commit().await.expect("commits");
            assert_eq!(gc.flushes(), n);
        }
    }
}
