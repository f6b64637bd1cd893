//! Cross-origin resource sharing for the polling transport: which origins may
//! call, with or without credentials, and the answer to preflight requests.
//!
//! Off by default: a browser page on another origin is refused until its origin
//! is listed. WebSocket handshakes are not subject to CORS; use an
//! `allow_request` hook to filter them by `Origin`.

use http::header::{self, HeaderMap, HeaderValue};

/// Which origins are allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// No cross-origin request is allowed (no CORS headers are sent).
    #[default]
    None,
    /// Every origin (`*`, or the caller's origin echoed when credentials are on).
    Any,
    /// Exactly these origins (`https://app.example.com`).
    List(Vec<String>),
}

/// CORS settings.
#[derive(Debug, Clone)]
pub struct CorsConfig {
    /// Origins allowed.
    pub origins: AllowedOrigins,
    /// Sends `Access-Control-Allow-Credentials: true` (cookies, auth headers).
    pub credentials: bool,
    /// How long a browser may cache a preflight answer, in seconds.
    pub max_age_secs: u32,
}

impl Default for CorsConfig {
    fn default() -> Self {
        Self {
            origins: AllowedOrigins::None,
            credentials: false,
            max_age_secs: 600,
        }
    }
}

impl CorsConfig {
    /// Builds the settings from a list of origins, where `*` means any.
    pub fn from_origins(origins: &[String], credentials: bool) -> Self {
        let origins = if origins.is_empty() {
            AllowedOrigins::None
        } else if origins.iter().any(|o| o == "*") {
            AllowedOrigins::Any
        } else {
            AllowedOrigins::List(
                origins
                    .iter()
                    .map(|o| o.trim_end_matches('/').to_owned())
                    .collect(),
            )
        };
        Self {
            origins,
            credentials,
            ..Self::default()
        }
    }

    /// The `Access-Control-Allow-Origin` value for a request from `origin`, or
    /// `None` when that origin is not allowed.
    fn allow_origin(&self, origin: Option<&HeaderValue>) -> Option<HeaderValue> {
        let origin = origin?;
        match &self.origins {
            AllowedOrigins::None => None,
            AllowedOrigins::Any if !self.credentials => Some(HeaderValue::from_static("*")),
            AllowedOrigins::Any => Some(origin.clone()),
            AllowedOrigins::List(list) => {
                let o = origin.to_str().ok()?;
                list.iter().any(|a| a == o).then(|| origin.clone())
            }
        }
    }

    /// Adds the CORS headers for a request with `request_headers` to a
    /// response's `headers`.
    pub fn apply(&self, request_headers: &HeaderMap, headers: &mut HeaderMap) {
        let Some(allow) = self.allow_origin(request_headers.get(header::ORIGIN)) else {
            return;
        };
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow);
        if self.credentials {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        if self.origins != AllowedOrigins::Any || self.credentials {
            headers.append(header::VARY, HeaderValue::from_static("Origin"));
        }
    }

    /// Adds the headers answering a preflight (`OPTIONS`) request.
    pub fn apply_preflight(&self, request_headers: &HeaderMap, headers: &mut HeaderMap) {
        if self
            .allow_origin(request_headers.get(header::ORIGIN))
            .is_none()
        {
            return;
        }
        self.apply(request_headers, headers);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, OPTIONS"),
        );
        if let Some(requested) = request_headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
            headers.append(
                header::VARY,
                HeaderValue::from_static("Access-Control-Request-Headers"),
            );
        }
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from(self.max_age_secs),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_from(origin: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ORIGIN,
            HeaderValue::from_str(origin).expect("valid"),
        );
        h
    }

    #[test]
    fn listed_origin_is_echoed_and_others_get_nothing() {
        let cors = CorsConfig::from_origins(&["https://a.example".to_owned()], true);
        let mut out = HeaderMap::new();
        cors.apply(&request_from("https://a.example"), &mut out);
        assert_eq!(
            out[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "https://a.example"
        );
        assert_eq!(out[header::ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
        let mut out = HeaderMap::new();
        cors.apply(&request_from("https://evil.example"), &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn default_allows_no_cross_origin_request() {
        let mut out = HeaderMap::new();
        CorsConfig::default().apply_preflight(&request_from("https://a.example"), &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn wildcard_without_credentials_is_a_star() {
        let cors = CorsConfig::from_origins(&["*".to_owned()], false);
        let mut out = HeaderMap::new();
        cors.apply_preflight(&request_from("https://b.example"), &mut out);
        assert_eq!(out[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert!(out.contains_key(header::ACCESS_CONTROL_ALLOW_METHODS));
    }
}
