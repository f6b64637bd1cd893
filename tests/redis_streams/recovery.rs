//! What the recovery-across-nodes tests share: a cluster of Redis, two
//! edgeio nodes with recovery on and the Node node of
//! `tests/interop/redis_streams_recovery.mjs` (clients, proxies), and ways
//! to look into Redis.

use std::time::Duration;

use edgeio::server::RecoveryConfig;
use serde_json::{json, Value};

use super::{eventually, Edge, NodeSide};
use crate::node_support;
use crate::redis_support::Redis;

pub fn require_node() {
    for package in [
        "socket.io",
        "socket.io-client",
        "@socket.io/redis-streams-adapter",
        "redis",
    ] {
        node_support::require_node_package(package);
    }
}

pub fn recovery() -> Option<RecoveryConfig> {
    Some(RecoveryConfig {
        max_disconnection_duration: Duration::from_secs(60),
        ..RecoveryConfig::default()
    })
}

/// Runs `redis-cli` on the test's Redis; its output, trimmed.
pub fn redis_cli(redis: &Redis, args: &[&str]) -> String {
    let out = std::process::Command::new("redis-cli")
        .arg("-u")
        .arg(redis.url())
        .args(args)
        .output()
        .expect("redis-cli runs");
    assert!(out.status.success(), "redis-cli {args:?} failed");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

pub fn session_kept(redis: &Redis, pid: &str) -> bool {
    redis_cli(redis, &["EXISTS", &format!("sio:session:{pid}")]) == "1"
}

/// A cluster: Redis, two edgeio nodes and the Node node (its script).
pub struct Cluster {
    pub redis: Redis,
    pub e1: Edge,
    pub e2: Edge,
    pub node: NodeSide,
}

impl Cluster {
    pub async fn start(name: &str) -> Self {
        Self::start_with(name, recovery()).await
    }

    /// A cluster whose edgeio nodes have these `recovery` settings.
    pub async fn start_with(name: &str, recovery: Option<RecoveryConfig>) -> Self {
        require_node();
        let redis = Redis::start();
        let e1 = Edge::start_with(&redis.url(), recovery).await;
        let e2 = Edge::start_with(&redis.url(), recovery).await;
        let node = NodeSide::run("redis_streams_recovery.mjs", &[&redis.url()], name);
        Self {
            redis,
            e1,
            e2,
            node,
        }
    }

    /// A proxy `id` to `port`; its URL.
    pub fn proxy(&mut self, id: &str, port: u16) -> String {
        let answer = self
            .node
            .cmd(json!({"op": "proxy", "id": id, "target": port}));
        format!("http://127.0.0.1:{}", answer["port"])
    }

    /// Proxy `id` now leads to `port` (`None`: nowhere); what it carried
    /// is cut.
    pub fn route(&mut self, id: &str, port: Option<u16>) {
        self.node
            .cmd(json!({"op": "route", "id": id, "target": port}));
    }

    /// Client `id` connects to `url`; its sid and pid.
    pub fn client(&mut self, id: &str, url: &str) -> (String, String) {
        let answer = self.node.cmd(json!({"op": "client", "id": id, "url": url}));
        let text = |k: &str| answer[k].as_str().expect(k).to_owned();
        (text("sid"), text("pid"))
    }

    /// The `n`th connection report of client `id` (1 = its first).
    pub fn connection(&mut self, id: &str, n: usize) -> Value {
        loop {
            let found = self
                .node
                .reports
                .iter()
                .filter(|r| r["connect"] == id)
                .nth(n - 1);
            if let Some(report) = found {
                return report.clone();
            }
            self.node.read_report();
        }
    }

    /// Cuts client `id` (behind proxy `proxy`) off and waits until its
    /// session `pid` is kept in Redis.
    pub async fn cut(&mut self, proxy: &str, id: &str, pid: &str) {
        self.route(proxy, None);
        self.node.wait(&format!("{id} cut off"), |r| {
            r["disconnected"] == id && r["reason"] == "transport close"
        });
        let redis = &self.redis;
        eventually("the session kept in Redis", || session_kept(redis, pid)).await;
    }

    /// The last argument of each `name` event client `id` got: its offset.
    pub fn offsets(&self, id: &str) -> Vec<String> {
        self.node
            .reports
            .iter()
            .filter(|r| r["got"] == id)
            .map(|r| {
                r["args"]
                    .as_array()
                    .and_then(|a| a.last())
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    }
}

/// A stream entry id (`ms-seq`) as a comparable pair.
pub fn entry_id(offset: &str) -> (u64, u64) {
    let (ms, seq) = offset
        .split_once('-')
        .unwrap_or_else(|| panic!("{offset:?} is not an entry id"));
    (
        ms.parse().expect("ms digits"),
        seq.parse().expect("seq digits"),
    )
}
