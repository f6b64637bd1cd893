//! Engine.IO: one packet (a WebSocket frame, or a polling packet with binary
//! as `b` + base64) and the polling payload (packets joined by `\x1e`).

use bytes::Bytes;
use edgeio::engine::packet::{Frame, Packet};
use edgeio::engine::{payload, PacketError, Text};

use super::holds;
use super::invariants::{check_engine_binary, check_engine_text, payload_model, polled};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

/// The data of a text packet: any text but the record separator, which ends
/// a packet inside a payload (Engine.IO does not escape it).
fn data() -> impl Strategy<Value = Text> {
    "[^\x1e]{0,24}".prop_map(Text::from)
}

/// Any packet a client or the server may send.
fn packet() -> impl Strategy<Value = Packet> {
    prop_oneof![
        data().prop_map(Packet::Open),
        Just(Packet::Close),
        data().prop_map(Packet::Ping),
        data().prop_map(Packet::Pong),
        data().prop_map(Packet::Message),
        vec(any::<u8>(), 0..48).prop_map(|b| Packet::Binary(Bytes::from(b))),
        Just(Packet::Upgrade),
        Just(Packet::Noop),
    ]
}

/// Text shaped like one packet, often valid, often not: a type byte or `b`,
/// then anything, or base64-looking characters.
fn packet_text() -> impl Strategy<Value = String> {
    let head = select(vec![
        "", "0", "1", "2", "3", "4", "5", "6", "7", "b", "x", "é",
    ]);
    prop_oneof![
        (head, ".{0,12}").prop_map(|(h, t)| format!("{h}{t}")),
        "b[A-Za-z0-9+/=]{0,12}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(super::config())]

    /// A packet encoded as a WebSocket frame and as a polling packet decodes
    /// to itself both ways.
    #[test]
    fn a_packet_round_trips_through_both_framings(p in packet()) {
        match p.encode() {
            Frame::Text(t) => prop_assert_eq!(Packet::decode_text(Text::new(t)), Ok(p.clone())),
            Frame::Binary(b) => prop_assert_eq!(Packet::Binary(b), p.clone()),
        }
        prop_assert_eq!(Packet::decode_text(Text::from(holds(polled(&p))?)), Ok(p.clone()));
        if let Packet::Binary(b) = &p {
            holds(check_engine_binary(b))?;
        }
    }

    /// Packets joined into a payload by the server's encoder come back in
    /// order.
    #[test]
    fn a_payload_round_trips(packets in vec(packet(), 1..8)) {
        let frames: Vec<Frame> = packets.iter().map(Packet::encode).collect();
        let body = payload::encode(&frames);
        prop_assert_eq!(body.capacity(), body.len(), "sized exactly up front");
        let decoded: Result<Vec<Packet>, PacketError> = payload::decode(Text::from(body)).collect();
        prop_assert_eq!(decoded, Ok(packets));
    }

    /// Any text decodes to a packet whose encoding is that exact text (the
    /// decoder accepts only the canonical form), or fails with the error that
    /// explains it.
    #[test]
    fn a_packet_text_decodes_exactly_or_is_refused(text in packet_text()) {
        holds(check_engine_text(&text))?;
    }

    /// Any body, as a POST delivers it: not UTF-8 is refused before
    /// decoding; otherwise the payload yields what each `\x1e`-separated
    /// segment decodes to, in order, and nothing after the first error.
    #[test]
    fn a_body_decodes_segment_by_segment_and_stops_at_the_first_error(
        body in prop_oneof![
            vec(packet_text(), 1..6).prop_map(|s| s.join("\x1e").into_bytes()),
            vec(any::<u8>(), 0..64),
        ],
    ) {
        let Ok(text) = String::from_utf8(body) else { return Ok(()) };
        let expected = payload_model(&text);
        // A bound, in case the iterator never ends.
        let items: Vec<_> = payload::decode(Text::from(text.as_str())).take(text.len() + 2).collect();
        prop_assert_eq!(items, expected);
    }
}
