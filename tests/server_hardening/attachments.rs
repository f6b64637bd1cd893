//! Binary packets: attachments that never come close the client after the
//! attachment timeout; attachments over the byte cap close it at once. The
//! server serves the next client either way.

use std::time::Duration;

use edgeio::protocol::Limits;
use edgeio::server::{DisconnectReason, Io, IoConfig};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

use super::sio_client::{join, next_text, send, serve, Ws};
use super::{bounded, expect_closed, ping, pinging};

async fn send_binary(ws: &mut Ws, len: usize) {
    ws.send(Message::Binary(vec![7u8; len].into()))
        .await
        .expect("send a binary frame");
}

#[tokio::test(flavor = "multi_thread")]
async fn attachments_that_never_arrive_close_the_client_after_the_timeout() {
    let io = Io::new(IoConfig {
        attachment_timeout: Duration::from_millis(300),
        ..IoConfig::default()
    });
    pinging(&io);
    let (addr, stop) = serve(&io).await;
    let (mut ws, answer) = join(addr, "", "").await;
    assert!(answer.starts_with("40"), "{answer}");

    // A binary event announcing one attachment, and then nothing.
    send(&mut ws, r#"451-["x",{"_placeholder":true,"num":0}]"#).await;
    expect_closed(&mut ws).await;

    let (mut next, _) = join(addr, "", "").await;
    ping(&mut next, "/", 1).await;
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread")]
async fn attachments_over_the_byte_cap_close_the_client() {
    let io = Io::new(IoConfig {
        limits: Limits {
            max_attachment_bytes: 1000,
            ..Limits::default()
        },
        ..IoConfig::default()
    });
    let (reasons, mut left) = tokio::sync::mpsc::unbounded_channel();
    io.main().on_connection(move |socket| {
        super::answer_pings(socket);
        socket.on("sizes", |_, event| {
            let sizes: Vec<usize> = event.bins.iter().map(|b| b.len()).collect();
            if let Some(ack) = event.ack {
                let _ = ack.send(sizes);
            }
        });
        let reasons = reasons.clone();
        socket.on_disconnect(move |_, reason| {
            let _ = reasons.send(reason);
        });
    });
    let (addr, stop) = serve(&io).await;
    let two = r#"["sizes",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;

    // Within the cap, the packet is whole and handled.
    let (mut ws, _) = join(addr, "", "").await;
    send(&mut ws, &format!("452-1{two}")).await;
    send_binary(&mut ws, 500).await;
    send_binary(&mut ws, 500).await;
    assert_eq!(next_text(&mut ws).await, "431[[500,500]]");

    // One byte over: the client is closed, as a parse error.
    send(&mut ws, &format!("452-2{two}")).await;
    send_binary(&mut ws, 500).await;
    send_binary(&mut ws, 501).await;
    expect_closed(&mut ws).await;
    let reason = bounded("the socket to leave", left.recv()).await;
    assert_eq!(
        reason,
        Some(DisconnectReason::Connection(
            edgeio::engine::DisconnectReason::ParseError
        ))
    );
    assert_eq!(io.main().socket_count(), 0);

    let (mut next, _) = join(addr, "", "").await;
    ping(&mut next, "/", 3).await;
    let _ = stop.send(());
}
