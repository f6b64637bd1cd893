//! Between the adapter's wire values and the server's: a [`WirePacket`]
//! (binary as MessagePack bin inside `data`) and a [`Packet`] (binary as
//! placeholders plus attachments), [`WireOpts`] and [`BroadcastOptions`], and
//! acknowledgement arguments.

use bytes::Bytes;
use serde_json::{Map, Number, Value as Json};

use super::wire::{BroadcastFlags, SocketFilter, Value, WireError, WireOpts, WirePacket};
use crate::protocol::{placeholder, Packet, PacketKind};
use crate::server::adapter::BroadcastOptions;
use crate::server::event::AckResponse;

/// Socket.IO's packet type numbers (the adapter carries the non-binary ones).
const CONNECT: u64 = 0;
const DISCONNECT: u64 = 1;
const EVENT: u64 = 2;
const ACK: u64 = 3;
const CONNECT_ERROR: u64 = 4;
/// The binary variants, which socket.io-parser only writes when encoding.
const BINARY_EVENT: u64 = 5;
const BINARY_ACK: u64 = 6;

/// The packet as the adapter publishes it: attachments put back in place of
/// their placeholders as MessagePack bin.
pub fn packet_to_wire(packet: &Packet) -> WirePacket {
    let packet_type = match packet.kind {
        PacketKind::Connect => CONNECT,
        PacketKind::Disconnect => DISCONNECT,
        PacketKind::Event => EVENT,
        PacketKind::Ack => ACK,
        PacketKind::ConnectError => CONNECT_ERROR,
    };
    WirePacket {
        packet_type,
        data: packet
            .data
            .as_ref()
            .map(|d| json_to_wire(d, &packet.attachments)),
        nsp: packet.ns.to_string(),
        id: packet.id,
    }
}

/// The packet a peer published, for namespace `ns`: its bin values become
/// attachments behind placeholders.
pub fn packet_from_wire(wire: &WirePacket, ns: &str) -> Result<Packet, WireError> {
    let kind = match wire.packet_type {
        CONNECT => PacketKind::Connect,
        DISCONNECT => PacketKind::Disconnect,
        EVENT | BINARY_EVENT => PacketKind::Event,
        ACK | BINARY_ACK => PacketKind::Ack,
        CONNECT_ERROR => PacketKind::ConnectError,
        _ => return Err(WireError::WrongType("packet type")),
    };
    let mut attachments = Vec::new();
    let data = match &wire.data {
        Some(d) => Some(wire_to_json(d, &mut attachments)?),
        None => None,
    };
    let mut packet = Packet::new(kind, ns, data);
    packet.id = wire.id;
    packet.attachments = attachments;
    Ok(packet)
}

/// A client's acknowledgement from a `BROADCAST_ACK`'s `packet`: Node
/// hands on the first argument only (socket.io calls the ack callback with
/// the client's arguments, the adapter's callback takes one).
pub fn ack_from_wire(arg: &Value) -> Result<AckResponse, WireError> {
    let mut bins = Vec::new();
    let arg = wire_to_json(arg, &mut bins)?;
    Ok(AckResponse {
        args: vec![arg],
        bins,
    })
}

/// An acknowledgement as a `BROADCAST_ACK` carries it: its first argument
/// (nil when it has none), binary in place.
pub fn ack_to_wire(ack: &AckResponse) -> Value {
    ack.args
        .first()
        .map_or(Value::Nil, |arg| json_to_wire(arg, &ack.bins))
}

/// The server's broadcast options as the wire's.
pub fn opts_to_wire(opts: &BroadcastOptions) -> WireOpts {
    let flags = BroadcastFlags {
        volatile: opts.volatile.then_some(true),
        local: opts.local.then_some(true),
        ..BroadcastFlags::default()
    };
    WireOpts {
        filter: filter_to_wire(opts),
        flags,
    }
}

/// The wire's broadcast options as the server's.
pub fn opts_from_wire(opts: &WireOpts) -> BroadcastOptions {
    BroadcastOptions {
        local: opts.flags.local.unwrap_or(false),
        volatile: opts.flags.volatile.unwrap_or(false),
        ..filter_from_wire(&opts.filter)
    }
}

/// The rooms and exceptions of `opts` (sorted, so that a message is the
/// same whatever the set's order).
pub fn filter_to_wire(opts: &BroadcastOptions) -> SocketFilter {
    let sorted = |set: &std::collections::HashSet<String>| {
        let mut v: Vec<String> = set.iter().cloned().collect();
        v.sort();
        v
    };
    SocketFilter {
        rooms: sorted(&opts.rooms),
        except: sorted(&opts.except),
    }
}

/// A filter as broadcast options (not local, not volatile).
pub fn filter_from_wire(filter: &SocketFilter) -> BroadcastOptions {
    BroadcastOptions {
        rooms: filter.rooms.iter().cloned().collect(),
        except: filter.except.iter().cloned().collect(),
        ..BroadcastOptions::default()
    }
}

/// A JSON value with placeholders as a wire value with bin in their place.
pub fn json_to_wire(json: &Json, attachments: &[Bytes]) -> Value {
    match json {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::Boolean(*b),
        Json::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => Value::from(u),
            (_, Some(i), _) => Value::from(i),
            (_, _, f) => Value::F64(f.unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::from(s.as_str()),
        Json::Array(items) => {
            Value::Array(items.iter().map(|v| json_to_wire(v, attachments)).collect())
        }
        Json::Object(map) => {
            if let Some(bytes) = placeholder_bytes(map, attachments) {
                return Value::Binary(bytes.to_vec());
            }
            Value::Map(
                map.iter()
                    .map(|(k, v)| (Value::from(k.as_str()), json_to_wire(v, attachments)))
                    .collect(),
            )
        }
    }
}

/// The attachment a placeholder object stands for.
fn placeholder_bytes<'a>(map: &Map<String, Json>, attachments: &'a [Bytes]) -> Option<&'a Bytes> {
    if map.len() != 2 || map.get("_placeholder") != Some(&Json::Bool(true)) {
        return None;
    }
    let num = usize::try_from(map.get("num")?.as_u64()?).ok()?;
    attachments.get(num)
}

/// A wire value as JSON, its bin values moved to `attachments` behind
/// placeholders. Extensions and non-string keys are refused.
pub fn wire_to_json(value: &Value, attachments: &mut Vec<Bytes>) -> Result<Json, WireError> {
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
            attachments.push(Bytes::copy_from_slice(bytes));
            placeholder(attachments.len() - 1)
        }
        Value::Array(items) => Json::Array(
            items
                .iter()
                .map(|v| wire_to_json(v, attachments))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(pairs) => {
            let mut map = Map::new();
            for (k, v) in pairs {
                let key = k.as_str().ok_or(WireError::NotJson("non-string map key"))?;
                map.insert(key.to_owned(), wire_to_json(v, attachments)?);
            }
            Json::Object(map)
        }
        Value::Ext(..) => return Err(WireError::NotJson("extension")),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use serde_json::json;

    use super::*;

    #[test]
    fn binary_attachments_travel_as_bin_in_place_and_come_back() {
        let packet = Packet::event(
            "/chat",
            "file",
            vec![json!({"name": "a", "body": placeholder(0)}), placeholder(1)],
            vec![Bytes::from_static(&[1, 2]), Bytes::from_static(&[3])],
        );
        let wire = packet_to_wire(&packet);
        assert_eq!(wire.packet_type, EVENT);
        assert_eq!(wire.nsp, "/chat");
        let Some(Value::Array(items)) = &wire.data else {
            panic!("data is an array: {:?}", wire.data)
        };
        assert_eq!(items[2], Value::Binary(vec![3]));
        let back = packet_from_wire(&wire, "/chat").expect("decodes");
        assert_eq!(back, packet);
    }

    #[test]
    fn binary_packet_types_read_as_their_plain_kind() {
        let wire = WirePacket {
            packet_type: BINARY_EVENT,
            data: Some(Value::Array(vec![Value::from("e"), Value::Binary(vec![9])])),
            nsp: "/".into(),
            id: None,
        };
        let packet = packet_from_wire(&wire, "/").expect("decodes");
        assert_eq!(packet.kind, PacketKind::Event);
        assert_eq!(packet.data, Some(json!(["e", placeholder(0)])));
        assert_eq!(packet.attachments, vec![Bytes::from_static(&[9])]);
        let bad = WirePacket {
            packet_type: 42,
            ..wire
        };
        assert!(packet_from_wire(&bad, "/").is_err());
    }

    #[test]
    fn options_keep_rooms_except_local_and_volatile() {
        let opts = BroadcastOptions {
            rooms: HashSet::from(["b".to_owned(), "a".to_owned()]),
            except: HashSet::from(["x".to_owned()]),
            local: false,
            volatile: true,
        };
        let wire = opts_to_wire(&opts);
        assert_eq!(wire.filter.rooms, vec!["a", "b"]);
        assert_eq!(wire.filter.except, vec!["x"]);
        assert_eq!(wire.flags.volatile, Some(true));
        assert_eq!(wire.flags.local, None);
        assert_eq!(opts_from_wire(&wire), opts);
        let local = BroadcastOptions {
            local: true,
            ..BroadcastOptions::default()
        };
        assert_eq!(opts_from_wire(&opts_to_wire(&local)), local);
    }

    #[test]
    fn an_ack_travels_as_its_first_argument_with_its_binary() {
        let ack = AckResponse {
            args: vec![
                json!({"ok": true, "file": placeholder(0)}),
                json!("dropped"),
            ],
            bins: vec![Bytes::from_static(&[7, 7])],
        };
        let wire = ack_to_wire(&ack);
        assert_eq!(
            wire,
            Value::Map(vec![
                (Value::from("ok"), Value::from(true)),
                (Value::from("file"), Value::Binary(vec![7, 7])),
            ])
        );
        let back = ack_from_wire(&wire).expect("decodes");
        assert_eq!(back.args, vec![json!({"ok": true, "file": placeholder(0)})]);
        assert_eq!(back.bins, ack.bins);
        let none = AckResponse {
            args: Vec::new(),
            bins: Vec::new(),
        };
        assert_eq!(ack_to_wire(&none), Value::Nil);
        assert!(ack_from_wire(&Value::Ext(1, vec![])).is_err());
    }
}
