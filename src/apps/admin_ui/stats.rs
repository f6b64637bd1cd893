//! `server_stats`, emitted to the `/admin` namespace every two seconds (the
//! Node module's interval): the Engine.IO sessions open (`clientsCount`)
//! and those still on polling (`pollingClientsCount`), each namespace's
//! socket count, the uptime, and who this server is; and, for the UI's
//! charts, the traffic since the last emit (`aggregatedEvents`: sessions
//! opened, packets and bytes in and out, as the Node module counts them).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::metrics::{Traffic, Transport};
use crate::server::{Io, Namespace};

/// How often the stats are emitted.
const INTERVAL: Duration = Duration::from_secs(2);

/// What the stats are computed from.
#[derive(Clone)]
pub(super) struct Stats {
    io: Io,
    started: Instant,
    hostname: Arc<str>,
}

impl Stats {
    /// The stats of `io`, its uptime counted from now.
    pub(super) fn new(io: Io) -> Self {
        // Read once: the kernel's name for the host, as Node's os.hostname().
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "edgeio".to_owned());
        Self {
            io,
            started: Instant::now(),
            hostname: hostname.into(),
        }
    }

    /// The stats now, with `aggregated` as their `aggregatedEvents`.
    pub(super) fn now(&self) -> Value {
        self.with_events(Vec::new())
    }

    fn with_events(&self, aggregated: Vec<Value>) -> Value {
        let engine = self.io.config().metrics.engine();
        let polling = engine.open_sessions(Transport::Polling);
        let websocket = engine.open_sessions(Transport::WebSocket);
        let namespaces: Vec<Value> = self
            .io
            .namespaces()
            .iter()
            .map(|ns| json!({ "name": ns.name(), "socketsCount": ns.socket_count() }))
            .collect();
        json!({
            "serverId": &*self.hostname,
            "hostname": &*self.hostname,
            "pid": std::process::id(),
            "uptime": self.started.elapsed().as_secs_f64(),
            "clientsCount": polling + websocket,
            "pollingClientsCount": polling,
            "aggregatedEvents": aggregated,
            "namespaces": namespaces,
        })
    }

    /// Emits the stats to `admin` every [`INTERVAL`], while the runtime runs
    /// (nothing outside one: a server built for a test without a runtime).
    pub(super) fn spawn(&self, admin: Namespace) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let stats = self.clone();
        rt.spawn(async move {
            let mut tick = tokio::time::interval(INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut last = stats.traffic();
            loop {
                tick.tick().await;
                let traffic = stats.traffic();
                let aggregated = aggregated_events(last, traffic);
                last = traffic;
                if admin.socket_count() > 0 {
                    let _ = admin.emit("server_stats", stats.with_events(aggregated));
                }
            }
        });
    }

    fn traffic(&self) -> Traffic {
        self.io.config().metrics.engine().traffic()
    }
}

/// The traffic from `before` to `after` as the UI's aggregated events
/// (`{timestamp, type, count}`, stamped now, to the second), those of count
/// 0 left out.
fn aggregated_events(before: Traffic, after: Traffic) -> Vec<Value> {
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() * 1000)
        .unwrap_or(0);
    [
        ("rawConnection", after.connections, before.connections),
        ("packetsIn", after.packets_in, before.packets_in),
        ("packetsOut", after.packets_out, before.packets_out),
        ("bytesIn", after.bytes_in, before.bytes_in),
        ("bytesOut", after.bytes_out, before.bytes_out),
    ]
    .into_iter()
    .filter(|(_, now, then)| now > then)
    .map(|(kind, now, then)| json!({"timestamp": timestamp, "type": kind, "count": now - then}))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregated_events_are_the_traffic_since_the_last_emit() {
        let before = Traffic {
            connections: 2,
            packets_in: 10,
            packets_out: 10,
            bytes_in: 100,
            bytes_out: 100,
        };
        let after = Traffic {
            connections: 5,
            packets_out: 12,
            bytes_out: 140,
            ..before
        };
        let events = aggregated_events(before, after);
        let counts: Vec<(&str, u64)> = events
            .iter()
            .map(|e| {
                (
                    e["type"].as_str().unwrap_or(""),
                    e["count"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        assert_eq!(
            counts,
            vec![("rawConnection", 3), ("packetsOut", 2), ("bytesOut", 40)]
        );
        assert_eq!(events[0]["timestamp"].as_u64().unwrap_or(1) % 1000, 0);
        assert!(aggregated_events(after, after).is_empty());
    }
}
