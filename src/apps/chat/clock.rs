//! Time as the chat service shows it: unix milliseconds inside, RFC 3339
//! (`2026-01-27T10:30:01.234Z`) on the wire, and either accepted from
//! clients.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Now, in unix milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}

/// `ms` as RFC 3339 in UTC, with milliseconds.
pub fn iso(ms: u64) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// A client's time: unix milliseconds (a number or a string of digits) or
/// an RFC 3339 string. `None` for anything else or before 1970.
pub fn parse(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => parse_str(s),
        _ => None,
    }
}

/// [`parse`] of a string (query parameters).
pub fn parse_str(s: &str) -> Option<u64> {
    let s = s.trim();
    if !s.is_empty() && s.len() <= 16 && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    if s.len() > 64 {
        return None;
    }
    let t = OffsetDateTime::parse(s, &Rfc3339).ok()?;
    u64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn iso_and_back() {
        assert_eq!(iso(1_674_815_401_234), "2023-01-27T10:30:01.234Z");
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            parse(&json!("2023-01-27T10:30:01.234Z")),
            Some(1_674_815_401_234)
        );
        assert_eq!(
            parse(&json!("2023-01-27T11:30:01.234+01:00")),
            Some(1_674_815_401_234)
        );
        assert_eq!(parse(&json!(1_674_815_401_234u64)), Some(1_674_815_401_234));
        assert_eq!(parse(&json!("1674815401234")), Some(1_674_815_401_234));
        for bad in [
            json!("yesterday"),
            json!(-5),
            json!(null),
            json!([1]),
            json!(""),
        ] {
            assert_eq!(parse(&bad), None, "{bad}");
        }
        assert_eq!(parse(&json!("1969-12-31T23:59:59Z")), None);
        let now = now_ms();
        assert!(now > 1_700_000_000_000);
        assert_eq!(parse(&json!(iso(now))), Some(now));
    }
}
