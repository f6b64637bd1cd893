//! The README's Rust example is `examples/hello.rs`, word for word; this test
//! checks that, and runs the example's application against a real client.

#[allow(dead_code)]
#[path = "../examples/hello.rs"]
mod hello;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const LIMIT: Duration = Duration::from_secs(10);

#[test]
fn the_readme_shows_the_example_word_for_word() {
    let readme = include_str!("../README.md");
    let example = include_str!("../examples/hello.rs");
    assert!(
        readme.contains(example.trim_end()),
        "README.md must contain examples/hello.rs verbatim"
    );
}

async fn start() -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let engine = edgeio::engine::Engine::new(
        edgeio::engine::EngineConfig::default(),
        hello::app().engine_handler(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(edgeio::serve(listener, engine, async {
        let _ = stopped.await;
    }));
    (addr, stop)
}

/// The next text frame that is not an Engine.IO ping.
async fn next_text(ws: &mut Ws) -> String {
    loop {
        let msg = tokio::time::timeout(LIMIT, ws.next())
            .await
            .expect("a frame in time")
            .expect("connection open")
            .expect("valid frame");
        if let Message::Text(t) = msg {
            if t.as_str() != "2" {
                return t.to_string();
            }
        }
    }
}

/// Opens a WebSocket session and joins `/` with `auth`; returns the socket and
/// the server's answer to the CONNECT.
async fn join(addr: std::net::SocketAddr, auth: &str) -> (Ws, String) {
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    assert!(next_text(&mut ws).await.starts_with('0'), "Engine.IO open");
    ws.send(Message::Text(format!("40{auth}").into()))
        .await
        .expect("send");
    let answer = next_text(&mut ws).await;
    (ws, answer)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_example_refuses_bad_tokens_and_delivers_chat_with_an_ack() {
    let (addr, stop) = start().await;

    let (_, refused) = join(addr, r#"{"token":"wrong"}"#).await;
    assert_eq!(
        refused,
        r#"44{"message":"not authorized","data":{"code":401}}"#
    );

    let (mut alice, ok) = join(addr, r#"{"token":"let-me-in"}"#).await;
    assert!(ok.starts_with("40{\"sid\":"), "{ok}");
    assert!(next_text(&mut alice).await.starts_with("42[\"welcome\""));
    let (mut bob, _) = join(addr, r#"{"token":"let-me-in"}"#).await;
    assert!(next_text(&mut bob).await.starts_with("42[\"welcome\""));

    alice
        .send(Message::Text(r#"421["chat","hi bob"]"#.into()))
        .await
        .expect("send chat");
    assert_eq!(next_text(&mut alice).await, r#"431[{"delivered":true}]"#);
    assert_eq!(next_text(&mut bob).await, r#"42["chat","hi bob"]"#);

    let _ = stop.send(());
}
