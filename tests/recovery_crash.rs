//! Connection-state recovery survives a crash: the `edgeio` binary
//! (`--app loadtest --recovery-window 60`) is SIGKILLed while clients of the
//! official npm `socket.io-client` are away, started again on the same port
//! and data directory, and the clients come back with their socket ids, their
//! room and the broadcasts they missed (`tests/interop/recovery_crash.mjs`
//! sets the scene and checks it). One test per transport on the default sled
//! store, and a control on `--store memory`, where the sessions are lost.
//!
//! The script and this test speak over the script's stdin/stdout: it prints
//! `KILL` once the scene is set; this test kills the server, restarts it,
//! waits until it listens and writes `RESTARTED`; the script prints `ok`.
//!
//! Needs Node.js and `npm ci --prefix tests/interop` (`.ci/run` does both);
//! without them these tests fail, they never pass silently.

mod node_support;

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use node_support::{read_log, require_node_package, Killed, INTEROP_DIR};

const BIN: &str = env!("CARGO_BIN_EXE_edgeio");
/// Upper bound of one Node run; the script's own bound is 30 s, this leaves
/// room for Node's start and the restart on a busy machine.
const NODE_TIMEOUT: Duration = Duration::from_secs(60);
/// Upper bound for the server to listen after a (re)start.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(20);

/// The server's flags and where it logs; both runs append to the same log.
struct ServerSpec {
    addr: SocketAddr,
    store: &'static str,
    data_dir: PathBuf,
    log: PathBuf,
}

impl ServerSpec {
    /// Starts edgeio; `Err` with the reason if it exits before listening
    /// (most likely: the port was taken), `Ok` once it accepts connections.
    fn start(&self, run: &str) -> Result<Killed, String> {
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open the server log");
        writeln!(log, "===== {run} =====").expect("write the server log");
        let listen = self.addr.to_string();
        let data_dir = self.data_dir.to_str().expect("a UTF-8 temp path");
        let mut server = Killed(
            Command::new(BIN)
                .args([
                    "--listen",
                    &listen,
                    "--app",
                    "loadtest",
                    "--store",
                    self.store,
                    "--data-dir",
                    data_dir,
                    "--recovery-window",
                    "60",
                ])
                .env_remove("EDGEIO_LISTEN")
                .env_remove("PORT")
                .env_remove("EDGEIO_NODE_ID")
                .env("NO_COLOR", "1")
                .env(
                    "RUST_LOG",
                    std::env::var("RUST_LOG")
                        .unwrap_or_else(|_| "edgeio=debug,edgeio_storage=debug".into()),
                )
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("start edgeio"),
        );
        let deadline = Instant::now() + LISTEN_TIMEOUT;
        loop {
            if TcpStream::connect(self.addr).is_ok() {
                return Ok(server);
            }
            if let Some(status) = server.0.try_wait().expect("poll edgeio") {
                return Err(format!("edgeio exited with {status} before listening"));
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "edgeio did not listen on {} within {LISTEN_TIMEOUT:?}",
                    self.addr
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Starts the first server on a free loopback port, retrying with another
/// port if the one picked was taken in between.
fn first_start(name: &str, store: &'static str, data_dir: &Path) -> (ServerSpec, Killed) {
    let log = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("recovery-crash-{name}.log"));
    let _ = std::fs::remove_file(&log);
    let mut last = String::new();
    for attempt in 1..=5 {
        let addr = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("bind an ephemeral loopback port");
        let spec = ServerSpec {
            addr,
            store,
            data_dir: data_dir.to_owned(),
            log: log.clone(),
        };
        match spec.start(&format!("start (attempt {attempt}) on {addr}")) {
            Ok(server) => return (spec, server),
            Err(e) => last = e,
        }
    }
    panic!(
        "edgeio failed to start 5 times: {last}; its log:\n{}",
        read_log(&log)
    );
}

/// What Node's stdout says, line by line, or that it closed.
enum Line {
    Text(String),
    Closed,
}

/// Runs the scene on `transport` against `--store store`, expecting the
/// clients to be `expect` ("recovered" or "lost") after the crash.
fn crash_and_recover(store: &'static str, transport: &str, expect: &str) {
    require_node_package("socket.io-client");
    let name = format!("{store}-{transport}");
    let data = tempfile::tempdir().expect("a data directory");
    let (spec, server) = first_start(&name, store, data.path());
    let mut server = Some(server);

    let node_err =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("recovery-crash-{name}-node-err.log"));
    let mut node = Killed(
        Command::new("node")
            .arg(Path::new(INTEROP_DIR).join("recovery_crash.mjs"))
            .arg(format!("http://{}", spec.addr))
            .args(["--transport", transport, "--expect", expect])
            .current_dir(INTEROP_DIR)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(File::create(&node_err).expect("create node's stderr log"))
            .spawn()
            .expect("run node (is Node.js installed?)"),
    );
    let mut stdin: Option<ChildStdin> = node.0.stdin.take();
    let stdout = node.0.stdout.take().expect("node's stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(Line::Text(line)).is_err() {
                return;
            }
        }
        let _ = tx.send(Line::Closed);
    });

    let started = Instant::now();
    let deadline = started + NODE_TIMEOUT;
    let mut out = Vec::new();
    let mut killed_at = None;
    let problem = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Line::Text(line)) if line == "KILL" && killed_at.is_none() => {
                out.push(line);
                // `Child::kill` is SIGKILL: no shutdown, no final flush.
                let mut old = server.take().expect("the first server");
                old.0.kill().expect("SIGKILL edgeio");
                let status = old.0.wait().expect("wait for the killed edgeio");
                killed_at = Some(started.elapsed());
                match spec.start(&format!("restart after SIGKILL ({status})")) {
                    Ok(s) => server = Some(s),
                    Err(e) => break format!("the restart failed: {e}"),
                }
                let written = stdin.as_mut().map(|i| {
                    i.write_all(b"RESTARTED\n")
                        .and_then(|()| i.flush())
                        .map_err(|e| e.to_string())
                });
                if let Some(Err(e)) = written {
                    break format!("cannot write RESTARTED to node: {e}");
                }
            }
            Ok(Line::Text(line)) => out.push(line),
            Ok(Line::Closed) => break String::new(),
            Err(_) => break format!("node did not finish within {NODE_TIMEOUT:?} and was killed"),
        }
    };
    drop(stdin);
    let status = if problem.is_empty() {
        // Its stdout is closed: it is exiting.
        let status = node.0.wait().expect("wait for node");
        Some(status)
    } else {
        None
    };
    drop(node);
    drop(server);
    let ok = status.is_some_and(|s| s.success())
        && killed_at.is_some()
        && out.last().is_some_and(|l| l.starts_with("ok"));
    if ok {
        println!(
            "{} in {:.1?} (killed and restarted at {:.1?})",
            out.last().expect("ok line"),
            started.elapsed(),
            killed_at.expect("killed")
        );
        return;
    }
    let verdict = match status {
        Some(s) if killed_at.is_none() => format!("node exited with {s} before asking for a kill"),
        Some(s) => format!("node exited with {s}"),
        None => problem,
    };
    panic!(
        "recovery across a SIGKILL ({store}, {transport}, expecting {expect}) failed: {verdict}\n\
         --- node stdout ---\n{}\n--- node stderr ---\n{}\n--- server log ({}) ---\n{}",
        out.join("\n"),
        read_log(&node_err),
        spec.log.display(),
        read_log(&spec.log)
    );
}

/// WebSocket only: A (with an offset) and C (without) recover their ids, room
/// r and the broadcasts they missed from the sled store after a SIGKILL.
#[test]
fn sled_websocket_sessions_survive_sigkill() {
    crash_and_recover("sled", "websocket", "recovered");
}

/// The same over long-polling only.
#[test]
fn sled_polling_sessions_survive_sigkill() {
    crash_and_recover("sled", "polling", "recovered");
}

/// Control: with `--store memory` the same crash loses the sessions, so the
/// clients come back as new sockets (`recovered === false`, new ids, no
/// replay, no room). Shows the scene can fail and what sled brings.
#[test]
fn memory_store_loses_sessions_on_sigkill() {
    crash_and_recover("memory", "websocket", "lost");
}
