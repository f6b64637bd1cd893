//! [`HostUpgrades`]: whether the server the engine is mounted in lets HTTP
//! connections be upgraded (hyper's `.with_upgrades()`), learned from the
//! first WebSocket that could not take its connection over.
//!
//! hyper's HTTP/1.1 connection without `.with_upgrades()` still sends the
//! `101 Switching Protocols` the engine answers, then ends the connection
//! and fails the upgrade with a user error ("upgrade expected but low-level
//! API in use"). That first WebSocket is lost; from then on the engine says
//! why once, at error level, offers no upgrade in its handshakes (polling
//! clients stay on polling) and refuses WebSocket requests with
//! `400 {"code":0,"message":"..."}` instead of a silent `transport error`.

use std::sync::atomic::{AtomicBool, Ordering};

/// The message a WebSocket request gets once upgrades are known missing.
pub(crate) const REFUSAL: &str =
    "WebSocket unavailable: the HTTP server hosting edgeio does not enable upgrades";

/// Whether the host server upgrades connections, as far as the engine knows.
#[derive(Debug, Default)]
pub(crate) struct HostUpgrades {
    unavailable: AtomicBool,
}

impl HostUpgrades {
    /// True once an upgrade failed because the host does not do upgrades.
    pub(crate) fn unavailable(&self) -> bool {
        self.unavailable.load(Ordering::Acquire)
    }

    /// Looks at why an upgrade failed; when it is the host's missing
    /// `.with_upgrades()`, remembers it and logs the fix (once). True then.
    pub(crate) fn failed(&self, error: &hyper::Error) -> bool {
        if !error.is_user() {
            return false;
        }
        if !self.unavailable.swap(true, Ordering::AcqRel) {
            tracing::error!(
                %error,
                "WebSocket upgrade failed: the HTTP server hosting edgeio does not enable \
                 upgrades. With hyper, serve the connection with \
                 `http1::Builder::new().serve_connection(io, service).with_upgrades()` \
                 (axum::serve and edgeio::serve do it for you). Until then edgeio offers \
                 no WebSocket and clients stay on HTTP long-polling"
            );
        }
        true
    }
}
