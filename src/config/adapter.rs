//! The adapter's flags (`--adapter`, `--redis-prefix`,
//! `--adapter-requests-timeout`): whether a node shares its rooms and
//! broadcasts with other nodes through Redis, as Node's
//! `@socket.io/redis-adapter` does. The Redis URL is `--redis-url`.

use std::time::Duration;

use crate::server::adapter::redis::{RedisAdapterConfig, DEFAULT_PREFIX};
use crate::server::adapter::streams::StreamsAdapterConfig;
use crate::server::AdapterFactory;

use super::Cli;

/// Which adapter, and its settings.
#[derive(Debug, Clone, clap::Args)]
pub struct AdapterArgs {
    /// Which adapter links this node to others: local (one node, or nodes
    /// sharing the event store), redis (Node's @socket.io/redis-adapter wire
    /// format: edgeio and Node socket.io nodes in one cluster) or
    /// redis-streams (@socket.io/redis-streams-adapter).
    #[arg(
        long,
        env = "EDGEIO_ADAPTER",
        default_value = "local",
        value_parser = ["local", "redis", "redis-streams"]
    )]
    pub adapter: String,

    /// The prefix of the Redis adapter's channels (Node's `key` option).
    #[arg(
        long,
        env = "EDGEIO_REDIS_PREFIX",
        default_value = DEFAULT_PREFIX,
        value_name = "PREFIX"
    )]
    pub redis_prefix: String,

    /// How long a request to the other nodes (a broadcast with
    /// acknowledgements) waits for their answers, in milliseconds (Node's
    /// `requestsTimeout`).
    #[arg(
        long,
        env = "EDGEIO_ADAPTER_REQUESTS_TIMEOUT",
        default_value_t = 5000,
        value_name = "MS"
    )]
    pub adapter_requests_timeout: u64,
}

impl Cli {
    /// The Redis adapter's settings these flags describe.
    pub fn redis_adapter_config(&self) -> RedisAdapterConfig {
        RedisAdapterConfig {
            url: self.events.redis_url.clone(),
            ca_file: self.redis.redis_ca.clone(),
            prefix: self.adapter.redis_prefix.clone(),
            requests_timeout: Duration::from_millis(self.adapter.adapter_requests_timeout),
            max_message_bytes: self.max_payload,
            ..RedisAdapterConfig::default()
        }
    }

    /// The Redis Streams adapter's settings these flags describe (its
    /// pub/sub channels under `--redis-prefix`, as Node's `channelPrefix`).
    pub fn streams_config(&self) -> StreamsAdapterConfig {
        let mut config = self
            .streams
            .streams_adapter_config(&self.events.redis_url, &self.adapter.redis_prefix);
        config.ca_file = self.redis.redis_ca.clone();
        config.outbox_max_entries = self.redis.redis_outbox_entries;
        config.outbox_max_bytes = self.redis.redis_outbox_bytes;
        config.requests_timeout = Duration::from_millis(self.adapter.adapter_requests_timeout);
        config
    }

    /// The adapter factory these flags pick (the Redis Streams adapter
    /// starts its reader: it needs a tokio runtime).
    pub fn adapter_factory(&self) -> Result<AdapterFactory, String> {
        match self.adapter.adapter.as_str() {
            "redis" => Ok(AdapterFactory::redis(self.redis_adapter_config())),
            "redis-streams" => {
                AdapterFactory::redis_streams(self.streams_config()).map_err(|e| e.to_string())
            }
            _ => Ok(AdapterFactory::local()),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn the_adapter_flags_reach_the_redis_adapter_config() {
        let cli = Cli::try_parse_from(["edgeio"]).expect("parses");
        assert_eq!(cli.adapter.adapter, "local");
        let config = cli.redis_adapter_config();
        assert_eq!(config.prefix, "socket.io");
        assert_eq!(config.requests_timeout, Duration::from_secs(5));
        assert!(cli.adapter_factory().is_ok());
        let cli = Cli::try_parse_from([
            "edgeio",
            "--adapter",
            "redis",
            "--redis-url",
            "redis://10.0.0.3:6390/",
            "--redis-prefix",
            "prod",
            "--adapter-requests-timeout",
            "1500",
        ])
        .expect("parses");
        let config = cli.redis_adapter_config();
        assert_eq!(config.url, "redis://10.0.0.3:6390/");
        assert_eq!(config.prefix, "prod");
        assert_eq!(config.requests_timeout, Duration::from_millis(1500));
        assert!(cli.adapter_factory().is_ok());
        assert_eq!(config.ca_file, None);
        let cli = Cli::try_parse_from([
            "edgeio",
            "--adapter",
            "redis-streams",
            "--redis-url",
            "rediss://:pw@10.0.0.4:6390/",
            "--redis-ca",
            "/etc/edgeio/ca.pem",
            "--redis-prefix",
            "prod",
            "--redis-stream-name",
            "events",
            "--adapter-requests-timeout",
            "1500",
        ])
        .expect("parses");
        let ca = Some(std::path::PathBuf::from("/etc/edgeio/ca.pem"));
        assert_eq!(cli.redis_adapter_config().ca_file, ca);
        let streams = cli.streams_config();
        assert_eq!(streams.url, "rediss://:pw@10.0.0.4:6390/");
        assert_eq!(streams.ca_file, ca);
        assert_eq!(streams.channel_prefix, "prod");
        assert_eq!(streams.stream_name, "events");
        assert_eq!(streams.requests_timeout, Duration::from_millis(1500));
        assert!(Cli::try_parse_from(["edgeio", "--adapter", "kafka"]).is_err());
    }
}
