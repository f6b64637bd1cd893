//! Connection-state recovery (socket.io v4.6), kept in the server's storage:
//! while a disconnected socket may come back, its id, rooms, data and the
//! broadcasts it missed are kept; the client reconnects with its private id
//! (`pid`) and the offset of the last broadcast it saw, and gets them back.
//!
//! Sessions are written when a socket connects and rewritten as its rooms
//! and data change, so that a process killed without a chance to save
//! anything still leaves them behind. A client that comes back with its
//! `pid` but no offset (it never received a broadcast) is restored from the
//! point it connected — which Node's socket.io cannot do.
//!
//! Each namespace keeps at most [`RecoveryConfig`]'s budgets: broadcasts by
//! count and by bytes, disconnected sessions by count — the oldest go first.
//! A client that missed a broadcast dropped for them is not restored (as
//! socket.io, when the offset it sends is gone): it gets a fresh session,
//! never a replay with a hole in it.
//!
//! - [`record`]: offsets and the records on disk.
//! - [`kept_sessions`]: the disconnected sessions kept, in the order they
//!   left (what the sessions' cap forgets first).
//! - [`load`]: what an earlier start left, counted against the budgets.
//! - [`mode`]: this node's store, or the adapter's session keeper (see
//!   [`SessionKeeper`](super::adapter::SessionKeeper)) — which one a
//!   namespace uses.
//! - [`stamp`]: the offset of each broadcast this node delivers.
//! - [`upkeep`]: the background task that flushes writes (group commit) and
//!   drops what is past the window or over the buffer's budgets.

mod kept_sessions;
mod load;
mod mode;
mod record;
mod stamp;
mod upkeep;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use edgeio_storage::{codec, Map, StorageError};
use serde_json::Value;
use tokio::sync::{Notify, OnceCell};

use kept_sessions::KeptSessions;
pub(crate) use mode::Recovery;
pub(crate) use record::Offset;
use record::{KeptRecord, SessionRecord};
pub(crate) use stamp::local_frames;

use super::adapter::{BroadcastOptions, Room};
use super::config::RecoveryConfig;
use super::drive::drive;
use super::error::DisconnectReason;
use super::socket::Sid;
use super::storage::{now_ms, ServerStorage};
use crate::engine::{self, Frame};

/// What is restored to a socket that comes back.
#[derive(Debug)]
pub(crate) struct Restored {
    /// The socket's previous id.
    pub(crate) sid: Sid,
    /// Its rooms (its own id excluded).
    pub(crate) rooms: Vec<Room>,
    /// Its `socket.data`.
    pub(crate) data: Option<Value>,
    /// The frames of the broadcasts it missed, oldest first.
    pub(crate) missed: Vec<Frame>,
}

/// What a socket's session record is made of.
pub(crate) struct SessionState<'a> {
    pub(crate) sid: &'a Sid,
    pub(crate) rooms: Vec<Room>,
    pub(crate) data: Option<&'a Value>,
    pub(crate) since: Offset,
    /// Set when the socket left.
    pub(crate) left: bool,
}

/// Work that waits for recovery writes to be durable.
pub(crate) type Deferred = Box<dyn FnOnce() + Send>;

/// Disconnections after which a socket may come back.
pub(crate) fn is_recoverable(reason: DisconnectReason) -> bool {
    // Every loss of the connection but a client that sent garbage.
    matches!(reason, DisconnectReason::Connection(r) if r != engine::DisconnectReason::ParseError)
}

/// The recovery state of one namespace. Cheap to clone.
#[derive(Clone)]
pub(crate) struct RecoveryStore {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    config: RecoveryConfig,
    /// This server start (offsets issued now carry it).
    boot: u64,
    /// When this start opened the storage (unix ms).
    opened_at_ms: u64,
    /// The last offset number issued in this start.
    next: AtomicU64,
    /// pid → [`SessionRecord`].
    sessions: Map,
    /// offset key → [`KeptRecord`].
    packets: Map,
    /// `pruned_below`: the first offset not dropped for the buffer's size.
    meta: Map,
    /// True when storage writes reach disk.
    durable: bool,
    /// Writes done (for the flusher and the acknowledgement barrier).
    written: AtomicU64,
    /// Writes known durable.
    flushed: AtomicU64,
    /// What waits for writes to be durable (acknowledgements), in order.
    waiting: Mutex<VecDeque<(u64, tokio::time::Instant, Deferred)>>,
    /// Wakes the upkeep task.
    kick: Arc<Notify>,
    /// Kept broadcasts (an estimate between upkeep passes).
    kept: AtomicUsize,
    /// Bytes of the kept broadcasts, as stored: added as each is written,
    /// taken off as each is dropped (those of an earlier start added once,
    /// by `load`).
    kept_bytes: AtomicUsize,
    /// The disconnected sessions kept, oldest first (those of an earlier
    /// start added by `load`).
    kept_sessions: Mutex<KeptSessions>,
    /// Broadcasts before this offset may have been dropped by the size cap
    /// (clients without an offset from before it cannot be restored).
    pruned_below: Mutex<Offset>,
    /// Loads `pruned_below` (and the kept count) from storage once.
    loaded: OnceCell<()>,
}

impl RecoveryStore {
    /// The recovery state of namespace `ns` in `storage`; `None` (logged)
    /// when the storage cannot give it maps.
    pub(crate) fn open(config: RecoveryConfig, storage: &ServerStorage, ns: &str) -> Option<Self> {
        let map = |what: &str| {
            storage
                .factory()
                .create_map(&format!("recovery:{ns}:{what}"))
        };
        let maps = map("sessions").and_then(|s| Ok((s, map("packets")?, map("meta")?)));
        let (sessions, packets, meta) = match maps {
            Ok(maps) => maps,
            Err(e) => {
                tracing::error!(ns, error = %e, "recovery off for this namespace: storage refused its maps");
                return None;
            }
        };
        let inner = Arc::new(Inner {
            config,
            boot: storage.boot(),
            opened_at_ms: storage.opened_at_ms(),
            next: AtomicU64::new(0),
            sessions,
            packets,
            meta,
            durable: storage.factory().is_durable(),
            written: AtomicU64::new(0),
            flushed: AtomicU64::new(0),
            waiting: Mutex::default(),
            kick: Arc::new(Notify::new()),
            kept: AtomicUsize::new(0),
            kept_bytes: AtomicUsize::new(0),
            kept_sessions: Mutex::default(),
            pruned_below: Mutex::default(),
            loaded: OnceCell::new(),
        });
        upkeep::start(&inner);
        Some(Self { inner })
    }

    /// The offset the next broadcast will get (a new socket may miss it).
    pub(crate) fn next_offset(&self) -> Offset {
        Offset {
            boot: self.inner.boot,
            n: self.inner.next.load(Ordering::Acquire) + 1,
        }
    }

    /// Issues the offset of a broadcast about to be sent.
    pub(crate) fn issue_offset(&self) -> Offset {
        Offset {
            boot: self.inner.boot,
            n: self.inner.next.fetch_add(1, Ordering::AcqRel) + 1,
        }
    }

    /// Keeps the broadcast sent as `frames` under `offset`.
    pub(crate) fn keep(&self, offset: Offset, frames: &[Frame], opts: &BroadcastOptions) {
        let record = KeptRecord::new(frames, opts, now_ms());
        let value = match codec::encode(&record) {
            Ok(value) => value,
            Err(e) => {
                tracing::warn!(error = %e, "broadcast not kept for recovery");
                return;
            }
        };
        let (packets, inner) = (self.inner.packets.clone(), self.inner.clone());
        self.inner.write(Box::pin(async move {
            let size = value.len();
            packets.raw().insert(&offset.key(), value).await?;
            // Counted for the upkeep, which every write wakes: past the
            // buffer's budgets, it drops the oldest at once.
            inner.kept.fetch_add(1, Ordering::AcqRel);
            inner.kept_bytes.fetch_add(size, Ordering::AcqRel);
            Ok(())
        }));
    }

    /// Writes the session record of socket `pid`. One that left counts
    /// against the sessions' cap: past it, the session that left first is
    /// forgotten.
    pub(crate) fn save(&self, pid: &Sid, state: SessionState<'_>) {
        let record = SessionRecord {
            sid: state.sid.to_string(),
            rooms: state.rooms,
            data: state.data.map(Value::to_string),
            since: state.since,
            boot: self.inner.boot,
            left_at_ms: state.left.then(now_ms),
        };
        let pid = pid.to_string();
        let forgotten = match record.left_at_ms {
            Some(at) => self.inner.kept_left(&pid, at),
            None => {
                self.inner.not_left(&pid);
                Vec::new()
            }
        };
        let sessions = self.inner.sessions.clone();
        self.inner
            .write(Box::pin(async move { sessions.set(pid, &record).await }));
        for pid in forgotten {
            self.inner.delete_session(pid);
        }
    }

    /// Forgets socket `pid` (it left for good).
    pub(crate) fn forget(&self, pid: &Sid) {
        let pid = pid.to_string();
        self.inner.not_left(&pid);
        self.inner.delete_session(pid);
    }

    /// The state of session `pid`, if it is still kept and, with an
    /// `offset`, that broadcast is still kept too; the session is then
    /// claimed (restored once).
    pub(crate) async fn restore(
        &self,
        pid: &str,
        offset: Option<&str>,
    ) -> Result<Option<Restored>, StorageError> {
        let inner = &self.inner;
        inner.load().await?;
        let Some(session) = inner.sessions.get::<SessionRecord>(pid).await? else {
            return Ok(None);
        };
        let left_at = match session.left_at_ms {
            Some(at) => at,
            // Left connected by an earlier start that died: gone since this
            // one opened the storage.
            None if session.boot != inner.boot => inner.opened_at_ms,
            // Still connected here: nothing to take over.
            None => return Ok(None),
        };
        if now_ms().saturating_sub(left_at) >= window_ms(inner.config) {
            inner.not_left(pid);
            inner.sessions.del(pid).await?;
            return Ok(None);
        }
        let start = match offset {
            Some(text) => match Offset::parse(text) {
                Some(seen) if inner.packets.has(seen.key()).await? => seen.next(),
                _ => return Ok(None),
            },
            None if session.since < inner.pruned_below() => return Ok(None),
            None => session.since,
        };
        if !inner.sessions.del(pid).await? {
            return Ok(None); // another connection restored it meanwhile
        }
        inner.not_left(pid);
        let limit = inner.config.max_buffered_packets.saturating_add(1024);
        let entries = inner.packets.raw().range_from(&start.key(), limit).await?;
        // The oldest go first: if what it saw last (or, without an offset,
        // where it connected) is still kept after the read, so is all it
        // read after it — nothing was dropped under the read.
        let intact = match offset.and_then(Offset::parse) {
            Some(seen) => inner.packets.has(seen.key()).await?,
            None => session.since >= inner.pruned_below(),
        };
        if !intact {
            return Ok(None);
        }
        let mut missed = Vec::new();
        for (_, value) in entries {
            let kept: KeptRecord = codec::decode(&value)?;
            if kept.reaches(&session.sid, &session.rooms) {
                missed.extend(kept.frames());
            }
        }
        Ok(Some(Restored {
            sid: Sid::from(session.sid.as_str()),
            rooms: session.rooms,
            data: session.data.and_then(|d| serde_json::from_str(&d).ok()),
            missed,
        }))
    }

    /// When an acknowledgement must wait for writes to reach disk: the count
    /// of writes to wait for, or `None` when everything is durable already.
    pub(crate) fn pending_writes(&self) -> Option<u64> {
        let inner = &self.inner;
        if !inner.durable {
            return None;
        }
        let written = inner.written.load(Ordering::Acquire);
        (inner.flushed.load(Ordering::Acquire) < written).then_some(written)
    }

    /// Runs `then` once `writes` writes are durable. Everything waiting on
    /// one flush runs together, from the upkeep task, so that the
    /// acknowledgements it sends leave in one write (as they came in), not
    /// one by one. A flush that keeps failing does not hold them forever:
    /// past a deadline they run anyway, and that is logged as an error.
    pub(crate) fn after_durable(&self, writes: u64, then: Deferred) {
        if let Ok(mut waiting) = self.inner.waiting.lock() {
            waiting.push_back((writes, tokio::time::Instant::now(), then));
        }
        self.inner.kick.notify_one();
    }
}

impl Inner {
    /// Runs a storage write now (or in a task), counting it for the flusher
    /// once it is done.
    fn write(self: &Arc<Self>, op: super::drive::Fallible<(), StorageError>) {
        let inner = self.clone();
        drive(
            "recovery write",
            Box::pin(async move {
                let result = op.await;
                inner.written.fetch_add(1, Ordering::AcqRel);
                inner.kick.notify_one();
                result
            }),
        );
    }

    /// Counts session `pid` as kept after leaving at `at_ms`; returns those
    /// that are now over the cap, forgotten.
    fn kept_left(&self, pid: &str, at_ms: u64) -> Vec<String> {
        match self.kept_sessions.lock() {
            Ok(mut left) => left.left(pid, at_ms, self.config.max_kept_sessions),
            Err(_) => Vec::new(),
        }
    }

    /// Session `pid` no longer counts as a kept one.
    fn not_left(&self, pid: &str) {
        if let Ok(mut left) = self.kept_sessions.lock() {
            left.remove(pid);
        }
    }

    /// Deletes the record of session `pid`.
    fn delete_session(self: &Arc<Self>, pid: String) {
        let sessions = self.sessions.clone();
        self.write(Box::pin(async move { sessions.del(pid).await.map(drop) }));
    }

    fn pruned_below(&self) -> Offset {
        self.pruned_below.lock().map(|p| *p).unwrap_or_default()
    }
}

fn window_ms(config: RecoveryConfig) -> u64 {
    u64::try_from(config.max_disconnection_duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
