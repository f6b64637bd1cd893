//! WebSocket transport (tokio-tungstenite client, TCP_NODELAY): text frames
//! out are buffered until `flush`, frames in are read in bursts so that one
//! flush answers everything that arrived together.

use std::net::SocketAddr;

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

/// Most frames taken from one burst before the caller gets to answer them.
const BURST: usize = 64;

/// One WebSocket connection.
pub struct WsTransport {
    ws: WebSocketStream<TcpStream>,
    /// Frames (or an automatic pong) written but not yet flushed.
    dirty: bool,
}

impl WsTransport {
    /// Opens `ws://ADDR{path}`.
    pub async fn connect(addr: SocketAddr, path: &str) -> Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connect to {addr}"))?;
        stream.set_nodelay(true)?;
        // A small read buffer: tungstenite's default (128 KiB per connection)
        // would make 20 000 idle clients cost gigabytes here.
        let config = WebSocketConfig::default().read_buffer_size(8 * 1024);
        let url = format!("ws://{addr}{path}");
        let (ws, _) = tokio_tungstenite::client_async_with_config(url, stream, Some(config))
            .await
            .with_context(|| format!("WebSocket handshake with {addr}"))?;
        Ok(Self { ws, dirty: false })
    }

    /// Buffers one text frame; `flush` sends it.
    pub async fn send(&mut self, text: Utf8Bytes) -> Result<()> {
        self.ws.feed(Message::Text(text)).await?;
        self.dirty = true;
        Ok(())
    }

    /// Writes whatever was buffered.
    pub async fn flush(&mut self) -> Result<()> {
        if self.dirty {
            self.ws.flush().await?;
            self.dirty = false;
        }
        Ok(())
    }

    /// Waits for at least one text frame, then takes every frame already
    /// readable (up to a burst), appending their payloads to `out`.
    /// Cancel-safe: nothing is held across an await but the stream itself.
    pub async fn recv(&mut self, out: &mut Vec<Bytes>) -> Result<()> {
        let start = out.len();
        while out.len() == start {
            let msg = self.ws.next().await;
            self.take(msg, out)?;
            while out.len() - start < BURST {
                match self.ws.next().now_or_never() {
                    Some(msg) => self.take(msg, out)?,
                    None => break,
                }
            }
        }
        Ok(())
    }

    fn take(
        &mut self,
        msg: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
        out: &mut Vec<Bytes>,
    ) -> Result<()> {
        match msg {
            None => bail!("connection closed by the server"),
            Some(Err(e)) => bail!("WebSocket error: {e}"),
            Some(Ok(Message::Text(t))) => out.push(t.into()),
            Some(Ok(Message::Close(frame))) => bail!("closed by the server: {frame:?}"),
            // tungstenite queued a pong; the next flush sends it.
            Some(Ok(Message::Ping(_))) => self.dirty = true,
            Some(Ok(Message::Binary(_))) => bail!("unexpected binary frame"),
            Some(Ok(_)) => {}
        }
        Ok(())
    }
}
