//! JSON as JavaScript writes it. `JSON.stringify` escapes a lone UTF-16
//! surrogate (`"\ud83d"`, half of an emoji cut in two) and `JSON.parse`
//! takes it back, so socket.io clients send it and socket.io servers accept
//! it; serde_json refuses it, and a Rust string cannot hold it. So a payload
//! serde_json refuses has each lone surrogate escape replaced by `\ufffd`
//! (U+FFFD, the replacement character) and is parsed once more: a handler
//! sees `"\u{fffd}"` where a JavaScript one would see the lone surrogate.
//!
//! Only a refused payload is scanned (once, linearly, and it is already
//! within the parser's length and depth limits): a valid one is parsed once,
//! as before.

use std::borrow::Cow;

use serde_json::Value;

use super::error::ProtocolError;

/// The escape a lone surrogate is replaced with: as long as the one it
/// replaces, so that the text keeps its length and offsets.
const REPLACEMENT: &str = "\\ufffd";

/// Parses `json`, accepting lone surrogate escapes as U+FFFD.
pub(crate) fn parse(json: &str) -> Result<Value, ProtocolError> {
    match serde_json::from_str(json) {
        Ok(value) => Ok(value),
        Err(_) => match replace_lone_surrogates(json) {
            Cow::Owned(fixed) => serde_json::from_str(&fixed).map_err(|_| ProtocolError::BadJson),
            Cow::Borrowed(_) => Err(ProtocolError::BadJson),
        },
    }
}

/// `json` with every lone surrogate escape inside its strings (a high one not
/// followed by a low one, or a low one alone) replaced by `\ufffd`; borrowed
/// when it has none. Valid pairs, other escapes and text outside strings are
/// left as they are (an escaped backslash followed by `ud83d` is text, not an
/// escape).
pub(crate) fn replace_lone_surrogates(json: &str) -> Cow<'_, str> {
    let bytes = json.as_bytes();
    let mut out: Option<String> = None;
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        match (in_string, bytes[i]) {
            (false, b'"') => in_string = true,
            (true, b'"') => in_string = false,
            (true, b'\\') => match unit_at(bytes, i) {
                Some(0xD800..=0xDBFF) => {
                    if matches!(unit_at(bytes, i + 6), Some(0xDC00..=0xDFFF)) {
                        i += 12;
                        continue;
                    }
                    replace(&mut out, json, i);
                    i += 6;
                    continue;
                }
                Some(0xDC00..=0xDFFF) => {
                    replace(&mut out, json, i);
                    i += 6;
                    continue;
                }
                // Any other escape: the backslash and the byte after it (an
                // escaped quote or backslash must not end the string or
                // start another escape).
                _ => i += 1,
            },
            _ => {}
        }
        i += 1;
    }
    match out {
        Some(fixed) => Cow::Owned(fixed),
        None => Cow::Borrowed(json),
    }
}

/// The UTF-16 code unit of the `\uXXXX` escape at `at`, if there is one.
fn unit_at(bytes: &[u8], at: usize) -> Option<u16> {
    let escape = bytes.get(at..at + 6)?;
    if escape[0] != b'\\' || escape[1] != b'u' {
        return None;
    }
    let hex = std::str::from_utf8(&escape[2..]).ok()?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(hex, 16).ok()
}

/// Replaces the six-byte escape at `at` (ASCII, so at a char boundary).
fn replace(out: &mut Option<String>, json: &str, at: usize) {
    out.get_or_insert_with(|| json.to_owned())
        .replace_range(at..at + REPLACEMENT.len(), REPLACEMENT);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_lone_high_surrogate_becomes_the_replacement_character() {
        assert_eq!(parse(r#"["m","\ud83d"]"#), Ok(json!(["m", "\u{fffd}"])));
        assert_eq!(parse(r#"["m","a\uD83Db"]"#), Ok(json!(["m", "a\u{fffd}b"])));
        assert_eq!(parse(r#"["m","\ud83d"#), Err(ProtocolError::BadJson));
    }

    #[test]
    fn a_lone_low_surrogate_becomes_the_replacement_character() {
        assert_eq!(parse(r#"["m","\ude00x"]"#), Ok(json!(["m", "\u{fffd}x"])));
        assert_eq!(
            parse(r#"{"\udc00":"\udfff"}"#),
            Ok(json!({"\u{fffd}": "\u{fffd}"})),
            "in keys too"
        );
    }

    #[test]
    fn a_high_surrogate_followed_by_anything_but_a_low_one_is_lone() {
        assert_eq!(
            parse(r#"["m","\ud83d\u0041"]"#),
            Ok(json!(["m", "\u{fffd}A"]))
        );
        assert_eq!(
            parse(r#"["m","\ud83d\ud83d\ude00"]"#),
            Ok(json!(["m", "\u{fffd}\u{1f600}"])),
            "the second high one pairs with the low one"
        );
        assert_eq!(parse(r#"["m","\ud83d\n"]"#), Ok(json!(["m", "\u{fffd}\n"])));
    }

    #[test]
    fn every_lone_surrogate_of_a_payload_is_replaced() {
        assert_eq!(
            parse(r#"["m","\ud83d\ude00\ud83d","\ud83d","x\ude00"]"#),
            Ok(json!(["m", "\u{1f600}\u{fffd}", "\u{fffd}", "x\u{fffd}"]))
        );
    }

    #[test]
    fn a_valid_pair_and_other_escapes_are_untouched() {
        let pair = r#"["m","\ud83d\ude00"]"#;
        assert!(matches!(replace_lone_surrogates(pair), Cow::Borrowed(_)));
        assert_eq!(parse(pair), Ok(json!(["m", "\u{1f600}"])));
        let escaped_backslash = r#"["m","\\ud83d"]"#;
        assert!(matches!(
            replace_lone_surrogates(escaped_backslash),
            Cow::Borrowed(_)
        ));
        assert_eq!(parse(escaped_backslash), Ok(json!(["m", "\\ud83d"])));
        let quote_then_escape = r#"["m","\"","\ud83d"]"#;
        assert_eq!(
            replace_lone_surrogates(quote_then_escape),
            r#"["m","\"","\ufffd"]"#
        );
    }

    #[test]
    fn garbage_stays_refused() {
        for bad in [r#"["m",\ud83d]"#, r#"["m","\u12"]"#, "[\"m\"", "nope"] {
            assert_eq!(parse(bad), Err(ProtocolError::BadJson), "{bad}");
        }
        assert!(matches!(
            replace_lone_surrogates(r#"["m",\ud83d]"#),
            Cow::Borrowed(_)
        ));
    }
}
