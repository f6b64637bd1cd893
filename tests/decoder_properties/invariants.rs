//! What every decoder must make of any input: the checks shared by the
//! property tests (`tests/decoder_properties.rs`) and the fuzz targets
//! (`fuzz/`, which include this file), so both hold the decoders to the same
//! rules. Each check returns `Err` with what went wrong.

use bytes::Bytes;
use edgeio::engine::packet::Packet as EnginePacket;
use edgeio::engine::query::{param, EngineQuery};
use edgeio::engine::{ErrorCode, Handshake, PacketError, Text, TransportKind};
use edgeio::protocol::{decode, Decoded, Limits, Packet, ProtocolError};
use serde_json::Value;

/// The packet as a polling payload carries it (binary as `b` + base64),
/// checked against the length the encoder announces for it.
pub fn polled(p: &EnginePacket) -> Result<String, String> {
    let frame = p.encode();
    let mut out = String::new();
    frame.write_polling(&mut out);
    if out.len() != frame.polling_len() {
        return Err(format!("polling_len {} for {out:?}", frame.polling_len()));
    }
    Ok(out)
}

/// One Engine.IO text packet (a WebSocket text frame or a polling packet):
/// it decodes to a packet whose encoding is exactly `text` (the decoder
/// accepts only the canonical form), or fails with the error that explains
/// it.
pub fn check_engine_text(text: &str) -> Result<(), String> {
    let first = text.as_bytes().first().copied();
    match EnginePacket::decode_text(Text::from(text)) {
        Ok(p) if polled(&p)? == text => Ok(()),
        Ok(p) => Err(format!(
            "{text:?} decodes to {p:?}, which encodes otherwise"
        )),
        Err(e) => {
            let explained = match e {
                PacketError::Empty => text.is_empty(),
                PacketError::UnknownType(b) => first == Some(b) && !b"0123456b".contains(&b),
                PacketError::UnexpectedData(c) => {
                    "156".contains(c) && first == Some(c as u8) && text.len() > 1
                }
                PacketError::BadBase64 => first == Some(b'b'),
                PacketError::NotUtf8 => false,
            };
            explained
                .then_some(())
                .ok_or_else(|| format!("{e:?} for {text:?}"))
        }
    }
}

/// One WebSocket binary frame: a binary message of exactly those bytes,
/// which also survives the polling framing (`b` + base64).
pub fn check_engine_binary(bytes: &[u8]) -> Result<(), String> {
    let p = EnginePacket::Binary(Bytes::copy_from_slice(bytes));
    match EnginePacket::decode_text(Text::from(polled(&p)?)) {
        Ok(q) if q == p => Ok(()),
        other => Err(format!("{p:?} came back through polling as {other:?}")),
    }
}

/// What a polling payload must decode to: each `\x1e`-separated segment as
/// one packet would, in order, up to and including the first error.
pub fn payload_model(body: &str) -> Vec<Result<EnginePacket, PacketError>> {
    let mut out = Vec::new();
    for segment in body.split('\x1e') {
        let item = EnginePacket::decode_text(Text::from(segment));
        let failed = item.is_err();
        out.push(item);
        if failed {
            break;
        }
    }
    out
}

/// How deeply `v` nests: 0 for a scalar, 1 for `[]` or `{}`.
pub fn depth(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        Value::Object(o) => 1 + o.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Every placeholder in `v`, as its `num` (`None` for a malformed one).
pub fn placeholders(v: &Value, out: &mut Vec<Option<u64>>) {
    match v {
        Value::Object(m) if m.get("_placeholder") == Some(&Value::Bool(true)) => {
            out.push(m.get("num").and_then(Value::as_u64));
        }
        Value::Object(m) => m.values().for_each(|v| placeholders(v, out)),
        Value::Array(a) => a.iter().for_each(|v| placeholders(v, out)),
        _ => {}
    }
}

/// Completes a decoded packet with its announced attachments, as the server
/// does when they arrive.
pub fn complete(mut d: Decoded, attachments: impl IntoIterator<Item = Bytes>) -> Packet {
    d.packet.attachments.extend(attachments);
    d.packet
}

/// A Socket.IO text packet under `limits`: it decodes within the limits
/// (length, depth, attachments; a count only on the binary types, every
/// placeholder pointing at one), and the completed packet's encoding
/// decodes to the same packet; or it fails with the error that explains it.
pub fn check_sio_text(text: &str, limits: &Limits) -> Result<Option<Decoded>, String> {
    let first = text.as_bytes().first().copied();
    let binary = matches!(first, Some(b'5' | b'6'));
    let d = match decode(text, limits) {
        Ok(d) => d,
        Err(e) => {
            let explained = match e {
                ProtocolError::Empty => text.is_empty(),
                ProtocolError::TooLarge(n) => n == limits.max_len && text.len() > n,
                ProtocolError::UnknownType(b) => first == Some(b) && !(b'0'..=b'6').contains(&b),
                ProtocolError::BadAttachmentCount | ProtocolError::BadPlaceholder => binary,
                ProtocolError::TooManyAttachments(n) => binary && n == limits.max_attachments,
                ProtocolError::TooDeep(n) => n == limits.max_depth,
                ProtocolError::BadAckId | ProtocolError::BadJson | ProtocolError::BadPayload => {
                    first.is_some()
                }
                // The server's reassembly reports these, never the decoder.
                ProtocolError::UnexpectedAttachment
                | ProtocolError::MissingAttachments
                | ProtocolError::AttachmentsTooLarge(_)
                | ProtocolError::AttachmentsTimedOut => false,
            };
            return explained
                .then_some(None)
                .ok_or_else(|| format!("{e:?} for {text:?} under {limits:?}"));
        }
    };
    let data_depth = d.packet.data.as_ref().map_or(0, depth);
    let mut nums = Vec::new();
    if let Some(data) = d.packet.data.as_ref().filter(|_| binary) {
        placeholders(data, &mut nums);
    }
    if text.len() > limits.max_len
        || d.attachments > limits.max_attachments
        || (d.attachments > 0) != binary
        || data_depth > limits.max_depth
        || nums
            .iter()
            .any(|n| n.is_none_or(|n| n >= d.attachments as u64))
    {
        return Err(format!(
            "{text:?} under {limits:?} decoded out of bounds: {d:?}"
        ));
    }
    let n = d.attachments;
    let packet = complete(d.clone(), (0..n).map(|i| Bytes::from(vec![i as u8])));
    let unbounded = Limits {
        max_len: usize::MAX,
        ..*limits
    };
    let again = decode(&packet.encode(), &unbounded)
        .map_err(|e| format!("{text:?} re-encodes to something refused: {e}"))?;
    let again = (again.attachments == n).then(|| complete(again, packet.attachments.clone()));
    if again.as_ref() != Some(&packet) {
        return Err(format!("{text:?} decodes to {packet:?}, then to {again:?}"));
    }
    Ok(Some(d))
}

/// The handshake query `q`: `param` returns the value of a `key=value` pair
/// of `q` (a bare key counting as empty); `parse` accepts exactly EIO=4 with
/// a known transport, answers other numeric versions with code 5 and the
/// rest with code 3 or 0, and takes the sid when not empty. The handshake's
/// copy of a request URI carrying `q` reads the same parameters.
pub fn check_query(q: &str) -> Result<(), String> {
    let names = ["EIO", "transport", "sid", "t"];
    for name in names {
        if let Some(v) = param(Some(q), name) {
            let pair_of = |pair: &str| {
                (v.is_empty() && pair == name) || pair.strip_suffix(v) == Some(&format!("{name}="))
            };
            if v.contains('&') || !q.split('&').any(pair_of) {
                return Err(format!("param {name} = {v:?} is not a pair of {q:?}"));
            }
        }
    }
    let expected = match param(Some(q), "EIO") {
        Some("4") => match param(Some(q), "transport").and_then(TransportKind::parse) {
            Some(t) => Ok((t, param(Some(q), "sid").filter(|s| !s.is_empty()))),
            None => Err(ErrorCode::UnknownTransport),
        },
        Some(v) if v.parse::<u8>().is_ok() => Err(ErrorCode::UnsupportedProtocolVersion),
        _ => Err(ErrorCode::BadRequest),
    };
    let parsed = EngineQuery::parse(Some(q))
        .map(|p| (p.transport, p.sid))
        .map_err(|e| e.code.unwrap_or(ErrorCode::Forbidden));
    if parsed != expected {
        return Err(format!("{q:?} parsed as {parsed:?}, expected {expected:?}"));
    }
    let Ok(uri) = format!("/socket.io/?{q}").parse::<http::Uri>() else {
        return Ok(());
    };
    let handshake = Handshake::copied_from(&uri, &http::HeaderMap::new(), None);
    for name in names {
        if handshake.query(name) != param(uri.query(), name) {
            return Err(format!("the handshake's copy of {uri} lost {name}"));
        }
    }
    Ok(())
}
