//! [`Handshake`]: what a client's handshake request carried, kept with its
//! session for the layers above (auth headers, query, remote address).
//!
//! A session lives for hours, so what it keeps of its request is bounded:
//! the headers only the transport needed are not kept, and the rest is kept
//! up to `max_handshake_header_bytes` ([`Handshake::kept`]). What may arrive
//! at all is bounded before, by the HTTP server's read buffer.

/// Headers that served the HTTP request or the WebSocket handshake itself
/// and mean nothing to a session: hop-by-hop headers (RFC 9110 §7.6.1), the
/// body's framing (a handshake is a GET), the WebSocket key, version and
/// extensions (answered at once), and the encodings the engine never uses.
/// `Sec-WebSocket-Protocol` is kept: browsers that cannot set headers on a
/// WebSocket carry tokens in it.
const TRANSPORT_ONLY: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "accept-encoding",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-extensions",
];

/// What each kept header costs beyond its name and value: the overhead
/// HTTP/2 adds per header when it sizes a header list (RFC 9113 §6.5.2), so
/// that many tiny headers count for what they hold.
const PER_HEADER: usize = 32;

/// What the client's handshake request carried, kept for the layers above
/// (auth headers, query, remote address).
#[derive(Debug, Clone)]
pub struct Handshake {
    /// The request URI, query included.
    pub uri: http::Uri,
    /// The request headers (a session's: see [`Handshake::kept`]).
    pub headers: http::HeaderMap,
    /// The peer address, when the server knows it.
    pub remote_addr: Option<std::net::SocketAddr>,
}

impl Handshake {
    /// The handshake of a request, in allocations of its own, every header
    /// included (the `allow_request` hook sees them all).
    ///
    /// hyper parses the URI and headers as views into the connection's 8 KiB
    /// read buffer; keeping those views for the session's life would keep
    /// the whole buffer alive per client, so they are copied out.
    pub fn copied_from(
        uri: &http::Uri,
        headers: &http::HeaderMap,
        remote_addr: Option<std::net::SocketAddr>,
    ) -> Self {
        let mut own = http::HeaderMap::with_capacity(headers.len());
        for (name, value) in headers {
            if let Ok(v) = http::HeaderValue::from_bytes(value.as_bytes()) {
                own.append(name.clone(), v);
            }
        }
        Self {
            uri: http::Uri::try_from(uri.to_string()).unwrap_or_default(),
            headers: own,
            remote_addr,
        }
    }

    /// The handshake as a session keeps it: without the transport-only
    /// headers, and with the others in arrival order while their bytes (name,
    /// value and 32 each) stay within `max_bytes`. A header that does not
    /// fit is dropped, not the handshake: a browser carrying large cookies
    /// of the site still connects, and a smaller header after it (such as
    /// `Authorization`) is still kept. Dropped headers are logged (debug).
    pub fn kept(self, max_bytes: usize) -> Self {
        let mut headers = http::HeaderMap::new();
        let mut used = 0usize;
        let mut dropped = 0usize;
        let mut current: Option<http::HeaderName> = None;
        // Each name comes once, followed by its further values (`None`).
        for (name, value) in self.headers {
            if let Some(name) = name {
                current = Some(name);
            }
            let Some(name) = &current else { continue };
            if TRANSPORT_ONLY.contains(&name.as_str()) {
                continue;
            }
            let cost = name.as_str().len() + value.len() + PER_HEADER;
            match used.checked_add(cost).filter(|&total| total <= max_bytes) {
                Some(total) => {
                    used = total;
                    headers.append(name.clone(), value);
                }
                None => dropped += 1,
            }
        }
        if dropped > 0 {
            tracing::debug!(
                remote = ?self.remote_addr,
                dropped,
                kept_bytes = used,
                max_bytes,
                "handshake headers over max_handshake_header_bytes not kept"
            );
        }
        Self {
            uri: self.uri,
            headers,
            remote_addr: self.remote_addr,
        }
    }

    /// The value of query parameter `name`, percent-decoding not applied.
    pub fn query(&self, name: &str) -> Option<&str> {
        super::query::param(self.uri.query(), name)
    }
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, HeaderValue};

    use super::*;

    fn handshake(headers: &[(&'static str, String)]) -> Handshake {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(*name, HeaderValue::from_str(value).expect("valid value"));
        }
        Handshake::copied_from(&http::Uri::from_static("/socket.io/?EIO=4"), &map, None)
    }

    /// The bytes of `headers` as [`Handshake::kept`] counts them.
    fn cost(headers: &HeaderMap) -> usize {
        headers
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len() + PER_HEADER)
            .sum()
    }

    #[test]
    fn transport_only_headers_are_not_kept() {
        let kept = handshake(&[
            ("upgrade", "websocket".into()),
            ("connection", "Upgrade".into()),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==".into()),
            ("sec-websocket-version", "13".into()),
            ("sec-websocket-extensions", "permessage-deflate".into()),
            ("accept-encoding", "gzip".into()),
            ("sec-websocket-protocol", "token.abc".into()),
            ("cookie", "a=1".into()),
            ("cookie", "b=2".into()),
            ("authorization", "Bearer x".into()),
        ])
        .kept(8 * 1024);
        let names: Vec<&str> = kept.headers.keys().map(|n| n.as_str()).collect();
        assert_eq!(
            names,
            vec!["sec-websocket-protocol", "cookie", "authorization"]
        );
        assert_eq!(kept.headers.get_all("cookie").iter().count(), 2);
        assert_eq!(kept.query("EIO"), Some("4"), "the URI is kept");
    }

    #[test]
    fn headers_beyond_the_cap_are_dropped_and_smaller_ones_after_them_kept() {
        let big = "c".repeat(5000);
        let kept = handshake(&[
            ("x-first", "1".repeat(100)),
            ("cookie", big.clone()),
            ("x-second", "2".repeat(100)),
            ("authorization", "Bearer x".into()),
        ])
        .kept(1024);
        assert!(kept.headers.get("cookie").is_none(), "too large for 1 KiB");
        for name in ["x-first", "x-second", "authorization"] {
            assert!(kept.headers.contains_key(name), "{name} fits");
        }
        assert!(cost(&kept.headers) <= 1024);

        let many: Vec<(&'static str, String)> = (0..500).map(|_| ("x-many", "v".into())).collect();
        let kept = handshake(&many).kept(1024);
        let n = kept.headers.get_all("x-many").iter().count();
        assert_eq!(
            n,
            1024 / ("x-many".len() + 1 + PER_HEADER),
            "cut at the cap"
        );
        assert!(cost(&kept.headers) <= 1024);
    }

    #[test]
    fn a_header_exactly_at_the_cap_is_kept() {
        let value = "v".repeat(100 - "x-a".len() - PER_HEADER);
        let kept = handshake(&[("x-a", value)]).kept(100);
        assert_eq!(cost(&kept.headers), 100);
        assert!(handshake(&[("x-a", "v".into())]).kept(0).headers.is_empty());
    }
}
