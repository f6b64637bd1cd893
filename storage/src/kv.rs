//! [`RawMap`]: the one interface every backend implements — an ordered map
//! of bytes to bytes with atomic updates and a durable flush. Everything
//! typed ([`crate::Map`], [`crate::Store`], the cache, idempotency keys) is
//! built on it, so a backend is one trait to write.

use async_trait::async_trait;

use crate::error::Result;

/// An entry: key and value.
pub type Entry = (Vec<u8>, Vec<u8>);

/// The function of an atomic [`RawMap::update`]: given the current value
/// (`None` when absent), the new one (`None` removes the key).
pub type UpdateFn<'a> = &'a (dyn Fn(Option<&[u8]>) -> Option<Vec<u8>> + Send + Sync);

/// An ordered map of bytes to bytes, shared by every task that holds it.
///
/// Writes are visible to readers at once; they are **durable** (on disk,
/// surviving a crash of the process) once a [`RawMap::flush`] that started
/// after them has returned. Backends share one flush among every writer
/// waiting at the time (group commit). Keys are ordered bytewise.
// An async `is_empty` would be one more method for every backend to write
// for what `len() == 0` says; `Map::is_empty` offers it to callers.
#[allow(clippy::len_without_is_empty)]
#[async_trait]
pub trait RawMap: Send + Sync + 'static {
    /// The map's name, as given to `create_map`.
    fn name(&self) -> &str;

    /// The value at `key`.
    async fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// True when `key` holds a value (without copying it out).
    async fn contains(&self, key: &[u8]) -> Result<bool>;

    /// Sets `key` to `value`; returns the value it replaced.
    async fn insert(&self, key: &[u8], value: Vec<u8>) -> Result<Option<Vec<u8>>>;

    /// Removes `key`; returns the value it held.
    async fn remove(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// Sets `key` to `value` only when it holds nothing, atomically. Returns
    /// `None` when this call inserted, else the value already there.
    async fn insert_if_absent(&self, key: &[u8], value: Vec<u8>) -> Result<Option<Vec<u8>>>;

    /// Replaces the value at `key` by `f(current)` atomically (`f` may run
    /// more than once under contention; it must be pure). Returns the new
    /// value.
    async fn update(&self, key: &[u8], f: UpdateFn<'_>) -> Result<Option<Vec<u8>>>;

    /// Up to `limit` entries with keys `>= start`, in key order.
    async fn range_from(&self, start: &[u8], limit: usize) -> Result<Vec<Entry>>;

    /// Up to `limit` entries whose key starts with `prefix`, in key order.
    async fn scan_prefix(&self, prefix: &[u8], limit: usize) -> Result<Vec<Entry>>;

    /// Removes every key that starts with `prefix`; returns how many.
    async fn remove_prefix(&self, prefix: &[u8]) -> Result<usize>;

    /// The number of entries.
    async fn len(&self) -> Result<usize>;

    /// Removes every entry.
    async fn clear(&self) -> Result<()>;

    /// Returns once every write made before the call is durable. Concurrent
    /// callers share one flush (group commit). Immediate where nothing is
    /// kept on disk.
    async fn flush(&self) -> Result<()>;

    /// True when writes survive the process (after [`RawMap::flush`]).
    fn is_durable(&self) -> bool;
}
