//! [`LocalEventStore`]: events between nodes in this process. (Filled by the storage work.)

/// In-process event store.
pub struct LocalEventStore;
