//! Engine.IO v4 / Socket.IO v5 client on namespace `/`, over WebSocket or
//! long-polling: the open packet, the `40` connect, answering the server's
//! pings (`2` → `3`), and passing Socket.IO packets through untouched, still
//! with their Engine.IO `4` prefix (`42[...]`, `43<id>[...]`), so that the
//! caller builds and parses whole packets without copying.

use std::net::SocketAddr;

use anyhow::{bail, Result};
use bytes::Bytes;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::cli::Transport;
use crate::polling::PollingTransport;
use crate::ws::WsTransport;

/// Where every server under test serves Socket.IO.
const PATH: &str = "/socket.io/";

/// The transport under the Engine.IO session.
enum Engine {
    Ws(WsTransport),
    Polling(PollingTransport),
}

impl Engine {
    async fn send(&mut self, packet: Utf8Bytes) -> Result<()> {
        match self {
            Engine::Ws(ws) => ws.send(packet).await,
            Engine::Polling(p) => {
                p.send(packet.as_bytes());
                Ok(())
            }
        }
    }

    async fn flush(&mut self) -> Result<()> {
        match self {
            Engine::Ws(ws) => ws.flush().await,
            Engine::Polling(p) => {
                p.flush();
                Ok(())
            }
        }
    }

    async fn recv(&mut self, out: &mut Vec<Bytes>) -> Result<()> {
        match self {
            Engine::Ws(ws) => ws.recv(out).await,
            Engine::Polling(p) => p.recv(out).await,
        }
    }
}

/// One connected Socket.IO client.
pub struct SioClient {
    engine: Engine,
    /// Engine.IO packets read but not yet sorted.
    scratch: Vec<Bytes>,
}

impl SioClient {
    /// Opens the Engine.IO session and connects to namespace `/`, with
    /// `auth` (a JSON object) as the CONNECT payload when given.
    pub async fn connect(
        addr: SocketAddr,
        transport: Transport,
        auth: Option<&str>,
    ) -> Result<Self> {
        let mut first = Vec::new();
        let engine = match transport {
            Transport::Websocket => {
                let path = format!("{PATH}?EIO=4&transport=websocket");
                let mut ws = WsTransport::connect(addr, &path).await?;
                ws.recv(&mut first).await?;
                Engine::Ws(ws)
            }
            Transport::Polling => {
                let (p, packets) = PollingTransport::open(addr, PATH).await?;
                first = packets;
                Engine::Polling(p)
            }
        };
        if first.first().and_then(|p| p.first()) != Some(&b'0') {
            bail!("expected an Engine.IO open packet, got {:?}", first.first());
        }
        let mut client = Self {
            engine,
            scratch: first.split_off(1),
        };
        let connect = match auth {
            Some(auth) => format!("40{auth}").into(),
            None => Utf8Bytes::from_static("40"),
        };
        client.send(connect).await?;
        client.flush().await?;
        let mut packets = Vec::new();
        loop {
            client.recv(&mut packets).await?;
            for p in packets.drain(..) {
                if p.starts_with(b"40") {
                    return Ok(client);
                }
                if p.starts_with(b"44") {
                    bail!("connect refused: {}", String::from_utf8_lossy(&p));
                }
            }
        }
    }

    /// Buffers one packet (Engine.IO prefix included, e.g. `42["echo",1]`).
    pub async fn send(&mut self, packet: Utf8Bytes) -> Result<()> {
        self.engine.send(packet).await
    }

    /// Sends what was buffered (over polling: starts a POST if none is in
    /// flight; otherwise the queue goes out when the current one returns).
    pub async fn flush(&mut self) -> Result<()> {
        self.engine.flush().await
    }

    /// Waits for Socket.IO packets and appends them to `out` (Engine.IO `4`
    /// prefix kept); answers pings and skips noops meanwhile.
    pub async fn recv(&mut self, out: &mut Vec<Bytes>) -> Result<()> {
        let start = out.len();
        loop {
            let mut packets = std::mem::take(&mut self.scratch);
            if packets.is_empty() {
                if let Err(e) = self.engine.recv(&mut packets).await {
                    self.scratch = packets;
                    return Err(e);
                }
            }
            let mut pong = false;
            for p in packets.drain(..) {
                match p.first() {
                    Some(b'4') => out.push(p),
                    Some(b'2') => pong = true,
                    Some(b'1') => bail!("the server closed the session"),
                    Some(b'3' | b'6') => {}
                    _ => bail!(
                        "unexpected Engine.IO packet {:?}",
                        String::from_utf8_lossy(&p)
                    ),
                }
            }
            self.scratch = packets;
            if pong {
                self.engine.send(Utf8Bytes::from_static("3")).await?;
                self.engine.flush().await?;
            }
            if out.len() > start {
                return Ok(());
            }
        }
    }
}
