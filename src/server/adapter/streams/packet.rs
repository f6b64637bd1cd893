//! A broadcast's packet between edgeio's [`Packet`] (JSON data with
//! `{"_placeholder":true,"num":n}` for each binary attachment) and the
//! packet object Node's adapters send (socket.io-parser's, before encoding:
//! `{type: 2, data: [...]}` with each binary in place).

use bytes::Bytes;
use rmpv::Value;
use serde_json::Value as Json;

use super::wire::body::field;
use crate::protocol::{Packet, PacketKind};
use crate::server::adapter::redis::wire::{from_json, to_json};
use crate::server::error::AdapterError;
use crate::server::AckResponse;

/// socket.io-parser's `PacketType.EVENT` (binary or not: the parser's
/// object carries the type before encoding).
const EVENT: u64 = 2;

/// The packet object of event `packet`, its attachments in place.
pub(crate) fn to_wire(packet: &Packet) -> Value {
    let data = packet
        .data
        .clone()
        .map(|d| inline(from_json(d), &packet.attachments))
        .unwrap_or(Value::Nil);
    let mut pairs = vec![
        (Value::from("type"), Value::from(EVENT)),
        (Value::from("data"), data),
    ];
    if let Some(id) = packet.id {
        pairs.push((Value::from("id"), Value::from(id)));
    }
    Value::Map(pairs)
}

/// An acknowledgement as a `BROADCAST_ACK` carries it: its first argument
/// (nil when it has none), binary in place.
pub(crate) fn ack_to_wire(ack: &AckResponse) -> Value {
    ack.args
        .first()
        .map_or(Value::Nil, |arg| inline(from_json(arg.clone()), &ack.bins))
}

/// Replaces each placeholder in `value` by its attachment.
fn inline(value: Value, attachments: &[Bytes]) -> Value {
    match value {
        Value::Map(pairs) => {
            let is_placeholder = pairs
                .iter()
                .any(|(k, v)| k.as_str() == Some("_placeholder") && v.as_bool() == Some(true));
            let num = pairs
                .iter()
                .find(|(k, _)| k.as_str() == Some("num"))
                .and_then(|(_, v)| v.as_u64());
            match (is_placeholder, num) {
                (true, Some(n)) if (n as usize) < attachments.len() => {
                    Value::Binary(attachments[n as usize].to_vec())
                }
                _ => Value::Map(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (k, inline(v, attachments)))
                        .collect(),
                ),
            }
        }
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| inline(v, attachments)).collect())
        }
        other => other,
    }
}

/// Replaces each binary in `value` by a placeholder, collecting it.
pub(crate) fn extract(value: &Value, attachments: &mut Vec<Bytes>) -> Result<Json, AdapterError> {
    Ok(match value {
        Value::Binary(bytes) => {
            let num = attachments.len();
            attachments.push(Bytes::copy_from_slice(bytes));
            serde_json::json!({"_placeholder": true, "num": num})
        }
        Value::Array(items) => Json::Array(
            items
                .iter()
                .map(|v| extract(v, attachments))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(pairs) => {
            let mut map = serde_json::Map::with_capacity(pairs.len());
            for (k, v) in pairs {
                let key = k
                    .as_str()
                    .ok_or_else(|| AdapterError::Message("non-string map key".into()))?;
                map.insert(key.to_owned(), extract(v, attachments)?);
            }
            Json::Object(map)
        }
        other => to_json(other).map_err(|e| AdapterError::Message(e.to_string()))?,
    })
}

/// The event packet of namespace `ns` that `wire` describes. Refuses a
/// packet that is not an event whose data is `[name, ...args]`.
pub(crate) fn from_wire(ns: &str, wire: &Value) -> Result<Packet, AdapterError> {
    let refuse = |why: &str| AdapterError::Message(format!("broadcast packet: {why}"));
    match field(wire, "type").and_then(Value::as_u64) {
        Some(EVENT) | Some(5) => {}
        _ => return Err(refuse("not an event")),
    }
    let data = field(wire, "data").ok_or_else(|| refuse("no data"))?;
    let mut attachments = Vec::new();
    let json = extract(data, &mut attachments)?;
    let args = match json {
        Json::Array(mut items) if items.first().is_some_and(Json::is_string) => items.split_off(1),
        _ => return Err(refuse("data is not [name, ...args]")),
    };
    let name = data_name(data).ok_or_else(|| refuse("no event name"))?;
    let mut packet = Packet::event(ns, &name, args, attachments);
    packet.kind = PacketKind::Event;
    Ok(packet)
}

fn data_name(data: &Value) -> Option<String> {
    match data {
        Value::Array(items) => items.first()?.as_str().map(str::to_owned),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn binary_goes_in_place_and_comes_back_as_attachments() {
        let packet = Packet::event(
            "/",
            "file",
            vec![json!({"_placeholder": true, "num": 0}), json!({"n": 1})],
            vec![Bytes::from_static(b"\x01\xff")],
        );
        let wire = to_wire(&packet);
        let data = field(&wire, "data").expect("data");
        assert_eq!(
            data,
            &Value::Array(vec![
                Value::from("file"),
                Value::Binary(vec![1, 255]),
                Value::Map(vec![(Value::from("n"), Value::from(1))]),
            ])
        );
        let back = from_wire("/", &wire).expect("an event");
        assert_eq!(back, packet);
    }

    #[test]
    fn a_packet_that_is_not_an_event_is_refused() {
        let ack = Value::Map(vec![
            (Value::from("type"), Value::from(3)),
            (Value::from("data"), Value::Array(vec![])),
        ]);
        assert!(from_wire("/", &ack).is_err());
        let nameless = Value::Map(vec![
            (Value::from("type"), Value::from(2)),
            (Value::from("data"), Value::Array(vec![Value::from(1)])),
        ]);
        assert!(from_wire("/", &nameless).is_err());
    }
}
