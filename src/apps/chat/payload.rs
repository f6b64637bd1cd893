//! Reading clients' JSON payloads: each field checked for presence, type and
//! size, with an `invalid_payload` or `too_large` error naming the field.

use serde_json::Value;

use super::auth::{validate_user_id, MAX_USER_ID_LEN};
use super::clock;
use super::error::{ChatError, ChatResult};

/// Ids (conversation, message, user) longer than this are refused.
pub const MAX_ID_LEN: usize = MAX_USER_ID_LEN;

/// The object a payload must be.
pub fn object(payload: &Value) -> ChatResult<&serde_json::Map<String, Value>> {
    payload
        .as_object()
        .ok_or_else(|| ChatError::InvalidPayload("the payload must be a JSON object".into()))
}

/// Required string `field`, non-empty, at most `max` bytes.
pub fn string(payload: &Value, field: &str, max: usize) -> ChatResult<String> {
    match optional_string(payload, field, max)? {
        Some(s) => Ok(s),
        None => Err(ChatError::InvalidPayload(format!("{field} is required"))),
    }
}

/// Optional string `field`: absent or null is `None`; empty is refused.
pub fn optional_string(payload: &Value, field: &str, max: usize) -> ChatResult<Option<String>> {
    match object(payload)?.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Err(ChatError::InvalidPayload(format!(
            "{field} must not be empty"
        ))),
        Some(Value::String(s)) if s.len() > max => {
            Err(ChatError::TooLarge(format!("{field} is over {max} bytes")))
        }
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ChatError::InvalidPayload(format!(
            "{field} must be a string"
        ))),
    }
}

/// Required id `field`: a string of at most [`MAX_ID_LEN`] bytes, without
/// control characters, whitespace or `:` (ids end up in room names).
pub fn id(payload: &Value, field: &str) -> ChatResult<String> {
    let s = string(payload, field, MAX_ID_LEN)?;
    check_id(field, &s)?;
    Ok(s)
}

/// [`id`]'s rule (a user id's: see [`validate_user_id`]) for a string from
/// elsewhere (a path, a list).
pub fn check_id(field: &str, s: &str) -> ChatResult<()> {
    validate_user_id(s).map_err(|e| ChatError::InvalidPayload(format!("{field} {e}")))
}

/// Optional non-negative integer `field`.
pub fn optional_u64(payload: &Value, field: &str) -> ChatResult<Option<u64>> {
    match object(payload)?.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| {
            ChatError::InvalidPayload(format!("{field} must be a non-negative integer"))
        }),
    }
}

/// Optional time `field`: unix ms or RFC 3339.
pub fn optional_time(payload: &Value, field: &str) -> ChatResult<Option<u64>> {
    match object(payload)?.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => clock::parse(v).map(Some).ok_or_else(|| {
            ChatError::InvalidPayload(format!("{field} must be unix ms or an RFC 3339 time"))
        }),
    }
}

/// Optional list of ids `field`, at most `max` of them.
pub fn optional_ids(payload: &Value, field: &str, max: usize) -> ChatResult<Vec<String>> {
    let list = match object(payload)?.get(field) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => {
            return Err(ChatError::InvalidPayload(format!(
                "{field} must be a list of strings"
            )))
        }
    };
    if list.len() > max {
        return Err(ChatError::TooLarge(format!("{field} holds over {max} ids")));
    }
    list.iter()
        .map(|v| {
            let s = v.as_str().ok_or_else(|| {
                ChatError::InvalidPayload(format!("{field} must be a list of strings"))
            })?;
            check_id(field, s)?;
            Ok(s.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code<T: std::fmt::Debug>(r: ChatResult<T>) -> &'static str {
        r.expect_err("refused").code()
    }

    #[test]
    fn fields_are_checked_for_presence_type_and_size() {
        let p = json!({"a": "x", "n": 5, "e": "", "t": "2026-01-27T10:30:00Z", "l": ["u1", "u2"]});
        assert_eq!(string(&p, "a", 10).expect("a"), "x");
        assert_eq!(code(string(&p, "missing", 10)), "invalid_payload");
        assert_eq!(code(string(&p, "n", 10)), "invalid_payload");
        assert_eq!(code(string(&p, "e", 10)), "invalid_payload");
        assert_eq!(code(string(&json!({"a": "xx"}), "a", 1)), "too_large");
        assert_eq!(code(string(&json!([1]), "a", 1)), "invalid_payload");
        assert_eq!(optional_u64(&p, "n").expect("n"), Some(5));
        assert_eq!(optional_u64(&p, "none").expect("none"), None);
        assert_eq!(
            code(optional_u64(&json!({"n": -1}), "n")),
            "invalid_payload"
        );
        assert_eq!(
            code(optional_u64(&json!({"n": "5"}), "n")),
            "invalid_payload"
        );
        assert_eq!(optional_time(&p, "t").expect("t"), Some(1_769_509_800_000));
        assert_eq!(
            code(optional_time(&json!({"t": "soon"}), "t")),
            "invalid_payload"
        );
        assert_eq!(optional_ids(&p, "l", 2).expect("l"), vec!["u1", "u2"]);
        assert_eq!(code(optional_ids(&p, "l", 1)), "too_large");
        assert_eq!(
            code(optional_ids(&json!({"l": [1]}), "l", 5)),
            "invalid_payload"
        );
        assert_eq!(
            code(optional_ids(&json!({"l": "u1"}), "l", 5)),
            "invalid_payload"
        );
        assert!(optional_ids(&p, "none", 1).expect("none").is_empty());
    }

    #[test]
    fn ids_refuse_room_separators_and_spaces() {
        assert_eq!(
            id(&json!({"i": "ab-12_x.y"}), "i").expect("ok"),
            "ab-12_x.y"
        );
        for bad in ["a:b", "a b", "a\u{0}b", "a\nb"] {
            assert_eq!(
                code(id(&json!({ "i": bad }), "i")),
                "invalid_payload",
                "{bad:?}"
            );
        }
        let long = "x".repeat(MAX_ID_LEN + 1);
        assert_eq!(code(id(&json!({ "i": long }), "i")), "too_large");
        assert_eq!(code(check_id("i", &long)), "invalid_payload");
        assert!(check_id("i", &"x".repeat(MAX_ID_LEN)).is_ok());
    }
}
