//! The HTTP edge: the hyper service that mounts the engine at its path, and
//! the accept loop that serves it with graceful shutdown.

pub mod serve;
pub mod service;

pub use serve::serve;
pub use service::EdgeService;
