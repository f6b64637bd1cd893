//! How the node reaches Redis beyond its URL (`--redis-url`, with the event
//! store's flags): `--redis-ca`, the CA to trust for `rediss://`; and
//! `--redis-outbox-*`, how much a Streams node keeps while Redis is away.

use std::path::PathBuf;

use edgeio_storage::{EventStoreConfig, RedisEventConfig};

use super::Cli;

/// The node's Redis connection settings.
#[derive(Debug, Clone, clap::Args)]
pub struct RedisArgs {
    /// A PEM file of CA certificates to trust for a rediss:// --redis-url
    /// (a private CA), instead of the system's.
    #[arg(long, env = "EDGEIO_REDIS_CA", value_name = "FILE")]
    pub redis_ca: Option<PathBuf>,

    /// Stream entries (Streams adapter, redis-streams events) kept in order
    /// while Redis cannot take them, added once it is back; past it, an
    /// entry is dropped (logged).
    #[arg(
        long,
        env = "EDGEIO_REDIS_OUTBOX_ENTRIES",
        default_value_t = RedisEventConfig::new("", "").outbox_max_entries,
        value_name = "N"
    )]
    pub redis_outbox_entries: usize,

    /// Bytes of stream entries kept while Redis cannot take them.
    #[arg(
        long,
        env = "EDGEIO_REDIS_OUTBOX_BYTES",
        default_value_t = RedisEventConfig::new("", "").outbox_max_bytes,
        value_name = "BYTES"
    )]
    pub redis_outbox_bytes: usize,
}

impl Cli {
    /// The event store the flags describe, with its Redis's TLS trust.
    pub fn event_store_config(&self) -> EventStoreConfig {
        let mut events = self.events.event_store_config();
        match &mut events {
            EventStoreConfig::RedisPubSub(redis) | EventStoreConfig::RedisStreams { redis, .. } => {
                redis.ca_file = self.redis.redis_ca.clone();
                redis.outbox_max_entries = self.redis.redis_outbox_entries;
                redis.outbox_max_bytes = self.redis.redis_outbox_bytes;
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

    #[test]
    fn the_outbox_bounds_reach_the_streams_event_store_and_adapter() {
        let cli = Cli::try_parse_from(["edgeio", "--events", "redis-streams"]).expect("parses");
        let EventStoreConfig::RedisStreams { redis, .. } = cli.storage_config().events else {
            panic!("streams");
        };
        assert_eq!(
            (redis.outbox_max_entries, redis.outbox_max_bytes),
            (10_000, 16 << 20)
        );
        let cli = Cli::try_parse_from([
            "edgeio",
            "--events",
            "redis-streams",
            "--redis-outbox-entries",
            "3",
            "--redis-outbox-bytes",
            "4096",
        ])
        .expect("parses");
        let EventStoreConfig::RedisStreams { redis, .. } = cli.storage_config().events else {
            panic!("streams");
        };
        assert_eq!(
            (redis.outbox_max_entries, redis.outbox_max_bytes),
            (3, 4096)
        );
        let adapter = cli.streams_config();
        assert_eq!(
            (adapter.outbox_max_entries, adapter.outbox_max_bytes),
            (3, 4096)
        );
    }
}
