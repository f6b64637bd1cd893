//! The HTTP edge: the hyper service that mounts the engine at its path, and
//! the accept loop that serves it with graceful shutdown.

pub mod fallback;
pub mod serve;
pub mod service;

pub use fallback::{HttpFuture, HttpHandler};
pub use serve::{serve, serve_with_fallback};
pub use service::EdgeService;
