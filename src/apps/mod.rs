//! Layer 4: applications built on the public API, chosen with `--app`.

pub mod chat;
pub mod echo;
pub mod loadtest;
pub mod protocol_suite;

use std::sync::Arc;

use crate::engine::EngineHandler;
use crate::server::IoConfig;

/// The applications the binary can run.
pub const NAMES: &[&str] = &["echo", "protocol-suite", "loadtest"];

/// The handler of application `name`, or `None` when there is no such app.
/// Socket.IO applications are built with `io_config`.
pub fn build(name: &str, io_config: IoConfig) -> Option<Arc<dyn EngineHandler>> {
    match name {
        "echo" => Some(Arc::new(echo::Echo)),
        "protocol-suite" => Some(protocol_suite::build(io_config)),
        "loadtest" => Some(loadtest::build(io_config)),
        _ => None,
    }
}
