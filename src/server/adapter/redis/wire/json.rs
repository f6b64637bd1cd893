//! The messages that travel as JSON: to and from the MessagePack [`Value`]
//! model, the way Node's `JSON.stringify` and `JSON.parse` see them.

use rmpv::Value;
use serde_json::{Map, Number, Value as Json};

use super::WireError;

/// Parses JSON bytes into a [`Value`] (object key order kept).
pub(super) fn decode(bytes: &[u8]) -> Result<Value, WireError> {
    let json: Json = serde_json::from_slice(bytes).map_err(|e| WireError::Json(e.to_string()))?;
    Ok(from_json(json))
}

/// Writes `value` as JSON, as `JSON.stringify` would.
pub(super) fn encode(value: &Value) -> Result<Vec<u8>, WireError> {
    let json = to_json(value)?;
    serde_json::to_vec(&json).map_err(|e| WireError::Json(e.to_string()))
}

/// A JSON value as a [`Value`].
pub fn from_json(json: Json) -> Value {
    match json {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::Boolean(b),
        Json::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => Value::from(u),
            (_, Some(i), _) => Value::from(i),
            (_, _, f) => Value::F64(f.unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::from(s),
        Json::Array(items) => Value::Array(items.into_iter().map(from_json).collect()),
        Json::Object(map) => Value::Map(
            map.into_iter()
                .map(|(k, v)| (Value::from(k), from_json(v)))
                .collect(),
        ),
    }
}

/// A [`Value`] as JSON: binary becomes `{"type":"Buffer","data":[...]}`
/// (what `JSON.stringify` makes of a Node `Buffer`), a non-finite float
/// `null`; extensions and non-string keys cannot be written.
pub fn to_json(value: &Value) -> Result<Json, WireError> {
    Ok(match value {
        Value::Nil => Json::Null,
        Value::Boolean(b) => Json::Bool(*b),
        Value::Integer(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Json::from(u),
            (_, Some(i)) => Json::from(i),
            _ => return Err(WireError::NotJson("integer")),
        },
        Value::F32(f) => Number::from_f64(f64::from(*f)).map_or(Json::Null, Json::Number),
        Value::F64(f) => Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Value::String(s) => Json::String(
            s.as_str()
                .ok_or(WireError::NotJson("non-UTF-8 string"))?
                .to_owned(),
        ),
        Value::Binary(bytes) => {
            let mut buffer = Map::new();
            buffer.insert("type".into(), Json::from("Buffer"));
            buffer.insert(
                "data".into(),
                Json::Array(bytes.iter().map(|b| Json::from(*b)).collect()),
            );
            Json::Object(buffer)
        }
        Value::Array(items) => Json::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        Value::Map(pairs) => {
            let mut map = Map::new();
            for (k, v) in pairs {
                let key = k.as_str().ok_or(WireError::NotJson("non-string map key"))?;
                map.insert(key.to_owned(), to_json(v)?);
            }
            Json::Object(map)
        }
        Value::Ext(..) => return Err(WireError::NotJson("extension")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_becomes_what_json_stringify_makes_of_a_buffer() {
        let value = Value::Array(vec![Value::Binary(vec![1, 255]), Value::F64(f64::NAN)]);
        let json = String::from_utf8(encode(&value).expect("encodes")).expect("utf-8");
        assert_eq!(json, r#"[{"type":"Buffer","data":[1,255]},null]"#);
    }

    #[test]
    fn values_json_cannot_carry_are_refused() {
        let ext = Value::Ext(-1, vec![0; 4]);
        assert_eq!(encode(&ext), Err(WireError::NotJson("extension")));
        let keyed = Value::Map(vec![(Value::from(1), Value::Nil)]);
        assert_eq!(
            encode(&keyed),
            Err(WireError::NotJson("non-string map key"))
        );
    }

    #[test]
    fn json_numbers_keep_their_kind_and_keys_their_order() {
        let value = decode(br#"{"z":1,"a":-2,"m":1.5}"#).expect("decodes");
        let expected = Value::Map(vec![
            (Value::from("z"), Value::from(1)),
            (Value::from("a"), Value::from(-2)),
            (Value::from("m"), Value::F64(1.5)),
        ]);
        assert_eq!(value, expected);
        assert_eq!(
            encode(&value).expect("encodes"),
            br#"{"z":1,"a":-2,"m":1.5}"#.to_vec()
        );
    }
}
