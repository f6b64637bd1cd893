//! A polling payload through the pure decoder: each `\x1e`-separated
//! segment decodes as one packet would (`engine_packet` checks those),
//! nothing is decoded after the first error, the decoder never yields more
//! items than segments, and the packets it accepts re-encode (with
//! `payload::encode`) to the very input.
#![no_main]

use edgeio::engine::packet::Packet;
use edgeio::engine::{payload, Text};
use edgeio_fuzz::invariants::payload_model;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The transports refuse a body that is not UTF-8 before decoding.
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    let segments = body.split('\x1e').count();
    let items: Vec<_> = payload::decode(Text::from(body)).take(segments + 1).collect();
    assert!(items.len() <= segments, "more packets than segments in {body:?}");
    assert_eq!(items, payload_model(body), "payload {body:?}");
    if items.iter().all(Result::is_ok) {
        let frames: Vec<_> = items.iter().flatten().map(Packet::encode).collect();
        assert_eq!(payload::encode(&frames), body, "re-encoding {items:?}");
    }
});
