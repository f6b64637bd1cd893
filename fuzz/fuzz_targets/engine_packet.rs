//! One Engine.IO packet as each transport delivers it: the input as a
//! WebSocket text frame (if it is UTF-8, as tungstenite requires) or a
//! polling packet, and as a WebSocket binary frame.
#![no_main]

use edgeio_fuzz::{holds, invariants};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        holds(invariants::check_engine_text(text));
    }
    holds(invariants::check_engine_binary(data));
});
