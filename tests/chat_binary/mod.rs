//! The `edgeio` binary serving the chat (`--app chat`, sled, the data
//! directory of a test) for the tests that drive it from outside with the
//! official Node client: starting it on a free port and again on the same
//! one after a kill, tokens from `edgeio token`, its log. Declare
//! `mod node_support;` next to `mod chat_binary;`.
#![allow(dead_code)]

use std::fs::OpenOptions;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::node_support::{read_log, Killed};

const BIN: &str = env!("CARGO_BIN_EXE_edgeio");
/// Upper bound for the server to listen after a (re)start.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(20);

/// The server's address, data directory, log (every start appends) and
/// flags of its own.
pub struct ChatServer {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub log: PathBuf,
    /// More flags for every start.
    pub args: Vec<&'static str>,
}

impl ChatServer {
    /// Starts the first server on a free loopback port, retrying with
    /// another port if the one picked was taken in between; `args` are
    /// given to every start. The log is `name.log` in Cargo's temp directory
    /// for tests.
    pub fn first_start(name: &str, data_dir: &Path, args: &[&'static str]) -> (Self, Killed) {
        let log = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.log"));
        let _ = std::fs::remove_file(&log);
        let mut last = String::new();
        for attempt in 1..=5 {
            let addr = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("bind an ephemeral loopback port");
            let server = Self {
                addr,
                data_dir: data_dir.to_owned(),
                log: log.clone(),
                args: args.to_vec(),
            };
            match server.start(&format!("start (attempt {attempt}) on {addr}")) {
                Ok(child) => return (server, child),
                Err(e) => last = e,
            }
        }
        panic!("edgeio failed to start 5 times: {last}\n{}", read_log(&log));
    }

    /// Starts edgeio (`message:send` not rate limited); `Err` with the
    /// reason if it exits before listening, `Ok` once it accepts
    /// connections. `run` heads its part of the log.
    pub fn start(&self, run: &str) -> Result<Killed, String> {
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open the server log");
        writeln!(log, "===== {run} =====").expect("write the server log");
        let mut server = Killed(
            self.command()
                .args(["--listen", &self.addr.to_string()])
                .args(["--chat-rate-limit", "message:send=0"])
                .args(&self.args)
                .env(
                    "RUST_LOG",
                    std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
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
                return Err(format!("edgeio did not listen within {LISTEN_TIMEOUT:?}"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// `edgeio` on the chat app, sled, this data directory.
    fn command(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(["--app", "chat", "--store", "sled", "--data-dir"])
            .arg(&self.data_dir)
            .env_remove("EDGEIO_LISTEN")
            .env_remove("PORT")
            .env_remove("EDGEIO_JWT_SECRET")
            .env("NO_COLOR", "1");
        cmd
    }

    /// A token for `user`, from `edgeio token` (the secret it makes in the
    /// data directory is the one the server then finds).
    pub fn token(&self, user: &str) -> String {
        let out = self
            .command()
            .args(["token", "--user", user])
            .output()
            .expect("run edgeio token");
        assert!(out.status.success(), "edgeio token failed: {out:?}");
        String::from_utf8(out.stdout)
            .expect("a UTF-8 token")
            .trim()
            .to_owned()
    }

    /// Tokens of users u0.. in a JSON file in `dir`, as the Node scripts
    /// read them: `[{"user": "u0", "token": "..."}, ...]`.
    pub fn write_tokens(&self, users: usize, dir: &Path) -> PathBuf {
        let tokens: Vec<_> = (0..users)
            .map(|i| {
                let user = format!("u{i}");
                serde_json::json!({ "user": user, "token": self.token(&user) })
            })
            .collect();
        let file = dir.join("tokens.json");
        std::fs::write(&file, serde_json::to_vec(&tokens).expect("JSON")).expect("write tokens");
        file
    }

    /// The last `n` lines of the log.
    pub fn log_tail(&self, n: usize) -> String {
        let log = read_log(&self.log);
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}
