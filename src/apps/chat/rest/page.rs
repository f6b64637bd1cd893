//! The chat demo page (`GET /`, `/chat.css`, `/chat.js`: plain HTML, CSS
//! and JS embedded in the binary from `src/apps/chat/page/`) and, only when
//! the server generated its own token key, `GET /dev/token?user=NAME`, which
//! signs the page in as anyone.

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::request::Parts;
use http::{Method, Response, StatusCode};
use http_body_util::Full;
use serde_json::json;

use super::query::Query;
use super::reply::{self, Reply, RestError};
use crate::apps::chat::auth::DEV_TOKEN_TTL;
use crate::apps::chat::error::ChatError;
use crate::apps::chat::identity::Verifier;

/// The path of the development token endpoint.
pub const DEV_TOKEN_PATH: &str = "/dev/token";

/// What the page may load: itself, the one script from the socket.io CDN,
/// and connections back to its own origin.
const CSP: &str = "default-src 'none'; script-src 'self' https://cdn.socket.io; \
                   style-src 'self'; connect-src 'self'; img-src 'self' data:; \
                   base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// One embedded file of the page.
struct Asset {
    content_type: &'static str,
    body: &'static str,
}

/// The file `path` names, if it names one.
fn asset(path: &str) -> Option<Asset> {
    let (content_type, body) = match path {
        "/" | "/index.html" => (
            "text/html; charset=utf-8",
            include_str!("../page/index.html"),
        ),
        "/chat.css" => ("text/css; charset=utf-8", include_str!("../page/chat.css")),
        "/chat.js" => (
            "text/javascript; charset=utf-8",
            include_str!("../page/chat.js"),
        ),
        _ => return None,
    };
    Some(Asset { content_type, body })
}

/// The answer to `parts` when it asks for the page or a dev token; `None`
/// for every other path (and for `/dev/token` when `verifier` has a
/// configured key: it does not exist there, so it is a 404 like any other).
pub fn answer(parts: &Parts, verifier: &dyn Verifier) -> Option<Result<Reply, RestError>> {
    let path = parts.uri.path();
    if let Some(asset) = asset(path) {
        if parts.method != Method::GET && parts.method != Method::HEAD {
            return Some(Err(method_not_allowed(parts)));
        }
        return Some(Ok(file_reply(&asset)));
    }
    if path != DEV_TOKEN_PATH {
        return None;
    }
    let user = match Query::parse(parts.uri.query()).get("user") {
        Ok(Some(user)) => user,
        Ok(None) => String::new(),
        Err(e) => return Some(Err(e.into())),
    };
    let minted = verifier.dev_token(&user)?;
    if parts.method != Method::GET {
        return Some(Err(method_not_allowed(parts)));
    }
    Some(match minted {
        Ok(token) => Ok(reply::json_reply(
            StatusCode::OK,
            &json!({ "token": token, "userId": user, "expiresIn": DEV_TOKEN_TTL.as_secs() }),
        )),
        Err(ChatError::InvalidPayload(e)) => {
            Err(ChatError::InvalidPayload(format!("user: {e}")).into())
        }
        Err(e) => Err(e.into()),
    })
}

fn method_not_allowed(parts: &Parts) -> RestError {
    RestError::MethodNotAllowed {
        method: parts.method.clone(),
        allow: "GET, HEAD",
    }
}

/// `asset` with its type, revalidated on every load (it changes with the
/// binary), and the page's content security policy.
fn file_reply(asset: &Asset) -> Reply {
    let mut reply = Response::new(Full::new(Bytes::from_static(asset.body.as_bytes())));
    let headers = reply.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_and_its_files_have_their_types() {
        assert!(asset("/").is_some_and(|a| a.content_type.starts_with("text/html")));
        assert!(asset("/chat.js").is_some_and(|a| a.content_type.starts_with("text/javascript")));
        assert!(asset("/chat.css").is_some_and(|a| a.content_type.starts_with("text/css")));
        assert!(asset("/nope").is_none() && asset("/conversations/chat-list").is_none());
        let page = asset("/").map(|a| a.body).unwrap_or_default();
        assert!(page.contains("https://cdn.socket.io/4.8.1/socket.io.min.js"));
    }
}
