//! Why a stream entry or pub/sub message could not be decoded or encoded.

/// A message that does not follow the redis-streams-adapter wire format.
/// Decoding a peer's message fails with this; the adapter logs it, drops
/// that message and goes on.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum StreamsWireError {
    /// The entry or message is larger than the adapter accepts.
    #[error("message of {size} bytes exceeds the limit of {limit}")]
    TooLarge {
        /// Its size in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A required field is absent.
    #[error("missing field `{0}`")]
    Missing(&'static str),
    /// A field is present with the wrong type or form.
    #[error("field `{0}` has the wrong type")]
    WrongType(&'static str),
    /// The `type` is not one of socket.io-adapter's `MessageType`s.
    #[error("unknown message type {0}")]
    UnknownType(String),
    /// `data` is neither JSON nor base64 MessagePack, or the MessagePack
    /// of a pub/sub message is invalid.
    #[error("invalid data: {0}")]
    Data(String),
    /// A value JSON cannot carry in a message that travels as JSON.
    #[error("value cannot travel as JSON: {0}")]
    NotJson(String),
}
