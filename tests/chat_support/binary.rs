//! The `edgeio` binary serving the chat (`--app chat`, its default) on a
//! free loopback port with a data directory of its own, as an operator runs
//! it: [`ChatBinary`] starts it, stops it (SIGKILL or SIGTERM), starts it
//! again on the same port and data directory, and mints tokens with
//! `edgeio token` and the same key flags. Its log (stderr) goes to a file
//! under `CARGO_TARGET_TMPDIR`, which every start appends to: show it when
//! a test fails.

use std::fs::OpenOptions;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_edgeio");

/// Upper bound for the server to listen after a (re)start.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(20);
/// Upper bound for the server to exit after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// No rate limit on anything a scenario repeats: add to the flags of a
/// server whose test is not about rate limits.
pub const UNLIMITED: &str = "--chat-rate-limit=message:send=0,message:read=0,typing:start=0,\
                             block:user=0,mute:conversation=0,conversation:create=0";

/// A running `edgeio`; killed when dropped.
pub struct ChatBinary {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its log: every run's stderr, each after a `===== run =====` line.
    pub log: PathBuf,
    /// The flags after `--listen` and `--data-dir`.
    args: Vec<String>,
    data: tempfile::TempDir,
    child: Option<Child>,
}

impl ChatBinary {
    /// Starts `edgeio --listen 127.0.0.1:PORT --data-dir TMP ARGS` on a free
    /// port (another one if the port picked was taken in between); its log
    /// is `CARGO_TARGET_TMPDIR/chat-<name>.log`.
    pub fn start(name: &str, args: &[&str]) -> Self {
        let log = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("chat-{name}.log"));
        let _ = std::fs::remove_file(&log);
        let mut server = Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            log,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            data: tempfile::tempdir().expect("a data directory"),
            child: None,
        };
        let mut last = String::new();
        for attempt in 1..=5 {
            server.addr = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("bind an ephemeral loopback port");
            match server.spawn(&format!("start (attempt {attempt}) on {}", server.addr)) {
                Ok(child) => {
                    server.child = Some(child);
                    return server;
                }
                Err(e) => last = e,
            }
        }
        panic!(
            "edgeio failed to start 5 times: {last}; its log:\n{}",
            server.log_text()
        );
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The data directory (kept across restarts).
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// The log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log)
            .unwrap_or_else(|e| format!("<cannot read {}: {e}>", self.log.display()))
    }

    /// A token for `user` valid for `ttl` (`30s`, `1h`), from `edgeio token`
    /// with this server's data directory and `--jwt-*` flags.
    pub fn token(&self, user: &str, ttl: &str) -> String {
        let data_dir = self.data_dir().to_str().expect("a UTF-8 temp path");
        let mut cmd = Command::new(BIN);
        cmd.args([
            "token",
            "--user",
            user,
            "--ttl",
            ttl,
            "--data-dir",
            data_dir,
        ]);
        let mut args = self.args.iter();
        while let Some(arg) = args.next() {
            if arg.starts_with("--jwt-") {
                cmd.arg(arg);
                if !arg.contains('=') {
                    cmd.args(args.next());
                }
            }
        }
        let out = clean_env(&mut cmd).output().expect("run edgeio token");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.trim().split('.').count() == 3,
            "edgeio token --user {user} --ttl {ttl} failed ({}): {stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        stdout.trim().to_owned()
    }

    /// Tokens (valid 1 h) of users u0.. in a JSON file in `dir`, as the Node
    /// scripts read them: `[{"user": "u0", "token": "..."}, ...]`.
    pub fn write_tokens(&self, users: usize, dir: &Path) -> PathBuf {
        let tokens: Vec<_> = (0..users)
            .map(|i| {
                let user = format!("u{i}");
                serde_json::json!({ "user": user, "token": self.token(&user, "1h") })
            })
            .collect();
        let file = dir.join("tokens.json");
        std::fs::write(&file, serde_json::to_vec(&tokens).expect("JSON")).expect("write tokens");
        file
    }

    /// Stops the server with SIGKILL: no shutdown, no final flush.
    pub fn kill(&mut self) -> String {
        let Some(mut child) = self.child.take() else {
            return "not running".into();
        };
        let _ = child.kill();
        let status = child.wait().expect("wait for the killed edgeio");
        format!("SIGKILL ({status})")
    }

    /// Stops the server with SIGTERM (a graceful stop) and waits for it to
    /// exit; SIGKILL and `Err` if it does not within the bound.
    pub fn terminate(&mut self) -> Result<String, String> {
        let Some(mut child) = self.child.take() else {
            return Ok("not running".into());
        };
        let pid = child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        if !sent.as_ref().is_ok_and(|s| s.success()) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("kill -TERM {pid} failed: {sent:?}"));
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            if let Some(status) = child.try_wait().expect("poll edgeio") {
                return Ok(format!("SIGTERM ({status})"));
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "edgeio did not exit within {STOP_TIMEOUT:?} of SIGTERM"
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends signal `name` (`TERM`, `HUP`) to the server, without waiting.
    pub fn signal(&self, name: &str) {
        let pid = self
            .child
            .as_ref()
            .expect("edgeio is running")
            .id()
            .to_string();
        let sent = Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status();
        assert!(
            sent.as_ref().is_ok_and(|s| s.success()),
            "kill -{name} {pid} failed: {sent:?}"
        );
    }

    /// Waits, at most `bound`, for the server to exit by itself; SIGKILL and
    /// `Err` if it does not.
    pub fn wait_exit(&mut self, bound: Duration) -> Result<std::process::ExitStatus, String> {
        let mut child = self.child.take().ok_or("edgeio is not running")?;
        let deadline = Instant::now() + bound;
        loop {
            if let Some(status) = child.try_wait().expect("poll edgeio") {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("edgeio did not exit within {bound:?}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the server again on the same port and data directory (after
    /// [`Self::kill`] or [`Self::terminate`]).
    pub fn restart(&mut self, why: &str) -> Result<(), String> {
        assert!(self.child.is_none(), "restart: edgeio is still running");
        self.child = Some(self.spawn(&format!("restart after {why}"))?);
        Ok(())
    }

    /// Starts edgeio; `Err` with the reason if it exits before listening
    /// (most likely: the port was taken), `Ok` once it accepts connections.
    fn spawn(&self, run: &str) -> Result<Child, String> {
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open the server log");
        writeln!(log, "===== {run} =====").expect("write the server log");
        let listen = self.addr.to_string();
        let data_dir = self.data_dir().to_str().expect("a UTF-8 temp path");
        let mut cmd = Command::new(BIN);
        cmd.args(["--listen", &listen, "--data-dir", data_dir])
            .args(&self.args)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "edgeio=debug".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        let mut child = clean_env(&mut cmd).spawn().expect("start edgeio");
        let deadline = Instant::now() + LISTEN_TIMEOUT;
        loop {
            if TcpStream::connect(self.addr).is_ok() {
                return Ok(child);
            }
            if let Some(status) = child.try_wait().expect("poll edgeio") {
                return Err(format!("edgeio exited with {status} before listening"));
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "edgeio did not listen on {} within {LISTEN_TIMEOUT:?}",
                    self.addr
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ChatBinary {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `cmd` without the caller's `EDGEIO_*` and `PORT` variables, which would
/// change the flags under test.
fn clean_env(cmd: &mut Command) -> &mut Command {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("EDGEIO_") || name == "PORT" {
            cmd.env_remove(name);
        }
    }
    cmd.env("NO_COLOR", "1").env("RUST_BACKTRACE", "1")
}
