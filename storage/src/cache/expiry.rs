//! Expiry shared by the cache and the idempotency keys: wall-clock
//! deadlines in unix milliseconds (they survive a restart, unlike
//! `Instant`s), conditional removal of an expired record, a batched sweep,
//! and the background task that runs the sweep about every second.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Weak;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::Result;
use crate::kv::RawMap;

/// How often the background task sweeps.
pub(crate) const RECLAIM_EVERY: Duration = Duration::from_secs(1);
/// How many entries a sweep reads at a time.
pub(crate) const RECLAIM_BATCH: usize = 256;

/// Milliseconds since the unix epoch (0 if the clock is before it).
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The unix millisecond `ttl` after `now` (saturating).
pub(crate) fn deadline(now: u64, ttl: Duration) -> u64 {
    now.saturating_add(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX))
}

/// Tells from a stored record whether it expired by `now` (false when it
/// cannot tell: an unreadable record is kept, never silently dropped).
pub(crate) type IsExpired = fn(&[u8], u64) -> bool;

/// Removes `key` if it (still) holds an expired record, atomically: a key
/// written again meanwhile is kept. True when removed.
pub(crate) async fn remove_if_expired(
    raw: &dyn RawMap,
    key: &[u8],
    is_expired: IsExpired,
) -> Result<bool> {
    let now = now_ms();
    let removed = AtomicBool::new(false);
    raw.update(key, &|current| {
        let expired = current.is_some_and(|r| is_expired(r, now));
        removed.store(expired, Ordering::Relaxed);
        if expired {
            None
        } else {
            current.map(<[u8]>::to_vec)
        }
    })
    .await?;
    Ok(removed.load(Ordering::Relaxed))
}

/// Removes every expired record of `raw`, reading [`RECLAIM_BATCH`] entries
/// at a time and yielding between batches; returns how many it removed.
pub(crate) async fn reclaim_expired(raw: &dyn RawMap, is_expired: IsExpired) -> Result<usize> {
    let mut removed = 0;
    let mut start = Vec::new();
    loop {
        let batch = raw.range_from(&start, RECLAIM_BATCH).await?;
        let now = now_ms();
        for (key, record) in &batch {
            if is_expired(record, now) && remove_if_expired(raw, key, is_expired).await? {
                removed += 1;
            }
        }
        match batch.last() {
            Some((last, _)) if batch.len() == RECLAIM_BATCH => {
                // The smallest key after `last`.
                start.clone_from(last);
                start.push(0);
                tokio::task::yield_now().await;
            }
            _ => return Ok(removed),
        }
    }
}

/// Something with expired records to reclaim.
pub(crate) trait Reclaim: Send + Sync + 'static {
    /// The map swept, to name it in logs.
    fn map_name(&self) -> &str;
    /// One sweep.
    fn reclaim(&self) -> impl Future<Output = Result<usize>> + Send;
}

/// Sweeps `owner` every [`RECLAIM_EVERY`] on the current tokio runtime, if
/// there is one, until `owner` is dropped (the task holds it weakly).
pub(crate) fn spawn_reclaimer<T: Reclaim>(owner: Weak<T>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        let mut ticks = tokio::time::interval(RECLAIM_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let Some(owner) = owner.upgrade() else {
                return;
            };
            if let Err(error) = owner.reclaim().await {
                tracing::warn!(map = owner.map_name(), %error, "reclaiming expired keys failed");
            }
        }
    });
}
