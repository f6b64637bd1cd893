//! The chat service's flags (`--chat-*`): its limits. Its token flags are in
//! `jwt`.

use crate::apps::chat::ratelimit::RateLimits;
use crate::apps::chat::ChatConfig;

use super::Cli;

/// The chat service's limits.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ChatArgs {
    /// A rate limit per user per minute, EVENT=N (repeatable; 0 lifts it).
    /// Defaults: message:send=10 message:read=60 typing:start=30
    /// block:user=5 mute:conversation=5 conversation:create=10.
    #[arg(
        long = "chat-rate-limit",
        env = "EDGEIO_CHAT_RATE_LIMIT",
        value_delimiter = ',',
        value_name = "EVENT=N"
    )]
    pub chat_rate_limits: Vec<String>,

    /// The largest message content, in bytes.
    #[arg(
        long,
        env = "EDGEIO_CHAT_MAX_CONTENT",
        default_value_t = ChatConfig::default().max_content_bytes,
        value_name = "BYTES"
    )]
    pub chat_max_content: usize,

    /// The most participants of a group.
    #[arg(
        long,
        env = "EDGEIO_CHAT_MAX_GROUP",
        default_value_t = ChatConfig::default().max_group_size,
        value_name = "N"
    )]
    pub chat_max_group: usize,
}

impl Cli {
    /// The chat settings these flags describe.
    pub fn chat_config(&self) -> Result<ChatConfig, String> {
        let mut rate_limits = RateLimits::default();
        for spec in &self.chat.chat_rate_limits {
            rate_limits.set(spec)?;
        }
        if self.chat.chat_max_content == 0 || self.chat.chat_max_group < 2 {
            return Err(
                "--chat-max-content must be above 0 and --chat-max-group at least 2".into(),
            );
        }
        Ok(ChatConfig {
            rate_limits,
            max_content_bytes: self.chat.chat_max_content,
            max_group_size: self.chat.chat_max_group,
            ..ChatConfig::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn chat_flags_build_the_chat_config() {
        let cli = Cli::try_parse_from(["edgeio"]).expect("valid");
        assert_eq!(cli.app, "chat", "the chat is the default app");
        let config = cli.chat_config().expect("defaults");
        assert_eq!(config.rate_limits, RateLimits::default());
        assert_eq!(config.max_content_bytes, 16 * 1024);
        let cli = Cli::try_parse_from([
            "edgeio",
            "--chat-rate-limit",
            "message:send=0,typing:start=5",
            "--chat-rate-limit",
            "message:read=7",
            "--chat-max-content",
            "100",
            "--chat-max-group",
            "3",
        ])
        .expect("valid");
        let config = cli.chat_config().expect("valid");
        assert_eq!(config.rate_limits.0["message:send"], 0);
        assert_eq!(config.rate_limits.0["typing:start"], 5);
        assert_eq!(config.rate_limits.0["message:read"], 7);
        assert_eq!(
            config.rate_limits.0["block:user"], 5,
            "others keep their default"
        );
        assert_eq!((config.max_content_bytes, config.max_group_size), (100, 3));
        for bad in [
            &["edgeio", "--chat-rate-limit", "message:send"][..],
            &["edgeio", "--chat-max-content", "0"][..],
            &["edgeio", "--chat-max-group", "1"][..],
        ] {
            let cli = Cli::try_parse_from(bad).expect("parses");
            assert!(cli.chat_config().is_err(), "{bad:?}");
        }
    }
}
