//! The sled backend: every map a sled tree in one database under a data
//! directory, kept across restarts. Writes are durable once flushed; flushes
//! are shared among every writer waiting at the time ([`GroupCommit`]), and a
//! background task flushes every 500 ms so that writes nobody waited for
//! reach the disk soon anyway. sled's own periodic flush is off, so that
//! durability has one path.
//!
//! # Layout of a data directory
//! - `LOCK`: held exclusively by the process that has the directory open
//!   ([`DirLock`]).
//! - `db/`: the sled database. Its `__meta` tree holds the record format
//!   version, checked on open.
//! - `node-id`: this node's id (written by [`crate::open()`](fn@crate::open)).

mod group_commit;
mod lock;
mod map;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::task::JoinHandle;

use crate::cache::Cache;
use crate::codec::{decode, encode, FORMAT_VERSION};
use crate::error::{Result, StorageError};
use crate::event::EventStore;
use crate::factory::{shared_cache, StoreFactory};
use crate::kv::RawMap;

pub use group_commit::{FlushObserver, GroupCommit};
pub use lock::DirLock;
pub use map::SledMap;

use map::backend;

/// The tree of the database's own records (the format version).
pub const META: &str = "__meta";
/// The key of the format record in [`META`].
pub const FORMAT_KEY: &[u8] = b"format";
/// The sled database's directory inside the data directory.
const DB_DIR: &str = "db";
/// How long an open waits for sled's own file lock (see [`open_db`]).
const SLED_LOCK_WAIT: Duration = Duration::from_secs(2);
/// How often the background task flushes.
const FLUSH_EVERY: Duration = Duration::from_millis(500);

/// The open database, shared with the flush; `None` once released.
type DbSlot = Arc<RwLock<Option<sled::Db>>>;

/// Stores and maps in sled under one data directory, with any event store.
pub struct SledStoreFactory {
    /// The data directory.
    dir: PathBuf,
    /// The database (taken out at shutdown so that it closes).
    db: DbSlot,
    /// The database's shared flush.
    commit: Arc<GroupCommit>,
    /// Maps by name, so that shutdown can take their trees away.
    maps: Mutex<HashMap<String, Arc<SledMap>>>,
    /// Where events between nodes go.
    events: Arc<dyn EventStore>,
    /// The cache, created on first use.
    cache: OnceLock<Arc<dyn Cache>>,
    /// Set by `shutdown`: every later call fails.
    shut: AtomicBool,
    /// The background flush task.
    ticker: Mutex<Option<JoinHandle<()>>>,
    /// The hold on the data directory, released last.
    lock: Mutex<Option<DirLock>>,
}

impl SledStoreFactory {
    /// Locks `dir` (creating it) and opens the database in it. Fails with
    /// [`StorageError::Locked`] when another holder has the directory and
    /// [`StorageError::Version`] when its format is not this build's.
    pub fn open(dir: &Path, events: Arc<dyn EventStore>) -> Result<Self> {
        Self::open_locked(DirLock::acquire(dir)?, events)
    }

    /// Opens the database in a directory already locked by `lock`.
    pub fn open_locked(lock: DirLock, events: Arc<dyn EventStore>) -> Result<Self> {
        let dir = lock.dir().to_owned();
        let db = open_db(&dir.join(DB_DIR))?;
        check_format(&db)?;
        let slot: DbSlot = Arc::new(RwLock::new(Some(db)));
        let flushed = slot.clone();
        let commit = GroupCommit::new(move || flush_db(&db_of(&flushed)?));
        let factory = Self {
            dir,
            db: slot,
            commit,
            maps: Mutex::default(),
            events,
            cache: OnceLock::new(),
            shut: AtomicBool::new(false),
            ticker: Mutex::new(None),
            lock: Mutex::new(Some(lock)),
        };
        factory.start_ticker()?;
        Ok(factory)
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Calls sled's flush directly, bypassing the group commit: the
    /// baselines the group commit is measured against. Returns how many
    /// bytes of log sled made stable during the call (0: an earlier or
    /// concurrent flush had already covered everything). Concurrent calls
    /// are merged by sled itself; a caller that wants a flush of its own must
    /// keep calls (and the writes they cover) from overlapping. Not for
    /// product code; use [`RawMap::flush`].
    #[doc(hidden)]
    pub async fn flush_unshared(&self) -> Result<usize> {
        let db = self.db()?;
        tokio::task::spawn_blocking(move || db.flush().map_err(backend))
            .await
            .map_err(|e| StorageError::Backend(format!("flush task: {e}")))?
    }

    /// How many group-commit flushes ran so far (diagnostics, benches).
    #[doc(hidden)]
    pub fn flush_count(&self) -> u64 {
        self.commit.flushes()
    }

    fn db(&self) -> Result<sled::Db> {
        db_of(&self.db)
    }

    fn maps(&self) -> Result<MutexGuard<'_, HashMap<String, Arc<SledMap>>>> {
        self.maps
            .lock()
            .map_err(|_| StorageError::Backend("sled maps lock poisoned".into()))
    }

    fn raw(&self, name: &str) -> Result<Arc<dyn RawMap>> {
        if self.shut.load(Ordering::Acquire) {
            return Err(StorageError::ShutDown);
        }
        if name == META {
            return Err(StorageError::Backend(format!(
                "map name {META:?} is reserved"
            )));
        }
        let mut maps = self.maps()?;
        if let Some(map) = maps.get(name) {
            return Ok(map.clone());
        }
        let tree = self.db()?.open_tree(name).map_err(backend)?;
        let map = Arc::new(SledMap::new(name, tree, self.commit.clone()));
        maps.insert(name.to_owned(), map.clone());
        Ok(map)
    }

    /// Starts the periodic flush, once, when a tokio runtime is at hand
    /// (else `init` starts it).
    fn start_ticker(&self) -> Result<()> {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return Ok(());
        };
        let mut ticker = self
            .ticker
            .lock()
            .map_err(|_| StorageError::Backend("sled ticker lock poisoned".into()))?;
        if ticker.is_none() && !self.shut.load(Ordering::Acquire) {
            let commit = self.commit.clone();
            *ticker = Some(runtime.spawn(async move {
                let mut every = tokio::time::interval(FLUSH_EVERY);
                every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                every.tick().await;
                loop {
                    every.tick().await;
                    if let Err(e) = commit.commit().await {
                        tracing::warn!(error = %e, "periodic storage flush failed");
                    }
                }
            }));
        }
        Ok(())
    }

    /// Stops the periodic flush, takes every tree away from its map, closes
    /// the database, then unlocks the directory. Idempotent.
    fn release(&self) {
        let ticker = match self.ticker.lock() {
            Ok(mut t) => t.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(ticker) = ticker {
            ticker.abort();
        }
        let maps: Vec<_> = match self.maps.lock() {
            Ok(mut maps) => maps.drain().map(|(_, m)| m).collect(),
            Err(poisoned) => poisoned.into_inner().drain().map(|(_, m)| m).collect(),
        };
        for map in maps {
            map.release();
        }
        // Dropping the last handle closes sled (which flushes on close).
        drop(match self.db.write() {
            Ok(mut db) => db.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        });
        drop(match self.lock.lock() {
            Ok(mut lock) => lock.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        });
    }
}

/// Opens sled at `path`, our directory lock held. sled locks its own file
/// too, and after a close in this process its thread pool may hold that
/// file for a moment longer (it writes buffers and truncates segments off
/// the caller's thread). Holding our lock, only such a remnant can have it,
/// so a busy sled lock is waited for, up to [`SLED_LOCK_WAIT`].
fn open_db(path: &Path) -> Result<sled::Db> {
    let deadline = Instant::now() + SLED_LOCK_WAIT;
    loop {
        match sled::Config::new().path(path).flush_every_ms(None).open() {
            Err(sled::Error::Io(e))
                if e.to_string().contains("could not acquire lock")
                    && Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            opened => return opened.map_err(backend),
        }
    }
}

/// The database in `slot`, unless released.
fn db_of(slot: &DbSlot) -> Result<sled::Db> {
    slot.read()
        .map_err(|_| StorageError::Backend("sled database lock poisoned".into()))?
        .clone()
        .ok_or(StorageError::ShutDown)
}

/// sled's blocking flush (write out and fsync).
fn flush_db(db: &sled::Db) -> Result<()> {
    db.flush().map(drop).map_err(backend)
}

/// Writes the format record into a new database, or checks an existing one.
fn check_format(db: &sled::Db) -> Result<()> {
    let meta = db.open_tree(META).map_err(backend)?;
    let ours = encode(&FORMAT_VERSION)?;
    match meta
        .compare_and_swap(FORMAT_KEY, None::<&[u8]>, Some(ours))
        .map_err(backend)?
    {
        Ok(()) => flush_db(db),
        Err(existing) => {
            let record = existing.current.unwrap_or_default();
            let found: u8 = decode(&record)?;
            if found == FORMAT_VERSION {
                Ok(())
            } else {
                Err(StorageError::Version {
                    found,
                    expected: FORMAT_VERSION,
                })
            }
        }
    }
}

#[async_trait]
impl StoreFactory for SledStoreFactory {
    async fn init(&self) -> Result<()> {
        if self.shut.load(Ordering::Acquire) {
            return Err(StorageError::ShutDown);
        }
        self.start_ticker()
    }

    fn raw_map(&self, name: &str) -> Result<Arc<dyn RawMap>> {
        self.raw(name)
    }

    fn event_store(&self) -> Arc<dyn EventStore> {
        self.events.clone()
    }

    fn cache(&self) -> Result<Arc<dyn Cache>> {
        shared_cache(&self.cache, self)
    }

    fn is_durable(&self) -> bool {
        true
    }

    fn observe_flushes(&self, observer: crate::FlushObserver) {
        self.commit.observe(observer);
    }

    async fn shutdown(&self) -> Result<()> {
        if self.shut.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let flushed = self.commit.commit().await;
        let ticker = self.ticker.lock().ok().and_then(|mut t| t.take());
        if let Some(ticker) = ticker {
            ticker.abort();
            // Cancelled on purpose: the join error says only that.
            drop(ticker.await);
        }
        self.release();
        let events = self.events.shutdown().await;
        flushed.and(events)
    }
}

impl Drop for SledStoreFactory {
    /// Dropped without `shutdown`: still close the database (sled flushes on
    /// close) and unlock the directory.
    fn drop(&mut self) {
        self.release();
    }
}

impl std::fmt::Debug for SledStoreFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStoreFactory")
            .field("dir", &self.dir)
            .field("shut", &self.shut.load(Ordering::Relaxed))
            .finish()
    }
}
