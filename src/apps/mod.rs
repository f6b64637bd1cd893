//! Layer 4: applications built on the public API, chosen with `--app`.

pub mod echo;

use std::sync::Arc;

use crate::engine::EngineHandler;

/// The applications the binary can run.
pub const NAMES: &[&str] = &["echo"];

/// The handler of application `name`, or `None` when there is no such app.
pub fn by_name(name: &str) -> Option<Arc<dyn EngineHandler>> {
    match name {
        "echo" => Some(Arc::new(echo::Echo)),
        _ => None,
    }
}
