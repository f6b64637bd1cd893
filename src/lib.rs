//! # edgeio
//!
//! A Socket.IO-compatible real-time server: a hyper service you can mount in
//! your own server, and the `edgeio` binary that serves it.
//!
//! # Layout
//! - [`engine`]: layer 1, Engine.IO v4 (packets, sessions, polling and
//!   WebSocket transports, heartbeat, limits, CORS).
//! - [`http`]: the hyper service and the accept loop with graceful shutdown.
//! - [`metrics`]: layer 0, the Prometheus metrics every layer records.
//! - [`apps`]: applications built on the public API (`--app`).
//! - [`config`], [`shutdown`]: the binary's flags and stop signal.
//!
//! Storage lives in the `edgeio-storage` crate and knows nothing of the
//! protocol.

pub mod apps;
pub mod config;
pub mod engine;
pub mod http;
pub mod metrics;
pub mod protocol;
pub mod server;
pub mod shutdown;

pub use http::{serve, EdgeService};
pub use server::{AckSender, Event, Io, IoConfig, Namespace, Socket};

/// The README's Rust examples, compiled as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeExamples;
