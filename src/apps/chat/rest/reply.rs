//! Answers: JSON that no cache keeps, and [`RestError`] — the one place a
//! refusal becomes a response (its status, `{"error": {"code",
//! "message"}}`, and the headers some refusals carry).

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Response, StatusCode};
use http_body_util::Full;
use serde_json::{json, Value};

use crate::apps::chat::error::ChatError;

/// A response of the API.
pub type Reply = Response<Full<Bytes>>;

/// A refused request.
#[derive(Debug, thiserror::Error)]
pub enum RestError {
    /// Refused by the chat (or before it, with the chat's codes).
    #[error(transparent)]
    Chat(#[from] ChatError),
    /// A known path asked with a method it does not answer.
    #[error("{method} is not allowed here; allowed: {allow}")]
    MethodNotAllowed {
        /// The method asked.
        method: Method,
        /// The `Allow` header.
        allow: &'static str,
    },
}

impl RestError {
    /// The response: status, error envelope, and `WWW-Authenticate`,
    /// `Retry-After` or `Allow` when the refusal calls for one.
    pub fn into_reply(self) -> Reply {
        let (status, body) = match &self {
            Self::Chat(e) => (e.status(), e.envelope()),
            Self::MethodNotAllowed { .. } => (
                StatusCode::METHOD_NOT_ALLOWED,
                json!({"error": {"code": "method_not_allowed", "message": self.to_string()}}),
            ),
        };
        if let Self::Chat(ChatError::Storage(e)) = &self {
            tracing::error!(error = %e, "a chat REST request failed in storage");
        }
        let mut reply = json_reply(status, &body);
        let headers = reply.headers_mut();
        match self {
            Self::Chat(ChatError::Unauthorized(_)) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::Chat(ChatError::RateLimited { retry_after, .. }) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            }
            Self::MethodNotAllowed { allow, .. } => {
                headers.insert(header::ALLOW, HeaderValue::from_static(allow));
            }
            Self::Chat(_) => {}
        }
        reply
    }
}

/// `value` as a JSON response with `status`.
pub fn json_reply(status: StatusCode, value: &Value) -> Reply {
    let mut reply = Response::new(Full::new(Bytes::from(value.to_string())));
    *reply.status_mut() = status;
    reply.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    no_store(reply.headers_mut());
    reply
}

/// `204 No Content` with `Allow`: the answer to `OPTIONS` on a route.
pub fn options_reply(allow: &'static str) -> Reply {
    let mut reply = Response::new(Full::new(Bytes::new()));
    *reply.status_mut() = StatusCode::NO_CONTENT;
    reply
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    no_store(reply.headers_mut());
    reply
}

/// Answers are the caller's own and current: never cached, never sniffed.
fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}
