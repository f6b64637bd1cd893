//! The Redis Streams adapter's flags (`--redis-stream-*`,
//! `--redis-session-prefix`): the stream's key, how much of it Redis keeps,
//! how much one read takes, and where recovered sessions are kept. Where its
//! Redis is (`--redis-url`) and its channel prefix are shared with the other
//! Redis options.

use crate::server::adapter::streams::StreamsAdapterConfig;

/// The Redis Streams adapter's stream.
#[derive(Debug, Clone, clap::Args)]
pub struct StreamsArgs {
    /// The Redis Stream the streams adapter shares with the cluster (Node's
    /// `streamName`).
    #[arg(
        long,
        env = "EDGEIO_REDIS_STREAM_NAME",
        default_value_t = StreamsAdapterConfig::default().stream_name,
        value_name = "KEY"
    )]
    pub redis_stream_name: String,

    /// About how many entries the stream keeps (XADD MAXLEN ~; Node's
    /// `maxLen`): how much a node that lost Redis catches up on.
    #[arg(
        long,
        env = "EDGEIO_REDIS_STREAM_MAXLEN",
        default_value_t = StreamsAdapterConfig::default().maxlen,
        value_name = "N"
    )]
    pub redis_stream_maxlen: u64,

    /// The most stream entries one read takes (Node's `readCount`).
    #[arg(
        long,
        env = "EDGEIO_REDIS_STREAM_READ_COUNT",
        default_value_t = StreamsAdapterConfig::default().read_count,
        value_name = "N"
    )]
    pub redis_stream_read_count: u64,

    /// The prefix of the Redis keys that keep, for connection-state
    /// recovery across nodes, the sessions of sockets that left (Node's
    /// `sessionKeyPrefix`).
    #[arg(
        long,
        env = "EDGEIO_REDIS_SESSION_PREFIX",
        default_value_t = StreamsAdapterConfig::default().session_prefix,
        value_name = "PREFIX"
    )]
    pub redis_session_prefix: String,
}

impl StreamsArgs {
    /// The streams adapter's configuration on Redis `url`, its pub/sub
    /// channels prefixed with `channel_prefix`.
    pub fn streams_adapter_config(&self, url: &str, channel_prefix: &str) -> StreamsAdapterConfig {
        StreamsAdapterConfig {
            url: url.to_owned(),
            stream_name: self.redis_stream_name.clone(),
            channel_prefix: channel_prefix.to_owned(),
            maxlen: self.redis_stream_maxlen,
            read_count: self.redis_stream_read_count,
            session_prefix: self.redis_session_prefix.clone(),
            ..StreamsAdapterConfig::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::config::Cli;
    use crate::server::adapter::streams::StreamsAdapterConfig;

    #[test]
    fn the_stream_flags_reach_the_adapter_config() {
        let cli = Cli::try_parse_from(["edgeio"]).expect("parses");
        let config = cli
            .streams
            .streams_adapter_config("redis://r:1/", "socket.io");
        assert_eq!(
            config,
            StreamsAdapterConfig {
                url: "redis://r:1/".into(),
                ..StreamsAdapterConfig::default()
            }
        );
        let cli = Cli::try_parse_from([
            "edgeio",
            "--redis-stream-name",
            "my-stream",
            "--redis-stream-maxlen",
            "500",
            "--redis-stream-read-count",
            "7",
            "--redis-session-prefix",
            "app:s:",
        ])
        .expect("parses");
        let config = cli.streams.streams_adapter_config("redis://r:1/", "p");
        assert_eq!(config.stream_name, "my-stream");
        assert_eq!(config.maxlen, 500);
        assert_eq!(config.read_count, 7);
        assert_eq!(config.session_prefix, "app:s:");
        assert_eq!(config.channel_prefix, "p");
    }
}
