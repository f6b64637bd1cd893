//! What a request says besides its body: percent-decoding (a tiny decoder,
//! no dependency), the query string, and the parameters of the chat list
//! and of history, each refused with `invalid_payload` naming it.

use crate::apps::chat::clock;
use crate::apps::chat::error::{ChatError, ChatResult};
use crate::apps::chat::store::HistoryQuery;

/// The largest `limit` of a page (the service's and the store's cap).
pub const MAX_LIMIT: usize = 100;
/// Conversations in a chat-list page when `limit` is absent.
pub const DEFAULT_CHAT_LIST_LIMIT: usize = 20;
/// Messages in a history page when `limit` is absent.
pub const DEFAULT_HISTORY_LIMIT: usize = 50;

/// `s` with its `%XX` escapes decoded; `None` for a broken escape or bytes
/// that are not UTF-8. A `+` stays a plus: no value of this API holds a
/// space, and an RFC 3339 offset written unencoded (`+01:00`) still reads.
pub fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = bytes.next().and_then(hex)?;
            let lo = bytes.next().and_then(hex)?;
            out.push(hi * 16 + lo);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

fn hex(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

fn invalid(message: String) -> ChatError {
    ChatError::InvalidPayload(message)
}

/// A query string, its values decoded when asked for (a broken parameter
/// this API does not read, such as a cache buster, is no error).
pub struct Query<'a> {
    pairs: Vec<(String, &'a str)>,
}

impl<'a> Query<'a> {
    /// The parameters of `raw` (the part after `?`).
    pub fn parse(raw: Option<&'a str>) -> Self {
        let pairs = raw
            .unwrap_or_default()
            .split('&')
            .filter_map(|part| {
                let (name, value) = part.split_once('=').unwrap_or((part, ""));
                Some((percent_decode(name)?, value))
            })
            .collect();
        Self { pairs }
    }

    /// The decoded value of `name`; refused when given twice or badly
    /// encoded.
    pub fn get(&self, name: &str) -> ChatResult<Option<String>> {
        let mut found = self.pairs.iter().filter(|(n, _)| n == name);
        let Some((_, raw)) = found.next() else {
            return Ok(None);
        };
        if found.next().is_some() {
            return Err(invalid(format!("{name} is given more than once")));
        }
        percent_decode(raw)
            .map(Some)
            .ok_or_else(|| invalid(format!("{name} is not valid percent-encoded UTF-8")))
    }

    /// `limit`: 1 to [`MAX_LIMIT`], `default` when absent.
    pub fn limit(&self, default: usize) -> ChatResult<usize> {
        let Some(value) = self.get("limit")? else {
            return Ok(default);
        };
        match value.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(invalid(format!(
                "limit must be an integer from 1 to {MAX_LIMIT}"
            ))),
        }
    }

    /// Message sequence `name` (`after`, `before`).
    fn sequence(&self, name: &str) -> ChatResult<Option<u64>> {
        self.get(name)?
            .map(|v| v.parse::<u64>())
            .transpose()
            .map_err(|_| invalid(format!("{name} must be a message sequence (an integer)")))
    }

    /// Time `name` (`since`, `until`): unix ms or RFC 3339.
    fn time(&self, name: &str) -> ChatResult<Option<u64>> {
        self.get(name)?
            .map(|v| clock::parse_str(&v))
            .map(|t| {
                t.ok_or_else(|| invalid(format!("{name} must be unix ms or an RFC 3339 time")))
            })
            .transpose()
    }

    /// The chat list's `limit` and `cursor`.
    pub fn chat_list(&self) -> ChatResult<(usize, Option<String>)> {
        Ok((self.limit(DEFAULT_CHAT_LIST_LIMIT)?, self.get("cursor")?))
    }

    /// History's `after`, `before`, `since`, `until` and `limit`.
    pub fn history(&self) -> ChatResult<HistoryQuery> {
        Ok(HistoryQuery {
            after: self.sequence("after")?,
            before: self.sequence("before")?,
            since: self.time("since")?,
            until: self.time("until")?,
            limit: self.limit(DEFAULT_HISTORY_LIMIT)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes_and_refuses_broken_ones() {
        assert_eq!(percent_decode("a%41b%2fc%2B+").as_deref(), Some("aAb/c++"));
        assert_eq!(percent_decode("%C3%A9").as_deref(), Some("é"));
        for bad in ["%", "%4", "%g1", "%+1", "%FF"] {
            assert_eq!(percent_decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn reads_parameters_once_each() {
        let q = Query::parse(Some(
            "limit=5&cursor=a%2Eb&x=%zz&&flag&since=2026-01-27T10:30:00+00:00",
        ));
        assert_eq!(q.limit(20).expect("limit"), 5);
        assert_eq!(q.get("cursor").expect("cursor").as_deref(), Some("a.b"));
        assert_eq!(q.get("flag").expect("flag").as_deref(), Some(""));
        assert_eq!(q.history().expect("history").since, Some(1_769_509_800_000));
        assert_eq!(q.get("x").expect_err("bad").code(), "invalid_payload");
        let twice = Query::parse(Some("after=1&after=2"));
        assert!(twice.history().is_err());
        assert_eq!(Query::parse(None).limit(7).expect("default"), 7);
        for bad in ["limit=0", "limit=101", "limit=", "limit=x"] {
            assert!(Query::parse(Some(bad)).limit(1).is_err(), "{bad}");
        }
    }
}
