//! The shutdown flags: how long a stop may take in all (`--shutdown-timeout`)
//! and how long to keep serving, refusing new sessions, before closing the
//! open ones (`--shutdown-delay`).

use std::time::Duration;

use crate::http::ServeConfig;

/// The share of what the shutdown timeout leaves after the delay that the
/// connections may take to drain, at most (the rest is the storage's, to
/// flush and close).
const DRAIN_SHARE: (u32, u32) = (3, 4);

/// How the binary stops on SIGTERM or Ctrl-C.
#[derive(Debug, Clone, clap::Args)]
pub struct ShutdownArgs {
    /// Milliseconds a stop (SIGTERM, Ctrl-C) may take in all: the delay,
    /// the drain (at most --drain-timeout, and 3/4 of what is left after the
    /// delay) and the storage's final flush. The process exits when it runs
    /// out, with status 1.
    #[arg(
        long,
        env = "EDGEIO_SHUTDOWN_TIMEOUT",
        default_value_t = 10_000,
        value_name = "MS"
    )]
    pub shutdown_timeout: u64,

    /// Milliseconds to go on serving once a stop begins, with new sessions
    /// refused (503), before the open ones are closed: time for a load
    /// balancer to take this node out.
    #[arg(
        long,
        env = "EDGEIO_SHUTDOWN_DELAY",
        default_value_t = 0,
        value_name = "MS"
    )]
    pub shutdown_delay: u64,
}

impl ShutdownArgs {
    /// The bound of the whole shutdown.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.shutdown_timeout)
    }

    /// `config` with the shutdown delay, and its drain timeout cut to fit in
    /// the shutdown timeout.
    pub fn apply(&self, config: ServeConfig) -> Result<ServeConfig, String> {
        if self.shutdown_timeout == 0 {
            return Err("--shutdown-timeout must be above 0".into());
        }
        if self.shutdown_delay >= self.shutdown_timeout {
            return Err("--shutdown-delay must be below --shutdown-timeout".into());
        }
        let delay = Duration::from_millis(self.shutdown_delay);
        let (num, den) = DRAIN_SHARE;
        let room = (self.timeout() - delay) * num / den;
        Ok(ServeConfig {
            shutdown_delay: delay,
            drain_timeout: config.drain_timeout.min(room),
            ..config
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::config::Cli;

    #[test]
    fn the_shutdown_flags_reach_the_serve_config() {
        let cli = Cli::try_parse_from(["edgeio"]).expect("valid");
        assert_eq!(cli.shutdown.timeout(), Duration::from_secs(10));
        let config = cli.serve_config().expect("defaults");
        assert_eq!(config.shutdown_delay, Duration::ZERO);
        assert_eq!(
            config.drain_timeout,
            Duration::from_secs(5),
            "5 s fits in 10"
        );

        let cli = Cli::try_parse_from([
            "edgeio",
            "--shutdown-timeout",
            "4000",
            "--shutdown-delay",
            "2000",
        ])
        .expect("valid");
        assert_eq!(cli.shutdown.timeout(), Duration::from_secs(4));
        let config = cli.serve_config().expect("valid");
        assert_eq!(config.shutdown_delay, Duration::from_secs(2));
        assert_eq!(
            config.drain_timeout,
            Duration::from_millis(1500),
            "3/4 of the 2 s the delay leaves"
        );

        for bad in [
            &["edgeio", "--shutdown-timeout", "0"][..],
            &[
                "edgeio",
                "--shutdown-timeout",
                "1000",
                "--shutdown-delay",
                "1000",
            ][..],
        ] {
            let cli = Cli::try_parse_from(bad).expect("parses");
            assert!(cli.serve_config().is_err(), "{bad:?}");
        }
    }
}
