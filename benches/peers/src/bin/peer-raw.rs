//! Peer server for issue 5: the transport limit. A bare tokio-tungstenite
//! WebSocket server on `127.0.0.1:$PORT` (any path) with no Socket.IO or
//! Engine.IO protocol at all; text frames only:
//!
//! - `e<payload>` → the same frame is sent back;
//! - `j`          → this connection joins the room, reply `j`;
//! - `b<payload>` → `<payload>` is sent to every joined connection, reply `a`.
//!
//! Each broadcast frame is built once and shared: `Utf8Bytes` clones are
//! reference-count bumps. One task per connection owns the whole stream and
//! multiplexes reads with its outbound queue, so there is no split/lock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Bytes, Message, Utf8Bytes};

/// The single room: connection id → that connection's outbound queue.
type Room = Arc<Mutex<HashMap<u64, UnboundedSender<Utf8Bytes>>>>;

/// Reply to `j`.
const JOINED: Utf8Bytes = Utf8Bytes::from_static("j");
/// Reply to `b…`.
const BCAST_ACK: Utf8Bytes = Utf8Bytes::from_static("a");

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::var("PORT")
        .map_err(|_| "PORT env var is required")?
        .parse()?;
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    eprintln!("peer-raw listening on 127.0.0.1:{port}");
    let room: Room = Arc::default();
    let next_id = AtomicU64::new(0);
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true).ok();
        let id = next_id.fetch_add(1, Ordering::Relaxed);
        let room = room.clone();
        tokio::spawn(async move {
            serve(stream, id, &room).await;
            room.lock().unwrap().remove(&id);
        });
    }
}

/// Replies gathered before they are written together.
const MAX_PENDING: usize = 32;

/// Runs one connection until it closes or errors.
///
/// Written the way edgeio's WebSocket transport is, so that this is the
/// transport's limit rather than a naive server: what has arrived is read
/// first (up to 32 replies), then everything pending leaves in one flush
/// through a 16 KiB write buffer; the read buffer is 2 KiB as in edgeio, so
/// that the RSS comparison is fair (tungstenite's default is 128 KiB).
async fn serve(stream: TcpStream, id: u64, room: &Room) {
    let config = WebSocketConfig::default()
        .read_buffer_size(2048)
        .write_buffer_size(16 * 1024);
    let Ok(mut ws) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await else {
        return;
    };
    let (tx, mut rx) = unbounded_channel::<Utf8Bytes>();
    let mut pending: Vec<Utf8Bytes> = Vec::new();
    loop {
        tokio::select! {
            biased;
            msg = ws.next(), if pending.len() < MAX_PENDING => match msg {
                Some(Ok(Message::Text(t))) => match t.as_bytes().first() {
                    Some(b'e') => pending.push(t),
                    Some(b'j') => {
                        room.lock().unwrap().insert(id, tx.clone());
                        pending.push(JOINED);
                    }
                    Some(b'b') => {
                        let payload: &Bytes = t.as_ref();
                        // Cannot fail: a leading ASCII byte is a char boundary.
                        let frame = Utf8Bytes::try_from(payload.slice(1..))
                            .expect("suffix of valid UTF-8 after an ASCII byte");
                        for peer in room.lock().unwrap().values() {
                            let _ = peer.send(frame.clone());
                        }
                        pending.push(BCAST_ACK);
                    }
                    _ => {}
                },
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                // Pings are answered by tungstenite; the next flush sends the pong.
                Some(Ok(_)) => {}
            },
            Some(frame) = rx.recv() => {
                pending.push(frame);
                while let Ok(f) = rx.try_recv() {
                    pending.push(f);
                }
            }
            _ = std::future::ready(()), if !pending.is_empty() => {
                for frame in pending.drain(..) {
                    if ws.feed(Message::Text(frame)).await.is_err() {
                        return;
                    }
                }
                if ws.flush().await.is_err() {
                    return;
                }
            }
        }
    }
}
