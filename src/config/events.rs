//! The event store's flags (`--events*`, `--redis-url`): which store
//! carries events between nodes, and where its Redis is.

use edgeio_storage::{EventStoreConfig, RedisEventConfig, DEFAULT_STREAM_RETENTION};

/// Which event store, and its Redis.
#[derive(Debug, Clone, clap::Args)]
pub struct EventArgs {
    /// How nodes exchange events: local (one node), redis-pubsub (lowest
    /// latency, a node cut off from Redis misses events) or redis-streams
    /// (a node cut off from Redis catches up within the retention).
    #[arg(
        long,
        env = "EDGEIO_EVENTS",
        default_value = "local",
        value_parser = ["local", "redis-pubsub", "redis-streams"]
    )]
    pub events: String,

    /// The node's Redis, shared by the Redis event stores and adapters:
    /// redis://:PASSWORD@HOST:PORT/DB (password and database optional), or
    /// rediss://... for TLS. Masked by `edgeio config`: it may hold the
    /// password.
    #[arg(
        long,
        env = "EDGEIO_REDIS_URL",
        hide_env_values = true,
        default_value = "redis://127.0.0.1:6379/",
        value_name = "URL"
    )]
    pub redis_url: String,

    /// Prefixes the event store's Redis channels and stream key.
    #[arg(
        long,
        env = "EDGEIO_EVENTS_REDIS_PREFIX",
        default_value = "edgeio",
        value_name = "PREFIX"
    )]
    pub events_redis_prefix: String,

    /// About how many events the Redis stream keeps (redis-streams).
    #[arg(
        long,
        env = "EDGEIO_EVENTS_STREAM_RETENTION",
        default_value_t = DEFAULT_STREAM_RETENTION,
        value_name = "N"
    )]
    pub events_stream_retention: u64,
}

impl EventArgs {
    /// The event store these flags describe.
    pub fn event_store_config(&self) -> EventStoreConfig {
        let redis = RedisEventConfig::new(&self.redis_url, &self.events_redis_prefix);
        match self.events.as_str() {
            "redis-pubsub" => EventStoreConfig::RedisPubSub(redis),
            "redis-streams" => EventStoreConfig::RedisStreams {
                redis,
                retention: self.events_stream_retention,
            },
            _ => EventStoreConfig::Local,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::config::Cli;

    #[test]
    fn the_event_flags_reach_the_storage_config() {
        let cli = Cli::try_parse_from(["edgeio"]).expect("parses");
        assert_eq!(cli.storage_config().events, EventStoreConfig::Local);
        let cli = Cli::try_parse_from([
            "edgeio",
            "--events",
            "redis-streams",
            "--redis-url",
            "redis://10.0.0.2:6380/",
            "--events-redis-prefix",
            "prod",
            "--events-stream-retention",
            "500",
        ])
        .expect("parses");
        let redis = RedisEventConfig::new("redis://10.0.0.2:6380/", "prod");
        assert_eq!(
            cli.storage_config().events,
            EventStoreConfig::RedisStreams {
                redis: redis.clone(),
                retention: 500
            }
        );
        let cli = Cli::try_parse_from(["edgeio", "--events", "redis-pubsub"]).expect("parses");
        assert!(matches!(
            cli.storage_config().events,
            EventStoreConfig::RedisPubSub(RedisEventConfig { ref prefix, .. }) if prefix == "edgeio"
        ));
        assert!(Cli::try_parse_from(["edgeio", "--events", "kafka"]).is_err());
    }
}
