//! [`ServeConfig`]: the connection-level limits of the accept loop — how long
//! a client may take to send a request's head and body, how many TCP
//! connections may be open, how large a request head may be, how long
//! shutdown waits for open requests — and whether connections speak TLS.

use std::time::Duration;

/// The smallest read buffer hyper accepts (its `max_buf_size` minimum).
const MIN_READ_BUFFER: usize = 8 * 1024;

/// The limits of [`serve_with`](super::serve_with). The defaults suit a
/// 512 MB box facing the open internet.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// How long a client may take to send a request's head, from the moment
    /// the server starts waiting for it: at the connection's start, and
    /// after each response on a keep-alive connection (so it is also how
    /// long an idle keep-alive connection is kept). A client past it is
    /// disconnected without an answer, so a slowloris holds nothing longer.
    pub header_timeout: Duration,
    /// How long a client may take to send a request's body once the server
    /// reads it: past it the request is answered `408` and the connection
    /// closed (a polling session whose POST timed out is closed with
    /// "transport error", as socket.io does for an aborted POST).
    pub body_timeout: Duration,
    /// Open TCP connections at most, WebSocket ones included. A connection
    /// beyond it is closed as soon as it is accepted, and counted in a log
    /// line at most once a second.
    pub max_connections: usize,
    /// The largest request head (request line and headers), in bytes; a
    /// larger one is answered `431` and its connection closed. It also caps
    /// hyper's read buffer per connection (at least 8 KiB).
    pub max_header_bytes: usize,
    /// How long open connections may take to finish once the sessions are
    /// closed at shutdown; connections still open after it are cut.
    pub drain_timeout: Duration,
    /// How long to go on serving once shutdown starts, before the sessions
    /// are closed: new handshakes are refused with `503` meanwhile (and a
    /// readiness probe reading [`Engine::is_draining`] fails), so that a
    /// load balancer stops sending clients here first. Zero by default.
    ///
    /// [`Engine::is_draining`]: crate::engine::Engine::is_draining
    pub shutdown_delay: Duration,
    /// Serve HTTPS (and WSS) with this certificate instead of plain HTTP;
    /// the TLS handshake must be done within `header_timeout`.
    #[cfg(feature = "tls")]
    pub tls: Option<super::tls::TlsCerts>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_connections: 10_000,
            max_header_bytes: 16 * 1024,
            drain_timeout: Duration::from_secs(5),
            shutdown_delay: Duration::ZERO,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl ServeConfig {
    /// hyper's read buffer per connection: the head limit, or hyper's
    /// minimum when the limit is below it.
    pub(crate) fn read_buffer(&self) -> usize {
        self.max_header_bytes.max(MIN_READ_BUFFER)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_read_buffer_follows_the_head_limit_down_to_hyper_s_minimum() {
        let config = ServeConfig::default();
        assert_eq!(config.read_buffer(), 16 * 1024);
        let small = ServeConfig {
            max_header_bytes: 100,
            ..config
        };
        assert_eq!(small.read_buffer(), 8 * 1024);
    }
}
