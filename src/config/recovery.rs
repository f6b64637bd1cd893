//! Connection-state recovery's budgets (`--recovery-max-*`): how much each
//! namespace keeps for disconnected clients. The window itself is
//! `--recovery-window`.

use std::time::Duration;

use crate::server::RecoveryConfig;

use super::Cli;

/// How much connection-state recovery keeps per namespace.
#[derive(Debug, Clone, clap::Args)]
pub struct RecoveryArgs {
    /// Broadcasts kept per namespace for clients that may come back (oldest
    /// dropped first; a client that missed a dropped one gets a fresh session).
    #[arg(
        long,
        env = "EDGEIO_RECOVERY_MAX_PACKETS",
        default_value_t = RecoveryConfig::default().max_buffered_packets,
        value_name = "N"
    )]
    pub recovery_max_packets: usize,

    /// Bytes of broadcasts kept per namespace for clients that may come back
    /// (oldest dropped first).
    #[arg(
        long,
        env = "EDGEIO_RECOVERY_MAX_BYTES",
        default_value_t = RecoveryConfig::default().max_buffered_bytes,
        value_name = "BYTES"
    )]
    pub recovery_max_bytes: usize,

    /// Disconnected sessions kept per namespace for recovery (past it, the
    /// one that left first is forgotten).
    #[arg(
        long,
        env = "EDGEIO_RECOVERY_MAX_SESSIONS",
        default_value_t = RecoveryConfig::default().max_kept_sessions,
        value_name = "N"
    )]
    pub recovery_max_sessions: usize,
}

impl Cli {
    /// The recovery settings these flags describe; `None` (off) with a
    /// `--recovery-window` of 0.
    pub fn recovery_config(&self) -> Option<RecoveryConfig> {
        (self.recovery_window > 0).then(|| RecoveryConfig {
            max_disconnection_duration: Duration::from_secs(self.recovery_window),
            max_buffered_packets: self.recovery.recovery_max_packets,
            max_buffered_bytes: self.recovery.recovery_max_bytes,
            max_kept_sessions: self.recovery.recovery_max_sessions,
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn the_budget_flags_reach_the_recovery_config() {
        let cli = Cli::try_parse_from([
            "edgeio",
            "--recovery-max-packets",
            "7",
            "--recovery-max-bytes",
            "4096",
            "--recovery-max-sessions",
            "3",
        ])
        .expect("valid flags");
        let recovery = cli.io_config().recovery.expect("on by default");
        assert_eq!(recovery.max_buffered_packets, 7);
        assert_eq!(recovery.max_buffered_bytes, 4096);
        assert_eq!(recovery.max_kept_sessions, 3);
        assert_eq!(
            recovery.max_disconnection_duration,
            Duration::from_secs(120)
        );
    }

    #[test]
    fn the_budgets_default_to_those_of_the_recovery_config() {
        let cli = Cli::try_parse_from(["edgeio"]).expect("valid");
        let recovery = cli.io_config().recovery.expect("on by default");
        let defaults = RecoveryConfig::default();
        assert_eq!(recovery.max_buffered_packets, 10_000);
        assert_eq!(recovery.max_buffered_bytes, 16 * 1024 * 1024);
        assert_eq!(recovery.max_kept_sessions, 10_000);
        assert_eq!(recovery.max_buffered_bytes, defaults.max_buffered_bytes);
    }
}
