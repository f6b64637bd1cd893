//! JSON as JavaScript writes it: a lone UTF-16 surrogate escape in an event
//! is accepted (as U+FFFD), not a parse error.

use edgeio::server::{Io, IoConfig};
use serde_json::Value;

use super::sio_client::{join, next_text, send, serve};

#[tokio::test(flavor = "multi_thread")]
async fn an_event_with_a_lone_surrogate_is_answered() {
    let io = Io::new(IoConfig::default());
    io.main().on_connection(|socket| {
        socket.on("echo", |socket, event| {
            let _ = socket.emit("echo", event.args.first().cloned().unwrap_or(Value::Null));
        });
    });
    let (addr, stop) = serve(&io).await;
    let (mut ws, _) = join(addr, "", "").await;
    send(&mut ws, r#"42["echo","\ud83d"]"#).await;
    assert_eq!(next_text(&mut ws).await, "42[\"echo\",\"\u{fffd}\"]");
    send(&mut ws, r#"42["echo","a\ude00b\ud83d\ude00"]"#).await;
    assert_eq!(
        next_text(&mut ws).await,
        "42[\"echo\",\"a\u{fffd}b\u{1f600}\"]"
    );
    let _ = stop.send(());
}
