//! [`SocketHandshake`]: a socket's handshake in the shape socket.io gives it
//! (`socket.handshake`), so that a socket fetched from a Node node and one
//! of this node look the same.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::engine::Handshake;

/// A socket's handshake, as socket.io describes it; serializes to Node's
/// field names. Fields a remote node left out are empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SocketHandshake {
    /// The request headers, names in lower case (repeated headers joined
    /// with `, `).
    pub headers: Map<String, Value>,
    /// When the socket connected, as JavaScript's `Date#toString` writes it
    /// (in UTC).
    pub time: String,
    /// The peer's address (without port).
    pub address: String,
    /// True when the request carried an `Origin` header.
    pub xdomain: bool,
    /// True when the request came over TLS, as far as its URI says.
    pub secure: bool,
    /// When the socket connected, in milliseconds since the Unix epoch.
    pub issued: u64,
    /// The request's path and query.
    pub url: String,
    /// The query parameters, percent-decoded.
    pub query: Map<String, Value>,
    /// The `auth` payload of the CONNECT packet.
    pub auth: Value,
}

impl SocketHandshake {
    /// The handshake of a socket that connected at `at` with the Engine.IO
    /// `handshake` (absent once its connection is gone) and `auth`.
    pub fn new(handshake: Option<&Handshake>, auth: &Value, at: SystemTime) -> Self {
        let issued = at
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let mut out = Self {
            time: js_date(issued / 1000),
            issued,
            auth: auth.clone(),
            ..Self::default()
        };
        let Some(h) = handshake else { return out };
        for name in h.headers.keys() {
            let joined = h
                .headers
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect::<Vec<_>>()
                .join(", ");
            out.headers
                .insert(name.as_str().to_owned(), Value::String(joined));
        }
        out.address = h
            .remote_addr
            .map(|a| a.ip().to_string())
            .unwrap_or_default();
        out.xdomain = h.headers.contains_key(http::header::ORIGIN);
        out.secure = h.uri.scheme_str() == Some("https");
        out.url = h
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        for pair in h.uri.query().unwrap_or_default().split('&') {
            if pair.is_empty() {
                continue;
            }
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            out.query
                .insert(percent_decode(k), Value::String(percent_decode(v)));
        }
        out
    }
}

/// `s` with `+` as a space and `%XX` decoded; invalid escapes kept as they
/// are, invalid UTF-8 replaced.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Seconds since the epoch as JavaScript's `Date#toString` writes them in
/// UTC: `Mon Nov 30 2026 06:40:00 GMT+0000 (Coordinated Universal Time)`.
fn js_date(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{} {} {:02} {} {:02}:{:02}:{:02} GMT+0000 (Coordinated Universal Time)",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        day,
        year,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    #[test]
    fn dates_read_as_javascript_writes_them() {
        assert_eq!(
            js_date(0),
            "Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)"
        );
        // 2026-11-30T06:40:05Z
        assert_eq!(
            js_date(1_796_020_805),
            "Mon Nov 30 2026 06:40:05 GMT+0000 (Coordinated Universal Time)"
        );
        assert_eq!(
            js_date(951_782_400),
            "Tue Feb 29 2000 00:00:00 GMT+0000 (Coordinated Universal Time)"
        );
    }

    #[test]
    fn a_request_reads_as_node_shapes_it() {
        let mut headers = http::HeaderMap::new();
        headers.insert("origin", "http://a.example".parse().expect("header"));
        headers.append("x-tag", "one".parse().expect("header"));
        headers.append("x-tag", "two".parse().expect("header"));
        let h = Handshake {
            uri: "/socket.io/?EIO=4&transport=websocket&name=J%C3%BCrgen+K"
                .parse()
                .expect("uri"),
            headers,
            remote_addr: Some("127.0.0.1:4000".parse().expect("addr")),
        };
        let at = UNIX_EPOCH + Duration::from_millis(1_796_020_805_123);
        let got = SocketHandshake::new(Some(&h), &json!({"token": "t"}), at);
        let v = serde_json::to_value(&got).expect("json");
        assert_eq!(v["headers"]["x-tag"], "one, two");
        assert_eq!(v["address"], "127.0.0.1");
        assert_eq!(v["xdomain"], true);
        assert_eq!(v["secure"], false);
        assert_eq!(v["issued"], 1_796_020_805_123u64);
        assert_eq!(
            v["url"],
            "/socket.io/?EIO=4&transport=websocket&name=J%C3%BCrgen+K"
        );
        assert_eq!(v["query"]["name"], "Jürgen K");
        assert_eq!(v["query"]["EIO"], "4");
        assert_eq!(v["auth"], json!({"token": "t"}));
        assert!(v["time"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Mon Nov 30 2026"));
        // And back, as a remote node's answer is read.
        assert_eq!(serde_json::from_value::<SocketHandshake>(v).ok(), Some(got));
    }

    #[test]
    fn a_partial_remote_handshake_still_reads() {
        let got: SocketHandshake =
            serde_json::from_value(json!({"address": "::1", "extra": 1})).expect("lenient");
        assert_eq!(got.address, "::1");
        assert!(got.headers.is_empty());
    }

    #[test]
    fn bad_escapes_stay_as_they_are() {
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
        assert_eq!(percent_decode("%"), "%");
    }
}
