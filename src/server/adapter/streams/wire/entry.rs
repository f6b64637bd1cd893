//! A [`ClusterMessage`] as the fields of a Redis Stream entry, as the Node
//! adapter's `encode`/`decode` write and read them: `uid`, `nsp`, `type`
//! (decimal string), and `data` when there is some — `JSON.stringify` of it,
//! or, when it may and does hold binary, base64 of its MessagePack (told
//! apart on reading by a leading `{`).

use base64::Engine as _;

use super::{
    check_size, decode_msgpack, encode_msgpack, has_binary, ClusterMessage, MessageType,
    StreamsWireError,
};
use crate::server::adapter::redis::wire::{from_json, to_json};

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The entry's fields, in the order Node writes them.
pub fn encode(message: &ClusterMessage) -> Result<Vec<(&'static str, String)>, StreamsWireError> {
    let mut fields = vec![
        ("uid", message.uid.clone()),
        ("nsp", message.nsp.clone()),
        ("type", message.kind.number().to_string()),
    ];
    if let Some(data) = &message.data {
        let text = if message.kind.may_contain_binary() && has_binary(data) {
            BASE64.encode(encode_msgpack(data))
        } else {
            let json = to_json(data).map_err(|e| StreamsWireError::NotJson(e.to_string()))?;
            serde_json::to_string(&json).map_err(|e| StreamsWireError::NotJson(e.to_string()))?
        };
        fields.push(("data", text));
    }
    Ok(fields)
}

/// Reads an entry from its fields (any order; unknown fields ignored).
/// Fails on an entry over the size limit, without `uid`, `nsp` or a known
/// `type`, or whose `data` is neither JSON nor base64 MessagePack.
pub fn decode<'a>(
    fields: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<ClusterMessage, StreamsWireError> {
    let (mut uid, mut nsp, mut kind, mut data) = (None, None, None, None);
    let mut size = 0usize;
    for (name, value) in fields {
        size = size.saturating_add(name.len() + value.len());
        check_size(size)?;
        match name {
            "uid" => uid = Some(value),
            "nsp" => nsp = Some(value),
            "type" => kind = Some(value),
            "data" => data = Some(value),
            _ => {}
        }
    }
    let text = |v: Option<&[u8]>, name: &'static str| -> Result<String, StreamsWireError> {
        let v = v.ok_or(StreamsWireError::Missing(name))?;
        std::str::from_utf8(v)
            .map(str::to_owned)
            .map_err(|_| StreamsWireError::WrongType(name))
    };
    let uid = text(uid, "uid")?;
    let nsp = text(nsp, "nsp")?;
    let kind_text = text(kind, "type")?;
    let kind = kind_text
        .parse::<u64>()
        .ok()
        .and_then(MessageType::from_number)
        .ok_or(StreamsWireError::UnknownType(kind_text))?;
    let data = match data {
        None | Some(b"") => None,
        Some(bytes) if bytes.first() == Some(&b'{') => {
            let json: serde_json::Value = serde_json::from_slice(bytes)
                .map_err(|e| StreamsWireError::Data(format!("JSON: {e}")))?;
            Some(from_json(json))
        }
        Some(bytes) => {
            let raw = BASE64
                .decode(bytes)
                .map_err(|e| StreamsWireError::Data(format!("base64: {e}")))?;
            Some(decode_msgpack(&raw)?)
        }
    };
    Ok(ClusterMessage {
        uid,
        nsp,
        kind,
        data,
    })
}
