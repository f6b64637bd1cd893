//! Rate limits per user per event, counted in the storage's cache: a fixed
//! one-minute window (the seed's `ratelimit:{user}:{event}` counter with a
//! 60 s expiry). A refused event is not processed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use edgeio_storage::Cache;

use super::clock::now_ms;
use super::error::{ChatError, ChatResult};

/// The window every limit counts in.
const WINDOW_MS: u64 = 60_000;

/// Events per user per minute, by event name; an event not listed is not
/// limited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits(pub HashMap<String, u32>);

impl Default for RateLimits {
    /// The seed's defaults (its part 4.4), and conversation creation.
    fn default() -> Self {
        let limits = [
            ("message:send", 10),
            ("message:read", 60),
            ("typing:start", 30),
            ("block:user", 5),
            ("mute:conversation", 5),
            ("conversation:create", 10),
        ];
        Self(
            limits
                .into_iter()
                .map(|(e, n)| (e.to_string(), n))
                .collect(),
        )
    }
}

impl RateLimits {
    /// Parses `event=N` (per minute); `N` = 0 lifts the limit.
    pub fn set(&mut self, spec: &str) -> Result<(), String> {
        let (event, n) = spec
            .split_once('=')
            .ok_or_else(|| format!("{spec:?}: expected EVENT=N (per minute)"))?;
        let n: u32 = n
            .trim()
            .parse()
            .map_err(|_| format!("{spec:?}: {n:?} is not a count"))?;
        self.0.insert(event.trim().to_string(), n);
        Ok(())
    }
}

/// Counts events against [`RateLimits`].
pub struct RateLimiter {
    limits: RateLimits,
    cache: Arc<dyn Cache>,
}

impl RateLimiter {
    /// A limiter counting in `cache`.
    pub fn new(limits: RateLimits, cache: Arc<dyn Cache>) -> Self {
        Self { limits, cache }
    }

    /// Counts one `event` of `user`; refused with the seconds to wait when
    /// over the limit.
    pub async fn check(&self, user: &str, event: &str) -> ChatResult<()> {
        let Some(&limit) = self.limits.0.get(event) else {
            return Ok(());
        };
        if limit == 0 {
            return Ok(());
        }
        let now = now_ms();
        let window = now / WINDOW_MS;
        let key = format!("ratelimit:{user}:{event}:{window}");
        let count = self.cache.increment(&key, 1).await?;
        if count == 1 {
            self.cache
                .expire(&key, Duration::from_millis(WINDOW_MS))
                .await?;
        }
        if count > i64::from(limit) {
            let ends = (window + 1) * WINDOW_MS;
            return Err(ChatError::RateLimited {
                event: event.to_string(),
                retry_after: (ends - now).div_ceil(1000),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgeio_storage::{LocalEventStore, MemoryStoreFactory, StoreFactory};

    fn limiter(spec: &str) -> RateLimiter {
        let mut limits = RateLimits::default();
        limits.set(spec).expect("valid");
        let factory = MemoryStoreFactory::new(LocalEventStore::new("n"));
        RateLimiter::new(limits, factory.cache().expect("cache"))
    }

    #[tokio::test]
    async fn counts_per_user_and_event_and_refuses_past_the_limit() {
        let rl = limiter("message:send=3");
        for _ in 0..3 {
            rl.check("alice", "message:send").await.expect("within");
        }
        match rl.check("alice", "message:send").await {
            Err(ChatError::RateLimited { event, retry_after }) => {
                assert_eq!(event, "message:send");
                assert!((1..=60).contains(&retry_after), "{retry_after}");
            }
            other => panic!("expected a rate limit, got {other:?}"),
        }
        rl.check("bob", "message:send")
            .await
            .expect("bob counts apart");
        rl.check("alice", "message:read")
            .await
            .expect("another event");
        rl.check("alice", "socket:ping").await.expect("not limited");
    }

    #[tokio::test]
    async fn zero_lifts_a_limit_and_specs_are_checked() {
        let rl = limiter("typing:start=0");
        for _ in 0..100 {
            rl.check("a", "typing:start").await.expect("unlimited");
        }
        let mut limits = RateLimits::default();
        assert_eq!(limits.0["message:send"], 10);
        assert_eq!(limits.0["mute:conversation"], 5);
        assert!(limits.set("message:send").is_err());
        assert!(limits.set("message:send=lots").is_err());
        limits.set(" message:read = 7 ").expect("trimmed");
        assert_eq!(limits.0["message:read"], 7);
    }
}
