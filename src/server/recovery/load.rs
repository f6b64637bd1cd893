//! What an earlier start of the server left in storage, read once per
//! namespace (before the first restore or upkeep pass): where the buffer
//! was cut (`pruned_below`), how many broadcasts and bytes it kept, and its
//! sessions — all counted against this start's budgets, so that a restart
//! does not reset them.

use std::sync::atomic::Ordering;

use edgeio_storage::{codec, StorageError};

use super::record::{Offset, SessionRecord};
use super::Inner;

/// Entries read at a time. Kept broadcasts are read whole (there is no
/// reading a value's length alone), so a batch stays small.
const BATCH: usize = 32;

impl Inner {
    /// Loads what an earlier start left, once.
    pub(super) async fn load(&self) -> Result<(), StorageError> {
        self.loaded
            .get_or_try_init(|| async {
                let below: Option<Offset> = self.meta.get("pruned_below").await?;
                if let (Some(below), Ok(mut p)) = (below, self.pruned_below.lock()) {
                    *p = (*p).max(below);
                }
                self.kept
                    .store(self.packets.len().await?, Ordering::Release);
                self.load_earlier_bytes().await?;
                self.load_earlier_sessions().await
            })
            .await
            .map(drop)
    }

    /// Adds the bytes of the broadcasts kept by earlier starts (this one's
    /// are counted as they are written: their offsets sort after).
    async fn load_earlier_bytes(&self) -> Result<(), StorageError> {
        let ours = Offset {
            boot: self.boot,
            n: 0,
        }
        .key();
        let (mut cursor, mut total) = (Vec::new(), 0usize);
        loop {
            let batch = self.packets.raw().range_from(&cursor, BATCH).await?;
            let full = batch.len() == BATCH;
            for (key, value) in &batch {
                if key.as_slice() >= ours.as_slice() {
                    break;
                }
                total = total.saturating_add(value.len());
            }
            match batch.last() {
                Some((key, _)) if full && key.as_slice() < ours.as_slice() => {
                    cursor.clone_from(key);
                    cursor.push(0);
                }
                _ => break,
            }
        }
        self.kept_bytes.fetch_add(total, Ordering::AcqRel);
        Ok(())
    }

    /// Counts the sessions of earlier starts against the cap (one left
    /// connected by a start that died left when this one opened the
    /// storage), and forgets the oldest past it.
    async fn load_earlier_sessions(&self) -> Result<(), StorageError> {
        let (mut cursor, mut forgotten) = (Vec::new(), Vec::new());
        loop {
            let batch = self.sessions.raw().range_from(&cursor, BATCH).await?;
            let full = batch.len() == BATCH;
            for (key, value) in &batch {
                // Unreadable records are dropped by the upkeep.
                let Ok(session) = codec::decode::<SessionRecord>(value) else {
                    continue;
                };
                if session.boot != self.boot {
                    let at = session.left_at_ms.unwrap_or(self.opened_at_ms);
                    forgotten.extend(self.kept_left(&String::from_utf8_lossy(key), at));
                }
            }
            match batch.last() {
                Some((key, _)) if full => {
                    cursor.clone_from(key);
                    cursor.push(0);
                }
                _ => break,
            }
        }
        for pid in forgotten {
            self.sessions.del(pid).await?;
        }
        Ok(())
    }
}
