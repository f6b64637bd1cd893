//! A local socket's handshake in the shape Node's socket.io gives it
//! (`{headers, time, address, xdomain, secure, issued, url, query, auth}`),
//! for the `REMOTE_FETCH` answers a Node node reads.

use std::time::{SystemTime, UNIX_EPOCH};

use super::wire::{from_json, Value};
use crate::server::socket::Socket;

fn s(v: &str) -> Value {
    Value::from(v)
}

/// The handshake of `socket` as Node writes it. What edgeio does not keep
/// is approximated: `issued` and `time` are the moment of the answer, and
/// `secure` is true when the request URI says `https`/`wss`.
pub fn node_handshake(socket: &Socket) -> Value {
    let handshake = socket.handshake();
    let mut headers = Vec::new();
    let mut url = String::new();
    let mut address = String::new();
    let mut query = Vec::new();
    let mut secure = false;
    if let Some(h) = &handshake {
        for name in h.headers.keys() {
            let joined: Vec<&str> = h
                .headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            headers.push((s(name.as_str()), s(&joined.join(", "))));
        }
        url = h
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        address = h
            .remote_addr
            .map(|a| a.ip().to_string())
            .unwrap_or_default();
        secure = matches!(h.uri.scheme_str(), Some("https" | "wss"));
        for pair in h.uri.query().unwrap_or_default().split('&') {
            if pair.is_empty() {
                continue;
            }
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            query.push((s(k), s(v)));
        }
    }
    let xdomain = handshake
        .as_ref()
        .is_some_and(|h| h.headers.contains_key(http::header::ORIGIN));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Value::Map(vec![
        (s("headers"), Value::Map(headers)),
        (s("time"), s(&date_string(now.as_secs()))),
        (s("address"), s(&address)),
        (s("xdomain"), Value::from(xdomain)),
        (s("secure"), Value::from(secure)),
        (
            s("issued"),
            Value::from(u64::try_from(now.as_millis()).unwrap_or(u64::MAX)),
        ),
        (s("url"), s(&url)),
        (s("query"), Value::Map(query)),
        (s("auth"), from_json(socket.auth().clone())),
    ])
}

/// A UTC time as JavaScript's `Date.prototype.toString` writes it on a UTC
/// machine: `Mon Nov 30 2026 06:40:00 GMT+0000 (Coordinated Universal Time)`.
pub fn date_string(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days, for days since 1970-01-01.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
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

    #[test]
    fn dates_read_as_javascript_writes_them() {
        assert_eq!(
            date_string(0),
            "Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)"
        );
        // 2026-11-30T06:40:05Z, a Monday.
        assert_eq!(
            date_string(1_796_020_805),
            "Mon Nov 30 2026 06:40:05 GMT+0000 (Coordinated Universal Time)"
        );
        // 2024-02-29T23:59:59Z, a Thursday of a leap year.
        assert_eq!(
            date_string(1_709_251_199),
            "Thu Feb 29 2024 23:59:59 GMT+0000 (Coordinated Universal Time)"
        );
    }
}
