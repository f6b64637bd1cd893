//! The sled backend. (Filled by the storage work.)

/// Stores in sled.
pub struct SledStoreFactory;
