//! Arbitrary JSON values, as event arguments carry them.

use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{Number, Value};

/// Any JSON value nested at most `depth` levels (an array or object is one
/// level): every scalar kind, strings of any characters, keys that never
/// spell `_placeholder` (which would make an object an attachment's
/// placeholder).
pub fn value(depth: u32) -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("JSON has no NaN or infinity", |f| {
            Number::from_f64(f).map(Value::Number)
        }),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(depth, 48, 5, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(Value::Array),
            vec((key(), inner), 0..5).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
    .boxed()
}

/// An object key.
fn key() -> impl Strategy<Value = String> {
    ".{0,8}".prop_map(|k| if k == "_placeholder" { k + "_" } else { k })
}
