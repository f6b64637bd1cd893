//! Interop: the official npm `engine.io-client` (pinned in
//! `tests/interop/package.json`) against the `edgeio` binary running the echo
//! app. Each test starts its own server on a free loopback port and runs one
//! scenario of `tests/interop/engine_client.mjs` under Node.
//!
//! Needs Node.js and `npm ci --prefix tests/interop` (`.ci/run` does both);
//! without them these tests fail, they never pass silently.

mod node_support;

use std::fs::File;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use node_support::{read_log, require_node_package, Killed, INTEROP_DIR};

const BIN: &str = env!("CARGO_BIN_EXE_edgeio");
/// Upper bound for one Node run; the script has its own 10 s timeout, this
/// leaves room for Node's start on a busy machine.
const NODE_TIMEOUT: Duration = Duration::from_secs(60);

/// A log file for one scenario under cargo's scratch directory.
fn log_path(scenario: &str, what: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("interop-{scenario}-{what}.log"))
}

/// Starts edgeio on a free loopback port and waits until it accepts.
/// Retries with another port if the one picked was taken in between.
fn start_server(scenario: &str, extra: &[&str]) -> (Killed, SocketAddr, PathBuf) {
    let log = log_path(scenario, "server");
    for _attempt in 0..5 {
        let addr = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("bind an ephemeral loopback port");
        let listen = addr.to_string();
        let mut args = vec![
            "--listen",
            &listen,
            "--path",
            "/engine.io/",
            "--app",
            "echo",
            "--store",
            "memory",
        ];
        args.extend_from_slice(extra);
        let mut server = Killed(
            Command::new(BIN)
                .args(&args)
                .env_remove("EDGEIO_LISTEN")
                .env_remove("PORT")
                .env("NO_COLOR", "1")
                .env(
                    "RUST_LOG",
                    std::env::var("RUST_LOG").unwrap_or_else(|_| "edgeio=debug".into()),
                )
                .stdout(Stdio::null())
                .stderr(File::create(&log).expect("create the server log"))
                .spawn()
                .expect("start edgeio"),
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if TcpStream::connect(addr).is_ok() {
                return (server, addr, log);
            }
            if server.0.try_wait().expect("poll edgeio").is_some() {
                break; // exited: most likely the port was taken; try another
            }
            assert!(
                Instant::now() < deadline,
                "edgeio did not listen on {addr} within 20 s; its log:\n{}",
                read_log(&log)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    panic!(
        "edgeio failed to start 5 times; last log:\n{}",
        read_log(&log)
    );
}

/// Runs one Node scenario to completion (or NODE_TIMEOUT); returns its exit
/// status (None on timeout), stdout and stderr.
fn run_node(scenario: &str, url: &str) -> (Option<ExitStatus>, String, String) {
    let (out, err) = (
        log_path(scenario, "node-out"),
        log_path(scenario, "node-err"),
    );
    let mut node = Killed(
        Command::new("node")
            .arg(Path::new(INTEROP_DIR).join("engine_client.mjs"))
            .args([url, scenario])
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
        std::thread::sleep(Duration::from_millis(50));
    };
    drop(node);
    (status, read_log(&out), read_log(&err))
}

/// Starts a server with `server_args`, runs `scenario` against it, and fails
/// with Node's output and the server's log unless Node exits 0.
fn interop(scenario: &str, server_args: &[&str]) {
    require_node_package("engine.io-client");
    let (server, addr, server_log) = start_server(scenario, server_args);
    let (status, stdout, stderr) = run_node(scenario, &format!("http://{addr}"));
    drop(server);
    let verdict = match status {
        Some(s) if s.success() => {
            print!("{stdout}");
            return;
        }
        Some(s) => format!("node exited with {s}"),
        None => format!("node did not finish within {NODE_TIMEOUT:?} and was killed"),
    };
    panic!(
        "engine.io-client scenario {scenario:?} failed: {verdict}\n\
         --- node stdout ---\n{stdout}\n--- node stderr ---\n{stderr}\n\
         --- edgeio log ({}) ---\n{}",
        server_log.display(),
        read_log(&server_log)
    );
}

const BOTH: &[&str] = &["--transports", "polling,websocket"];
const FAST_HEARTBEAT: &[&str] = &[
    "--transports",
    "polling,websocket",
    "--ping-interval",
    "200",
    "--ping-timeout",
    "200",
];

#[test]
fn polling_upgrades_to_websocket_with_echo_before_during_and_after() {
    interop("upgrade", BOTH);
}

#[test]
fn immediate_upgrade_races_messages_sent_on_polling() {
    interop("upgrade-race", BOTH);
}

#[test]
fn websocket_only_client_echoes_text_and_binary() {
    interop("websocket", BOTH);
}

#[test]
fn polling_only_client_echoes_text_and_binary() {
    interop("polling", BOTH);
}

#[test]
fn heartbeat_keeps_an_upgraded_client_connected_then_it_closes_cleanly() {
    interop("heartbeat", FAST_HEARTBEAT);
}

#[test]
fn heartbeat_keeps_a_polling_client_connected_then_it_closes_cleanly() {
    interop("heartbeat-polling", FAST_HEARTBEAT);
}
