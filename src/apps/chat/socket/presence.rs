//! [`Presence`]: who is online, from the set of each user's live sockets
//! across devices. A user is online while any socket is, `away` when they
//! said so, offline when the last socket leaves.

use std::collections::HashMap;
use std::sync::Mutex;

/// A user's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Connected and active.
    Online,
    /// Connected, but said they are away.
    Away,
    /// No socket connected.
    Offline,
}

impl Status {
    /// The name clients see.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Away => "away",
            Self::Offline => "offline",
        }
    }

    /// `online` or `away` from a client.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "online" => Some(Self::Online),
            "away" => Some(Self::Away),
            _ => None,
        }
    }
}

#[derive(Debug, Default)]
struct UserPresence {
    /// Live sockets by device.
    devices: HashMap<String, usize>,
    away: bool,
}

/// The live sockets of every user.
#[derive(Debug, Default)]
pub struct Presence {
    users: Mutex<HashMap<String, UserPresence>>,
}

impl Presence {
    /// A socket of `user` on `device` connected; true when the user just
    /// came online.
    pub fn connect(&self, user: &str, device: &str) -> bool {
        let Ok(mut users) = self.users.lock() else {
            return false;
        };
        let p = users.entry(user.to_string()).or_default();
        let was_offline = p.devices.is_empty();
        *p.devices.entry(device.to_string()).or_default() += 1;
        if was_offline {
            p.away = false;
        }
        was_offline
    }

    /// A socket of `user` on `device` left: whether the device has no socket
    /// left, and whether the user went offline.
    pub fn disconnect(&self, user: &str, device: &str) -> (bool, bool) {
        let Ok(mut users) = self.users.lock() else {
            return (false, false);
        };
        let Some(p) = users.get_mut(user) else {
            return (false, false);
        };
        let device_gone = match p.devices.get_mut(device) {
            Some(n) if *n > 1 => {
                *n -= 1;
                false
            }
            Some(_) => {
                p.devices.remove(device);
                true
            }
            None => false,
        };
        let offline = p.devices.is_empty();
        if offline {
            users.remove(user);
        }
        (device_gone, offline)
    }

    /// `user` says they are `status` (online or away); true when it changed.
    pub fn set(&self, user: &str, status: Status) -> bool {
        let Ok(mut users) = self.users.lock() else {
            return false;
        };
        let Some(p) = users.get_mut(user) else {
            return false;
        };
        let away = status == Status::Away;
        let changed = p.away != away;
        p.away = away;
        changed
    }

    /// `user`'s status.
    pub fn status(&self, user: &str) -> Status {
        match self.users.lock().ok().as_ref().and_then(|u| u.get(user)) {
            None => Status::Offline,
            Some(p) if p.away => Status::Away,
            Some(_) => Status::Online,
        }
    }

    /// Every connected (user, device).
    pub fn devices(&self) -> Vec<(String, String)> {
        let Ok(users) = self.users.lock() else {
            return Vec::new();
        };
        users
            .iter()
            .flat_map(|(u, p)| p.devices.keys().map(move |d| (u.clone(), d.clone())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn online_across_devices_until_the_last_socket_leaves() {
        let p = Presence::default();
        assert_eq!(p.status("a"), Status::Offline);
        assert!(p.connect("a", "web"));
        assert!(!p.connect("a", "phone"), "already online");
        assert!(!p.connect("a", "phone"), "a second socket on the phone");
        assert_eq!(p.status("a"), Status::Online);
        let mut devices = p.devices();
        devices.sort();
        assert_eq!(
            devices,
            vec![("a".into(), "phone".into()), ("a".into(), "web".into())]
        );
        assert_eq!(
            p.disconnect("a", "phone"),
            (false, false),
            "one phone socket left"
        );
        assert_eq!(
            p.disconnect("a", "phone"),
            (true, false),
            "the phone is gone"
        );
        assert!(p.set("a", Status::Away));
        assert!(!p.set("a", Status::Away), "no change");
        assert_eq!(p.status("a"), Status::Away);
        assert_eq!(p.disconnect("a", "web"), (true, true), "offline");
        assert_eq!(p.status("a"), Status::Offline);
        assert!(!p.set("a", Status::Online), "an offline user sets nothing");
        assert_eq!(p.disconnect("a", "web"), (false, false));
        assert!(p.connect("a", "web"), "back online, not away");
        assert_eq!(p.status("a"), Status::Online);
        assert_eq!(Status::parse("away"), Some(Status::Away));
        assert_eq!(
            Status::parse("offline"),
            None,
            "a client cannot claim offline"
        );
    }
}
