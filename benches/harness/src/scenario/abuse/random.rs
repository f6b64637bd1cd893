//! Random bytes on every way in: random POST bodies to fresh polling
//! sessions, random WebSocket frames (text, some shaped like Engine.IO or
//! Socket.IO packets, and binary) on fresh sessions, and random bytes on
//! bare TCP connections. Each connection's fate is tallied by kind.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

use super::wire::{handshake, session_uri, Conn, Rng, Tally, PATH};
use super::Outcome;

/// Connections at work at once.
const AT_ONCE: usize = 64;
/// Frames each WebSocket sends.
const FRAMES: usize = 20;
/// Longest wait for the server to end a connection it was sent garbage on.
const END_WAIT: Duration = Duration::from_secs(10);
/// Prefixes that take random text past the first checks.
const PREFIXES: [&str; 9] = ["", "4", "40", "42[", "451-[", "0", "2", "5", "6"];

pub async fn run(addr: SocketAddr, conns: u32) -> Outcome {
    let tally = Arc::new(Tally::default());
    let at_once = Arc::new(Semaphore::new(AT_ONCE));
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    let mut tasks = Vec::new();
    for i in 0..conns as u64 * 3 {
        let (tally, at_once) = (tally.clone(), at_once.clone());
        let mut rng = Rng::new(seed ^ i);
        tasks.push(tokio::spawn(async move {
            let _permit = at_once.acquire().await;
            let label = match i % 3 {
                0 => polling(addr, &mut rng).await,
                1 => websocket(addr, &mut rng).await,
                _ => tcp(addr, &mut rng).await,
            };
            tally.add(label);
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    Outcome {
        did: format!(
            "{conns} random POST bodies, {conns} WebSockets × {FRAMES} random frames, \
             {conns} TCP connections × 4 KB random"
        ),
        answered: tally.summary(),
        answers: tally.json(),
    }
}

async fn polling(addr: SocketAddr, rng: &mut Rng) -> String {
    let answer = async {
        let mut conn = Conn::open(addr).await?;
        let sid = handshake(&mut conn).await?;
        let len = rng.range(1, 64 * 1024);
        let body = rng.bytes(len);
        conn.request("POST", &session_uri(&sid), &body).await
    };
    match answer.await {
        Ok(a) => format!("polling: {}", a.label()),
        Err(e) => format!("polling: {e}"),
    }
}

async fn websocket(addr: SocketAddr, rng: &mut Rng) -> String {
    let url = format!("ws://{addr}{PATH}?EIO=4&transport=websocket");
    let stream = match TcpStream::connect(addr).await {
        Ok(s) => s,
        Err(e) => return format!("websocket: connect failed: {}", e.kind()),
    };
    let mut ws = match tokio_tungstenite::client_async(url, stream).await {
        Ok((ws, _)) => ws,
        Err(e) => return format!("websocket: refused ({e})"),
    };
    for _ in 0..FRAMES {
        let len = rng.range(1, 4096);
        let msg = if rng.next_u64().is_multiple_of(2) {
            let prefix = PREFIXES[rng.range(0, PREFIXES.len() - 1)];
            Message::text(format!("{prefix}{}", random_text(rng, len)))
        } else {
            Message::binary(rng.bytes(len))
        };
        if ws.feed(msg).await.is_err() {
            break;
        }
    }
    let _ = ws.flush().await;
    let ended = tokio::time::timeout(END_WAIT, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(frame))) => {
                    return match frame {
                        Some(f) => format!("close frame {}", u16::from(f.code)),
                        None => "close frame".into(),
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return "closed".into(),
            }
        }
    })
    .await;
    match ended {
        Ok(how) => format!("websocket: {how}"),
        Err(_) => format!("websocket: still open after {} s", END_WAIT.as_secs()),
    }
}

async fn tcp(addr: SocketAddr, rng: &mut Rng) -> String {
    let mut conn = match Conn::open(addr).await {
        Ok(c) => c,
        Err(e) => return format!("tcp: {e}"),
    };
    if let Err(e) = conn.write(&rng.bytes(4096)).await {
        return format!("tcp: {e}");
    }
    match tokio::time::timeout(END_WAIT, conn.next_event()).await {
        Ok(Ok(answer)) => format!("tcp: {answer}"),
        Ok(Err(ended)) => format!("tcp: {ended}"),
        Err(_) => format!("tcp: still open after {} s", END_WAIT.as_secs()),
    }
}

/// `len` random characters, mostly ASCII, some from further up.
fn random_text(rng: &mut Rng, len: usize) -> String {
    (0..len)
        .map(|_| {
            let c = if rng.next_u64().is_multiple_of(8) {
                rng.range(0x80, 0x2FFF) as u32
            } else {
                rng.range(0x20, 0x7E) as u32
            };
            char::from_u32(c).unwrap_or('?')
        })
        .collect()
}
