//! What recovery keeps in storage: [`Offset`]s (the position of a kept
//! broadcast, as clients echo it back), [`SessionRecord`]s (a socket that may
//! come back) and [`KeptRecord`]s (a broadcast kept for it).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::engine::Frame;
use crate::server::adapter::{BroadcastOptions, Room};

/// The position of a kept broadcast: the server start that issued it, and
/// its number in that start. Ordered as issued, across restarts; stored as a
/// 16-byte big-endian key so that storage keeps that order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub(crate) struct Offset {
    pub(crate) boot: u64,
    pub(crate) n: u64,
}

impl Offset {
    /// The storage key.
    pub(crate) fn key(self) -> [u8; 16] {
        let mut key = [0u8; 16];
        key[..8].copy_from_slice(&self.boot.to_be_bytes());
        key[8..].copy_from_slice(&self.n.to_be_bytes());
        key
    }

    /// The offset of a storage key.
    pub(crate) fn from_key(key: &[u8]) -> Option<Self> {
        let boot = u64::from_be_bytes(key.get(..8)?.try_into().ok()?);
        let n = u64::from_be_bytes(key.get(8..16)?.try_into().ok()?);
        Some(Self { boot, n })
    }

    /// The offset right after this one.
    pub(crate) fn next(self) -> Self {
        Self {
            boot: self.boot,
            n: self.n.saturating_add(1),
        }
    }

    /// The offset a client sent (`"{boot}-{n}"`), if it is one of ours.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let (boot, n) = text.split_once('-')?;
        Some(Self {
            boot: boot.parse().ok()?,
            n: n.parse().ok()?,
        })
    }
}

impl fmt::Display for Offset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.boot, self.n)
    }
}

/// A socket that may come back: written when it connects, rewritten when
/// its rooms or data change and when it leaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SessionRecord {
    /// The socket id it gets back.
    pub(crate) sid: String,
    /// Its rooms, its own id excluded.
    pub(crate) rooms: Vec<Room>,
    /// `socket.data`, as JSON.
    pub(crate) data: Option<String>,
    /// The first offset it may have missed (the next one to be issued when
    /// it connected): a client without an offset is restored from here.
    pub(crate) since: Offset,
    /// The server start it was connected to.
    pub(crate) boot: u64,
    /// When it left (unix ms); `None` while connected.
    pub(crate) left_at_ms: Option<u64>,
}

/// A broadcast kept for sockets that may come back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct KeptRecord {
    /// When it was sent (unix ms).
    pub(crate) at_ms: u64,
    /// Who it went to.
    pub(crate) rooms: Vec<Room>,
    pub(crate) except: Vec<Room>,
    /// The Socket.IO text of the packet, offset included.
    pub(crate) text: String,
    /// Its binary attachments.
    pub(crate) attachments: Vec<Vec<u8>>,
}

impl KeptRecord {
    /// The record of a broadcast sent as `frames` to `opts`.
    pub(crate) fn new(frames: &[Frame], opts: &BroadcastOptions, at_ms: u64) -> Self {
        let mut text = String::new();
        let mut attachments = Vec::new();
        for frame in frames {
            match frame {
                // The engine's message digit comes off; it is put back on replay.
                Frame::Text(t) => text = t.as_str().get(1..).unwrap_or_default().to_owned(),
                Frame::Binary(b) => attachments.push(b.to_vec()),
            }
        }
        Self {
            at_ms,
            rooms: opts.rooms.iter().cloned().collect(),
            except: opts.except.iter().cloned().collect(),
            text,
            attachments,
        }
    }

    /// True when the broadcast reached (or would have reached) the socket
    /// `sid` in `rooms`.
    pub(crate) fn reaches(&self, sid: &str, rooms: &[Room]) -> bool {
        let member = |room: &Room| room == sid || rooms.contains(room);
        let addressed = self.rooms.is_empty() || self.rooms.iter().any(member);
        addressed && !self.except.iter().any(member)
    }

    /// The frames to send again.
    pub(crate) fn frames(self) -> Vec<Frame> {
        let mut frames = Vec::with_capacity(1 + self.attachments.len());
        frames.push(Frame::message(&self.text));
        frames.extend(
            self.attachments
                .into_iter()
                .map(|a| Frame::binary(bytes::Bytes::from(a))),
        );
        frames
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_order_across_starts_and_round_trip() {
        let a = Offset { boot: 1, n: 300 };
        let b = Offset { boot: 2, n: 1 };
        assert!(a.key() < b.key(), "a later start sorts after");
        assert!(a.key() < a.next().key());
        assert_eq!(Offset::from_key(&b.key()), Some(b));
        assert_eq!(Offset::parse(&a.to_string()), Some(a));
        for bad in ["", "1", "1-", "-1", "x-1", "1-2-3", "1-x"] {
            assert_eq!(Offset::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Offset::from_key(&[0u8; 15]), None);
    }

    #[test]
    fn a_kept_broadcast_reaches_rooms_and_honours_except() {
        let record = |rooms: &[&str], except: &[&str]| KeptRecord {
            at_ms: 0,
            rooms: rooms.iter().map(|r| r.to_string()).collect(),
            except: except.iter().map(|r| r.to_string()).collect(),
            text: String::new(),
            attachments: Vec::new(),
        };
        let rooms = vec!["r".to_owned(), "vip".to_owned()];
        assert!(record(&[], &[]).reaches("s", &rooms), "the whole namespace");
        assert!(record(&["r"], &[]).reaches("s", &rooms));
        assert!(record(&["s"], &[]).reaches("s", &rooms), "its own room");
        assert!(!record(&["other"], &[]).reaches("s", &rooms));
        assert!(
            !record(&["r"], &["vip"]).reaches("s", &rooms),
            "a room excepted"
        );
        assert!(!record(&[], &["s"]).reaches("s", &rooms), "itself excepted");
        assert!(record(&["r"], &["other"]).reaches("s", &rooms));
    }

    #[test]
    fn frames_round_trip_through_a_record() {
        let frames = vec![
            Frame::message("51-[\"e\",{\"_placeholder\":true,\"num\":0},\"1-1\"]"),
            Frame::binary(bytes::Bytes::from_static(b"\x00\x01")),
        ];
        let record = KeptRecord::new(&frames, &BroadcastOptions::default(), 5);
        assert_eq!(record.attachments, vec![vec![0u8, 1]]);
        assert_eq!(record.frames(), frames);
    }
}
