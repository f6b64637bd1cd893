//! # edgeio
//!
//! A Socket.IO v4 server (Engine.IO v4 underneath) over hyper 1.x and tokio:
//! a handler you mount in the HTTP server you already have, and the `edgeio`
//! binary that serves it on its own. The official JavaScript, Python and
//! other Socket.IO clients connect to it over HTTP long-polling and
//! WebSocket.
//!
//! You write the application against [`Io`] (the server and its
//! namespaces), [`Namespace`] (middlewares, connections, broadcasts) and
//! [`Socket`] (one client: events, acknowledgements, rooms), then put it
//! behind an [`engine::Engine`], the Engine.IO server that owns the sessions
//! and answers the HTTP requests on its path (`/socket.io/`, the clients'
//! default; another with [`engine::EngineConfig::with_path`]).
//!
//! ```no_run
//! use edgeio::engine::{Engine, EngineConfig};
//! use edgeio::{Io, IoConfig};
//! use serde_json::json;
//!
//! # async fn run() -> std::io::Result<()> {
//! let io = Io::new(IoConfig::default());
//! io.main().on_connection(|socket| {
//!     socket.on_data("ping", |_socket, _text: String, ack| {
//!         if let Some(ack) = ack {
//!             let _ = ack.send(json!("pong"));
//!         }
//!     });
//! });
//! let engine = Engine::new(EngineConfig::default(), io.engine_handler());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! edgeio::serve(listener, engine, std::future::pending()).await;
//! # Ok(())
//! # }
//! ```
//!
//! # Three ways in
//! - [`serve()`] (and [`http::serve_with`]): edgeio's own accept loop, with
//!   connection limits and a graceful drain. The simplest way, and what the
//!   binary uses.
//! - [`layer`]: a tower [`Layer`](tower_layer::Layer) for a server you already
//!   have — axum 0.8 (`Router::layer(edgeio::layer(engine))`) or hyper 1.x
//!   with a tower service. The engine's path is answered by the engine,
//!   every other request goes to your service unchanged. The host must serve
//!   HTTP/1.1 **with upgrades on** (`axum::serve` does; with hyper, call
//!   `.with_upgrades()`), and may put the peer's address in the request's
//!   extensions as an [`http::PeerAddr`]. See `examples/axum.rs` and
//!   `examples/hyper.rs`.
//! - [`EdgeService`]: a hyper `Service` for one connection, answering the
//!   engine's path and `404` (or an [`http::HttpHandler`]) for the rest.
//!
//! # Cargo features
//! | feature | default | what it adds |
//! |---|---|---|
//! | `cli` | yes | the `edgeio` binary: its flags (`config`, clap), logging (tracing-subscriber), errors (anyhow), allocator (jemalloc); turns on `apps` |
//! | `apps` | with `cli` | the applications the binary serves (`apps`: chat with JWT, echo, ...) and their crates (jsonwebtoken, uuid, time) |
//! | `tls` | yes | HTTPS and WSS in [`serve()`]'s accept loop with rustls (`ServeConfig::tls`, `http::TlsCerts`) |
//!
//! `edgeio = { version = "0.1", default-features = false }` builds the
//! handler alone: [`engine`], [`protocol`], [`server`], [`http`].
//!
//! # Layout
//! Layers depend downward only:
//! - [`metrics`]: the Prometheus metrics every layer records (below the
//!   engine).
//! - [`engine`]: Engine.IO v4 (packets, sessions, polling and WebSocket
//!   transports, heartbeat, limits, CORS). Engine types live only here.
//! - [`protocol`]: the Socket.IO packet codec.
//! - [`server`]: the Socket.IO server ([`Io`], [`Namespace`], [`Socket`],
//!   rooms, broadcasts, acknowledgements, connection state recovery).
//! - [`http`]: the hyper service, the tower layer and the accept loop.
//! - `apps` (feature `apps`): applications built on the public API.
//! - `config` (feature `cli`), [`shutdown`], [`reload`]: the binary's flags,
//!   its stop signal and its reload signal (SIGHUP).
//!
//! Storage lives in the `edgeio-storage` crate and knows nothing of the
//! protocol.
#![warn(missing_docs)]

#[cfg(feature = "apps")]
pub mod apps;
#[cfg(feature = "cli")]
pub mod config;
pub mod engine;
pub mod http;
pub mod metrics;
pub mod protocol;
pub mod reload;
pub mod server;
pub mod shutdown;

pub use http::{layer, serve, EdgeLayer, EdgeLayerService, EdgeService, PeerAddr};
pub use server::{
    AckError, AckResponse, AckSender, BroadcastAckError, BroadcastOperator, ConnectError,
    DisconnectReason, EmitError, Event, Io, IoConfig, Namespace, RecoveryConfig, Socket,
};

/// The README's Rust examples, compiled as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeExamples;
