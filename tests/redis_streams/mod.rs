//! What the Redis Streams cluster tests share: an edgeio node on the
//! streams adapter served in-process, the Node node and its clients
//! (`tests/interop/redis_streams_node.mjs`) spoken to line by line, and a
//! TCP proxy that cuts a node off Redis and lets it back.
#![allow(dead_code)]

pub mod recovery;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use edgeio::server::adapter::streams::{StreamsAdapterConfig, StreamsNode};
use edgeio::server::{Io, IoConfig, RecoveryConfig};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use crate::node_support::script::Script;

/// How long any one wait may take before the test fails.
pub const LIMIT: Duration = Duration::from_secs(20);

/// The server-side emits a node heard: name and arguments.
pub type Heard = Arc<Mutex<Vec<(String, Vec<Value>)>>>;

/// An edgeio node: its server, its place in the cluster, and the
/// server-side emits it heard.
pub struct Edge {
    pub io: Io,
    pub addr: SocketAddr,
    pub node: Arc<StreamsNode>,
    pub heard: Heard,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Edge {
    /// A node on Redis `url`: clients join a room with a `join` event
    /// (acknowledged), their data is `{node: UID}`; `ping-sse` server-side
    /// emits are recorded, `ask-sse` ones answered with `{node: UID, args}`.
    pub async fn start(url: &str) -> Self {
        Self::start_with(url, None).await
    }

    /// The same, with connection-state `recovery` (carried by the adapter
    /// across the cluster when on).
    pub async fn start_with(url: &str, recovery: Option<RecoveryConfig>) -> Self {
        let node = StreamsNode::start(StreamsAdapterConfig {
            url: url.to_owned(),
            block: Duration::from_millis(500),
            ..StreamsAdapterConfig::default()
        })
        .expect("a valid url");
        node.ready(LIMIT).await.expect("reads the stream");
        let io = Io::new(IoConfig {
            adapter: node.factory(),
            recovery,
            ..IoConfig::default()
        });
        let uid = node.uid().to_owned();
        let tag = uid.clone();
        io.main().on_connection(move |socket| {
            if !socket.recovered() {
                let _ = socket.set_data(json!({ "node": tag }));
            }
            socket.on("join", |socket, event| {
                if let Some(room) = event.args.first().and_then(Value::as_str) {
                    socket.join(room);
                }
                if let Some(ack) = event.ack {
                    let _ = ack.send("joined");
                }
            });
        });
        let heard: Heard = Arc::default();
        let h = heard.clone();
        io.main().on_server_side_emit("ping-sse", move |args| {
            h.lock()
                .expect("lock")
                .push(("ping-sse".into(), args.to_vec()));
        });
        io.main()
            .on_server_side_emit_with_ack("ask-sse", move |args, ack| {
                if let Some(ack) = ack {
                    let _ = ack.send(json!({ "node": uid, "args": args }));
                }
            });
        let (addr, stop) = crate::sio_client::serve(&io).await;
        Self {
            io,
            addr,
            node,
            heard,
            _stop: stop,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Whether socket `sid` is here and in `room`.
    pub fn in_room(&self, sid: &str, room: &str) -> bool {
        self.io
            .main()
            .socket(sid)
            .is_some_and(|s| s.rooms().contains(room))
    }
}

/// Polls `check` until true, failing after [`LIMIT`].
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + LIMIT;
    while !check() {
        assert!(Instant::now() < deadline, "{what}: not within {LIMIT:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The Node node and every client, spoken to through the script.
pub struct NodeSide {
    script: Script,
    /// Reports read so far (events received, disconnections, emits).
    pub reports: Vec<Value>,
    pub port: u16,
}

impl NodeSide {
    pub fn start(redis_url: &str, name: &str) -> Self {
        Self::run("redis_streams_node.mjs", &[redis_url], name)
    }

    /// Another script speaking the same lines (`{"ready":PORT}`, then
    /// `{"ok":OP}` answers and reports): `node tests/interop/<file> ARGS`.
    pub fn run(file: &str, args: &[&str], name: &str) -> Self {
        let mut script = Script::start(file, name, args);
        let ready: Value = serde_json::from_str(&script.expect("", LIMIT)).expect("a JSON line");
        let port = ready["ready"].as_u64().expect("ready with a port") as u16;
        Self {
            script,
            reports: Vec::new(),
            port,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn next_line(&mut self) -> Value {
        let line = tokio::task::block_in_place(|| self.script.expect("", LIMIT));
        serde_json::from_str(&line).expect("a JSON line")
    }

    /// Reads the next report (kept with the others), failing after
    /// [`LIMIT`].
    pub fn read_report(&mut self) -> Value {
        let line = self.next_line();
        self.reports.push(line.clone());
        line
    }

    /// Runs `cmd`; its answer (reports read meanwhile are kept).
    pub fn cmd(&mut self, cmd: Value) -> Value {
        let op = cmd["op"].clone();
        self.script.send(&cmd.to_string());
        loop {
            let line = self.next_line();
            if line.get("ok") == Some(&op) {
                return line;
            }
            self.reports.push(line);
        }
    }

    /// The rooms of client `id` of the Node node, sorted.
    pub fn rooms(&mut self, id: &str) -> Vec<String> {
        let answer = self.cmd(json!({"op": "rooms", "id": id}));
        serde_json::from_value(answer["rooms"].clone()).expect("rooms")
    }

    /// Waits until a report matches `pred`; returns it.
    pub fn wait(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(found) = self.reports.iter().find(|r| pred(r)) {
            return found.clone();
        }
        loop {
            let line = self.next_line();
            self.reports.push(line.clone());
            if pred(&line) {
                return line;
            }
            assert!(line.get("ok").is_none(), "{what}: unexpected answer {line}");
        }
    }

    /// Connects client `id` to `url`; its socket id.
    pub fn client(&mut self, id: &str, url: &str) -> String {
        let answer = self.cmd(json!({"op": "client", "id": id, "url": url}));
        answer["sid"].as_str().expect("a sid").to_owned()
    }

    /// Client `id` joins `room` on its server (acknowledged).
    pub fn join(&mut self, id: &str, room: &str) {
        let answer = self.cmd(json!({"op": "emit", "id": id, "name": "join", "args": [room]}));
        assert_eq!(answer["answer"], "joined");
    }

    /// Waits until client `id` got event `name`.
    pub fn wait_got(&mut self, id: &str, name: &str) {
        self.wait(&format!("{id} gets {name}"), |r| {
            r["got"] == id && r["name"] == name
        });
    }

    /// The arguments of each `name` event client `id` got so far.
    pub fn got(&self, id: &str, name: &str) -> Vec<Value> {
        self.reports
            .iter()
            .filter(|r| r["got"] == id && r["name"] == name)
            .map(|r| r["args"].clone())
            .collect()
    }

    /// The names of the events client `id` got so far, in order.
    pub fn names(&self, id: &str) -> Vec<String> {
        self.reports
            .iter()
            .filter(|r| r["got"] == id)
            .filter_map(|r| r["name"].as_str().map(str::to_owned))
            .collect()
    }
}

/// A TCP proxy to Redis that can cut every connection and let them back.
pub struct Proxy {
    pub port: u16,
    upstream: u16,
    task: Option<JoinHandle<()>>,
}

impl Proxy {
    pub async fn start(upstream: u16) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut proxy = Self {
            port,
            upstream,
            task: None,
        };
        proxy.resume().await;
        proxy
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Closes every carried connection and stops listening.
    pub async fn cut(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    /// Listens again on the same port.
    pub async fn resume(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("proxy binds");
        let upstream = self.upstream;
        self.task = Some(tokio::spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((mut down, _)) = listener.accept().await {
                connections.spawn(async move {
                    if let Ok(mut up) = TcpStream::connect(("127.0.0.1", upstream)).await {
                        let _ = tokio::io::copy_bidirectional(&mut down, &mut up).await;
                    }
                });
            }
        }));
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
