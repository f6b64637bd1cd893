//! [`Script`]: a Node script run from `tests/interop`, spoken to one line at
//! a time over its stdin and stdout; its stderr goes to a log file.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::{read_log, Killed, INTEROP_DIR};

/// A running script; killed when dropped.
pub struct Script {
    child: Killed,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    /// Its stderr.
    pub log: PathBuf,
    /// Every line read so far, for a failure's message.
    seen: Vec<String>,
}

impl Script {
    /// Starts `node tests/interop/<file> ARGS`, its stderr in
    /// `CARGO_TARGET_TMPDIR/<name>.node.log`.
    pub fn start(file: &str, name: &str, args: &[&str]) -> Self {
        let log = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.node.log"));
        let stderr = std::fs::File::create(&log).expect("create the script's log");
        let mut child = Command::new("node")
            .arg(file)
            .args(args)
            .current_dir(INTEROP_DIR)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("run node");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child: Killed(child),
            stdin,
            lines,
            log,
            seen: Vec::new(),
        }
    }

    /// The next line, which must start with `prefix`; the rest of it.
    /// Panics, with the script's log, if none comes within `within`.
    pub fn expect(&mut self, prefix: &str, within: Duration) -> String {
        match self.lines.recv_timeout(within) {
            Ok(line) => {
                self.seen.push(line.clone());
                let Some(rest) = line.strip_prefix(prefix) else {
                    panic!(
                        "expected {prefix:?}, the script said {line:?}; {}",
                        self.report()
                    );
                };
                rest.trim().to_owned()
            }
            Err(e) => panic!(
                "no {prefix:?} line within {within:?} ({e}); {}",
                self.report()
            ),
        }
    }

    /// Writes `line` to the script's stdin.
    pub fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{line}").expect("write to the script");
        stdin.flush().expect("flush to the script");
    }

    /// Waits, at most `within`, for the script to exit; its status.
    pub fn wait(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + within;
        loop {
            if let Some(status) = self.child.0.try_wait().expect("poll node") {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the script did not exit within {within:?}; {}",
                self.report()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// What the script said, and its log.
    pub fn report(&self) -> String {
        format!(
            "its lines so far: {:?}; its log:\n{}",
            self.seen,
            read_log(&self.log)
        )
    }
}
