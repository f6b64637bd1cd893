//! The recovery store's background task: it makes writes durable (one flush
//! for every write made since the last, shared with every other writer of
//! the backend: group commit) and drops what recovery no longer needs —
//! broadcasts past the window or beyond the buffer's budgets (count and
//! bytes), sessions past the window. It holds the store weakly and ends
//! when the store is gone.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use edgeio_storage::{codec, StorageError};

use super::record::{KeptRecord, Offset, SessionRecord};
use super::{window_ms, Inner};
use crate::server::storage::now_ms;

/// How often expired state is looked for.
const PRUNE_EVERY: Duration = Duration::from_secs(1);
/// Broadcasts read from storage at a time while pruning, at most: a pass
/// reads `FIRST_BATCH`, then twice as many each time all it read went.
/// They are read whole, so a pass that drops nothing reads few.
const BATCH: usize = 512;
const FIRST_BATCH: usize = 8;
/// Sessions looked at per pass (a pass stays short however many there are).
#[cfg(not(test))]
const SESSIONS_PER_PASS: usize = 4096;
/// A few per pass in tests, so that passes resuming where the last one
/// stopped are exercised.
#[cfg(test)]
const SESSIONS_PER_PASS: usize = 2;
/// How long an acknowledgement waits for recovery writes to be durable.
const FLUSH_WAIT: Duration = Duration::from_secs(10);

/// Starts the task, when there is a runtime to run it on.
pub(super) fn start(inner: &Arc<Inner>) {
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        tracing::debug!("no runtime: recovery upkeep not started");
        return;
    };
    let (weak, kick) = (Arc::downgrade(inner), inner.kick.clone());
    rt.spawn(run(weak, kick));
}

async fn run(weak: Weak<Inner>, kick: Arc<tokio::sync::Notify>) {
    let mut next_prune = tokio::time::Instant::now();
    let mut cursor: Vec<u8> = Vec::new();
    loop {
        tokio::select! {
            () = kick.notified() => {}
            () = tokio::time::sleep_until(next_prune) => {}
        }
        let Some(inner) = weak.upgrade() else { return };
        inner.flush().await;
        let timed = tokio::time::Instant::now() >= next_prune;
        if timed {
            if let Err(e) = inner.prune(&mut cursor).await {
                tracing::warn!(error = %e, "recovery upkeep failed");
            }
            next_prune = tokio::time::Instant::now() + PRUNE_EVERY;
        } else if inner.over_budget() {
            if let Err(e) = inner.drop_packets(false, now_ms()).await {
                tracing::warn!(error = %e, "recovery upkeep failed");
            }
        }
    }
}

impl Inner {
    /// Makes every write counted so far durable, says so, and runs what
    /// waited for it.
    async fn flush(&self) {
        let written = self.written.load(Ordering::Acquire);
        if self.flushed.load(Ordering::Acquire) < written {
            let on_disk = match self.durable {
                false => true,
                true => match self.packets.flush().await {
                    Ok(()) => true,
                    Err(e) => {
                        tracing::error!(error = %e, "recovery flush failed");
                        false
                    }
                },
            };
            if on_disk {
                self.flushed.fetch_max(written, Ordering::AcqRel);
            }
        }
        self.release();
    }

    /// Runs, in order and in one go, what waits for writes now durable (or
    /// has waited past `FLUSH_WAIT`: a broken disk must not hold every
    /// acknowledgement forever).
    fn release(&self) {
        let flushed = self.flushed.load(Ordering::Acquire);
        let now = tokio::time::Instant::now();
        let mut ready = Vec::new();
        if let Ok(mut waiting) = self.waiting.lock() {
            while let Some((writes, since, _)) = waiting.front() {
                let late = now.duration_since(*since) >= FLUSH_WAIT;
                if *writes > flushed && !late {
                    break;
                }
                if *writes > flushed {
                    tracing::error!("recovery writes not durable in time; acknowledging anyway");
                }
                ready.extend(waiting.pop_front().map(|(_, _, then)| then));
            }
        }
        for then in ready {
            then();
        }
    }

    /// True when the broadcasts kept are over the buffer's count or bytes
    /// (as counted since the last pass).
    fn over_budget(&self) -> bool {
        self.kept.load(Ordering::Acquire) > self.config.max_buffered_packets
            || self.kept_bytes.load(Ordering::Acquire) > self.config.max_buffered_bytes
    }

    /// Drops broadcasts past the window or beyond the buffer's budgets
    /// (oldest first), and a batch of the sessions past the window.
    async fn prune(&self, cursor: &mut Vec<u8>) -> Result<(), StorageError> {
        let now = now_ms();
        self.drop_packets(true, now).await?;
        self.prune_sessions(cursor, now, window_ms(self.config))
            .await
    }

    /// Drops broadcasts past the window or beyond the buffer's budgets,
    /// oldest first. Counting the broadcasts walks all of them (sled has no
    /// count): done on the timed passes (`recount`) only. A pass the budgets
    /// call for between them, which a busy server makes after every flush,
    /// trusts the counts kept since (`keep` adds to them, this subtracts
    /// what it drops). The bytes are never walked: every write and drop
    /// counts them.
    async fn drop_packets(&self, recount: bool, now: u64) -> Result<(), StorageError> {
        self.load().await?;
        let window = window_ms(self.config);
        let (max_len, max_bytes) = (
            self.config.max_buffered_packets,
            self.config.max_buffered_bytes,
        );
        let mut len = if recount {
            self.packets.len().await?
        } else {
            self.kept.load(Ordering::Acquire)
        };
        let mut bytes = self.kept_bytes.load(Ordering::Acquire);
        let (mut dropped, mut dropped_bytes) = (0, 0);
        let mut below = None;
        let mut size = FIRST_BATCH;
        'packets: loop {
            // Past the count only, what is over is all there is to read.
            let read = match recount || bytes > max_bytes {
                true => size,
                false => len.saturating_sub(max_len).min(BATCH),
            };
            if read == 0 {
                break;
            }
            let batch = self.packets.raw().range_from(&[], read).await?;
            if batch.is_empty() {
                break;
            }
            for (key, value) in batch {
                let expired = codec::decode::<KeptRecord>(&value)
                    .map(|k| now.saturating_sub(k.at_ms) >= window)
                    .unwrap_or(true);
                let over = len > max_len || bytes > max_bytes;
                if !(expired || over) {
                    break 'packets;
                }
                let gone = self.packets.raw().remove(&key).await?;
                let freed = gone.map_or(0, |v| v.len());
                len = len.saturating_sub(1);
                bytes = bytes.saturating_sub(freed);
                dropped += 1;
                dropped_bytes += freed;
                if over {
                    below = Offset::from_key(&key).map(Offset::next);
                }
            }
            size = size.saturating_mul(2).min(BATCH);
        }
        let _ = self
            .kept_bytes
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |b| {
                Some(b.saturating_sub(dropped_bytes))
            });
        if recount {
            self.kept.store(len, Ordering::Release);
        } else {
            let _ = self
                .kept
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |k| {
                    Some(k.saturating_sub(dropped))
                });
        }
        if let Some(below) = below {
            if let Ok(mut p) = self.pruned_below.lock() {
                *p = (*p).max(below);
            }
            self.meta.set("pruned_below", &below).await?;
        }
        Ok(())
    }

    async fn prune_sessions(
        &self,
        cursor: &mut Vec<u8>,
        now: u64,
        window: u64,
    ) -> Result<(), StorageError> {
        let batch = self
            .sessions
            .raw()
            .range_from(cursor, SESSIONS_PER_PASS)
            .await?;
        let full = batch.len() == SESSIONS_PER_PASS;
        for (key, value) in &batch {
            let left_at = match codec::decode::<SessionRecord>(value) {
                Ok(s) => match s.left_at_ms {
                    Some(at) => Some(at),
                    None if s.boot != self.boot => Some(self.opened_at_ms),
                    None => None,
                },
                Err(_) => Some(0), // unreadable: nothing can restore it
            };
            if left_at.is_some_and(|at| now.saturating_sub(at) >= window) {
                self.sessions.raw().remove(key).await?;
                self.not_left(&String::from_utf8_lossy(key));
            }
        }
        *cursor = match batch.last() {
            Some((key, _)) if full => {
                let mut next = key.clone();
                next.push(0);
                next
            }
            _ => Vec::new(),
        };
        Ok(())
    }
}
