//! Socket.IO v5 packets and their encoding, pure (no I/O); [`super::parser`] decodes.
//!
//! `<type>[<attachments>-][<namespace>,][<ack id>][<JSON data>]`, for instance
//! `2/chat,12["message","hi"]`. Binary data travels as attachments: the JSON
//! holds `{"_placeholder":true,"num":N}` where attachment N goes, and the N
//! attachments follow the text packet as binary Engine.IO messages. The codec
//! keeps the placeholders in the JSON and the attachments beside it, in order,
//! so that a packet received can be sent on unchanged.

use std::borrow::Cow;

use bytes::Bytes;
use serde_json::Value;

/// The packet types of Socket.IO v5. The binary variants are not separate:
/// a packet with attachments is sent as BINARY_EVENT / BINARY_ACK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketKind {
    /// `0`: connect to a namespace (client), or its acceptance (server).
    Connect,
    /// `1`: leave a namespace.
    Disconnect,
    /// `2` (`5` with attachments): an event.
    Event,
    /// `3` (`6` with attachments): an acknowledgement.
    Ack,
    /// `4`: a refused namespace connection.
    ConnectError,
}

/// One Socket.IO packet.
#[derive(Debug, Clone, PartialEq)]
pub struct Packet {
    /// What the packet is.
    pub kind: PacketKind,
    /// The namespace, `/` by default (borrowed then: most packets travel on
    /// the main namespace, and need no allocation for its name).
    pub ns: Cow<'static, str>,
    /// The acknowledgement id, for events that want an answer and for acks.
    pub id: Option<u64>,
    /// The JSON data: the event name and arguments as an array for events,
    /// the arguments for acks, the auth payload for connects.
    pub data: Option<Value>,
    /// Binary attachments, in placeholder order.
    pub attachments: Vec<Bytes>,
}

/// Events a client may not emit: they name the server's own happenings.
pub const RESERVED_EVENTS: &[&str] = &[
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

impl Packet {
    /// An event packet: `[name, ...args]`.
    pub fn event(ns: &str, name: &str, args: Vec<Value>, attachments: Vec<Bytes>) -> Packet {
        let mut data = Vec::with_capacity(1 + args.len());
        data.push(Value::String(name.to_owned()));
        data.extend(args);
        Packet {
            kind: PacketKind::Event,
            ns: ns_name(ns),
            id: None,
            data: Some(Value::Array(data)),
            attachments,
        }
    }

    /// An ack packet answering `id` with `args`.
    pub fn ack(ns: &str, id: u64, args: Vec<Value>, attachments: Vec<Bytes>) -> Packet {
        Packet {
            kind: PacketKind::Ack,
            ns: ns_name(ns),
            id: Some(id),
            data: Some(Value::Array(args)),
            attachments,
        }
    }

    /// A packet of `kind` for `ns` carrying `data`.
    pub fn new(kind: PacketKind, ns: &str, data: Option<Value>) -> Packet {
        Packet {
            kind,
            ns: ns_name(ns),
            id: None,
            data,
            attachments: Vec::new(),
        }
    }

    /// Encodes the text part; the attachments are sent after it, as binary
    /// messages.
    pub fn encode(&self) -> String {
        let mut out = Vec::with_capacity(16);
        self.encode_into(&mut out);
        // The encoding is JSON and ASCII around it: always UTF-8.
        String::from_utf8(out).unwrap_or_default()
    }

    /// Appends the text part to `out` (so that the Engine.IO frame around it
    /// is built in the same buffer, without a copy). Bytes, not a String, so
    /// that serde_json writes straight into it: its `Display` goes through
    /// `fmt` and costs several times more.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        use std::io::Write as _;
        let binary = !self.attachments.is_empty();
        let digit = match (self.kind, binary) {
            (PacketKind::Connect, _) => '0',
            (PacketKind::Disconnect, _) => '1',
            (PacketKind::Event, false) => '2',
            (PacketKind::Ack, false) => '3',
            (PacketKind::ConnectError, _) => '4',
            (PacketKind::Event, true) => '5',
            (PacketKind::Ack, true) => '6',
        };
        out.push(digit as u8);
        // Writing into a Vec cannot fail.
        if binary && matches!(self.kind, PacketKind::Event | PacketKind::Ack) {
            let _ = write!(out, "{}-", self.attachments.len());
        }
        if self.ns != "/" {
            out.extend_from_slice(self.ns.as_bytes());
            out.push(b',');
        }
        if let Some(id) = self.id {
            let _ = write!(out, "{id}");
        }
        if let Some(data) = &self.data {
            let _ = serde_json::to_writer(&mut *out, data);
        }
    }

    /// The event name, for an event packet.
    pub fn event_name(&self) -> Option<&str> {
        match (&self.kind, &self.data) {
            (PacketKind::Event, Some(Value::Array(a))) => a.first()?.as_str(),
            _ => None,
        }
    }
}

/// A namespace name for a packet, borrowed for the main namespace.
pub(crate) fn ns_name(ns: &str) -> Cow<'static, str> {
    if ns == "/" {
        Cow::Borrowed("/")
    } else {
        Cow::Owned(ns.to_owned())
    }
}

/// A placeholder for attachment `num`, to build binary payloads.
pub fn placeholder(num: usize) -> Value {
    serde_json::json!({"_placeholder": true, "num": num})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::parser::{decode, Decoded, Limits};
    use crate::protocol::ProtocolError;

    fn dec(s: &str) -> Result<Decoded, ProtocolError> {
        decode(s, &Limits::default())
    }

    #[test]
    fn encodes_canonically() {
        for text in [
            "0",
            "0/admin,{\"token\":\"123\"}",
            "1/admin,",
            "2[\"message\",1,\"2\",{\"3\":[true]}]",
            "2/chat,12[\"message\"]",
            "3456[1,\"2\",{\"3\":[false]}]",
            "4{\"message\":\"Invalid namespace\"}",
        ] {
            let d = dec(text).expect(text);
            assert_eq!(d.packet.encode(), text);
        }
        let mut d = dec(
            "52-789[\"m\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]",
        )
        .expect("binary");
        d.packet.attachments = vec![Bytes::from_static(&[1]), Bytes::from_static(&[2])];
        assert_eq!(
            d.packet.encode(),
            "52-789[\"m\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]"
        );
    }

    /// Found by the property tests: serde_json's default float parsing may
    /// be one unit in the last place off, so a relayed number changed on
    /// every hop (`...138e-128` became `...137e-128`, then `...136e-128`).
    #[test]
    fn relays_floats_exactly() {
        let text = "2[\"m\",1.8456678115406248e-112,-9.130377541998138e-128]";
        let d = dec(text).expect("event");
        let args = d
            .packet
            .data
            .as_ref()
            .and_then(Value::as_array)
            .expect("args");
        let exact = |s: &str| s.parse::<f64>().ok();
        assert_eq!(args[1].as_f64(), exact("1.8456678115406248e-112"));
        assert_eq!(args[2].as_f64(), exact("-9.130377541998138e-128"));
        assert_eq!(d.packet.encode(), text);
    }
}
