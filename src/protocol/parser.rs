//! Decoding Socket.IO v5 packets, pure (no I/O): the text part with its
//! limits (length, nesting depth, attachments) and the payload rules of the
//! reference parser. The attachments are counted here and collected by the
//! server as they arrive.

use serde_json::Value;

use super::error::ProtocolError;
use super::packet::{ns_name, Packet, PacketKind, RESERVED_EVENTS};

/// Limits on what a decoded packet may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Binary attachments per packet.
    pub max_attachments: usize,
    /// Bytes of binary attachments per packet, all of them together (the
    /// server collects them as they arrive, and closes a client going over).
    pub max_attachment_bytes: usize,
    /// Nesting depth of the JSON data.
    pub max_depth: usize,
    /// Length of the text packet, in bytes.
    pub max_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_attachments: 10,
            max_attachment_bytes: 1_000_000,
            max_depth: 32,
            max_len: 1_000_000,
        }
    }
}

/// A decoded text packet and the number of binary attachments that must
/// follow it before it is complete.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The packet, without its attachments yet.
    pub packet: Packet,
    /// Attachments announced.
    pub attachments: usize,
}

/// Decodes the text part of a packet.
pub fn decode(text: &str, limits: &Limits) -> Result<Decoded, ProtocolError> {
    if text.len() > limits.max_len {
        return Err(ProtocolError::TooLarge(limits.max_len));
    }
    let bytes = text.as_bytes();
    let first = *bytes.first().ok_or(ProtocolError::Empty)?;
    let (kind, binary) = match first {
        b'0' => (PacketKind::Connect, false),
        b'1' => (PacketKind::Disconnect, false),
        b'2' => (PacketKind::Event, false),
        b'3' => (PacketKind::Ack, false),
        b'4' => (PacketKind::ConnectError, false),
        b'5' => (PacketKind::Event, true),
        b'6' => (PacketKind::Ack, true),
        other => return Err(ProtocolError::UnknownType(other)),
    };
    let mut rest = &text[1..];

    let mut attachments = 0;
    if binary {
        let dash = rest.find('-').ok_or(ProtocolError::BadAttachmentCount)?;
        let count = &rest[..dash];
        if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ProtocolError::BadAttachmentCount);
        }
        // Too many digits to parse is too many attachments too.
        attachments = count.parse::<usize>().unwrap_or(usize::MAX);
        if attachments > limits.max_attachments {
            return Err(ProtocolError::TooManyAttachments(limits.max_attachments));
        }
        if attachments == 0 {
            // A binary packet announces at least one attachment.
            return Err(ProtocolError::BadAttachmentCount);
        }
        rest = &rest[dash + 1..];
    }

    let mut ns = "/";
    if rest.starts_with('/') {
        match rest.find(',') {
            Some(comma) => {
                ns = &rest[..comma];
                rest = &rest[comma + 1..];
            }
            None => {
                ns = rest;
                rest = "";
            }
        }
    }

    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let id = if digits > 0 {
        let id = rest[..digits]
            .parse::<u64>()
            .map_err(|_| ProtocolError::BadAckId)?;
        rest = &rest[digits..];
        Some(id)
    } else {
        None
    };

    let data = if rest.is_empty() {
        None
    } else {
        check_depth(rest, limits.max_depth)?;
        Some(super::json::parse(rest)?)
    };

    if !payload_fits(kind, data.as_ref()) || (id.is_none() && kind == PacketKind::Ack) {
        return Err(ProtocolError::BadPayload);
    }
    // In a plain packet, a placeholder-shaped object is ordinary data (as
    // the reference parser has it); in a binary one it must point at an
    // announced attachment.
    if let (Some(d), true) = (&data, binary) {
        check_placeholders(d, attachments)?;
    }
    Ok(Decoded {
        packet: Packet {
            kind,
            ns: ns_name(ns),
            id,
            data,
            attachments: Vec::with_capacity(attachments),
        },
        attachments,
    })
}

/// The payload rules of the reference parser, which checks a payload only
/// when there is one.
fn payload_fits(kind: PacketKind, data: Option<&Value>) -> bool {
    match (kind, data) {
        (PacketKind::Event | PacketKind::Ack | PacketKind::ConnectError, None) => true,
        (PacketKind::Connect, None | Some(Value::Object(_))) => true,
        (PacketKind::Disconnect, None) => true,
        (PacketKind::ConnectError, Some(Value::Object(_) | Value::String(_))) => true,
        (PacketKind::Event, Some(Value::Array(a))) => match a.first() {
            Some(Value::String(name)) => !RESERVED_EVENTS.contains(&name.as_str()),
            Some(Value::Number(_)) => true,
            _ => false,
        },
        (PacketKind::Ack, Some(Value::Array(_))) => true,
        _ => false,
    }
}

/// Refuses JSON nested deeper than `max` before parsing it (so the parser's
/// own recursion is never the limit). Brackets inside strings do not count.
fn check_depth(json: &str, max: usize) -> Result<(), ProtocolError> {
    let bytes = json.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // Jump through the string: most of a payload's bytes are in
                // strings, and memchr skips them many at a time.
                i += 1;
                loop {
                    match memchr::memchr2(b'"', b'\\', &bytes[i.min(bytes.len())..]) {
                        Some(at) if bytes[i + at] == b'\\' => i += at + 2,
                        Some(at) => {
                            i += at;
                            break;
                        }
                        None => return Ok(()),
                    }
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Err(ProtocolError::TooDeep(max));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Every placeholder must point at an announced attachment.
fn check_placeholders(value: &Value, attachments: usize) -> Result<(), ProtocolError> {
    match value {
        Value::Object(map) if map.get("_placeholder") == Some(&Value::Bool(true)) => {
            match map.get("num").and_then(Value::as_u64) {
                Some(n) if (n as usize) < attachments => Ok(()),
                _ => Err(ProtocolError::BadPlaceholder),
            }
        }
        Value::Object(map) => map
            .values()
            .try_for_each(|v| check_placeholders(v, attachments)),
        Value::Array(items) => items
            .iter()
            .try_for_each(|v| check_placeholders(v, attachments)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dec(s: &str) -> Result<Decoded, ProtocolError> {
        decode(s, &Limits::default())
    }

    #[test]
    fn decodes_the_packet_shapes() {
        let d = dec("0").expect("connect");
        assert_eq!(d.packet.kind, PacketKind::Connect);
        assert_eq!(d.packet.ns, "/");
        let d = dec("0/admin,{\"token\":\"123\"}").expect("connect with auth");
        assert_eq!(d.packet.ns, "/admin");
        assert_eq!(d.packet.data, Some(json!({"token": "123"})));
        let d = dec("0/random").expect("namespace without a comma");
        assert_eq!(d.packet.ns, "/random");
        let d = dec("2/chat,12[\"message\",1,\"2\"]").expect("event with ack");
        assert_eq!(d.packet.id, Some(12));
        assert_eq!(d.packet.event_name(), Some("message"));
        let d = dec("3456[1]").expect("ack");
        assert_eq!((d.packet.kind, d.packet.id), (PacketKind::Ack, Some(456)));
        let d =
            dec("52-[\"m\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]")
                .expect("binary event");
        assert_eq!(d.attachments, 2);
        assert_eq!(d.packet.kind, PacketKind::Event);
    }

    #[test]
    fn refuses_what_the_reference_parser_refuses() {
        assert_eq!(dec(""), Err(ProtocolError::Empty));
        assert_eq!(dec("9"), Err(ProtocolError::UnknownType(b'9')));
        assert_eq!(dec("2{}"), Err(ProtocolError::BadPayload));
        assert_eq!(dec("2abc[\"m\"]"), Err(ProtocolError::BadJson));
        assert_eq!(dec("2[\"connect\"]"), Err(ProtocolError::BadPayload));
        assert_eq!(dec("2[]"), Err(ProtocolError::BadPayload));
        assert_eq!(dec("3[1]"), Err(ProtocolError::BadPayload));
        assert_eq!(dec("1{}"), Err(ProtocolError::BadPayload));
        assert_eq!(dec("5x-[\"m\"]"), Err(ProtocolError::BadAttachmentCount));
        assert_eq!(
            dec("511-[\"m\"]"),
            Err(ProtocolError::TooManyAttachments(10))
        );
        assert_eq!(
            dec("51-[\"m\",{\"_placeholder\":true,\"num\":1}]"),
            Err(ProtocolError::BadPlaceholder)
        );
        let deep = format!("2[\"m\",{}{}]", "[".repeat(40), "]".repeat(40));
        assert_eq!(dec(&deep), Err(ProtocolError::TooDeep(32)));
        let in_string = format!("2[\"m\",\"{}\"]", "[".repeat(40));
        assert!(
            dec(&in_string).is_ok(),
            "brackets in strings are not nesting"
        );
        let escaped_quote = format!(r#"2["m","a\"{}"]"#, "[".repeat(40));
        assert!(
            dec(&escaped_quote).is_ok(),
            "an escaped quote does not end the string"
        );
        let after_string = format!(r#"2["m","x",{}{}]"#, "[".repeat(40), "]".repeat(40));
        assert_eq!(dec(&after_string), Err(ProtocolError::TooDeep(32)));
    }

    #[test]
    fn a_lone_surrogate_is_read_as_javascript_reads_it() {
        let d = dec(r#"2["echo","\ud83d"]"#).expect("accepted, as JSON.parse accepts it");
        assert_eq!(d.packet.data, Some(json!(["echo", "\u{fffd}"])));
        let d = dec(r#"2["echo","\\ud83d"]"#).expect("an escaped backslash");
        assert_eq!(d.packet.data, Some(json!(["echo", "\\ud83d"])));
        assert_eq!(dec(r#"2["echo",\ud83d]"#), Err(ProtocolError::BadJson));
    }
}
