//! Where a client puts its token: the Socket.IO handshake's auth payload
//! (`{"token": "..."}`), the `token` query parameter of the Engine.IO
//! handshake, or an `Authorization: Bearer` header on REST.

use serde_json::Value;

/// The token of a Socket.IO handshake: the auth payload's `token` string
/// first, else the `token` parameter of `query` (the raw query string of the
/// handshake request, without `?`), percent-decoded. Empty values count as
/// absent; a query value that does not decode to UTF-8 is ignored.
pub fn token_from_handshake(auth: &Value, query: Option<&str>) -> Option<String> {
    if let Some(token) = auth.get("token").and_then(Value::as_str) {
        if !token.is_empty() {
            return Some(token.to_owned());
        }
    }
    let raw = query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| *name == "token")
        .map(|(_, value)| value)?;
    percent_decode(raw).filter(|token| !token.is_empty())
}

/// The token of an `Authorization: Bearer <token>` header (the scheme in
/// any case, as RFC 7235 says). `None` for another scheme, no token, or a
/// value with more than one token.
pub fn bearer(header: Option<&str>) -> Option<&str> {
    let (scheme, token) = header?.trim().split_once(' ')?;
    let token = token.trim_start();
    let valid = scheme.eq_ignore_ascii_case("bearer")
        && !token.is_empty()
        && !token.contains(|c: char| c.is_ascii_whitespace());
    valid.then_some(token)
}

/// Decodes a query-string value: `%XX` escapes and `+` for a space. `None`
/// for a broken escape or bytes that are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'%' => {
                let hi = hex_digit(bytes.next()?)?;
                let lo = hex_digit(bytes.next()?)?;
                out.push(hi * 16 + lo);
            }
            b'+' => out.push(b' '),
            _ => out.push(b),
        }
    }
    String::from_utf8(out).ok()
}

fn hex_digit(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_auth_payload_comes_before_the_query() {
        let auth = json!({ "token": "from-auth" });
        assert_eq!(
            token_from_handshake(&auth, Some("EIO=4&token=from-query")).as_deref(),
            Some("from-auth")
        );
        assert_eq!(
            token_from_handshake(&json!({}), Some("EIO=4&token=from-query&x=1")).as_deref(),
            Some("from-query")
        );
        // An empty or non-string auth token falls back to the query.
        for auth in [
            json!({ "token": "" }),
            json!({ "token": 42 }),
            json!(null),
            json!("t"),
        ] {
            assert_eq!(
                token_from_handshake(&auth, Some("token=q")).as_deref(),
                Some("q"),
                "{auth}"
            );
        }
    }

    #[test]
    fn absent_tokens() {
        assert_eq!(token_from_handshake(&json!({}), None), None);
        assert_eq!(token_from_handshake(&json!({ "token": "" }), None), None);
        for query in [
            "",
            "EIO=4&transport=polling",
            "token=",
            "token",
            "xtoken=a",
            "tokenx=a",
        ] {
            assert_eq!(
                token_from_handshake(&json!({}), Some(query)),
                None,
                "{query}"
            );
        }
    }

    #[test]
    fn query_tokens_are_percent_decoded() {
        let get = |q: &str| token_from_handshake(&json!({}), Some(q));
        assert_eq!(get("token=a.b.c").as_deref(), Some("a.b.c"));
        assert_eq!(get("token=a%2Eb%2ec").as_deref(), Some("a.b.c"));
        assert_eq!(get("token=a+b%20c").as_deref(), Some("a b c"));
        assert_eq!(get("token=%7E%3D%26%25").as_deref(), Some("~=&%"));
        assert_eq!(get("token=%C3%A9").as_deref(), Some("é"));
        assert_eq!(get("token=a=b").as_deref(), Some("a=b"));
        // The first `token` parameter wins.
        assert_eq!(get("token=first&token=second").as_deref(), Some("first"));
        for broken in ["token=%", "token=%4", "token=%zz", "token=%g1", "token=%FF"] {
            assert_eq!(get(broken), None, "{broken}");
        }
    }

    #[test]
    fn bearer_headers() {
        assert_eq!(bearer(Some("Bearer abc.def.ghi")), Some("abc.def.ghi"));
        assert_eq!(bearer(Some("bearer abc")), Some("abc"));
        assert_eq!(bearer(Some("BEARER   abc  ")), Some("abc"));
        for bad in [
            "",
            "Bearer",
            "Bearer ",
            "Bearer  ",
            "Basic YWxhZGRpbjpvcGVu",
            "Bearerabc",
            "Bearer a b",
            "Bearer a\tb",
            "Token abc",
        ] {
            assert_eq!(bearer(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(bearer(None), None);
    }
}
