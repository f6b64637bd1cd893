//! [`ChatSession`]: what the chat knows of one socket — its user (from the
//! token, never a payload), its device, its token's expiry, and how many of
//! its events are in progress.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::apps::chat::auth::{token_from_handshake, validate_device_id};
use crate::apps::chat::clock::now_ms;
use crate::apps::chat::error::{ChatError, ChatResult};
use crate::apps::chat::identity::{Identity, Verifier};
use crate::engine::Handshake;

/// The device id used when a client names none.
pub const DEFAULT_DEVICE: &str = "default";

/// One socket's session. Attached to the socket by the connect middleware.
#[derive(Clone)]
pub struct ChatSession {
    /// The token's user.
    pub user: Arc<str>,
    /// The client's device (`auth.deviceId`, else `default`).
    pub device: Arc<str>,
    /// The token's expiry (unix s; 0: none). A refreshed token moves it.
    expires_at: Arc<AtomicU64>,
    /// Events in progress; full means the client is refused until some end.
    in_flight: Arc<Semaphore>,
}

impl ChatSession {
    /// The session of a client that presented `auth` (the CONNECT payload)
    /// and `handshake`, or why it is refused.
    pub fn open(
        verifier: &dyn Verifier,
        auth: &Value,
        handshake: Option<&Handshake>,
        max_in_flight: usize,
    ) -> ChatResult<Self> {
        let query = handshake.and_then(|h| h.uri.query());
        let token = token_from_handshake(auth, query)
            .ok_or_else(|| ChatError::Unauthorized("a token is required".into()))?;
        let identity = verifier.verify(&token)?;
        if identity.expired(now_ms()) {
            return Err(ChatError::Unauthorized("the token has expired".into()));
        }
        let device = match auth.get("deviceId") {
            None | Some(Value::Null) => DEFAULT_DEVICE.to_string(),
            Some(Value::String(d)) => {
                validate_device_id(d)
                    .map_err(|e| ChatError::InvalidPayload(format!("deviceId {e}")))?;
                d.clone()
            }
            Some(_) => {
                return Err(ChatError::InvalidPayload(
                    "deviceId must be a string".into(),
                ));
            }
        };
        Ok(Self {
            user: identity.user_id.into(),
            device: device.into(),
            expires_at: Arc::new(AtomicU64::new(identity.expires_at.unwrap_or(0))),
            in_flight: Arc::new(Semaphore::new(max_in_flight)),
        })
    }

    /// Refused once the token has expired (refresh it with `auth`).
    pub fn check(&self) -> ChatResult<()> {
        let exp = self.expires_at.load(Ordering::Relaxed);
        let identity = Identity {
            user_id: String::new(),
            expires_at: (exp > 0).then_some(exp),
        };
        if identity.expired(now_ms()) {
            return Err(ChatError::Unauthorized(
                "the token has expired; send a new one with the auth event".into(),
            ));
        }
        Ok(())
    }

    /// Takes a fresh token: it must verify and name the same user.
    pub fn refresh(&self, verifier: &dyn Verifier, token: &str) -> ChatResult<Identity> {
        let identity = verifier.verify(token)?;
        if identity.user_id != *self.user {
            return Err(ChatError::Unauthorized(
                "the token names another user".into(),
            ));
        }
        if identity.expired(now_ms()) {
            return Err(ChatError::Unauthorized("the token has expired".into()));
        }
        self.expires_at
            .store(identity.expires_at.unwrap_or(0), Ordering::Relaxed);
        Ok(identity)
    }

    /// A place for one more event in progress, or `rate_limit_exceeded`.
    pub fn admit(&self) -> ChatResult<OwnedSemaphorePermit> {
        self.in_flight
            .clone()
            .try_acquire_owned()
            .map_err(|_| ChatError::RateLimited {
                event: "events in progress".into(),
                retry_after: 1,
            })
    }
}
