//! The byte budgets of a session (`--max-buffered-bytes`,
//! `--max-handshake-header-bytes`): what one client may make the server hold.

use crate::engine::EngineConfig;

/// The byte budgets of a session.
#[derive(Debug, Clone, clap::Args)]
pub struct BufferArgs {
    /// Bytes of outgoing packets queued per session before a client that does
    /// not read is disconnected (`send buffer full`); one packet always fits
    /// an empty queue.
    #[arg(
        long,
        env = "EDGEIO_MAX_BUFFERED_BYTES",
        default_value_t = EngineConfig::default().max_buffered_bytes,
        value_name = "BYTES"
    )]
    pub max_buffered_bytes: usize,

    /// Bytes of handshake request headers kept per session (name + value +
    /// 32 each); headers beyond are dropped, the handshake is not refused.
    #[arg(
        long,
        env = "EDGEIO_MAX_HANDSHAKE_HEADER_BYTES",
        default_value_t = EngineConfig::default().max_handshake_header_bytes,
        value_name = "BYTES"
    )]
    pub max_handshake_header_bytes: usize,
}

impl BufferArgs {
    /// `config` with these budgets.
    pub fn apply(&self, config: EngineConfig) -> EngineConfig {
        EngineConfig {
            max_buffered_bytes: self.max_buffered_bytes,
            max_handshake_header_bytes: self.max_handshake_header_bytes,
            ..config
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::super::Cli;

    #[test]
    fn budget_flags_reach_the_engine_config() {
        let cli = Cli::try_parse_from(["edgeio"]).expect("valid");
        let config = cli.engine_config().expect("valid");
        assert_eq!(config.max_buffered_bytes, 1024 * 1024);
        assert_eq!(config.max_handshake_header_bytes, 8 * 1024);
        let cli = Cli::try_parse_from([
            "edgeio",
            "--max-buffered-bytes",
            "65536",
            "--max-handshake-header-bytes",
            "2048",
        ])
        .expect("valid");
        let config = cli.engine_config().expect("valid");
        assert_eq!(config.max_buffered_bytes, 65_536);
        assert_eq!(config.max_handshake_header_bytes, 2048);
        assert!(Cli::try_parse_from(["edgeio", "--max-buffered-bytes", "-1"]).is_err());
    }
}
