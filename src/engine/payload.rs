//! Polling payloads: several packets in one HTTP body, joined by the record
//! separator `\x1e` (Engine.IO v4). Pure codec, no I/O.

use super::error::PacketError;
use super::packet::{Frame, Packet};
use super::text::Text;

/// The record separator between packets of a polling payload.
pub const SEPARATOR: char = '\x1e';

/// Decodes a polling payload into its packets, one at a time.
///
/// Decoding is lazy so that a body of many small packets never becomes a
/// large vector: the caller handles each packet as it comes and stops at the
/// first error.
pub fn decode(body: Text) -> impl Iterator<Item = Result<Packet, PacketError>> {
    // Where the next packet starts; `None` once the payload is finished.
    let mut next = Some(0usize);
    std::iter::from_fn(move || {
        let start = next?;
        let rest = body.as_str().get(start..)?;
        let end = rest.find(SEPARATOR).map_or(body.len(), |i| start + i);
        next = (end < body.len()).then_some(end + SEPARATOR.len_utf8());
        // `start..end` lies between separators, so on char boundaries.
        let item = body
            .slice(start..end)
            .map_or(Err(PacketError::Empty), Packet::decode_text);
        if item.is_err() {
            next = None;
        }
        Some(item)
    })
}

/// Encodes frames into one polling payload, in one allocation.
pub fn encode(frames: &[Frame]) -> String {
    let len = frames.iter().map(Frame::polling_len).sum::<usize>() + frames.len().saturating_sub(1);
    let mut out = String::with_capacity(len);
    for (i, frame) in frames.iter().enumerate() {
        if i > 0 {
            out.push(SEPARATOR);
        }
        frame.write_polling(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn decode_all(s: &str) -> Result<Vec<Packet>, PacketError> {
        decode(Text::from(s)).collect()
    }

    #[test]
    fn decodes_text_and_binary_packets() {
        let packets = decode_all("4hello\x1ebAQIDBA==\x1e2").expect("valid");
        assert_eq!(
            packets,
            vec![
                Packet::Message(Text::from("hello")),
                Packet::Binary(Bytes::from_static(&[1, 2, 3, 4])),
                Packet::Ping(Text::from("")),
            ]
        );
    }

    #[test]
    fn refuses_empty_and_bad_packets_and_stops_at_the_first_error() {
        assert_eq!(decode_all(""), Err(PacketError::Empty));
        assert_eq!(decode_all("4a\x1e\x1e4b"), Err(PacketError::Empty));
        assert_eq!(decode_all("4a\x1eabc"), Err(PacketError::UnknownType(b'a')));
        assert_eq!(decode_all("4a\x1e"), Err(PacketError::Empty));
        let items: Vec<_> = decode(Text::from("4a\x1ex\x1e4b")).collect();
        assert_eq!(items.len(), 2, "nothing decoded after an error");
    }

    #[test]
    fn encodes_with_separators() {
        let frames = [
            Frame::message("é"),
            Frame::binary(Bytes::from_static(&[1, 2, 3, 4])),
            Packet::Noop.encode(),
        ];
        let out = encode(&frames);
        assert_eq!(out, "4é\x1ebAQIDBA==\x1e6");
        assert_eq!(out.capacity(), out.len(), "sized exactly up front");
    }
}
