//! How the node reaches Redis beyond its URL (`--redis-url`, with the event
//! store's flags): `--redis-ca`, the CA to trust for `rediss://`.

use std::path::PathBuf;

use edgeio_storage::EventStoreConfig;

use super::Cli;

/// The node's Redis connection settings.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RedisArgs {
    /// A PEM file of CA certificates to trust for a rediss:// --redis-url
    /// (a private CA), instead of the system's.
    #[arg(long, env = "EDGEIO_REDIS_CA", value_name = "FILE")]
    pub redis_ca: Option<PathBuf>,
}

impl Cli {
    /// The event store the flags describe, with its Redis's TLS trust.
    pub fn event_store_config(&self) -> EventStoreConfig {
        let mut events = self.events.event_store_config();
        match &mut events {
            EventStoreConfig::RedisPubSub(redis) | EventStoreConfig::RedisStreams { redis, .. } => {
                redis.ca_file = self.redis.redis_ca.clone();
            }
            EventStoreConfig::Local => {}
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn the_ca_file_reaches_the_redis_event_config() {
        let cli = Cli::try_parse_from(["edgeio", "--events", "redis-pubsub"]).expect("parses");
        let EventStoreConfig::RedisPubSub(redis) = cli.storage_config().events else {
            panic!("pub/sub");
        };
        assert_eq!(redis.ca_file, None, "the system's roots by default");

        let cli = Cli::try_parse_from([
            "edgeio",
            "--events",
            "redis-streams",
            "--redis-url",
            "rediss://:pw@10.0.0.2:6380/",
            "--redis-ca",
            "/etc/edgeio/redis-ca.pem",
        ])
        .expect("parses");
        let EventStoreConfig::RedisStreams { redis, .. } = cli.storage_config().events else {
            panic!("streams");
        };
        assert_eq!(
            redis.ca_file,
            Some(PathBuf::from("/etc/edgeio/redis-ca.pem"))
        );
        assert_eq!(redis.url, "rediss://:pw@10.0.0.2:6380/");
    }
}
