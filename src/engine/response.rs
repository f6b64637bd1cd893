//! The HTTP responses the engine sends, built in one place.

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::Full;

use super::config::EngineConfig;
use super::error::RequestError;
use super::session::Session;

/// A response with no body.
pub fn empty(status: StatusCode) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = status;
    r
}

/// A `200 OK` with `body` of `content_type`.
pub fn ok(body: impl Into<Bytes>, content_type: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// The response to a refused request: its status and `{"code","message"}`.
pub fn error(e: &RequestError) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(e.body())));
    *r.status_mut() = e.status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// Adds the sid cookie to a handshake response, when configured.
pub fn set_cookie(config: &EngineConfig, socket: &Session, response: &mut Response<Full<Bytes>>) {
    let Some(cookie) = &config.cookie else {
        return;
    };
    let mut value = format!(
        "{}={}; Path={}; SameSite={}",
        cookie.name,
        socket.id(),
        cookie.path,
        cookie.same_site
    );
    if cookie.http_only {
        value.push_str("; HttpOnly");
    }
    if let Ok(v) = HeaderValue::from_str(&value) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}
