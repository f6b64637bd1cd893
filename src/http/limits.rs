//! [`ServeConfig`]: the connection-level limits of the accept loop — how long
//! a client may take to send a request's head and body, how many TCP
//! connections may be open, how large a request head may be, and how long
//! shutdown waits for open requests.

use std::time::Duration;

/// The limits of [`serve_with`](super::serve_with). The defaults suit a
/// 512 MB box facing the open internet.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// How long open requests may take to finish once shutdown starts;
    /// connections still open after it are cut.
    pub drain_timeout: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            drain_timeout: Duration::from_secs(5),
        }
    }
}
