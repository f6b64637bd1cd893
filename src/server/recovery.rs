//! Connection-state recovery (socket.io v4.6): while a disconnected socket may
//! come back, its id, rooms and the broadcasts it missed are kept here; the
//! client reconnects with its private id (`pid`) and the offset of the last
//! broadcast it saw, and gets them back.
//!
//! Kept in memory, per namespace, for `max_disconnection_duration`.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::time::Instant;

use rand::RngCore;
use serde_json::Value;

use super::adapter::{BroadcastOptions, Room};
use super::config::RecoveryConfig;
use super::error::DisconnectReason;
use super::socket::Sid;
use crate::engine;
use crate::protocol::Packet;

/// What is restored to a socket that comes back.
#[derive(Debug)]
pub(crate) struct Restored {
    /// The socket's previous id.
    pub(crate) sid: Sid,
    /// Its rooms (its own id excluded).
    pub(crate) rooms: Vec<Room>,
    /// The broadcasts it missed, oldest first.
    pub(crate) missed: Vec<Packet>,
}

/// A disconnected socket's state.
#[derive(Debug)]
struct Session {
    sid: Sid,
    rooms: HashSet<Room>,
    disconnected_at: Instant,
}

/// A broadcast kept for sockets that may come back.
#[derive(Debug)]
struct Kept {
    offset: String,
    opts: BroadcastOptions,
    at: Instant,
    packet: Packet,
}

/// The sessions and broadcasts of one namespace.
#[derive(Debug)]
pub(crate) struct RecoveryStore {
    config: RecoveryConfig,
    /// A random prefix, so offsets of another process never match ours.
    epoch: String,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    next_offset: u64,
    sessions: HashMap<String, Session>,
    packets: VecDeque<Kept>,
}

/// Disconnections after which a socket may come back.
pub(crate) fn is_recoverable(reason: DisconnectReason) -> bool {
    // Every loss of the connection but a client that sent garbage.
    matches!(reason, DisconnectReason::Connection(r) if r != engine::DisconnectReason::ParseError)
}

impl RecoveryStore {
    pub(crate) fn new(config: RecoveryConfig) -> Self {
        let mut nonce = [0u8; 4];
        rand::rng().fill_bytes(&mut nonce);
        Self {
            config,
            epoch: nonce.iter().map(|b| format!("{b:02x}")).collect(),
            state: Mutex::default(),
        }
    }

    pub(crate) fn config(&self) -> RecoveryConfig {
        self.config
    }

    /// Drops what is older than the recovery window, and the oldest packets
    /// beyond the buffer's size.
    fn prune(&self, state: &mut State, now: Instant) {
        let window = self.config.max_disconnection_duration;
        state
            .sessions
            .retain(|_, s| now.duration_since(s.disconnected_at) < window);
        while state
            .packets
            .front()
            .is_some_and(|k| now.duration_since(k.at) >= window)
            || state.packets.len() > self.config.max_buffered_packets
        {
            state.packets.pop_front();
        }
    }

    /// Keeps a broadcast and returns the offset to append to its arguments.
    pub(crate) fn keep(&self, packet: &Packet, opts: &BroadcastOptions) -> String {
        let Ok(mut state) = self.state.lock() else {
            return String::new();
        };
        let now = Instant::now();
        self.prune(&mut state, now);
        state.next_offset += 1;
        let offset = format!("{}-{}", self.epoch, state.next_offset);
        let mut kept = packet.clone();
        if let Some(Value::Array(args)) = &mut kept.data {
            args.push(Value::String(offset.clone()));
        }
        state.packets.push_back(Kept {
            offset: offset.clone(),
            opts: opts.clone(),
            at: now,
            packet: kept,
        });
        offset
    }

    /// Remembers a socket that left for a recoverable reason.
    pub(crate) fn save(&self, pid: &Sid, sid: &Sid, rooms: HashSet<Room>) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let now = Instant::now();
        self.prune(&mut state, now);
        state.sessions.insert(
            pid.to_string(),
            Session {
                sid: sid.clone(),
                rooms,
                disconnected_at: now,
            },
        );
    }

    /// The state of session `pid`, if it is still kept and `offset` is a
    /// broadcast we still have.
    pub(crate) fn restore(&self, pid: &str, offset: &str) -> Option<Restored> {
        let mut state = self.state.lock().ok()?;
        self.prune(&mut state, Instant::now());
        let index = state.packets.iter().position(|k| k.offset == offset)?;
        let session = state.sessions.remove(pid)?;
        let reaches = |opts: &BroadcastOptions| {
            let rooms_ok = opts.rooms.is_empty()
                || opts.rooms.contains(session.sid.as_str())
                || opts.rooms.iter().any(|r| session.rooms.contains(r));
            let excepted = opts.except.contains(session.sid.as_str())
                || opts.except.iter().any(|r| session.rooms.contains(r));
            rooms_ok && !excepted
        };
        let missed = state
            .packets
            .iter()
            .skip(index + 1)
            .filter(|k| reaches(&k.opts))
            .map(|k| k.packet.clone())
            .collect();
        Some(Restored {
            sid: session.sid,
            rooms: session.rooms.into_iter().collect(),
            missed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Packet;

    #[test]
    fn restores_rooms_and_the_broadcasts_missed_in_them() {
        let store = RecoveryStore::new(RecoveryConfig::default());
        let to_room = |room: &str| BroadcastOptions {
            rooms: [room.to_owned()].into(),
            ..Default::default()
        };
        let seen = store.keep(&Packet::event("/", "a", vec![], vec![]), &to_room("r"));
        let pid = Sid::from("pid");
        let sid = Sid::from("sid");
        store.save(&pid, &sid, ["r".to_owned()].into());
        store.keep(&Packet::event("/", "b", vec![], vec![]), &to_room("r"));
        store.keep(&Packet::event("/", "c", vec![], vec![]), &to_room("other"));
        let restored = store.restore("pid", &seen).expect("session kept");
        assert_eq!(restored.sid, sid);
        assert_eq!(restored.rooms, vec!["r".to_owned()]);
        let names: Vec<_> = restored
            .missed
            .iter()
            .filter_map(|p| p.event_name())
            .collect();
        assert_eq!(names, vec!["b"]);
        assert!(
            store.restore("pid", &seen).is_none(),
            "a session is restored once"
        );
        assert!(store.restore("nobody", &seen).is_none());
    }
}
