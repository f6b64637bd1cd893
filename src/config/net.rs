//! The connection-level flags: the accept loop's timeouts and caps
//! (`ServeConfig`) and the per-address handshake rate limit.

use std::time::Duration;

use crate::engine::HandshakeRate;
use crate::http::ServeConfig;

use super::Cli;

/// Milliseconds of a default duration, for a flag's default.
fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

/// The connection-level limits.
#[derive(Debug, Clone, clap::Args)]
pub struct NetArgs {
    /// Milliseconds a client may take to send a request's headers; also how
    /// long an idle keep-alive connection is kept.
    #[arg(
        long,
        env = "EDGEIO_HEADER_TIMEOUT",
        default_value_t = ms(ServeConfig::default().header_timeout),
        value_name = "MS"
    )]
    pub header_timeout: u64,

    /// Milliseconds a client may take to send a request body (a POST that
    /// trickles in is answered 408).
    #[arg(
        long,
        env = "EDGEIO_BODY_TIMEOUT",
        default_value_t = ms(ServeConfig::default().body_timeout),
        value_name = "MS"
    )]
    pub body_timeout: u64,

    /// Open TCP connections at most (WebSockets included); further ones are
    /// closed at once.
    #[arg(
        long,
        env = "EDGEIO_MAX_CONNECTIONS",
        default_value_t = ServeConfig::default().max_connections,
        value_name = "N"
    )]
    pub max_connections: usize,

    /// The largest request line and headers; larger is answered 431.
    #[arg(
        long,
        env = "EDGEIO_MAX_HEADER_BYTES",
        default_value_t = ServeConfig::default().max_header_bytes,
        value_name = "BYTES"
    )]
    pub max_header_bytes: usize,

    /// Milliseconds open connections may take to finish at shutdown, once
    /// the sessions are closed, before they are cut (within
    /// --shutdown-timeout).
    #[arg(
        long,
        env = "EDGEIO_DRAIN_TIMEOUT",
        default_value_t = ms(ServeConfig::default().drain_timeout),
        value_name = "MS"
    )]
    pub drain_timeout: u64,

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

/// The smallest `--max-header-bytes`: a request line and a few headers.
const MIN_HEADER_BYTES: usize = 1024;

impl Cli {
    /// The accept loop's limits these flags describe.
    pub fn serve_config(&self) -> Result<ServeConfig, String> {
        let net = &self.net;
        if net.header_timeout == 0 {
            return Err("--header-timeout must be above 0".into());
        }
        if net.body_timeout == 0 {
            return Err("--body-timeout must be above 0".into());
        }
        if net.max_connections == 0 {
            return Err("--max-connections must be above 0".into());
        }
        if net.max_header_bytes < MIN_HEADER_BYTES {
            return Err(format!(
                "--max-header-bytes must be at least {MIN_HEADER_BYTES}"
            ));
        }
        let config = ServeConfig {
            header_timeout: Duration::from_millis(net.header_timeout),
            body_timeout: Duration::from_millis(net.body_timeout),
            max_connections: net.max_connections,
            max_header_bytes: net.max_header_bytes,
            drain_timeout: Duration::from_millis(net.drain_timeout),
            ..ServeConfig::default()
        };
        self.tls.apply(self.shutdown.apply(config)?)
    }

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

    #[test]
    fn net_flags_build_the_serve_config() {
        let cli = Cli::try_parse_from(["edgeio"]).expect("valid");
        let config = cli.serve_config().expect("defaults");
        let defaults = ServeConfig::default();
        assert_eq!(config.header_timeout, defaults.header_timeout);
        assert_eq!(config.max_header_bytes, defaults.max_header_bytes);
        assert_eq!(config.body_timeout, defaults.body_timeout);
        assert_eq!(config.max_connections, defaults.max_connections);
        assert_eq!(config.drain_timeout, defaults.drain_timeout);

        let cli = Cli::try_parse_from([
            "edgeio",
            "--header-timeout",
            "1500",
            "--max-header-bytes",
            "4096",
            "--body-timeout",
            "2500",
            "--max-connections",
            "7",
            "--drain-timeout",
            "300",
        ])
        .expect("valid");
        let config = cli.serve_config().expect("valid");
        assert_eq!(config.header_timeout, Duration::from_millis(1500));
        assert_eq!(config.max_header_bytes, 4096);
        assert_eq!(config.body_timeout, Duration::from_millis(2500));
        assert_eq!(config.max_connections, 7);
        assert_eq!(config.drain_timeout, Duration::from_millis(300));
    }

    #[test]
    fn bad_net_flags_are_refused() {
        for bad in [
            &["edgeio", "--header-timeout", "0"][..],
            &["edgeio", "--max-header-bytes", "100"][..],
            &["edgeio", "--body-timeout", "0"][..],
            &["edgeio", "--max-connections", "0"][..],
        ] {
            let cli = Cli::try_parse_from(bad).expect("parses");
            assert!(cli.serve_config().is_err(), "{bad:?}");
        }
    }
}
