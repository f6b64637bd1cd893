//! The operational endpoints' flags: whether `/metrics` is on the public
//! port (`--metrics`), or on an address of its own (`--metrics-listen`).

use std::net::SocketAddr;

use crate::http::ops::OpsConfig;

use super::Cli;

/// Where `/health`, `/ready` and `/metrics` are served.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct MetricsArgs {
    /// Also serve /metrics on the main port (off: the metrics describe the
    /// traffic, so they are not public unless asked for). /health and
    /// /ready are always there, unless --metrics-listen moves them.
    #[arg(long = "metrics", env = "EDGEIO_METRICS")]
    pub metrics: bool,

    /// Serve /metrics, /health and /ready on this address instead, and none
    /// of them on the main port (e.g. 127.0.0.1:9090).
    #[arg(long, env = "EDGEIO_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,
}

impl Cli {
    /// Where these flags put the operational endpoints.
    pub fn ops_config(&self) -> OpsConfig {
        OpsConfig {
            metrics_on_main_port: self.metrics.metrics,
            metrics_listen: self.metrics.metrics_listen,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn the_flags_reach_the_ops_config() {
        let cli = Cli::try_parse_from(["edgeio"]).expect("parses");
        let ops = cli.ops_config();
        assert!(!ops.metrics_on_main_port && ops.metrics_listen.is_none());
        assert!(!ops.main_port_serves_metrics() && ops.main_port_serves_health());

        let cli = Cli::try_parse_from(["edgeio", "--metrics"]).expect("parses");
        assert!(cli.ops_config().main_port_serves_metrics());

        let cli =
            Cli::try_parse_from(["edgeio", "--metrics", "--metrics-listen", "127.0.0.1:9090"])
                .expect("parses");
        let ops = cli.ops_config();
        assert_eq!(
            ops.metrics_listen,
            Some(SocketAddr::from(([127, 0, 0, 1], 9090)))
        );
        assert!(!ops.main_port_serves_metrics() && !ops.main_port_serves_health());

        assert!(Cli::try_parse_from(["edgeio", "--metrics-listen", "nowhere"]).is_err());
    }
}
