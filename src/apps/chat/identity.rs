//! [`Identity`] and [`Verifier`]: who a token says the caller is. The chat
//! trusts nothing else: the sender of anything is the token's user.

use super::error::ChatResult;

/// A verified caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The token's `sub`.
    pub user_id: String,
    /// The token's `exp` (unix seconds), when it has one.
    pub expires_at: Option<u64>,
}

impl Identity {
    /// True when the token has expired at `now_ms`.
    pub fn expired(&self, now_ms: u64) -> bool {
        self.expires_at
            .is_some_and(|exp| exp.saturating_mul(1000) <= now_ms)
    }
}

/// Verifies tokens (the binary's is JWT with a pinned algorithm).
pub trait Verifier: Send + Sync + 'static {
    /// The identity in `token`, or `unauthorized`.
    fn verify(&self, token: &str) -> ChatResult<Identity>;

    /// A short-lived token for `user`, for the demo page's `GET /dev/token`
    /// — only from a verifier whose key was generated for local use (none
    /// configured). `None`, the default, means the endpoint does not exist.
    fn dev_token(&self, user: &str) -> Option<ChatResult<String>> {
        let _ = user;
        None
    }
}
