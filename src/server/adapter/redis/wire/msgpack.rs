//! MessagePack in and out, as `notepack.io` (the adapter's parser) writes
//! it, and typed reads of the fields of a decoded map.
//!
//! notepack writes integers and lengths in their smallest form, non-integer
//! numbers as float 64, `Buffer`s as bin, `undefined` as nil (and leaves out
//! object keys whose value is `undefined`). rmpv writes the same forms, so a
//! decoded message encodes back to the same bytes.

use rmpv::Value;

use super::WireError;

/// How deeply values may nest; deeper input is refused, not recursed into.
const MAX_DEPTH: usize = 256;

/// Decodes exactly one MessagePack value filling all of `bytes`.
pub(super) fn decode(bytes: &[u8]) -> Result<Value, WireError> {
    let mut rd = bytes;
    let value = rmpv::decode::read_value_with_max_depth(&mut rd, MAX_DEPTH)
        .map_err(|e| WireError::MsgPack(e.to_string()))?;
    if !rd.is_empty() {
        return Err(WireError::MsgPack(format!(
            "{} bytes after the value",
            rd.len()
        )));
    }
    Ok(value)
}

/// Encodes `value` as MessagePack.
pub(super) fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = rmpv::encode::write_value(&mut out, value);
    out
}

/// A string value.
pub(super) fn string(s: &str) -> Value {
    Value::from(s)
}

/// An array of strings.
pub(super) fn strings(items: &[String]) -> Value {
    Value::Array(items.iter().map(|s| string(s)).collect())
}

/// A map built from `(key, value)` pairs, in order.
pub(super) fn map(pairs: Vec<(&str, Value)>) -> Value {
    Value::Map(pairs.into_iter().map(|(k, v)| (string(k), v)).collect())
}

/// The fields of a decoded map, read by name.
pub(super) struct Fields<'a>(&'a [(Value, Value)]);

impl<'a> Fields<'a> {
    /// The fields of `value`, which must be a map (`what` names it in errors).
    pub(super) fn of(value: &'a Value, what: &'static str) -> Result<Self, WireError> {
        match value {
            Value::Map(pairs) => Ok(Self(pairs)),
            _ => Err(WireError::WrongType(what)),
        }
    }

    /// The value of `key`, if present and not nil.
    pub(super) fn get(&self, key: &str) -> Option<&'a Value> {
        self.0
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
            .filter(|v| !v.is_nil())
    }

    /// The required value of `key`.
    pub(super) fn req(&self, key: &'static str) -> Result<&'a Value, WireError> {
        self.get(key).ok_or(WireError::Missing(key))
    }

    /// The required string `key`.
    pub(super) fn str(&self, key: &'static str) -> Result<String, WireError> {
        as_string(self.req(key)?, key)
    }

    /// The optional string `key`.
    pub(super) fn opt_str(&self, key: &'static str) -> Result<Option<String>, WireError> {
        self.get(key).map(|v| as_string(v, key)).transpose()
    }

    /// The required unsigned integer `key`.
    pub(super) fn uint(&self, key: &'static str) -> Result<u64, WireError> {
        self.req(key)?.as_u64().ok_or(WireError::WrongType(key))
    }

    /// The optional boolean `key` (absent is `false`).
    pub(super) fn flag(&self, key: &'static str) -> Result<bool, WireError> {
        match self.get(key) {
            None => Ok(false),
            Some(v) => v.as_bool().ok_or(WireError::WrongType(key)),
        }
    }

    /// The array of strings `key` (absent is empty, as `new Set(undefined)`).
    pub(super) fn strings(&self, key: &'static str) -> Result<Vec<String>, WireError> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(v) => as_strings(v, key),
        }
    }
}

/// `value` as a string. Node rooms may be numbers; they become their decimal
/// text, as Node's channel names and `Set` lookups treat them.
pub(super) fn as_string(value: &Value, what: &'static str) -> Result<String, WireError> {
    match value {
        Value::String(s) => s
            .as_str()
            .map(str::to_owned)
            .ok_or(WireError::WrongType(what)),
        Value::Integer(n) => Ok(n.to_string()),
        _ => Err(WireError::WrongType(what)),
    }
}

/// `value` as an array of strings.
pub(super) fn as_strings(value: &Value, what: &'static str) -> Result<Vec<String>, WireError> {
    match value {
        Value::Array(items) => items.iter().map(|v| as_string(v, what)).collect(),
        _ => Err(WireError::WrongType(what)),
    }
}
