//! `--app chat`: the chat service of `../shared/seeds/chat-system-design.md`
//! on edgeio's public API — REST for setup and heavy reads, Socket.IO events
//! for everything live, durable state in the server's storage.
//!
//! # Layout
//! - [`identity`]: who a token says the caller is.
//! - [`store`]: conversations, messages, reads, blocks, mutes, devices.
//! - [`service`]: the operations both front doors call, and what they tell
//!   the users' sockets.
//! - [`rest`]: the HTTP API.
//! - [`socket`]: the Socket.IO events, presence and typing.
//! - [`payload`], [`clock`], [`ratelimit`], [`error`], [`config`]: helpers.

pub mod auth;
pub mod clock;
pub mod config;
pub mod error;
pub mod identity;
pub mod model;
pub mod payload;
pub mod ratelimit;
pub mod rest;
pub mod service;
pub mod socket;
pub mod store;

use std::sync::Arc;

use crate::engine::EngineHandler;
use crate::http::HttpHandler;
use crate::server::{Io, IoConfig, ServerStorage};

pub use config::ChatConfig;
pub use error::{ChatError, ChatResult};
pub use identity::{Identity, Verifier};
pub use service::ChatService;

/// The chat service, ready to serve.
pub struct ChatApp {
    /// The Socket.IO server, for the engine.
    pub handler: Arc<dyn EngineHandler>,
    /// The REST API, for every other path.
    pub http: Arc<dyn HttpHandler>,
    /// The operations, for embedding and tests.
    pub service: ChatService,
}

/// Builds the chat on `io_config` (its storage holds the chat's state; in
/// memory when it has none), checking tokens with `verifier`.
pub fn build(
    io_config: IoConfig,
    config: ChatConfig,
    verifier: Arc<dyn Verifier>,
) -> ChatResult<ChatApp> {
    let storage = io_config
        .storage
        .clone()
        .unwrap_or_else(ServerStorage::memory);
    let io = Io::new(IoConfig {
        storage: Some(storage.clone()),
        ..io_config
    });
    let factory = storage.factory();
    let store = store::ChatStore::open(factory.as_ref())?;
    let limiter = ratelimit::RateLimiter::new(config.rate_limits.clone(), factory.cache()?);
    let ns = io.of("/");
    let cors = config.cors.clone();
    let service = ChatService::new(store, ns.clone(), limiter, config);
    socket::serve(&ns, service.clone(), verifier.clone());
    Ok(ChatApp {
        handler: io.engine_handler(),
        http: Arc::new(rest::Rest::new(service.clone(), verifier).with_cors(cors)),
        service,
    })
}
