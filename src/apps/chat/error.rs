//! [`ChatError`]: every way a chat request or event is refused, with the
//! stable code clients see — in an acknowledgement or REST body as
//! `{"error": {"code", "message"}}`, and as the event `error:<code>`.

use http::StatusCode;
use serde_json::{json, Value};

use edgeio_storage::StorageError;

/// A refused chat request or event.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// No token, or a token that does not verify (or has expired).
    #[error("{0}")]
    Unauthorized(String),
    /// The user is not a participant of the conversation (or it does not
    /// exist: a non-participant learns nothing).
    #[error("not a participant of this conversation")]
    NotParticipant,
    /// A block stands between the sender and the conversation.
    #[error("{0}")]
    Blocked(String),
    /// Over the user's rate limit for this event.
    #[error("too many {event} requests; retry in {retry_after} s")]
    RateLimited {
        /// The limited event.
        event: String,
        /// Seconds until the window resets.
        retry_after: u64,
    },
    /// A missing field, a wrong type, a bad value.
    #[error("{0}")]
    InvalidPayload(String),
    /// Content or a list over its limit.
    #[error("{0}")]
    TooLarge(String),
    /// No such route or record.
    #[error("{0}")]
    NotFound(String),
    /// The storage failed: nothing was acknowledged.
    #[error("storage error: {0}")]
    Storage(#[from] StorageError),
}

impl ChatError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized(_) => "unauthorized",
            Self::NotParticipant => "not_participant",
            Self::Blocked(_) => "blocked",
            Self::RateLimited { .. } => "rate_limit_exceeded",
            Self::InvalidPayload(_) => "invalid_payload",
            Self::TooLarge(_) => "too_large",
            Self::NotFound(_) => "not_found",
            Self::Storage(_) => "internal",
        }
    }

    /// The HTTP status of a REST answer.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::NotParticipant | Self::Blocked(_) => StatusCode::FORBIDDEN,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::InvalidPayload(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The error object: `{"code", "message"}`, with `retryAfter` for a rate
    /// limit. A storage failure's details stay in the log.
    pub fn body(&self) -> Value {
        let message = match self {
            Self::Storage(_) => "the server could not store this; retry".to_string(),
            other => other.to_string(),
        };
        let mut body = json!({ "code": self.code(), "message": message });
        if let Self::RateLimited { retry_after, .. } = self {
            body["retryAfter"] = json!(retry_after);
        }
        body
    }

    /// `{"error": {...}}`: what a REST answer or an acknowledgement carries.
    pub fn envelope(&self) -> Value {
        json!({ "error": self.body() })
    }
}

/// A chat result.
pub type ChatResult<T> = Result<T, ChatError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_statuses_and_bodies() {
        let cases = [
            (ChatError::Unauthorized("x".into()), "unauthorized", 401),
            (ChatError::NotParticipant, "not_participant", 403),
            (ChatError::Blocked("x".into()), "blocked", 403),
            (
                ChatError::InvalidPayload("x".into()),
                "invalid_payload",
                400,
            ),
            (ChatError::TooLarge("x".into()), "too_large", 413),
            (ChatError::NotFound("x".into()), "not_found", 404),
            (ChatError::Storage(StorageError::ShutDown), "internal", 503),
        ];
        for (err, code, status) in cases {
            assert_eq!(err.code(), code);
            assert_eq!(err.status().as_u16(), status);
            assert_eq!(err.envelope()["error"]["code"], code);
            assert!(err.body().get("retryAfter").is_none());
        }
        let limited = ChatError::RateLimited {
            event: "message:send".into(),
            retry_after: 42,
        };
        assert_eq!(limited.status().as_u16(), 429);
        assert_eq!(limited.body()["retryAfter"], 42);
        assert_eq!(limited.body()["code"], "rate_limit_exceeded");
        let storage = ChatError::Storage(StorageError::ShutDown).body();
        assert!(!storage["message"].as_str().unwrap_or("").contains("shut"));
    }
}
