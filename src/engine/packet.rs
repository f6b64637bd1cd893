//! Engine.IO v4 packets: the pure codec, no I/O.
//!
//! A packet is a type digit followed by its data (`4hello`), or, for binary
//! messages, raw bytes (a WebSocket binary frame) or `b` + base64 (inside a
//! polling payload). Packets received are decoded into [`Packet`]; packets to
//! send are encoded once into a [`Frame`], which is cheap to clone, so one
//! broadcast is encoded once and shared by every receiver.

use base64::Engine as _;
use bytes::Bytes;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::error::PacketError;
use super::text::Text;

/// The seven packet types of Engine.IO v4, by their wire digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketType {
    /// `0`: the handshake, sent by the server first.
    Open = 0,
    /// `1`: close the session.
    Close = 1,
    /// `2`: heartbeat (and `2probe` in an upgrade).
    Ping = 2,
    /// `3`: the answer to a ping.
    Pong = 3,
    /// `4`: a message for the layer above.
    Message = 4,
    /// `5`: the client completes the upgrade to WebSocket.
    Upgrade = 5,
    /// `6`: nothing; releases a pending poll during an upgrade.
    Noop = 6,
}

impl PacketType {
    fn from_digit(b: u8) -> Option<Self> {
        Some(match b {
            b'0' => Self::Open,
            b'1' => Self::Close,
            b'2' => Self::Ping,
            b'3' => Self::Pong,
            b'4' => Self::Message,
            b'5' => Self::Upgrade,
            b'6' => Self::Noop,
            _ => return None,
        })
    }

    fn digit(self) -> char {
        (b'0' + self as u8) as char
    }
}

/// One Engine.IO packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// Handshake data (JSON), sent by the server only.
    Open(Text),
    /// Closes the session.
    Close,
    /// A heartbeat request; `probe` during an upgrade.
    Ping(Text),
    /// The answer to a ping; `probe` during an upgrade.
    Pong(Text),
    /// A text message.
    Message(Text),
    /// A binary message.
    Binary(Bytes),
    /// Completes the upgrade from polling to WebSocket.
    Upgrade,
    /// Does nothing; used to release a pending long-poll.
    Noop,
}

impl Packet {
    /// Decodes a text packet: a type digit then its data, or `b` + base64 for
    /// a binary message. Polling payloads carry binary that way, and so do
    /// WebSocket text frames from clients told to `forceBase64`.
    pub fn decode_text(text: Text) -> Result<Packet, PacketError> {
        if let Some(b64) = text.strip_prefix('b') {
            return base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map(|v| Packet::Binary(Bytes::from(v)))
                .map_err(|_| PacketError::BadBase64);
        }
        let first = *text.as_bytes().first().ok_or(PacketError::Empty)?;
        let kind = PacketType::from_digit(first).ok_or(PacketError::UnknownType(first))?;
        // The digit is one ASCII byte, so index 1 is a char boundary.
        let data = text.skip(1).unwrap_or_default();
        let no_data = |p: Packet| {
            if data.is_empty() {
                Ok(p)
            } else {
                Err(PacketError::UnexpectedData(kind.digit()))
            }
        };
        match kind {
            PacketType::Open => Ok(Packet::Open(data)),
            PacketType::Close => no_data(Packet::Close),
            PacketType::Ping => Ok(Packet::Ping(data)),
            PacketType::Pong => Ok(Packet::Pong(data)),
            PacketType::Message => Ok(Packet::Message(data)),
            PacketType::Upgrade => no_data(Packet::Upgrade),
            PacketType::Noop => no_data(Packet::Noop),
        }
    }

    /// The packet's type.
    pub fn kind(&self) -> PacketType {
        match self {
            Packet::Open(_) => PacketType::Open,
            Packet::Close => PacketType::Close,
            Packet::Ping(_) => PacketType::Ping,
            Packet::Pong(_) => PacketType::Pong,
            Packet::Message(_) | Packet::Binary(_) => PacketType::Message,
            Packet::Upgrade => PacketType::Upgrade,
            Packet::Noop => PacketType::Noop,
        }
    }

    /// Encodes the packet into a frame ready to send on any transport.
    pub fn encode(&self) -> Frame {
        match self {
            Packet::Open(d) | Packet::Ping(d) | Packet::Pong(d) | Packet::Message(d) => {
                text_frame(self.kind(), d)
            }
            Packet::Binary(b) => Frame::Binary(b.clone()),
            Packet::Close => Frame::Text(Utf8Bytes::from_static("1")),
            Packet::Upgrade => Frame::Text(Utf8Bytes::from_static("5")),
            Packet::Noop => Frame::Text(Utf8Bytes::from_static("6")),
        }
    }
}

/// An encoded packet, ready for a WebSocket frame or a polling payload.
/// Cloning shares the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A text packet, type digit included (`4hello`).
    Text(Utf8Bytes),
    /// A binary message: the raw bytes, no type prefix.
    Binary(Bytes),
}

impl Frame {
    /// A text message frame (`4` + `text`), built in one allocation.
    pub fn message(text: &str) -> Frame {
        text_frame(PacketType::Message, text)
    }

    /// A text message frame whose text `build` writes after the `4`, in the
    /// frame's own buffer (no intermediate string). `build` must write UTF-8;
    /// anything else makes an empty message.
    pub fn message_with(capacity: usize, build: impl FnOnce(&mut Vec<u8>)) -> Frame {
        let mut bytes = Vec::with_capacity(1 + capacity);
        bytes.push(PacketType::Message.digit() as u8);
        build(&mut bytes);
        let text = String::from_utf8(bytes).unwrap_or_else(|_| "4".to_owned());
        Frame::Text(Utf8Bytes::from(text))
    }

    /// A binary message frame.
    pub fn binary(data: Bytes) -> Frame {
        Frame::Binary(data)
    }

    /// The number of bytes this frame adds to a polling payload.
    pub fn polling_len(&self) -> usize {
        match self {
            Frame::Text(t) => t.len(),
            Frame::Binary(b) => 1 + b.len().div_ceil(3) * 4,
        }
    }

    /// Appends the frame as one packet of a polling payload.
    pub fn write_polling(&self, out: &mut String) {
        match self {
            Frame::Text(t) => out.push_str(t),
            Frame::Binary(b) => {
                out.push('b');
                base64::engine::general_purpose::STANDARD.encode_string(b, out);
            }
        }
    }
}

/// A text frame: the type digit, then `data`, in one allocation.
fn text_frame(kind: PacketType, data: &str) -> Frame {
    let mut s = String::with_capacity(1 + data.len());
    s.push(kind.digit());
    s.push_str(data);
    Frame::Text(Utf8Bytes::from(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(s: &str) -> Result<Packet, PacketError> {
        Packet::decode_text(Text::from(s))
    }

    #[test]
    fn decodes_every_type() {
        assert_eq!(decode("1"), Ok(Packet::Close));
        assert_eq!(decode("2"), Ok(Packet::Ping(Text::from(""))));
        assert_eq!(decode("2probe"), Ok(Packet::Ping(Text::from("probe"))));
        assert_eq!(decode("3probe"), Ok(Packet::Pong(Text::from("probe"))));
        assert_eq!(decode("4hello"), Ok(Packet::Message(Text::from("hello"))));
        assert_eq!(decode("5"), Ok(Packet::Upgrade));
        assert_eq!(decode("6"), Ok(Packet::Noop));
        assert_eq!(
            decode("bAQIDBA=="),
            Ok(Packet::Binary(Bytes::from_static(&[1, 2, 3, 4])))
        );
    }

    #[test]
    fn rejects_malformed_packets() {
        assert_eq!(decode(""), Err(PacketError::Empty));
        assert_eq!(decode("abc"), Err(PacketError::UnknownType(b'a')));
        assert_eq!(decode("7"), Err(PacketError::UnknownType(b'7')));
        assert_eq!(decode("b!!!"), Err(PacketError::BadBase64));
        assert_eq!(decode("5x"), Err(PacketError::UnexpectedData('5')));
    }

    #[test]
    fn encodes_and_round_trips() {
        for p in [
            Packet::Close,
            Packet::Ping(Text::from("probe")),
            Packet::Pong(Text::from("")),
            Packet::Message(Text::from("héllo €")),
            Packet::Upgrade,
            Packet::Noop,
        ] {
            let Frame::Text(t) = p.encode() else {
                panic!("text packet encoded as binary")
            };
            assert_eq!(Packet::decode_text(Text::new(t)), Ok(p));
        }
        let mut out = String::new();
        Packet::Binary(Bytes::from_static(&[1, 2, 3, 4]))
            .encode()
            .write_polling(&mut out);
        assert_eq!(out, "bAQIDBA==");
        assert_eq!(
            Frame::Binary(Bytes::from_static(&[1, 2, 3, 4])).polling_len(),
            out.len()
        );
        assert_eq!(Frame::message("hi"), Frame::Text(Utf8Bytes::from("4hi")));
    }
}
