//! The upgrade from polling to WebSocket: the probe, the release of the
//! pending GET, and no packet lost, repeated or reordered on the way.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{
    bounded, config, packets, ws_expect_closed, ws_next, ws_recv_text, ws_send, TestServer, Ws,
};
use edgeio::engine::Message;
use edgeio::engine::{Text, TransportKind};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// The message packets of a polling payload, noops left out.
fn messages_of(payload: &str) -> Vec<String> {
    packets(payload).into_iter().filter(|p| p != "6").collect()
}

/// Reads text frames until `last` (included), returning them.
async fn ws_until(ws: &mut Ws, last: &str) -> Vec<String> {
    let mut out = Vec::new();
    loop {
        let t = ws_recv_text(ws).await;
        let done = t == last;
        out.push(t);
        if done {
            return out;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn probe_releases_the_pending_get_then_upgrade_moves_the_session() {
    let server = TestServer::start(config()).await;
    let sid = server.handshake_polling().await;
    let get = server.spawn_poll(&sid);

    let mut ws = server.ws(Some(&sid)).await;
    ws_send(&mut ws, "2probe").await;
    assert_eq!(ws_recv_text(&mut ws).await, "3probe");

    let released = bounded("the pending GET", get).await.expect("GET task");
    assert_eq!(released.status, 200);
    assert_eq!(released.text(), "6");
    assert_eq!(server.socket(&sid).transport(), TransportKind::Polling);

    ws_send(&mut ws, "5").await;
    ws_send(&mut ws, "4over websocket").await;
    assert_eq!(ws_recv_text(&mut ws).await, "4over websocket");
    assert_eq!(server.socket(&sid).transport(), TransportKind::WebSocket);

    // Polling is over for this session, which stays open.
    let r = server.poll(&sid).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["code"], 3);
    let r = server.post(&sid, b"4x").await;
    assert_eq!(r.status, 400);
    ws_send(&mut ws, "4still there").await;
    assert_eq!(ws_recv_text(&mut ws).await, "4still there");
    assert!(server.disconnects(&sid).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn packets_sent_during_the_upgrade_arrive_once_in_order() {
    let server = TestServer::start(config()).await;
    let sid = server.handshake_polling().await;
    let socket = server.socket(&sid);
    let say = |s: &str| {
        socket
            .send(Message::Text(Text::from(s)))
            .expect("queue a message");
    };

    let mut ws = server.ws(Some(&sid)).await;
    say("before-probe");
    ws_send(&mut ws, "2probe").await;
    assert_eq!(ws_recv_text(&mut ws).await, "3probe");
    say("between-probe-and-upgrade");

    // The client pauses polling: one last GET, then `5`.
    let last_get = server.poll(&sid).await;
    assert_eq!(last_get.status, 200);
    let mut received = messages_of(&last_get.text());

    ws_send(&mut ws, "5").await;
    say("after-upgrade");
    received.extend(ws_until(&mut ws, "4after-upgrade").await);
    assert_eq!(
        received,
        [
            "4before-probe",
            "4between-probe-and-upgrade",
            "4after-upgrade"
        ]
    );
    // Nothing repeated behind them: the next frame is the echo of a sentinel.
    ws_send(&mut ws, "4sentinel").await;
    assert_eq!(ws_recv_text(&mut ws).await, "4sentinel");
}

#[tokio::test(flavor = "multi_thread")]
async fn packets_queued_behind_the_probe_move_to_the_websocket() {
    let server = TestServer::start(config()).await;
    let sid = server.handshake_polling().await;
    let socket = server.socket(&sid);
    let get = server.spawn_poll(&sid);

    let mut ws = server.ws(Some(&sid)).await;
    ws_send(&mut ws, "2probe").await;
    assert_eq!(ws_recv_text(&mut ws).await, "3probe");
    let released = bounded("the pending GET", get).await.expect("GET task");
    let mut received = messages_of(&released.text());
    // The GET is done and the client polls no more: these wait for the
    // WebSocket.
    for i in 0..5 {
        socket
            .send(Message::Text(Text::from(format!("q{i}"))))
            .expect("queue");
    }
    ws_send(&mut ws, "5").await;
    received.extend(ws_until(&mut ws, "4q4").await);
    assert_eq!(received, ["4q0", "4q1", "4q2", "4q3", "4q4"]);
    ws_send(&mut ws, "4sentinel").await;
    assert_eq!(ws_recv_text(&mut ws).await, "4sentinel");
}

/// A client behaving like engine.io-client (a polling loop that stops after
/// the probe answer, then `5`) while the server sends a stream of numbered
/// messages: some travel by polling, some are queued when `5` arrives, some
/// are sent while the server handles it.
#[tokio::test(flavor = "multi_thread")]
async fn a_stream_of_messages_survives_the_upgrade() {
    const N: usize = 2000;
    let server = TestServer::start(config()).await;
    let sid = server.handshake_polling().await;
    let socket = server.socket(&sid);

    let paused = Arc::new(AtomicBool::new(false));
    let poller = {
        let addr = server.addr;
        let pq = TestServer::polling(Some(&sid));
        let paused = paused.clone();
        tokio::spawn(async move {
            let mut got = Vec::new();
            while !paused.load(Ordering::Acquire) {
                let r = common::request(addr, "GET", &pq, &[], b"").await;
                assert_eq!(r.status, 200, "GET during the upgrade: {}", r.text());
                got.extend(messages_of(&r.text()));
            }
            got
        })
    };
    let sent = Arc::new(AtomicUsize::new(0));
    let sender = {
        let sent = sent.clone();
        tokio::spawn(async move {
            for i in 0..N {
                socket
                    .send(Message::Text(Text::from(format!("{i}"))))
                    .expect("queue");
                sent.store(i + 1, Ordering::Release);
                if i % 4 == 0 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
        })
    };

    let mut ws = server.ws(Some(&sid)).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    ws_send(&mut ws, "2probe").await;
    assert_eq!(ws_recv_text(&mut ws).await, "3probe");
    paused.store(true, Ordering::Release);
    let mut received = bounded("the poller to stop", poller)
        .await
        .expect("poller task");
    // Some messages are queued for the WebSocket before `5` (unless the
    // sender already finished, on a very slow machine).
    let queued_before_upgrade = (received.len() + 20).min(N);
    bounded("messages queued before the upgrade", async {
        while sent.load(Ordering::Acquire) < queued_before_upgrade {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    ws_send(&mut ws, "5").await;
    bounded("the sender", sender).await.expect("sender task");

    let last = format!("4{}", N - 1);
    if received.last() != Some(&last) {
        received.extend(ws_until(&mut ws, &last).await);
    }
    let expected: Vec<String> = (0..N).map(|i| format!("4{i}")).collect();
    assert_eq!(received, expected);
    ws_send(&mut ws, "4sentinel").await;
    assert_eq!(ws_recv_text(&mut ws).await, "4sentinel");
}

#[tokio::test(flavor = "multi_thread")]
async fn second_websocket_after_the_upgrade_is_refused() {
    let server = TestServer::start(config()).await;
    let sid = server.handshake_polling().await;
    let mut ws = server.ws(Some(&sid)).await;
    ws_send(&mut ws, "2probe").await;
    assert_eq!(ws_recv_text(&mut ws).await, "3probe");
    ws_send(&mut ws, "5").await;
    ws_send(&mut ws, "4one").await;
    assert_eq!(ws_recv_text(&mut ws).await, "4one");

    let mut second = server.ws(Some(&sid)).await;
    ws_expect_closed(&mut second).await;

    // The first WebSocket carries on.
    ws_send(&mut ws, "4two").await;
    assert_eq!(ws_recv_text(&mut ws).await, "4two");
    assert!(server.disconnects(&sid).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn second_websocket_during_the_upgrade_is_refused() {
    let server = TestServer::start(config()).await;
    let sid = server.handshake_polling().await;
    let mut ws = server.ws(Some(&sid)).await;
    ws_send(&mut ws, "2probe").await;
    assert_eq!(ws_recv_text(&mut ws).await, "3probe");

    let mut second = server.ws(Some(&sid)).await;
    ws_expect_closed(&mut second).await;

    ws_send(&mut ws, "5").await;
    ws_send(&mut ws, "4first wins").await;
    assert_eq!(ws_recv_text(&mut ws).await, "4first wins");
    assert_eq!(server.socket(&sid).transport(), TransportKind::WebSocket);
}

#[tokio::test(flavor = "multi_thread")]
async fn upgrade_that_never_completes_times_out_and_polling_goes_on() {
    let server = TestServer::start(edgeio::engine::EngineConfig {
        upgrade_timeout: Duration::from_millis(200),
        ..config()
    })
    .await;
    let sid = server.handshake_polling().await;
    let mut ws = server.ws(Some(&sid)).await;
    ws_send(&mut ws, "2probe").await;
    assert_eq!(ws_recv_text(&mut ws).await, "3probe");
    // No `5`: the server gives up on the WebSocket.
    ws_expect_closed(&mut ws).await;

    assert_eq!(server.socket(&sid).transport(), TransportKind::Polling);
    assert_eq!(server.post(&sid, b"4polling").await.text(), "ok");
    let r = server.poll(&sid).await;
    assert_eq!(messages_of(&r.text()), ["4polling"]);
    assert!(server.disconnects(&sid).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_probe_leaves_the_session_on_polling() {
    let server = TestServer::start(config()).await;
    let sid = server.handshake_polling().await;
    let mut ws = server.ws(Some(&sid)).await;
    ws_send(&mut ws, "4not a probe").await;
    ws_expect_closed(&mut ws).await;

    let r = server.post(&sid, b"4still polling").await;
    assert_eq!(r.text(), "ok");
    let r = server.poll(&sid).await;
    assert_eq!(messages_of(&r.text()), ["4still polling"]);
    assert_eq!(server.socket(&sid).transport(), TransportKind::Polling);

    // And a proper upgrade still works afterwards.
    let mut ws = server.ws(Some(&sid)).await;
    ws_send(&mut ws, "2probe").await;
    assert_eq!(ws_recv_text(&mut ws).await, "3probe");
    ws_send(&mut ws, "5").await;
    ws_send(&mut ws, "4upgraded").await;
    assert_eq!(ws_recv_text(&mut ws).await, "4upgraded");
}

#[tokio::test(flavor = "multi_thread")]
async fn upgrade_of_an_unknown_sid_is_refused() {
    let server = TestServer::start(config()).await;
    let r = common::request(
        server.addr,
        "GET",
        "/socket.io/?EIO=4&transport=websocket&sid=nope",
        &[
            ("Connection", "Upgrade"),
            ("Upgrade", "websocket"),
            ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ],
        b"",
    )
    .await;
    r.assert_error(400, 1, "Session ID unknown");
}

#[tokio::test(flavor = "multi_thread")]
async fn upgraded_session_closes_like_a_websocket_one() {
    let server = TestServer::start(config()).await;
    let sid = server.handshake_polling().await;
    let mut ws = server.ws(Some(&sid)).await;
    ws_send(&mut ws, "2probe").await;
    assert_eq!(ws_recv_text(&mut ws).await, "3probe");
    ws_send(&mut ws, "5").await;
    ws.send(WsMessage::binary(vec![9u8, 8, 7]))
        .await
        .expect("send binary");
    match ws_next(&mut ws).await {
        Some(WsMessage::Binary(b)) => assert_eq!(b.as_ref(), [9, 8, 7]),
        other => panic!("expected the binary echo, got {other:?}"),
    }
    ws_send(&mut ws, "1").await;
    ws_expect_closed(&mut ws).await;
    assert_eq!(
        server.wait_disconnect(&sid).await,
        edgeio::engine::DisconnectReason::TransportClose
    );
}
