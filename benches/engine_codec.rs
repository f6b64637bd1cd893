//! Benchmarks of the Engine.IO codec (`edgeio::engine::{packet, payload}`),
//! on the golden fixtures of `fixtures/engine/` (read once at start) and on
//! the generated 64 KiB binary of its manifest.
//!
//! `cargo bench --bench engine_codec` (add `-- --quick` for a fast run, or
//! `-- --test` to run each benchmark once as a smoke test).
//!
//! Decode throughput is in input bytes (or packets for the many-packet
//! payload); encode throughput is in frames for payloads and in bytes of
//! data for single frames.

use std::hint::black_box;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use edgeio::engine::packet::{Frame, Packet};
use edgeio::engine::{payload, Text};
use tokio_tungstenite::tungstenite::Utf8Bytes;

#[path = "../tests/golden/mod.rs"]
mod golden;

const LAYER: &str = "engine";

/// A fixture as the transports hold it: validated UTF-8, shared.
fn text_fixture(rel: &str) -> Utf8Bytes {
    Utf8Bytes::try_from(Bytes::from(golden::read(LAYER, rel)))
        .unwrap_or_else(|e| panic!("fixture {rel} is not UTF-8: {e}"))
}

/// The generated 64 KiB binary of the manifest.
fn binary_64k() -> Bytes {
    let m: golden::Manifest<serde_json::Value> = golden::manifest(LAYER);
    Bytes::from(golden::generate(&m.generated, "binary_64k"))
}

fn decode(c: &mut Criterion) {
    // `42["chat message",{...}]`: a Socket.IO event in a WebSocket frame.
    let frame = text_fixture("valid/text_message_event.txt");
    // 100 packets: 90 events and 10 small binaries.
    let many = text_fixture("valid/payload_many.txt");
    // `b` + the base64 of bytes 0..=255.
    let b64 = text_fixture("valid/payload_binary.txt");
    // `b` + the base64 of 64 KiB, as a polling body carries it.
    let big = Utf8Bytes::from(payload::encode(&[Frame::binary(binary_64k())]));

    let mut g = c.benchmark_group("engine_decode");

    g.throughput(Throughput::Bytes(frame.len() as u64));
    g.bench_function("text_packet", |b| {
        b.iter(|| Packet::decode_text(Text::new(black_box(&frame).clone())))
    });

    let packets = payload::decode(Text::new(many.clone())).count();
    assert_eq!(packets, 100, "payload_many.txt changed");
    g.throughput(Throughput::Elements(packets as u64));
    g.bench_function("payload_100_packets", |b| {
        b.iter(|| {
            for p in payload::decode(Text::new(black_box(&many).clone())) {
                black_box(p).expect("valid fixture");
            }
        })
    });

    g.throughput(Throughput::Bytes(b64.len() as u64));
    g.bench_function("base64_binary_packet_256B", |b| {
        b.iter(|| Packet::decode_text(Text::new(black_box(&b64).clone())))
    });

    g.throughput(Throughput::Bytes(big.len() as u64));
    g.bench_function("base64_binary_packet_64KiB", |b| {
        b.iter(|| Packet::decode_text(Text::new(black_box(&big).clone())))
    });

    g.finish();
}

fn encode(c: &mut Criterion) {
    // The packets of payload_many.txt, encoded, cycled to N frames.
    let many = text_fixture("valid/payload_many.txt");
    let frames: Vec<Frame> = payload::decode(Text::new(many))
        .map(|p| p.expect("valid fixture").encode())
        .collect();
    // The event of text_message_event.txt, without its type digit.
    let event = text_fixture("valid/text_message_event.txt");
    let event = event.as_str().strip_prefix('4').expect("a message packet");
    let big = Frame::binary(binary_64k());

    let mut g = c.benchmark_group("engine_encode");

    for n in [1usize, 16, 256] {
        let batch: Vec<Frame> = frames.iter().cycle().take(n).cloned().collect();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("payload_frames", n), &batch, |b, batch| {
            b.iter(|| payload::encode(black_box(batch)))
        });
    }

    g.throughput(Throughput::Bytes(event.len() as u64));
    g.bench_function("frame_message", |b| {
        b.iter(|| Frame::message(black_box(event)))
    });

    g.throughput(Throughput::Bytes(65536));
    g.bench_function("binary_64KiB_polling", |b| {
        b.iter(|| payload::encode(std::slice::from_ref(black_box(&big))))
    });

    g.finish();
}

criterion_group!(benches, decode, encode);
criterion_main!(benches);
