//! [`Typing`]: who is typing where. A `typing:start` goes out when a user
//! starts (again at most every half timeout while they keep typing), and a
//! stop goes out on `typing:stop` or when no start came for the timeout.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Entry {
    /// Changes at every start: a clear timer only clears its own start.
    generation: u64,
    /// When a start last went out.
    announced: Instant,
}

/// Typing state by (user, conversation).
#[derive(Debug)]
pub struct Typing {
    timeout: Duration,
    entries: Mutex<HashMap<(String, String), Entry>>,
    next: Mutex<u64>,
}

/// What a start asks of the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Started {
    /// Tell the conversation (else throttled).
    pub announce: bool,
    /// Pass to [`Typing::expire`] after the timeout.
    pub generation: u64,
}

impl Typing {
    /// Indicators end `timeout` after the last start.
    pub fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            entries: Mutex::default(),
            next: Mutex::new(0),
        }
    }

    /// The timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// `user` started typing in `cid`.
    pub fn start(&self, user: &str, cid: &str, now: Instant) -> Started {
        let generation = match self.next.lock() {
            Ok(mut n) => {
                *n += 1;
                *n
            }
            Err(_) => 0,
        };
        let Ok(mut entries) = self.entries.lock() else {
            return Started {
                announce: false,
                generation,
            };
        };
        let key = (user.to_string(), cid.to_string());
        let announce = entries
            .get(&key)
            .is_none_or(|e| now.duration_since(e.announced) >= self.timeout / 2);
        let announced = match entries.get(&key) {
            Some(e) if !announce => e.announced,
            _ => now,
        };
        entries.insert(
            key,
            Entry {
                generation,
                announced,
            },
        );
        Started {
            announce,
            generation,
        }
    }

    /// `user` stopped typing in `cid`; true when they were typing.
    pub fn stop(&self, user: &str, cid: &str) -> bool {
        self.entries
            .lock()
            .is_ok_and(|mut e| e.remove(&(user.to_string(), cid.to_string())).is_some())
    }

    /// The timeout of start `generation` ran out: true when that start was
    /// the last one (the indicator is now cleared).
    pub fn expire(&self, user: &str, cid: &str, generation: u64) -> bool {
        let Ok(mut entries) = self.entries.lock() else {
            return false;
        };
        let key = (user.to_string(), cid.to_string());
        if entries
            .get(&key)
            .is_some_and(|e| e.generation == generation)
        {
            entries.remove(&key);
            return true;
        }
        false
    }

    /// Clears every indicator of `user`; the conversations they were typing in.
    pub fn clear_user(&self, user: &str) -> Vec<String> {
        let Ok(mut entries) = self.entries.lock() else {
            return Vec::new();
        };
        let cids: Vec<String> = entries
            .keys()
            .filter(|(u, _)| u == user)
            .map(|(_, c)| c.clone())
            .collect();
        for cid in &cids {
            entries.remove(&(user.to_string(), cid.clone()));
        }
        cids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_are_throttled_and_only_the_last_start_expires() {
        let t = Typing::new(Duration::from_secs(3));
        let t0 = Instant::now();
        let first = t.start("a", "c", t0);
        assert!(first.announce);
        let again = t.start("a", "c", t0 + Duration::from_millis(500));
        assert!(!again.announce, "throttled");
        assert!(t.start("b", "c", t0).announce, "another user");
        assert!(t.start("a", "d", t0).announce, "another conversation");
        assert!(
            !t.expire("a", "c", first.generation),
            "a later start stands"
        );
        let later = t.start("a", "c", t0 + Duration::from_millis(1600));
        assert!(
            later.announce,
            "half the timeout passed since the last one out"
        );
        assert!(t.expire("a", "c", later.generation));
        assert!(!t.stop("a", "c"), "already cleared");
        assert!(t.stop("b", "c"));
        let mut cleared = t.clear_user("a");
        cleared.sort();
        assert_eq!(cleared, vec!["d".to_string()]);
        assert!(t.clear_user("a").is_empty());
        assert_eq!(t.timeout(), Duration::from_secs(3));
    }
}
