//! Opening a backend from configuration. (Filled by the storage work.)

use std::path::PathBuf;

/// Which backend.
pub enum Backend {
    /// In memory.
    Memory,
    /// sled in a data directory.
    Sled {
        /// The data directory.
        dir: PathBuf,
    },
}

/// Storage configuration.
pub struct StorageConfig {
    /// The backend.
    pub backend: Backend,
    /// The node id; generated (and kept in the data directory) when absent.
    pub node_id: Option<String>,
}

/// Opens the storage.
pub fn open() {}
