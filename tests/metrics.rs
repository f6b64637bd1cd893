//! `/metrics` scraped over HTTP after known traffic on real sockets: the
//! names, labels and values the traffic caused — sessions by transport and
//! an upgrade, packets and bytes in and out, a broadcast and its
//! deliveries, volatile drops, refused handshakes, an oversized POST, a
//! parse error, disconnects by reason, a panicking handler and a refusing
//! middleware, recovery hits and misses. Pings are pushed past the test
//! (60 s) so that the counts are exact; each wait is bounded.

mod common;
mod metrics_support;
mod sio_client;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::{packets, request, TestServer};
use edgeio::engine::EngineConfig;
use edgeio::metrics::Metrics;
use edgeio::server::{Io, IoConfig, RecoveryConfig};
use metrics_support::{io_config, scrape, scrape_until, serve, Scrape};
use sio_client::{join, next_text, send, Ws};

/// Packets a session may have queued (small, for the volatile drops).
const QUEUE: usize = 4;

fn engine_config() -> EngineConfig {
    EngineConfig {
        ping_interval: Duration::from_secs(60),
        ping_timeout: Duration::from_secs(60),
        max_payload: 10_000,
        max_buffered_packets: QUEUE,
        ..EngineConfig::default()
    }
}

fn ws(series: &str) -> String {
    format!("{series}{{transport=\"websocket\"}}")
}

fn polling(series: &str) -> String {
    format!("{series}{{transport=\"polling\"}}")
}

fn reason(series: &str, reason: &str) -> String {
    format!("{series}{{reason=\"{reason}\"}}")
}

const ROOT: &str = "edgeio_sockets{namespace=\"/\"}";

/// A polling session joined to the main namespace, its CONNECT answer
/// polled; the client reads nothing more until the test polls.
async fn join_polling(addr: SocketAddr) -> String {
    let r = request(addr, "GET", &TestServer::polling(None), &[], b"").await;
    let sid = common::open_packet(&r.text())["sid"]
        .as_str()
        .expect("sid")
        .to_owned();
    let r = request(addr, "POST", &TestServer::polling(Some(&sid)), &[], b"40").await;
    assert_eq!(r.status, 200);
    let r = request(addr, "GET", &TestServer::polling(Some(&sid)), &[], b"").await;
    assert!(packets(&r.text())[0].starts_with("40{"), "CONNECT answered");
    sid
}

/// Upgrades polling session `sid` to a WebSocket.
async fn upgrade(addr: SocketAddr, sid: &str) -> Ws {
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket&sid={sid}");
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    send(&mut ws, "2probe").await;
    assert_eq!(next_text(&mut ws).await, "3probe");
    send(&mut ws, "5").await;
    ws
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traffic_shows_in_the_scrape_with_the_values_it_caused() {
    let metrics = Metrics::new();
    let io = Io::new(io_config(&metrics));
    io.main().on_connection(|socket| {
        socket.on("boom", |_, _| panic!("a handler that fails"));
        socket.use_middleware(|_, event| match event.name.as_str() {
            "forbidden" => Err("refused".to_owned()),
            _ => Ok(()),
        });
    });
    let server = serve(&io, &metrics, engine_config()).await;
    let addr = server.addr;

    // Nothing yet: every family's fixed members are there, at zero.
    let s = scrape(addr).await;
    for series in [ws("edgeio_sessions"), polling("edgeio_handshakes_total")] {
        assert!(s.has(&series) && s.get(&series) == 0.0, "{series}");
    }

    // A WebSocket session, and a polling one that upgrades.
    let (mut a, answer) = join(addr, "", "").await;
    assert!(answer.starts_with("40{"));
    let sid = join_polling(addr).await;
    let mut b = upgrade(addr, &sid).await;
    let s = scrape_until(addr, "edgeio_upgrades_total", 1.0).await;
    assert_eq!(s.get(&ws("edgeio_handshakes_total")), 1.0);
    assert_eq!(s.get(&polling("edgeio_handshakes_total")), 1.0);
    assert_eq!(s.get(&ws("edgeio_sessions")), 2.0, "the upgrade moved one");
    assert_eq!(s.get(&polling("edgeio_sessions")), 0.0);
    assert_eq!(s.get(ROOT), 2.0);
    // The polling session's CONNECT came in one POST of one packet.
    assert_eq!(s.get(&polling("edgeio_packets_received_total")), 1.0);
    assert_eq!(s.get(&polling("edgeio_received_bytes_total")), 2.0);

    // Five events of known size from A.
    let before = scrape(addr).await;
    let event = r#"42["echo","0123456789"]"#;
    for _ in 0..5 {
        send(&mut a, event).await;
    }
    let received = ws("edgeio_packets_received_total");
    let s = scrape_until(addr, &received, before.get(&received) + 5.0).await;
    assert_eq!(s.get(&received), before.get(&received) + 5.0);
    let bytes = ws("edgeio_received_bytes_total");
    assert_eq!(s.get(&bytes), before.get(&bytes) + 5.0 * event.len() as f64);

    // One broadcast to the two sockets of the main namespace.
    let before = scrape(addr).await;
    io.main().emit("news", "hello").expect("emit");
    let (ta, tb) = (next_text(&mut a).await, next_text(&mut b).await);
    assert_eq!(ta, r#"42["news","hello"]"#);
    let sent = ws("edgeio_packets_sent_total");
    let s = scrape_until(addr, &sent, before.get(&sent) + 2.0).await;
    assert_eq!(s.get(&sent), before.get(&sent) + 2.0);
    let sent_bytes = ws("edgeio_sent_bytes_total");
    let both = (ta.len() + tb.len()) as f64;
    assert_eq!(s.get(&sent_bytes), before.get(&sent_bytes) + both);
    assert_eq!(s.get("edgeio_broadcasts_total"), 1.0);
    assert_eq!(s.get("edgeio_broadcast_deliveries_total"), 2.0);

    // A leaves the namespace; B's handler panics, then B sends garbage.
    send(&mut a, "41").await;
    let left = reason("edgeio_disconnects_total", "client namespace disconnect");
    let s = scrape_until(addr, &left, 1.0).await;
    assert_eq!(s.get(ROOT), 1.0);
    send(&mut b, r#"42["boom"]"#).await;
    let panics = "edgeio_handler_errors_total{kind=\"panic\"}";
    scrape_until(addr, panics, 1.0).await;
    send(&mut b, r#"42["forbidden"]"#).await;
    let s = scrape_until(addr, "edgeio_handler_errors_total{kind=\"error\"}", 1.0).await;
    assert_eq!(s.get(panics), 1.0);
    send(&mut b, "9garbage").await;
    let closes = reason("edgeio_session_closes_total", "parse error");
    let s = scrape_until(addr, &closes, 1.0).await;
    assert_eq!(
        s.get(&reason("edgeio_packets_dropped_total", "parse_error")),
        1.0
    );
    assert_eq!(
        s.get(&reason("edgeio_disconnects_total", "parse error")),
        1.0
    );
    assert_eq!(s.get(&ws("edgeio_sessions")), 1.0, "A's session stays");
    assert!(
        !s.has(ROOT),
        "the namespace's series went with its last socket"
    );

    // A POST over max_payload.
    let r = request(addr, "GET", &TestServer::polling(None), &[], b"").await;
    let c = common::open_packet(&r.text())["sid"]
        .as_str()
        .expect("sid")
        .to_owned();
    let big = vec![b'x'; 20_000];
    let r = request(addr, "POST", &TestServer::polling(Some(&c)), &[], &big).await;
    assert_eq!(r.status, 413);
    let too_large = reason("edgeio_packets_dropped_total", "payload_too_large");
    let s = scrape_until(addr, &too_large, 1.0).await;
    assert_eq!(
        s.get(&reason("edgeio_session_closes_total", "transport error")),
        1.0
    );

    // Six volatile broadcasts to a client that does not read: four fit.
    let _d = join_polling(addr).await;
    for i in 0..6 {
        io.main()
            .broadcast()
            .volatile()
            .emit("tick", i)
            .expect("emit");
    }
    let s = scrape(addr).await;
    assert_eq!(
        s.get(&reason("edgeio_packets_dropped_total", "volatile")),
        2.0
    );
    assert_eq!(s.get("edgeio_broadcasts_total"), 7.0);
    assert_eq!(s.get("edgeio_broadcast_deliveries_total"), 6.0);
    assert_eq!(
        s.get(&reason("edgeio_packets_dropped_total", "send_buffer_full")),
        0.0
    );

    // Refused handshakes: a bad one, then any while draining.
    let r = request(addr, "GET", "/socket.io/?EIO=3&transport=polling", &[], b"").await;
    assert_eq!(r.status, 400);
    server.engine.begin_drain();
    let r = request(addr, "GET", &TestServer::polling(None), &[], b"").await;
    assert_eq!(r.status, 503);
    let s = scrape(addr).await;
    let refused = |why| reason("edgeio_handshakes_refused_total", why);
    assert_eq!(s.get(&refused("bad_request")), 1.0);
    assert_eq!(s.get(&refused("draining")), 1.0);
    assert_eq!(
        s.get(&polling("edgeio_handshakes_total")),
        3.0,
        "refusals not counted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_hits_and_misses_are_counted() {
    let metrics = Metrics::new();
    let io = Io::new(IoConfig {
        recovery: Some(RecoveryConfig::default()),
        ..io_config(&metrics)
    });
    let server = serve(&io, &metrics, engine_config()).await;
    let addr = server.addr;

    let (ws, answer) = join(addr, "", "").await;
    let v: serde_json::Value = serde_json::from_str(&answer[2..]).expect("JSON");
    let (sid, pid) = (
        v["sid"].as_str().expect("sid"),
        v["pid"].as_str().expect("pid"),
    );
    drop(ws);
    let gone = reason("edgeio_disconnects_total", "transport close");
    scrape_until(addr, &gone, 1.0).await;

    let (_back, answer) = join(addr, "", &format!(r#"{{"pid":"{pid}"}}"#)).await;
    assert!(answer.contains(sid), "restored: {answer}");
    let (_fresh, answer) = join(addr, "", r#"{"pid":"nobody"}"#).await;
    assert!(answer.starts_with("40{") && !answer.contains(sid));
    let s: Scrape = scrape_until(addr, "edgeio_recoveries_total{result=\"miss\"}", 1.0).await;
    assert_eq!(s.get("edgeio_recoveries_total{result=\"hit\"}"), 1.0);
    assert_eq!(s.get("edgeio_recoveries_total{result=\"miss\"}"), 1.0);
    assert_eq!(s.get(ROOT), 2.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_handshakes_are_counted_by_reason() {
    let metrics = Metrics::new();
    let io = Io::new(io_config(&metrics));
    let config = EngineConfig {
        max_sessions: 1,
        handshake_rate: Some(edgeio::engine::HandshakeRate::per_minute(3)),
        allow_request: Some(Arc::new(|h: &edgeio::engine::Handshake| {
            match h.headers.contains_key("x-refuse") {
                true => Err("no".to_owned()),
                false => Ok(()),
            }
        })),
        ..engine_config()
    };
    let server = serve(&io, &metrics, config).await;
    let addr = server.addr;
    let open = TestServer::polling(None);
    let r = request(addr, "GET", &open, &[("x-refuse", "1")], b"").await;
    assert_eq!(r.status, 403);
    assert_eq!(request(addr, "GET", &open, &[], b"").await.status, 200);
    assert_eq!(request(addr, "GET", &open, &[], b"").await.status, 503);
    assert_eq!(request(addr, "GET", &open, &[], b"").await.status, 429);
    let r = request(addr, "POST", &open, &[], b"").await;
    assert_eq!(r.status, 400);
    let s = scrape(addr).await;
    let refused = |why| reason("edgeio_handshakes_refused_total", why);
    assert_eq!(s.get(&refused("forbidden")), 1.0);
    assert_eq!(s.get(&refused("too_many_sessions")), 1.0);
    assert_eq!(s.get(&refused("rate_limit")), 1.0);
    assert_eq!(s.get(&refused("bad_request")), 1.0);
    assert_eq!(s.get(&polling("edgeio_handshakes_total")), 1.0);
}
