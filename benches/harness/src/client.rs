//! What the scenarios drive: one client speaking either Socket.IO (`echo`,
//! `join`, `bcast` as acked emits) or the raw peer's frames (`e…`, `j`,
//! `b…`), with the packets built and the replies sorted the same way for
//! both. Replies carry the ack id with Socket.IO; the raw peer answers in
//! order, so there the caller matches them first-in first-out.

use std::net::SocketAddr;

use anyhow::{bail, Result};
use bytes::Bytes;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::cli::{Proto, Transport};
use crate::sio::SioClient;
use crate::ws::WsTransport;

/// A packet from the server, sorted.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming<'a> {
    /// An ack (`43<id>[...]`) or a raw reply (`e…`, `j`, `a`); `body` is the
    /// ack's arguments (`[...]`) or what follows the raw reply's letter.
    Reply { id: Option<u64>, body: &'a [u8] },
    /// A broadcast's payload: a JSON string with its quotes for Socket.IO,
    /// the bare text for raw.
    Bcast(&'a [u8]),
    /// Anything else (ignored).
    Other,
}

/// One connected client.
pub enum Client {
    Sio(SioClient),
    Raw(WsTransport),
}

impl Client {
    /// Connects (and, for Socket.IO, joins namespace `/` with `auth`, a
    /// JSON object, as the CONNECT payload when given).
    pub async fn connect(
        addr: SocketAddr,
        proto: Proto,
        transport: Transport,
        auth: Option<&str>,
    ) -> Result<Self> {
        Ok(match proto {
            Proto::Sio => Client::Sio(SioClient::connect(addr, transport, auth).await?),
            // The raw peer answers on any path.
            Proto::Raw => Client::Raw(WsTransport::connect(addr, "/").await?),
        })
    }

    /// Buffers one prebuilt frame or packet.
    pub async fn send(&mut self, frame: Utf8Bytes) -> Result<()> {
        match self {
            Client::Sio(c) => c.send(frame).await,
            Client::Raw(c) => c.send(frame).await,
        }
    }

    pub async fn flush(&mut self) -> Result<()> {
        match self {
            Client::Sio(c) => c.flush().await,
            Client::Raw(c) => c.flush().await,
        }
    }

    /// Waits for packets from the server; see [`Client::sort`].
    pub async fn recv(&mut self, out: &mut Vec<Bytes>) -> Result<()> {
        match self {
            Client::Sio(c) => c.recv(out).await,
            Client::Raw(c) => c.recv(out).await,
        }
    }

    /// Sorts one packet returned by `recv`.
    pub fn sort<'a>(&self, packet: &'a [u8]) -> Result<Incoming<'a>> {
        match self {
            Client::Sio(_) => sort_sio(packet),
            Client::Raw(_) => Ok(sort_raw(packet)),
        }
    }
}

fn sort_sio(p: &[u8]) -> Result<Incoming<'_>> {
    if let Some(rest) = p.strip_prefix(b"43") {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let id = std::str::from_utf8(&rest[..digits])
            .ok()
            .and_then(|s| s.parse().ok());
        return Ok(Incoming::Reply {
            id,
            body: &rest[digits..],
        });
    }
    if let Some(rest) = p.strip_prefix(br#"42["bcast","#) {
        return Ok(Incoming::Bcast(rest.strip_suffix(b"]").unwrap_or(rest)));
    }
    if p.starts_with(b"41") || p.starts_with(b"44") {
        bail!("disconnected by the server: {}", String::from_utf8_lossy(p));
    }
    Ok(Incoming::Other)
}

fn sort_raw(p: &[u8]) -> Incoming<'_> {
    match p.first() {
        Some(b'e') => Incoming::Reply {
            id: None,
            body: &p[1..],
        },
        Some(b'j' | b'a') if p.len() == 1 => Incoming::Reply {
            id: None,
            body: b"",
        },
        _ => Incoming::Bcast(p),
    }
}

/// Builds the frames a scenario sends, for one protocol.
#[derive(Clone)]
pub struct Frames {
    proto: Proto,
    /// The echo payload: `BYTES` × `x`.
    pad: String,
}

impl Frames {
    pub fn new(proto: Proto, payload: usize) -> Self {
        Self {
            proto,
            pad: "x".repeat(payload),
        }
    }

    /// An `echo` emit with ack id `id`.
    pub fn echo(&self, id: u64) -> Utf8Bytes {
        match self.proto {
            Proto::Sio => format!(r#"42{id}["echo","{}"]"#, self.pad).into(),
            Proto::Raw => format!("e{}", self.pad).into(),
        }
    }

    /// What the reply body to [`Frames::echo`] must be.
    pub fn echo_reply(&self) -> Vec<u8> {
        match self.proto {
            Proto::Sio => format!(r#"["{}"]"#, self.pad).into_bytes(),
            Proto::Raw => self.pad.clone().into_bytes(),
        }
    }

    /// A `join` emit with ack id `id`.
    pub fn join(&self, id: u64) -> Utf8Bytes {
        match self.proto {
            Proto::Sio => format!(r#"42{id}["join"]"#).into(),
            Proto::Raw => Utf8Bytes::from_static("j"),
        }
    }

    /// A `bcast` emit with ack id `id` whose payload is `ts:sender:seq:` and
    /// padding up to about `BYTES` bytes; `ts` in nanoseconds (see
    /// [`parse_stamp`]).
    pub fn bcast(&self, id: u64, ts: u64, sender: u32, seq: u64) -> Utf8Bytes {
        let stamp = format!("{ts}:{sender}:{seq}:");
        let pad = &self.pad[..self.pad.len().saturating_sub(stamp.len())];
        match self.proto {
            Proto::Sio => format!(r#"42{id}["bcast","{stamp}{pad}"]"#).into(),
            Proto::Raw => format!("b{stamp}{pad}").into(),
        }
    }
}

/// The send timestamp (ns) of a broadcast payload from [`Frames::bcast`].
pub fn parse_stamp(payload: &[u8]) -> Option<u64> {
    let p = payload.strip_prefix(b"\"").unwrap_or(payload);
    let digits = p.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || p.get(digits) != Some(&b':') {
        return None;
    }
    std::str::from_utf8(&p[..digits]).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_socket_io_packets() {
        assert_eq!(
            sort_sio(br#"4317["x"]"#).unwrap(),
            Incoming::Reply {
                id: Some(17),
                body: br#"["x"]"#
            }
        );
        assert_eq!(
            sort_sio(br#"42["bcast","12:0:3:xx"]"#).unwrap(),
            Incoming::Bcast(br#""12:0:3:xx""#)
        );
        assert!(sort_sio(b"41").is_err());
        assert_eq!(
            sort_raw(b"a"),
            Incoming::Reply {
                id: None,
                body: b""
            }
        );
        assert_eq!(sort_raw(b"12:0:3:x"), Incoming::Bcast(b"12:0:3:x"));
    }

    #[test]
    fn stamps_round_trip() {
        let f = Frames::new(Proto::Sio, 64);
        let frame = f.bcast(5, 123456789, 2, 9);
        let text = frame.as_str();
        assert!(text.starts_with(r#"425["bcast","123456789:2:9:xx"#));
        assert_eq!(text.len(), r#"425["bcast",""]"#.len() + 64);
        let received = format!("42{}", &text[3..]);
        let payload = sort_sio(received.as_bytes()).unwrap();
        let Incoming::Bcast(p) = payload else {
            panic!()
        };
        assert_eq!(parse_stamp(p), Some(123456789));
        assert_eq!(parse_stamp(b"nope"), None);
    }
}
