//! `server_stats`, emitted to the `/admin` namespace every two seconds (the
//! Node module's interval): the Engine.IO sessions open (`clientsCount`)
//! and those still on polling (`pollingClientsCount`), each namespace's
//! socket count, the uptime, and who this server is.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::metrics::Transport;
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

    /// The stats now.
    pub(super) fn now(&self) -> Value {
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
            "aggregatedEvents": [],
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
            loop {
                tick.tick().await;
                if admin.socket_count() > 0 {
                    let _ = admin.emit("server_stats", stats.now());
                }
            }
        });
    }
}
