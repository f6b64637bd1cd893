//! Layer 4: applications built on the public API, chosen with `--app`.

pub mod admin_ui;
pub mod chat;
pub mod echo;
pub mod loadtest;
pub mod protocol_suite;

use std::sync::Arc;

use crate::engine::EngineHandler;
use crate::http::HttpHandler;
use crate::server::IoConfig;

/// The applications the binary can run.
pub const NAMES: &[&str] = &["chat", "echo", "protocol-suite", "loadtest"];

/// What an application serves: its Engine.IO handler and, when it has
/// endpoints of its own, what answers every other path.
pub struct App {
    /// The engine's handler.
    pub handler: Arc<dyn EngineHandler>,
    /// The application's own HTTP endpoints.
    pub http: Option<Arc<dyn HttpHandler>>,
}

/// What building an application needs besides its name.
pub struct AppContext {
    /// The Socket.IO settings (and the storage).
    pub io_config: IoConfig,
    /// The chat's settings.
    pub chat: chat::ChatConfig,
    /// Checks the chat's tokens; the chat cannot run without it.
    pub verifier: Option<Arc<dyn chat::Verifier>>,
}

/// Why an application could not be built.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No application has that name.
    #[error("unknown app {0:?} (one of: {names})", names = NAMES.join(", "))]
    Unknown(String),
    /// The chat needs a token verifier.
    #[error("the chat app needs a token verifier")]
    NoVerifier,
    /// Plugins (the Admin UI) need a Socket.IO server, which echo has not.
    #[error("the {0} app has no Socket.IO server for --admin-ui to watch")]
    NoServer(String),
    /// The chat could not open its state.
    #[error("the chat app could not start: {0}")]
    Chat(#[from] chat::ChatError),
}

/// Builds application `name`.
pub fn build(name: &str, ctx: AppContext) -> Result<App, AppError> {
    let handler_only = |handler| {
        Ok(App {
            handler,
            http: None,
        })
    };
    match name {
        "echo" if !ctx.io_config.plugins.is_empty() => Err(AppError::NoServer(name.into())),
        "echo" => handler_only(Arc::new(echo::Echo)),
        "protocol-suite" => handler_only(protocol_suite::build(ctx.io_config)),
        "loadtest" => handler_only(loadtest::build(ctx.io_config)),
        "chat" => {
            let verifier = ctx.verifier.ok_or(AppError::NoVerifier)?;
            let app = chat::build(ctx.io_config, ctx.chat, verifier)?;
            Ok(App {
                handler: app.handler,
                http: Some(app.http),
            })
        }
        other => Err(AppError::Unknown(other.to_string())),
    }
}
