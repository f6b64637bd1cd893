//! A WebSocket attacker's connection: an Engine.IO session over WebSocket
//! (open packet read), frames sent in one write, and frames read with a
//! deadline, the server's pings answered on the way.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::wire::PATH;
use crate::ws::WsTransport;

/// One Engine.IO session over WebSocket.
pub struct WsConn(WsTransport);

/// What reading brought.
pub enum Read {
    /// Text frames (pings already answered).
    Frames(Vec<Bytes>),
    /// Nothing before the deadline.
    Quiet,
    /// The connection ended: why.
    Ended(String),
}

impl WsConn {
    /// Opens the session and reads its open packet.
    pub async fn open(addr: SocketAddr) -> Result<Self, String> {
        let path = format!("{PATH}?EIO=4&transport=websocket");
        let mut ws = WsTransport::connect(addr, &path)
            .await
            .map_err(|e| format!("WebSocket refused: {e:#}"))?;
        let mut first = Vec::new();
        ws.recv(&mut first)
            .await
            .map_err(|e| format!("no open packet: {e:#}"))?;
        match first.first() {
            Some(p) if p.starts_with(b"0{") => Ok(Self(ws)),
            other => Err(format!("not an open packet: {other:?}")),
        }
    }

    /// Sends `frames` in one write.
    pub async fn send_all<I: IntoIterator<Item = String>>(
        &mut self,
        frames: I,
    ) -> Result<(), String> {
        for f in frames {
            self.0
                .send(Utf8Bytes::from(f))
                .await
                .map_err(|e| format!("{e:#}"))?;
        }
        self.0.flush().await.map_err(|e| format!("{e:#}"))
    }

    /// Frames that arrive within `wait`.
    pub async fn read(&mut self, wait: Duration) -> Read {
        let mut out = Vec::new();
        match tokio::time::timeout(wait, self.0.recv(&mut out)).await {
            Err(_) => Read::Quiet,
            Ok(Err(e)) => Read::Ended(short(&format!("{e:#}"))),
            Ok(Ok(())) => {
                let pings = out.iter().filter(|p| &p[..] == b"2").count();
                if pings > 0 {
                    let _ = self.send_all((0..pings).map(|_| "3".to_owned())).await;
                }
                out.retain(|p| &p[..] != b"2");
                Read::Frames(out)
            }
        }
    }
}

/// The reason a connection ended, without the details that vary.
pub fn short(why: &str) -> String {
    if why.contains("closed by the server") {
        match why.find("code: ") {
            Some(i) => format!(
                "close frame {}",
                why[i + 6..]
                    .split(|c: char| !c.is_alphanumeric())
                    .next()
                    .unwrap_or("")
            ),
            None => "close frame".into(),
        }
    } else if why.contains("connection closed") {
        "closed".into()
    } else {
        why.chars().take(60).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::short;

    #[test]
    fn endings_are_told_apart() {
        let frame = r#"closed by the server: Some(CloseFrame { code: Policy, reason: "" })"#;
        assert_eq!(short(frame), "close frame Policy");
        assert_eq!(short("connection closed by the server"), "close frame");
        assert_eq!(short("WebSocket error: connection closed"), "closed");
    }
}
