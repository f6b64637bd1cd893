//! The Socket.IO layer's limits on what clients send (`--max-attachment*`,
//! `--max-namespace*`, `--max-room-name-len`, `--cleanup-empty-namespaces`):
//! binary attachments, namespaces and room names.

use std::time::Duration;

use crate::protocol::Limits;
use crate::server::IoConfig;

/// The Socket.IO layer's limits.
#[derive(Debug, Clone, clap::Args)]
pub struct SioArgs {
    /// Binary attachments one packet may announce.
    #[arg(
        long,
        env = "EDGEIO_MAX_ATTACHMENTS",
        default_value_t = Limits::default().max_attachments,
        value_name = "N"
    )]
    pub max_attachments: usize,

    /// Bytes of binary attachments one packet may carry, all together; a
    /// client going over is closed (parse error).
    #[arg(
        long,
        env = "EDGEIO_MAX_ATTACHMENT_BYTES",
        default_value_t = Limits::default().max_attachment_bytes,
        value_name = "BYTES"
    )]
    pub max_attachment_bytes: usize,

    /// Milliseconds a binary packet's attachments may take to all arrive; a
    /// client that is late is closed (parse error).
    #[arg(
        long,
        env = "EDGEIO_ATTACHMENT_TIMEOUT",
        default_value_t = 20_000,
        value_name = "MS"
    )]
    pub attachment_timeout: u64,

    /// Namespaces one client may be in (or connecting to) at once; a CONNECT
    /// over it gets CONNECT_ERROR.
    #[arg(
        long,
        env = "EDGEIO_MAX_NAMESPACES_PER_CLIENT",
        default_value_t = IoConfig::default().max_namespaces_per_client,
        value_name = "N"
    )]
    pub max_namespaces_per_client: usize,

    /// The longest namespace name a client may create through a dynamic
    /// namespace, in bytes.
    #[arg(
        long,
        env = "EDGEIO_MAX_NAMESPACE_NAME_LEN",
        default_value_t = IoConfig::default().max_namespace_name_len,
        value_name = "BYTES"
    )]
    pub max_namespace_name_len: usize,

    /// The longest room name a socket may join, in bytes (longer: not
    /// joined, logged).
    #[arg(
        long,
        env = "EDGEIO_MAX_ROOM_NAME_LEN",
        default_value_t = IoConfig::default().max_room_name_len,
        value_name = "BYTES"
    )]
    pub max_room_name_len: usize,

    /// Remove a dynamic namespace's child once its last socket left (true or
    /// false).
    #[arg(
        long,
        env = "EDGEIO_CLEANUP_EMPTY_NAMESPACES",
        default_value_t = true,
        action = clap::ArgAction::Set,
        value_name = "BOOL"
    )]
    pub cleanup_empty_namespaces: bool,
}

impl SioArgs {
    /// `config` with these limits, and `limits` (the parser's, whose
    /// length comes from `--max-payload`) with theirs.
    pub fn apply(&self, config: IoConfig) -> IoConfig {
        IoConfig {
            limits: Limits {
                max_attachments: self.max_attachments,
                max_attachment_bytes: self.max_attachment_bytes,
                ..config.limits
            },
            attachment_timeout: Duration::from_millis(self.attachment_timeout),
            max_namespaces_per_client: self.max_namespaces_per_client,
            max_namespace_name_len: self.max_namespace_name_len,
            max_room_name_len: self.max_room_name_len,
            cleanup_empty_namespaces: self.cleanup_empty_namespaces,
            ..config
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::config::Cli;

    use super::*;

    #[test]
    fn sio_flags_reach_the_io_config() {
        let config = Cli::try_parse_from(["edgeio"]).expect("valid").io_config();
        let default = IoConfig::default();
        assert_eq!(config.attachment_timeout, default.attachment_timeout);
        assert_eq!(config.limits.max_attachment_bytes, 1_000_000);
        assert_eq!(config.max_namespaces_per_client, 32);
        assert!(config.cleanup_empty_namespaces);
        let cli = Cli::try_parse_from([
            "edgeio",
            "--max-payload",
            "5000",
            "--max-attachments",
            "2",
            "--max-attachment-bytes",
            "4000",
            "--attachment-timeout",
            "1500",
            "--max-namespaces-per-client",
            "3",
            "--max-namespace-name-len",
            "40",
            "--max-room-name-len",
            "50",
            "--cleanup-empty-namespaces",
            "false",
        ])
        .expect("valid");
        let config = cli.io_config();
        assert_eq!(config.limits.max_len, 5000, "--max-payload kept");
        assert_eq!(config.limits.max_attachments, 2);
        assert_eq!(config.limits.max_attachment_bytes, 4000);
        assert_eq!(config.attachment_timeout, Duration::from_millis(1500));
        assert_eq!(config.max_namespaces_per_client, 3);
        assert_eq!(config.max_namespace_name_len, 40);
        assert_eq!(config.max_room_name_len, 50);
        assert!(!config.cleanup_empty_namespaces);
    }
}
