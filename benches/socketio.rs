//! Benchmarks of the Socket.IO layer: the packet codec
//! (`edgeio::protocol`) on the golden fixtures of `fixtures/socketio/`, and
//! the fan-out of one broadcast to a room of N sockets.
//!
//! `cargo bench --bench socketio` (add `-- --quick` for a fast run, or
//! `-- --test` to run each benchmark once as a smoke test; `cargo test
//! --benches` does the same).
//!
//! - `socketio_decode/*`, `socketio_encode/*`: one packet, throughput in
//!   bytes of packet text. The packets are those of
//!   `valid/packet_event.txt` (a small event), `valid/packet_event_ack.txt`
//!   (the same event with an ack id) and `valid/packet_binary_event.txt` (the
//!   text header of a binary event with one attachment).
//! - `socketio_broadcast/room_emit/N`: `ns.to("room").emit(...)` to N sockets,
//!   throughput in deliveries (one packet queued to one socket is one
//!   element). See [`Fanout`] for how the sockets are made.

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use edgeio::engine::{Engine, EngineConfig};
use edgeio::protocol::{decode, Limits, Packet};
use edgeio::server::{Io, IoConfig, Namespace};
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use serde_json::Value;

#[path = "../tests/golden/mod.rs"]
mod golden;

const LAYER: &str = "socketio";

/// The packets measured: a bench name and a fixture of the manifest.
const PACKETS: &[(&str, &str)] = &[
    ("event_small", "valid/packet_event.txt"),
    ("event_with_ack", "valid/packet_event_ack.txt"),
    ("binary_event_header", "valid/packet_binary_event.txt"),
];

/// A fixture's text (Socket.IO packets are UTF-8 text).
fn fixture(rel: &str) -> String {
    String::from_utf8(golden::read(LAYER, rel))
        .unwrap_or_else(|e| panic!("fixture {rel} is not UTF-8: {e}"))
}

/// A fixture decoded into the packet a sender holds: with its attachments
/// (placeholder bytes here), so that it encodes as its binary type.
fn complete_packet(text: &str) -> Packet {
    let d = decode(text, &Limits::default()).expect("a valid fixture");
    let mut packet = d.packet;
    packet.attachments = (0..d.attachments)
        .map(|i| Bytes::from(vec![i as u8; 16]))
        .collect();
    packet
}

fn codec(c: &mut Criterion) {
    let limits = Limits::default();
    let inputs: Vec<(&str, String)> = PACKETS
        .iter()
        .map(|&(name, rel)| (name, fixture(rel)))
        .collect();

    let mut g = c.benchmark_group("socketio_decode");
    for (name, text) in &inputs {
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_with_input(*name, text.as_str(), |b, text| {
            b.iter(|| decode(black_box(text), &limits).expect("a valid fixture"))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("socketio_encode");
    for (name, text) in &inputs {
        let packet = complete_packet(text);
        assert_eq!(&packet.encode(), text, "{name}: the fixture is canonical");
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_with_input(*name, &packet, |b, packet| {
            b.iter(|| black_box(packet).encode())
        });
    }
    g.finish();
}

/// A server with `n` connected sockets in one room of the main namespace,
/// all in this process and on the real code path, without the network.
///
/// Each socket is a real Engine.IO session opened through
/// [`Engine::handle`] with the requests a polling client makes: the
/// handshake `GET /socket.io/?EIO=4&transport=polling`, a `POST` of `40`
/// (CONNECT to `/`; the connection handler joins the socket to `"room"`),
/// and a `GET` that takes the CONNECT answer. No socket is ever mocked, and
/// `ns.to("room").emit(...)` goes through the adapter, the one-time
/// encoding and every session's bounded outgoing queue exactly as in
/// production.
///
/// Those queues must be emptied, or they fill up and the engine closes the
/// sessions. [`Fanout::emit_timed`] therefore times a bounded batch of emits
/// (`batch` per socket, far below `max_buffered_packets`), then empties every
/// queue with a polling `GET` per session, outside the time measured. Each
/// `GET` must return exactly the batch: `batch` copies of the fixture event,
/// so every delivery counted is checked to have been made.
///
/// The heartbeat is set to an hour so that no ping is queued during a run
/// (the runtime is single-threaded and only runs while the setup or a drain
/// blocks on it).
struct Fanout {
    rt: tokio::runtime::Runtime,
    engine: Engine,
    ns: Namespace,
    sids: Vec<String>,
    /// Emits per socket between two drains.
    batch: u64,
}

const PATH: &str = "/socket.io/?EIO=4&transport=polling";
const ROOM: &str = "room";
/// The event emitted: the one of `valid/packet_event.txt`.
const EVENT_FIXTURE: &str = "valid/packet_event.txt";

impl Fanout {
    fn new(n: usize) -> Self {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let io = Io::new(IoConfig::default());
        io.main().on_connection(|socket| socket.join(ROOM));
        let config = EngineConfig {
            ping_interval: Duration::from_secs(3600),
            ping_timeout: Duration::from_secs(3600),
            ..EngineConfig::default()
        };
        // Queued frames at most: n * batch (about 500k, 256 per socket).
        let batch = (500_000 / n).clamp(16, 256) as u64;
        assert!(batch < config.max_buffered_packets as u64);
        let engine = Engine::new(config, io.engine_handler());
        let mut sids = Vec::with_capacity(n);
        rt.block_on(async {
            for _ in 0..n {
                let open = get(&engine, PATH).await;
                let open = open.strip_prefix('0').expect("an open packet");
                let open: Value = serde_json::from_str(open).expect("open JSON");
                let sid = open["sid"].as_str().expect("a sid").to_owned();
                let url = format!("{PATH}&sid={sid}");
                let res = engine
                    .handle(
                        Request::post(&url)
                            .body(Full::new(Bytes::from_static(b"40")))
                            .expect("a request"),
                        None,
                    )
                    .await;
                assert_eq!(res.status(), StatusCode::OK, "POST 40");
                let connect = get(&engine, &url).await;
                assert!(
                    connect.starts_with("40{\"sid\":"),
                    "CONNECT answer {connect}"
                );
                sids.push(url);
            }
        });
        let ns = io.main();
        assert_eq!(ns.socket_count(), n);
        assert_eq!(ns.to(ROOM).sockets().len(), n);
        Self {
            rt,
            engine,
            ns,
            sids,
            batch,
        }
    }

    /// Emits `iters` times to the room; returns the time the emits took.
    fn emit_timed(&self, iters: u64, data: &Value, expected: &str) -> Duration {
        let mut total = Duration::ZERO;
        let mut left = iters;
        while left > 0 {
            let k = left.min(self.batch);
            let start = Instant::now();
            for _ in 0..k {
                self.ns
                    .to(ROOM)
                    .emit("chat message", black_box(data))
                    .expect("emit");
            }
            total += start.elapsed();
            self.drain(k as usize, expected);
            left -= k;
        }
        total
    }

    /// Takes every session's queue with a polling GET; each must hold `k`
    /// messages, each `expected`.
    fn drain(&self, k: usize, expected: &str) {
        self.rt.block_on(async {
            for url in &self.sids {
                let body = get(&self.engine, url).await;
                let mut n = 0;
                for packet in body.split('\x1e') {
                    assert_eq!(packet, expected, "a delivery");
                    n += 1;
                }
                assert_eq!(n, k, "deliveries to one socket");
            }
        });
    }
}

impl Drop for Fanout {
    fn drop(&mut self) {
        self.engine
            .close_all(edgeio::engine::DisconnectReason::ServerShuttingDown);
    }
}

/// A polling GET through the engine; the body as text.
async fn get(engine: &Engine, url: &str) -> String {
    let res = engine
        .handle(
            Request::get(url)
                .body(Full::new(Bytes::new()))
                .expect("a request"),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "GET {url}");
    let body = res.into_body().collect().await.expect("a body").to_bytes();
    String::from_utf8(body.to_vec()).expect("a text payload")
}

fn broadcast(c: &mut Criterion) {
    // `2["chat message",{...}]`: its argument is what is emitted, and every
    // socket must receive exactly it, as an Engine.IO message (`4` + packet).
    let text = fixture(EVENT_FIXTURE);
    let packet = complete_packet(&text);
    let data = match &packet.data {
        Some(Value::Array(a)) if a.len() == 2 && packet.event_name() == Some("chat message") => {
            a[1].clone()
        }
        other => panic!("{EVENT_FIXTURE} changed: {other:?}"),
    };
    let expected = format!("4{text}");

    let mut g = c.benchmark_group("socketio_broadcast");
    g.sample_size(10);
    for n in [100usize, 1000, 10_000] {
        let fanout = Fanout::new(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("room_emit", n), &fanout, |b, fanout| {
            b.iter_custom(|iters| fanout.emit_timed(iters, &data, &expected))
        });
    }
    g.finish();
}

criterion_group!(benches, codec, broadcast);
criterion_main!(benches);
