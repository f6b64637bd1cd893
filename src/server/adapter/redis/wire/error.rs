//! Why a message from (or for) Redis could not be decoded or encoded.

/// A message that does not follow the redis-adapter wire format. Decoding a
/// peer's message fails with this; the caller drops that message and goes on.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum WireError {
    /// The bytes are not MessagePack (or carry bytes after the value).
    #[error("invalid MessagePack: {0}")]
    MsgPack(String),
    /// The bytes start with `{` but are not JSON.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// A required field is absent.
    #[error("missing field `{0}`")]
    Missing(&'static str),
    /// A field is present with the wrong type.
    #[error("field `{0}` has the wrong type")]
    WrongType(&'static str),
    /// The `type` of a request or response is not one the adapter knows.
    #[error("unknown request type {0}")]
    UnknownType(u64),
    /// A value that JSON cannot carry (a MessagePack extension, a map with
    /// non-string keys) in a message that travels as JSON.
    #[error("value cannot travel as JSON: {0}")]
    NotJson(&'static str),
}
