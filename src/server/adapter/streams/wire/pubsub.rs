//! A [`ClusterMessage`] over Redis pub/sub, as the Node adapter sends the
//! ephemeral messages and every answer: a MessagePack map `{type, data,
//! uid, nsp}` (in that order: socket.io-adapter sets `uid` and `nsp` last),
//! on the namespace's public channel `PREFIX#NSP#` or on a node's private
//! channel `PREFIX#NSP#UID#`.

use rmpv::Value;

use super::body::field;
use super::StreamsWireError;
use super::{check_size, decode_msgpack, encode_msgpack, ClusterMessage, MessageType};

/// The namespace's public channel, every node of it subscribes to.
pub fn public_channel(prefix: &str, nsp: &str) -> String {
    format!("{prefix}#{nsp}#")
}

/// Node `uid`'s private channel in the namespace, for answers to it.
pub fn private_channel(prefix: &str, nsp: &str, uid: &str) -> String {
    format!("{prefix}#{nsp}#{uid}#")
}

/// The message's MessagePack bytes.
pub fn encode(message: &ClusterMessage) -> Vec<u8> {
    let mut pairs = vec![(Value::from("type"), Value::from(message.kind.number()))];
    if let Some(data) = &message.data {
        pairs.push((Value::from("data"), data.clone()));
    }
    pairs.push((Value::from("uid"), Value::from(message.uid.as_str())));
    pairs.push((Value::from("nsp"), Value::from(message.nsp.as_str())));
    encode_msgpack(&Value::Map(pairs))
}

/// Reads a message; fails on one over the size limit, not a map, without
/// `uid`, `nsp` or a known `type`.
pub fn decode(bytes: &[u8]) -> Result<ClusterMessage, StreamsWireError> {
    check_size(bytes.len())?;
    let value = decode_msgpack(bytes)?;
    if !matches!(value, Value::Map(_)) {
        return Err(StreamsWireError::WrongType("message"));
    }
    let string = |name: &'static str| -> Result<String, StreamsWireError> {
        field(&value, name)
            .ok_or(StreamsWireError::Missing(name))?
            .as_str()
            .map(str::to_owned)
            .ok_or(StreamsWireError::WrongType(name))
    };
    let uid = string("uid")?;
    let nsp = string("nsp")?;
    let number = field(&value, "type")
        .ok_or(StreamsWireError::Missing("type"))?
        .as_u64()
        .ok_or(StreamsWireError::WrongType("type"))?;
    let kind = MessageType::from_number(number)
        .ok_or_else(|| StreamsWireError::UnknownType(number.to_string()))?;
    Ok(ClusterMessage {
        uid,
        nsp,
        kind,
        data: field(&value, "data").cloned(),
    })
}
