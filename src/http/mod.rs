//! The HTTP edge: the hyper service that mounts the engine at its path, and
//! the accept loop that serves it within connection-level limits (timeouts,
//! a cap on open connections, backoff on accept errors, TLS) with graceful
//! shutdown; the operational endpoints ([`OpsHandler`]: `/health`,
//! `/ready`, `/metrics`), on the same port or apart ([`serve_ops`]).

mod accept;
mod backoff;
mod body;
mod conn_cap;
mod connection;
pub mod edge_layer;
pub mod fallback;
pub mod limits;
pub mod ops;
mod ops_serve;
pub mod serve;
pub mod service;
#[cfg(feature = "tls")]
pub mod tls;

pub use edge_layer::{layer, EdgeLayer, EdgeLayerFuture, EdgeLayerService, PeerAddr, PeerAddrFn};
pub use fallback::{HttpFuture, HttpHandler};
pub use limits::ServeConfig;
pub use ops::{OpsHandler, ReadyCheck};
pub use ops_serve::serve_ops;
pub use serve::{serve, serve_with, serve_with_fallback, Drained};
pub use service::EdgeService;
#[cfg(feature = "tls")]
pub use tls::{TlsCerts, TlsError};
