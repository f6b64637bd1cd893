//! Runs one socket.io-client scenario: an edgeio server in-process (on its
//! own Tokio runtime, on a free loopback port) with the test app, and the
//! Node script against it, bounded in time.

use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::node_support::{read_log, require_node_package, Killed, INTEROP_DIR};

use edgeio::engine::{Engine, EngineConfig};
use edgeio::server::{Io, IoConfig, RecoveryConfig};
use tokio::runtime::Runtime;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::app::{App, Observation};

/// Upper bound of one Node run; the script's own bound is 40 s.
const NODE_TIMEOUT: Duration = Duration::from_secs(90);

/// How the server is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Heartbeat every second, generous ping timeout, no recovery.
    Plain,
    /// [`Kind::Plain`] with connection-state recovery on.
    Recovery,
    /// A short heartbeat, for clients that stop answering pings.
    FastPing,
}

/// The server: dropped, it shuts down.
pub struct Server {
    pub addr: SocketAddr,
    pub app: App,
    stop: Arc<Notify>,
    served: Option<JoinHandle<()>>,
    rt: Option<Runtime>,
}

impl Server {
    pub fn start(kind: Kind) -> Self {
        // RUST_LOG=edgeio=debug shows the server's log (with --nocapture).
        if let Ok(filter) = std::env::var("RUST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .try_init();
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("build a Tokio runtime");
        let stop = Arc::new(Notify::new());
        let (addr, app, served) = rt.block_on(async {
            let io = Io::new(IoConfig {
                recovery: (kind == Kind::Recovery).then(|| RecoveryConfig {
                    max_disconnection_duration: Duration::from_secs(60),
                    max_buffered_packets: 1000,
                    ..RecoveryConfig::default()
                }),
                ..Default::default()
            });
            let app = App::install(&io, stop.clone());
            let (ping_interval, ping_timeout) = match kind {
                Kind::FastPing => (Duration::from_millis(200), Duration::from_millis(1000)),
                _ => (Duration::from_secs(1), Duration::from_secs(10)),
            };
            let config = EngineConfig {
                ping_interval,
                ping_timeout,
                ..Default::default()
            };
            let engine = Engine::new(config, io.engine_handler());
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind a loopback port");
            let addr = listener.local_addr().expect("local address");
            let stopped = stop.clone();
            let served = tokio::spawn(edgeio::serve(listener, engine, async move {
                stopped.notified().await;
            }));
            (addr, app, served)
        });
        Self {
            addr,
            app,
            stop,
            served: Some(served),
            rt: Some(rt),
        }
    }

    /// True once `serve` has returned (after a shutdown), waiting up to 20 s.
    pub fn wait_stopped(&mut self) -> bool {
        let (Some(rt), Some(served)) = (&self.rt, self.served.take()) else {
            return true;
        };
        rt.block_on(async { tokio::time::timeout(Duration::from_secs(20), served).await })
            .is_ok()
    }

    pub fn observed(&self) -> Vec<Observation> {
        self.app.observed()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.notify_one();
        if let Some(rt) = self.rt.take() {
            rt.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

/// Fails with setup instructions unless Node and the pinned client are there.
pub fn require_node_client() {
    require_node_package("socket.io-client");
}

fn log_path(name: &str, what: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("sio-{name}-{what}.log"))
}

/// Runs the script to completion (or NODE_TIMEOUT): status (None on
/// timeout), stdout, stderr.
fn run_node(url: &str, scenario: &str, transport: &str) -> (Option<ExitStatus>, String, String) {
    let name = format!("{scenario}-{transport}");
    let (out, err) = (log_path(&name, "out"), log_path(&name, "err"));
    let mut node = Killed(
        Command::new("node")
            .arg(Path::new(INTEROP_DIR).join("socketio_client.mjs"))
            .args([url, scenario, "--transport", transport])
            .current_dir(INTEROP_DIR)
            .stdin(Stdio::null())
            .stdout(File::create(&out).expect("create node's stdout log"))
            .stderr(File::create(&err).expect("create node's stderr log"))
            .spawn()
            .expect("run node (is Node.js installed?)"),
    );
    let deadline = Instant::now() + NODE_TIMEOUT;
    let status = loop {
        if let Some(status) = node.0.try_wait().expect("poll node") {
            break Some(status);
        }
        if Instant::now() >= deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(node);
    (status, read_log(&out), read_log(&err))
}

/// Runs `scenario` on `transport` ("polling", "websocket" or "default")
/// against a fresh server of `kind`; fails with Node's output and the
/// server's observations unless Node exits 0. Then runs `after` on the
/// server, for checks of the server side the script cannot make.
pub fn run_then(kind: Kind, scenario: &str, transport: &str, after: impl FnOnce(&mut Server)) {
    require_node_client();
    let mut server = Server::start(kind);
    let url = format!("http://{}", server.addr);
    let (status, stdout, stderr) = run_node(&url, scenario, transport);
    let verdict = match status {
        Some(s) if s.success() => {
            print!("{stdout}");
            after(&mut server);
            return;
        }
        Some(s) => format!("node exited with {s}"),
        None => format!("node did not finish within {NODE_TIMEOUT:?} and was killed"),
    };
    panic!(
        "socket.io-client scenario {scenario:?} ({transport}) failed: {verdict}\n\
         --- node stdout ---\n{stdout}\n--- node stderr ---\n{stderr}\n\
         --- disconnections the server saw ---\n{:#?}",
        server.observed()
    );
}
