//! [`ChatConfig`]: the chat service's limits and timings.

use std::time::Duration;

use super::ratelimit::RateLimits;
use crate::engine::CorsConfig;

/// The chat service's settings.
#[derive(Debug, Clone)]
pub struct ChatConfig {
    /// The largest message content, in bytes.
    pub max_content_bytes: usize,
    /// The most participants a group may have.
    pub max_group_size: usize,
    /// The most message ids one `message:read` may list.
    pub max_read_ids: usize,
    /// Events per user per minute.
    pub rate_limits: RateLimits,
    /// How long a message is held while an earlier `clientSequence` of the
    /// same sender is missing, before it is stored anyway.
    pub sequence_hold: Duration,
    /// A typing indicator ends this long after the last `typing:start`.
    pub typing_timeout: Duration,
    /// Events one socket may have in progress at once; more are refused.
    pub max_in_flight: usize,
    /// Messages a returning device gets in `reconnected`, at most.
    pub max_pending: usize,
    /// How often connected devices' "seen until" is written (what a device
    /// is sent again after a crash is at most this old).
    pub seen_interval: Duration,
    /// Which other origins' pages may call the REST API (the binary passes
    /// the engine's, so the API and Socket.IO allow the same pages).
    pub cors: CorsConfig,
}

impl Default for ChatConfig {
    fn default() -> Self {
        Self {
            max_content_bytes: 16 * 1024,
            max_group_size: 256,
            max_read_ids: 500,
            rate_limits: RateLimits::default(),
            sequence_hold: Duration::from_secs(1),
            typing_timeout: Duration::from_secs(3),
            max_in_flight: 64,
            max_pending: 500,
            seen_interval: Duration::from_secs(5),
            cors: CorsConfig::default(),
        }
    }
}
