//! [`RoomIndex`]: this node's room membership, in memory — rooms by name
//! and, for each socket, its rooms (so leaving all is cheap).

use std::collections::{HashMap, HashSet};
use std::sync::RwLock;

use super::{BroadcastOptions, Room};
use crate::server::socket::Sid;

/// Room membership of this node's sockets.
#[derive(Debug, Default)]
pub struct RoomIndex {
    inner: RwLock<Rooms>,
}

#[derive(Debug, Default)]
struct Rooms {
    /// Members of each room.
    rooms: HashMap<Room, HashSet<Sid>>,
    /// Rooms of each socket.
    sids: HashMap<Sid, HashSet<Room>>,
}

impl RoomIndex {
    /// No rooms.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds socket `sid` to `rooms`.
    pub fn add_all(&self, sid: &Sid, rooms: &[Room]) {
        let Ok(mut r) = self.inner.write() else {
            return;
        };
        for room in rooms {
            r.rooms.entry(room.clone()).or_default().insert(sid.clone());
            r.sids.entry(sid.clone()).or_default().insert(room.clone());
        }
    }

    /// Removes socket `sid` from `room`.
    pub fn del(&self, sid: &Sid, room: &str) {
        let Ok(mut r) = self.inner.write() else {
            return;
        };
        if let Some(members) = r.rooms.get_mut(room) {
            members.remove(sid);
            if members.is_empty() {
                r.rooms.remove(room);
            }
        }
        if let Some(rooms) = r.sids.get_mut(sid) {
            rooms.remove(room);
        }
    }

    /// Removes socket `sid` from every room.
    pub fn del_all(&self, sid: &Sid) {
        let Ok(mut r) = self.inner.write() else {
            return;
        };
        let Some(rooms) = r.sids.remove(sid) else {
            return;
        };
        for room in rooms {
            if let Some(members) = r.rooms.get_mut(&room) {
                members.remove(sid);
                if members.is_empty() {
                    r.rooms.remove(&room);
                }
            }
        }
    }

    /// The rooms socket `sid` is in.
    pub fn socket_rooms(&self, sid: &Sid) -> HashSet<Room> {
        self.inner
            .read()
            .ok()
            .and_then(|r| r.sids.get(sid).cloned())
            .unwrap_or_default()
    }

    /// The sockets `opts` selects.
    pub fn local_targets(&self, opts: &BroadcastOptions) -> Vec<Sid> {
        let Ok(r) = self.inner.read() else {
            return Vec::new();
        };
        let excluded = |sid: &Sid| {
            !opts.except.is_empty()
                && (opts.except.contains(sid.as_str())
                    || r.sids
                        .get(sid)
                        .is_some_and(|rooms| rooms.iter().any(|room| opts.except.contains(room))))
        };
        if opts.rooms.is_empty() {
            return r.sids.keys().filter(|s| !excluded(s)).cloned().collect();
        }
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for room in &opts.rooms {
            if let Some(members) = r.rooms.get(room) {
                for sid in members {
                    if !excluded(sid) && seen.insert(sid) {
                        out.push(sid.clone());
                    }
                }
            }
        }
        out
    }

    /// Every room with at least one socket.
    pub fn rooms(&self) -> Vec<Room> {
        self.inner
            .read()
            .map(|r| r.rooms.keys().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sid(s: &str) -> Sid {
        Sid::from(s)
    }

    #[test]
    fn rooms_targets_and_exceptions() {
        let a = RoomIndex::new();
        a.add_all(&sid("s1"), &["s1".into(), "r".into()]);
        a.add_all(&sid("s2"), &["s2".into(), "r".into(), "vip".into()]);
        a.add_all(&sid("s3"), &["s3".into()]);
        let mut opts = BroadcastOptions::default();
        let mut all = a.local_targets(&opts);
        all.sort();
        assert_eq!(all, vec![sid("s1"), sid("s2"), sid("s3")]);
        opts.rooms.insert("r".into());
        opts.except.insert("vip".into());
        assert_eq!(a.local_targets(&opts), vec![sid("s1")]);
        a.del_all(&sid("s1"));
        assert!(a.local_targets(&opts).is_empty());
        assert!(!a.rooms().contains(&"s1".to_owned()));
        a.del(&sid("s2"), "r");
        assert_eq!(a.socket_rooms(&sid("s2")).len(), 2);
    }
}
