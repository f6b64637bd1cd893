//! The `edgeio` binary as an operator runs it: flags documented by `--help`,
//! `PORT` honoured, and a clean stop on SIGTERM that closes open sessions.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_edgeio");

/// A free loopback port (bound then released).
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local addr").port()
}

/// Kills the server if a test fails before stopping it; its data
/// directory (the default sled store) goes with it.
struct Server(Child, #[allow(dead_code)] tempfile::TempDir);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(args: &[&str], envs: &[(&str, String)]) -> Server {
    let data = tempfile::tempdir().expect("a data directory");
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env("EDGEIO_DATA_DIR", data.path())
        .env_remove("EDGEIO_LISTEN")
        .env_remove("PORT")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    Server(cmd.spawn().expect("start edgeio"), data)
}

fn wait_until_listening(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "edgeio did not listen on {addr}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One HTTP/1.1 GET; returns (status line, body).
fn get(addr: SocketAddr, path: &str) -> (String, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("write request");
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("read response");
    let status = raw.lines().next().unwrap_or_default().to_owned();
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    (status, body.to_owned())
}

fn sid_of(open_body: &str) -> String {
    let json = open_body.strip_prefix('0').expect("open packet");
    let v: serde_json::Value = serde_json::from_str(json).expect("open packet JSON");
    v["sid"].as_str().expect("sid").to_owned()
}

#[test]
fn help_documents_every_option() {
    let out = Command::new(BIN)
        .arg("--help")
        .output()
        .expect("run --help");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--listen",
        "--path",
        "--ping-interval",
        "--ping-timeout",
        "--max-payload",
        "--transports",
        "--cors-origin",
        "--app",
        "EDGEIO_LISTEN",
    ] {
        assert!(
            help.contains(flag),
            "--help does not mention {flag}:\n{help}"
        );
    }
}

/// The long flags `--help` lists (`--help` and `--version` aside).
fn flags_in_help() -> std::collections::BTreeSet<String> {
    let out = Command::new(BIN)
        .arg("--help")
        .output()
        .expect("run --help");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let line =
                line.split_once(", ").map_or(
                    line,
                    |(short, long)| {
                        if short.len() == 2 {
                            long
                        } else {
                            line
                        }
                    },
                );
            let flag = line.strip_prefix("--")?;
            let name: String = flag
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            (!name.is_empty() && name != "help" && name != "version").then(|| format!("--{name}"))
        })
        .collect()
}

/// Every flag the binary has is a row of the README's flag table, and every
/// row is a flag the binary has: the table cannot fall behind the code.
#[test]
fn the_readme_flag_table_is_the_binarys_flags() {
    let readme = include_str!("../README.md");
    let documented: std::collections::BTreeSet<String> = readme
        .lines()
        .filter_map(|line| line.strip_prefix("| `--"))
        .map(|rest| {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            format!("--{name}")
        })
        .collect();
    let flags = flags_in_help();
    assert!(
        flags.len() > 40,
        "too few flags read from --help: {flags:?}"
    );
    let undocumented: Vec<_> = flags.difference(&documented).collect();
    let unknown: Vec<_> = documented.difference(&flags).collect();
    assert!(
        undocumented.is_empty(),
        "flags missing from the README's table: {undocumented:?}"
    );
    assert!(
        unknown.is_empty(),
        "README rows for flags the binary does not have: {unknown:?}"
    );
}

#[test]
fn bad_flags_are_refused_with_an_error() {
    let out = Command::new(BIN)
        .args(["--transports", "smoke-signals"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("smoke-signals"));
}

#[test]
fn port_env_is_honoured_and_env_vars_configure_the_engine() {
    let port = free_port();
    let _server = start(
        &[],
        &[
            ("PORT", port.to_string()),
            ("EDGEIO_PATH", "/rt/".to_owned()),
            ("EDGEIO_PING_INTERVAL", "1234".to_owned()),
        ],
    );
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    wait_until_listening(addr);
    let (status, body) = get(addr, "/rt/?EIO=4&transport=polling");
    assert!(status.contains("200"), "{status}");
    assert!(body.contains("\"pingInterval\":1234"), "{body}");
    let (status, _) = get(addr, "/socket.io/?EIO=4&transport=polling");
    assert!(
        status.contains("404"),
        "other paths are not served: {status}"
    );
}

#[cfg(unix)]
#[test]
fn sigterm_closes_sessions_and_exits_cleanly() {
    let port = free_port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut server = start(&["--listen", &addr.to_string()], &[]);
    wait_until_listening(addr);
    let (_, open) = get(addr, "/socket.io/?EIO=4&transport=polling");
    let sid = sid_of(&open);

    // A long-poll waiting on the server when it is told to stop.
    let pending = std::thread::spawn(move || {
        get(
            addr,
            &format!("/socket.io/?EIO=4&transport=polling&sid={sid}"),
        )
    });
    std::thread::sleep(Duration::from_millis(300));
    let pid = server.0.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("send SIGTERM");
    assert!(killed.success());

    let (status, body) = pending.join().expect("poll thread");
    assert!(status.contains("200"), "{status}");
    assert_eq!(body, "1", "the pending poll receives a close packet");

    let deadline = Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(s) = server.0.try_wait().expect("wait") {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "edgeio did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "exit status {exit:?}");
    let mut log = String::new();
    if let Some(stderr) = server.0.stderr.take() {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            log.push_str(&line);
            log.push('\n');
        }
    }
    assert!(log.contains("SIGTERM received"), "log:\n{log}");
}

#[test]
fn a_data_directory_in_use_is_refused_and_the_node_id_is_kept() {
    let first = free_port();
    let addr = SocketAddr::from(([127, 0, 0, 1], first));
    let mut server = start(&["--listen", &addr.to_string()], &[]);
    wait_until_listening(addr);
    let dir = server.1.path().to_owned();
    let node_id = std::fs::read_to_string(dir.join("node-id")).expect("node id kept");
    assert!(!node_id.trim().is_empty());

    // A second process on the same directory stops at once, saying why.
    let second = free_port().to_string();
    let out = Command::new(BIN)
        .args(["--listen", &format!("127.0.0.1:{second}")])
        .env("EDGEIO_DATA_DIR", &dir)
        .env_remove("EDGEIO_LISTEN")
        .output()
        .expect("run");
    assert!(!out.status.success(), "a second edgeio must not start");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("in use by another edgeio process"), "{err}");

    // Once the first has stopped (killed: the lock goes with the process),
    // the directory opens again, with the same node id.
    let _ = server.0.kill();
    let _ = server.0.wait();
    let again = free_port();
    let mut restarted = Command::new(BIN)
        .args(["--listen", &format!("127.0.0.1:{again}")])
        .env("EDGEIO_DATA_DIR", &dir)
        .env_remove("EDGEIO_LISTEN")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("restart");
    wait_until_listening(SocketAddr::from(([127, 0, 0, 1], again)));
    let _ = restarted.kill();
    let _ = restarted.wait();
    let kept = std::fs::read_to_string(dir.join("node-id")).expect("node id");
    assert_eq!(kept, node_id, "the node id survives a restart");
}
