//! The subcommands: what `edgeio` does instead of serving.

use super::TokenArgs;

/// What `edgeio` does instead of serving.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Print a chat token for a user, signed with the key the server uses
    /// (the --jwt-* flags, or the secret in --data-dir, made if absent).
    Token(TokenArgs),
    /// Print the effective configuration (flags > EDGEIO_* variables >
    /// --config file > defaults) as TOML that --config reads back; secrets
    /// are masked.
    Config,
}
