//! The per-IP handshake rate limit (off unless configured): a token bucket
//! per client address, in a table of bounded size.
//!
//! A client over its rate is answered `429` with the Engine.IO error body
//! `{"code":4,"message":"Too many handshakes"}`: the code of a refused
//! handshake (socket.io's `allowRequest` refusal), with the status that says
//! "rate limited" to proxies and monitoring. Clients treat both the same
//! way (they reconnect with backoff). Requests with a `sid` are not
//! handshakes and are never limited.
//!
//! The address is the TCP peer's: behind a reverse proxy, every client has
//! the proxy's address, and `X-Forwarded-For` is not trusted. IPv6 clients
//! are counted per /64 (one host commonly owns a whole /64).
//!
//! The table holds at most `max_ips` addresses. When it is full, buckets
//! that have refilled completely (their address has been quiet for a
//! minute) are swept out, at most once a second; if none has, a new address
//! is let through untracked rather than refused — an attacker with more
//! addresses than the table cannot make the server refuse everyone else,
//! and `max_sessions` still bounds what gets in.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::error::{ErrorCode, RequestError};

/// How often, at most, a full table is swept of refilled buckets.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// The handshake rate allowed per client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandshakeRate {
    /// Handshakes per address per minute, in bursts of up to as many.
    pub per_minute: u32,
    /// Addresses tracked at most (about 64 bytes each).
    pub max_ips: usize,
}

impl HandshakeRate {
    /// `per_minute` handshakes per address, with the default table size.
    pub fn per_minute(per_minute: u32) -> Self {
        Self {
            per_minute,
            max_ips: 16_384,
        }
    }
}

/// One address's bucket: `tokens` handshakes left as of `at`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The table of buckets.
#[derive(Debug, Default)]
struct Table {
    buckets: HashMap<IpAddr, Bucket>,
    next_sweep: Option<Instant>,
}

/// The engine's handshake limiter; admits everything when no rate is set.
#[derive(Debug)]
pub(crate) struct HandshakeLimiter {
    rate: Option<HandshakeRate>,
    table: Mutex<Table>,
}

impl HandshakeLimiter {
    /// A limiter at `rate` (none: no limit).
    pub(crate) fn new(rate: Option<HandshakeRate>) -> Self {
        Self {
            rate: rate.filter(|r| r.per_minute > 0),
            table: Mutex::new(Table::default()),
        }
    }

    /// Takes one handshake from the bucket of `remote_addr`, or refuses it.
    pub(crate) fn admit(&self, remote_addr: Option<SocketAddr>) -> Result<(), RequestError> {
        let (Some(rate), Some(addr)) = (self.rate, remote_addr) else {
            return Ok(());
        };
        let Ok(mut table) = self.table.lock() else {
            return Ok(());
        };
        if table.take(rate, key(addr.ip()), Instant::now()) {
            Ok(())
        } else {
            Err(RequestError {
                code: Some(ErrorCode::Forbidden),
                status: http::StatusCode::TOO_MANY_REQUESTS,
                message: "Too many handshakes".to_owned(),
            })
        }
    }
}

/// The address a client is counted under: IPv4 as is (also when mapped
/// into IPv6), IPv6 by its /64.
fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(v6.to_bits() & !u128::from(u64::MAX))),
        },
    }
}

impl Bucket {
    /// The bucket's tokens at `now`, refilled at `rate`.
    fn refilled(&self, rate: HandshakeRate, now: Instant) -> f64 {
        let capacity = f64::from(rate.per_minute);
        let per_sec = capacity / 60.0;
        (self.tokens + now.duration_since(self.at).as_secs_f64() * per_sec).min(capacity)
    }
}

impl Table {
    /// Takes a token for `ip` at `now`; false when its bucket is empty.
    fn take(&mut self, rate: HandshakeRate, ip: IpAddr, now: Instant) -> bool {
        if let Some(bucket) = self.buckets.get_mut(&ip) {
            let tokens = bucket.refilled(rate, now);
            if tokens < 1.0 {
                return false;
            }
            *bucket = Bucket {
                tokens: tokens - 1.0,
                at: now,
            };
            return true;
        }
        if self.buckets.len() >= rate.max_ips {
            self.sweep(rate, now);
            if self.buckets.len() >= rate.max_ips {
                // Full of active addresses: let this one in untracked.
                return true;
            }
        }
        self.buckets.insert(
            ip,
            Bucket {
                tokens: f64::from(rate.per_minute) - 1.0,
                at: now,
            },
        );
        true
    }

    /// Removes the buckets that have refilled completely (as good as new),
    /// at most once per [`SWEEP_EVERY`].
    fn sweep(&mut self, rate: HandshakeRate, now: Instant) {
        if self.next_sweep.is_some_and(|at| now < at) {
            return;
        }
        self.next_sweep = Some(now + SWEEP_EVERY);
        let capacity = f64::from(rate.per_minute);
        self.buckets.retain(|_, b| b.refilled(rate, now) < capacity);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: u32) -> IpAddr {
        IpAddr::V4(std::net::Ipv4Addr::from(n))
    }

    fn rate(per_minute: u32, max_ips: usize) -> HandshakeRate {
        HandshakeRate {
            per_minute,
            max_ips,
        }
    }

    #[test]
    fn a_burst_of_the_rate_then_one_per_refill() {
        let mut table = Table::default();
        let r = rate(3, 10);
        let t0 = Instant::now();
        assert!((0..3).all(|_| table.take(r, ip(1), t0)));
        assert!(!table.take(r, ip(1), t0), "the fourth within the minute");
        assert!(
            table.take(r, ip(2), t0),
            "another address has its own bucket"
        );
        assert!(!table.take(r, ip(1), t0 + Duration::from_secs(19)));
        assert!(
            table.take(r, ip(1), t0 + Duration::from_secs(20)),
            "3 a minute: one token every 20 s"
        );
        assert!(!table.take(r, ip(1), t0 + Duration::from_secs(21)));
    }

    #[test]
    fn the_table_never_holds_more_than_max_ips() {
        let mut table = Table::default();
        let r = rate(2, 100);
        let t0 = Instant::now();
        for n in 0..10_000 {
            assert!(table.take(r, ip(n), t0), "a new address is let in");
            assert!(table.buckets.len() <= 100);
        }
        // Tracked ones are still limited while the table is full.
        assert!(table.take(r, ip(0), t0));
        assert!(!table.take(r, ip(0), t0));
    }

    #[test]
    fn quiet_addresses_are_swept_out_of_a_full_table() {
        let mut table = Table::default();
        let r = rate(60, 2);
        let t0 = Instant::now();
        assert!(table.take(r, ip(1), t0));
        assert!(table.take(r, ip(2), t0));
        // Both buckets refill within a second (60 a minute).
        let later = t0 + Duration::from_secs(2);
        assert!(table.take(r, ip(3), later));
        assert!(
            table.buckets.contains_key(&ip(3)),
            "the sweep made room: the new address is tracked"
        );
        assert_eq!(table.buckets.len(), 1);
    }

    #[test]
    fn a_full_table_is_swept_at_most_once_a_second() {
        let mut table = Table::default();
        let r = rate(1, 1);
        let t0 = Instant::now();
        assert!(table.take(r, ip(1), t0));
        assert!(table.take(r, ip(2), t0), "let in untracked");
        assert_eq!(table.next_sweep, Some(t0 + SWEEP_EVERY));
        assert!(table.take(r, ip(3), t0 + Duration::from_millis(500)));
        assert_eq!(table.next_sweep, Some(t0 + SWEEP_EVERY), "no second sweep");
        assert!(table.take(r, ip(4), t0 + SWEEP_EVERY));
        assert_eq!(
            table.next_sweep,
            Some(t0 + SWEEP_EVERY * 2),
            "a second later, the next sweep"
        );
    }

    #[test]
    fn ipv6_is_counted_per_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().expect("ip");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(key(a), key(b));
        assert_ne!(key(a), key(c));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().expect("ip");
        assert_eq!(key(mapped), "10.0.0.1".parse::<IpAddr>().expect("ip"));
    }

    #[test]
    fn no_rate_or_no_address_admits_everything() {
        let off = HandshakeLimiter::new(None);
        let addr = Some(SocketAddr::from(([127, 0, 0, 1], 1)));
        assert!((0..100).all(|_| off.admit(addr).is_ok()));
        let zero = HandshakeLimiter::new(Some(rate(0, 10)));
        assert!((0..100).all(|_| zero.admit(addr).is_ok()));
        let on = HandshakeLimiter::new(Some(rate(1, 10)));
        assert!((0..100).all(|_| on.admit(None).is_ok()));
        assert!(on.admit(addr).is_ok());
        let refused = on.admit(addr).expect_err("over the rate");
        assert_eq!(refused.status, http::StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            refused.body(),
            r#"{"code":4,"message":"Too many handshakes"}"#
        );
    }
}
