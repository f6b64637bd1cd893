//! The query string of an Engine.IO request (`EngineQuery::parse`,
//! `query::param`) and the handshake's copy of the request URI.
#![no_main]

use edgeio_fuzz::{holds, invariants};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // hyper hands over the query as a `&str` (the URI is ASCII).
    if let Ok(q) = std::str::from_utf8(data) {
        holds(invariants::check_query(q));
    }
});
