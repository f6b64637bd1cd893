//! [`StorageError`]: every way a storage operation can fail, for every
//! backend.

use std::path::PathBuf;

/// The result of a storage operation.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Errors raised by a storage backend.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The backend could not be reached or refused the operation.
    #[error("storage backend unavailable: {0}")]
    Unavailable(String),
    /// The backend failed (an I/O error, a corrupt file).
    #[error("storage backend error: {0}")]
    Backend(String),
    /// A [`crate::Store`] was used after `destroy`.
    #[error("store of session {0:?} was destroyed")]
    Destroyed(String),
    /// A value could not be encoded.
    #[error("cannot encode value: {0}")]
    Encode(String),
    /// A stored value could not be decoded as the type asked for.
    #[error("cannot decode value: {0}")]
    Decode(String),
    /// A record was written by a format this build does not read.
    #[error("record format version {found}, this build reads version {expected}")]
    Version {
        /// The version byte found on the record.
        found: u8,
        /// The version this build writes and reads.
        expected: u8,
    },
    /// The data directory is held by another process.
    #[error("data directory {} is in use by another edgeio process", path.display())]
    Locked {
        /// The directory.
        path: PathBuf,
    },
    /// A value asked to be a counter is not one.
    #[error("value at key {0:?} is not a counter")]
    NotACounter(String),
    /// The storage was shut down.
    #[error("storage is shut down")]
    ShutDown,
    /// An argument (a key, a pattern) is longer than the storage accepts.
    #[error("{what} is {len} bytes, over the limit of {max}")]
    TooLarge {
        /// What was too long ("cache key", "pattern", ...).
        what: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The most accepted.
        max: usize,
    },
}
