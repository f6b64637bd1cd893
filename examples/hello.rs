//! A Socket.IO server in a few lines: token check, a room, an event with an
//! acknowledgement, a broadcast. Run it with `cargo run --example hello`.

use edgeio::engine::{Engine, EngineConfig};
use edgeio::server::{ConnectError, Io, IoConfig};
use serde_json::json;

/// The application: who may connect, and what each event does.
pub fn app() -> Io {
    let io = Io::new(IoConfig::default());
    let main = io.of("/");

    // Connection middleware: refuse clients without the right token.
    main.use_middleware(|socket| async move {
        match socket.auth().get("token").and_then(|t| t.as_str()) {
            Some("let-me-in") => Ok(()),
            _ => Err(ConnectError::new("not authorized").with_data(json!({ "code": 401 }))),
        }
    });

    main.on_connection(|socket| {
        socket.join("lobby");
        let _ = socket.emit("welcome", json!({ "id": socket.id().as_str() }));

        // A typed handler: the first argument as a String, and the ack.
        socket.on_data("chat", |socket, text: String, ack| {
            // Everyone else in the lobby gets the message...
            let _ = socket.to("lobby").emit("chat", &text);
            // ...and the sender learns it went out.
            if let Some(ack) = ack {
                let _ = ack.send(json!({ "delivered": true }));
            }
        });
    });
    io
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let engine = Engine::new(EngineConfig::default(), app().engine_handler());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    edgeio::serve(listener, engine, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    Ok(())
}
