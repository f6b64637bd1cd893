//! The server side of the official Socket.IO Admin UI
//! (`@socket.io/admin-ui` 0.5, hosted at <https://admin.socket.io> or
//! served from the npm package's `ui/dist`), on namespace `/admin` of
//! whichever application's server it is attached to (a [`Plugin`]).
//!
//! What the Node module's `instrument()` does in its development mode, but
//! for the events every socket sends (`ALL_EVENTS`):
//! - `auth`: basic auth, the password checked against a bcrypt hash off the
//!   async threads; a session id (`session`) lets the UI reconnect
//!   without the password (`auth`);
//! - on connect, `config` (the supported features) and `all_sockets`
//!   (this node's sockets, `serialize`); `server_stats` every two seconds
//!   (`stats`);
//! - `socket_connected`, `socket_disconnected`, `room_joined`, `room_left`
//!   as they happen (`watch`);
//! - the actions `emit`, `join`, `leave`, `_disconnect` unless read-only
//!   (`actions`).

mod actions;
mod auth;
mod serialize;
mod stats;
mod watch;

use std::sync::Arc;

use serde_json::json;

use crate::server::{Io, Plugin};

/// The namespace the UI connects to (the Node module's default).
pub const NAMESPACE: &str = "/admin";

/// Who may use the Admin UI, and what for.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminUiConfig {
    /// The user name the UI must send.
    pub username: String,
    /// The bcrypt hash (`$2a$`, `$2b$`, `$2y$`) of the password the UI
    /// must send.
    pub password_hash: String,
    /// Read-only: the UI watches, and its actions (emit, join, leave,
    /// disconnect) are neither offered nor served.
    pub readonly: bool,
}

impl std::fmt::Debug for AdminUiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminUiConfig")
            .field("username", &self.username)
            .field("readonly", &self.readonly)
            .finish_non_exhaustive()
    }
}

/// Why the Admin UI's settings are refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminUiError {
    /// No user name, or no password hash.
    #[error("the Admin UI needs a user name and a bcrypt password hash")]
    NoCredentials,
    /// The password hash is not a bcrypt hash.
    #[error("the Admin UI's password hash is not a valid bcrypt hash")]
    InvalidHash,
}

impl AdminUiConfig {
    /// The settings, checked: a user name, and a password hash that is a
    /// bcrypt hash (as the Node module checks).
    pub fn new(username: &str, password_hash: &str, readonly: bool) -> Result<Self, AdminUiError> {
        if username.is_empty() || password_hash.is_empty() {
            return Err(AdminUiError::NoCredentials);
        }
        password_hash
            .parse::<bcrypt::HashParts>()
            .map_err(|_| AdminUiError::InvalidHash)?;
        Ok(Self {
            username: username.to_owned(),
            password_hash: password_hash.to_owned(),
            readonly,
        })
    }

    /// The features the UI is told the server supports.
    fn supported_features(&self) -> Vec<&'static str> {
        let mut features = Vec::new();
        if !self.readonly {
            features.extend([
                "EMIT",
                "JOIN",
                "LEAVE",
                "DISCONNECT",
                "MJOIN",
                "MLEAVE",
                "MDISCONNECT",
            ]);
        }
        features.push("AGGREGATED_EVENTS");
        features
    }
}

/// The plugin that serves the Admin UI on the server it is attached to
/// (put it in [`crate::server::IoConfig::plugins`]).
pub fn plugin(config: AdminUiConfig) -> Plugin {
    let config = Arc::new(config);
    Plugin::new("admin-ui", move |io| attach(io, config.clone()))
}

/// Serves the Admin UI on `io`.
fn attach(io: &Io, config: Arc<AdminUiConfig>) {
    let admin = io.of(NAMESPACE);
    auth::guard(&admin, config.clone());
    io.observe(Arc::new(watch::Watch::new(admin.clone())));
    let stats = stats::Stats::new(io.clone());
    stats.spawn(admin.clone());
    let io = io.clone();
    admin.on_connection(move |socket| {
        auth::tell_session(socket);
        if !config.readonly {
            actions::serve(socket, &io);
        }
        let _ = socket.emit(
            "config",
            json!({ "supportedFeatures": config.supported_features() }),
        );
        let _ = socket.emit("all_sockets", serialize::all_sockets(&io));
        let _ = socket.emit("server_stats", stats.now());
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_need_credentials_and_a_bcrypt_hash() {
        let hash = "$2b$04$abcdefghijklmnopqrstuu5Lr5dpbo9cFiS9oMYYxJwX4ydlT7TNO";
        assert!(matches!(
            AdminUiConfig::new("", hash, false),
            Err(AdminUiError::NoCredentials)
        ));
        assert!(matches!(
            AdminUiConfig::new("admin", "", false),
            Err(AdminUiError::NoCredentials)
        ));
        assert!(matches!(
            AdminUiConfig::new("admin", "plain-password", false),
            Err(AdminUiError::InvalidHash)
        ));
        let config = AdminUiConfig::new("admin", hash, true).expect("valid");
        assert_eq!(config.supported_features(), vec!["AGGREGATED_EVENTS"]);
        assert!(!format!("{config:?}").contains(hash), "no hash in logs");
        let config = AdminUiConfig::new("admin", hash, false).expect("valid");
        assert!(config.supported_features().contains(&"MDISCONNECT"));
    }
}
