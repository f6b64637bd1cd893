//! The connection-level flags: the accept loop's timeouts and caps
//! (`ServeConfig`) and the per-address handshake rate limit.

use crate::engine::HandshakeRate;

use super::Cli;

/// The connection-level limits.
#[derive(Debug, Clone, clap::Args)]
pub struct NetArgs {
    /// Handshakes allowed per client IP (IPv6: per /64) per minute; over it
    /// they are answered 429. 0: no limit. Behind a proxy, the proxy's IP.
    #[arg(
        long,
        env = "EDGEIO_HANDSHAKE_RATE",
        default_value_t = 0,
        value_name = "N"
    )]
    pub handshake_rate: u32,

    /// Client IPs the handshake rate limit tracks at most.
    #[arg(
        long,
        env = "EDGEIO_HANDSHAKE_RATE_IPS",
        default_value_t = HandshakeRate::per_minute(1).max_ips,
        value_name = "N"
    )]
    pub handshake_rate_ips: usize,
}

impl Cli {
    /// The handshake rate limit these flags describe (`None`: off).
    pub(super) fn handshake_rate(&self) -> Result<Option<HandshakeRate>, String> {
        let net = &self.net;
        if net.handshake_rate == 0 {
            return Ok(None);
        }
        if net.handshake_rate_ips == 0 {
            return Err("--handshake-rate-ips must be above 0".into());
        }
        Ok(Some(HandshakeRate {
            per_minute: net.handshake_rate,
            max_ips: net.handshake_rate_ips,
        }))
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn the_handshake_rate_flags_reach_the_engine_config() {
        let cli = Cli::try_parse_from(["edgeio"]).expect("valid");
        let engine = cli.engine_config().expect("defaults");
        assert_eq!(engine.handshake_rate, None, "off by default");
        let cli = Cli::try_parse_from([
            "edgeio",
            "--handshake-rate",
            "30",
            "--handshake-rate-ips",
            "99",
        ])
        .expect("valid");
        assert_eq!(
            cli.engine_config().expect("valid").handshake_rate,
            Some(HandshakeRate {
                per_minute: 30,
                max_ips: 99
            })
        );
        let cli = Cli::try_parse_from([
            "edgeio",
            "--handshake-rate",
            "5",
            "--handshake-rate-ips",
            "0",
        ])
        .expect("parses");
        assert!(cli.engine_config().is_err());
    }
}
