//! # edgeio-storage
//!
//! Storage for edgeio, independent of Socket.IO: per-session stores, shared
//! maps, a TTL cache and node-to-node event propagation, over memory, sled and
//! Redis backends.
//!
//! This crate is laid down with the workspace; its stores arrive with the
//! storage issue. Today it only defines the error type every backend will use.

/// Errors raised by a storage backend.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The backend could not be reached or refused the operation.
    #[error("storage backend unavailable: {0}")]
    Unavailable(String),
}
