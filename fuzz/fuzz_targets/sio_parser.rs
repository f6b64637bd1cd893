//! The Socket.IO parser with attachments: the input up to the first `0xFF`
//! byte (which UTF-8 never holds) is the text of a packet, and each later
//! `0xFF`-separated part is one binary message after it.
//!
//! The text is decoded with the default limits and with tiny ones (so that
//! every limit is met); the binary messages then complete the packet the way
//! the server's reassembly does (`src/server/client.rs`): one attachment per
//! message, the packet complete at the announced count, and a message with
//! no packet pending refused.
#![no_main]

use bytes::Bytes;
use edgeio::protocol::{decode, Limits};
use edgeio_fuzz::holds;
use edgeio_fuzz::invariants::{check_sio_text, complete};
use libfuzzer_sys::fuzz_target;

const TINY: Limits = Limits {
    max_attachments: 2,
    max_depth: 3,
    max_len: 64,
    max_attachment_bytes: 64,
};

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == 0xFF);
    let Some(Ok(text)) = parts.next().map(std::str::from_utf8) else {
        return;
    };
    holds(check_sio_text(text, &TINY));
    let Some(d) = holds(check_sio_text(text, &Limits::default())) else {
        return;
    };
    let binaries: Vec<Bytes> = parts.map(Bytes::copy_from_slice).collect();
    let announced = d.attachments;
    if binaries.len() < announced {
        // Still pending: the server waits for the rest.
        return;
    }
    // Any binary message beyond the announced ones has no packet to join.
    let packet = complete(d, binaries[..announced].iter().cloned());
    assert_eq!(packet.attachments.len(), announced);
    // The completed packet is sent on unchanged: its text and attachments
    // decode back to it.
    let again = decode(&packet.encode(), &Limits { max_len: usize::MAX, ..Limits::default() })
        .map(|d| complete(d, packet.attachments.iter().cloned()));
    assert_eq!(again.as_ref(), Ok(&packet), "{text:?}");
});
