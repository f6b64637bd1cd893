//! Runs `tests/interop/chat_python.py` (the official PyPI `python-socketio`
//! client, from the venv `.venv` at the repository root) against a
//! [`ChatBinary`]; fails with its output and the server's log unless it
//! passes.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::chat_support::binary::ChatBinary;
use crate::node_support::{read_log, Killed};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// Upper bound of the run; the script bounds itself at 60 s, this leaves
/// room for the interpreter's start on a busy machine.
const PYTHON_TIMEOUT: Duration = Duration::from_secs(120);

const SETUP: &str = "this test needs the pinned python-socketio client in `.venv` at the \
     repository root. Run `.ci/run`, or: `python3 -m venv .venv && \
     .venv/bin/pip install -r tests/interop/requirements.txt`";

/// The venv's interpreter, checked to hold the pinned client.
fn python() -> std::path::PathBuf {
    let python = Path::new(ROOT).join(".venv/bin/python");
    assert!(python.is_file(), "{} is missing: {SETUP}", python.display());
    let requirements =
        std::fs::read_to_string(Path::new(ROOT).join("tests/interop/requirements.txt"))
            .expect("read tests/interop/requirements.txt");
    let pinned = requirements
        .lines()
        .find_map(|l| l.strip_prefix("python-socketio=="))
        .expect("requirements.txt pins python-socketio")
        .trim();
    let probe = "from importlib.metadata import version\n\
                 import socketio, requests\n\
                 print(version('python-socketio'))";
    let out = Command::new(&python)
        .args(["-c", probe])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}; {SETUP}", python.display()));
    let installed = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(
        out.status.success() && installed == pinned,
        "python-socketio {installed:?} is importable, {pinned} is pinned ({}); {SETUP}",
        String::from_utf8_lossy(&out.stderr)
    );
    python
}

/// Runs the scenario over `transport` (default, websocket or polling).
pub fn run(server: &ChatBinary, transport: &str) {
    let python = python();
    let out_path = server.log.with_extension(format!("{transport}.python.out"));
    let mut child = Killed(
        Command::new(python)
            .arg(Path::new(ROOT).join("tests/interop/chat_python.py"))
            .args([&server.url(), transport])
            .env("CHAT_TOKEN_ALICE", server.token("alice", "1h"))
            .env("CHAT_TOKEN_BOB", server.token("bob", "1h"))
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(File::create(&out_path).expect("create Python's output log"))
            .stderr(Stdio::from(
                File::options()
                    .append(true)
                    .open(&out_path)
                    .expect("open Python's output log"),
            ))
            .spawn()
            .expect("run the venv's python"),
    );
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("poll python") {
            break Some(status);
        }
        if started.elapsed() >= PYTHON_TIMEOUT {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    drop(child);
    let output = read_log(&out_path);
    if status.is_some_and(|s| s.success())
        && output.lines().last().is_some_and(|l| l.starts_with("ok"))
    {
        println!("{output}({:.1?})", started.elapsed());
        return;
    }
    let verdict = status.map_or_else(
        || format!("did not end within {PYTHON_TIMEOUT:?}"),
        |s| format!("exited with {s}"),
    );
    panic!(
        "the python-socketio chat scenario over {transport} {verdict}\n\
         --- python output ---\n{output}\n--- server log ({}) ---\n{}",
        server.log.display(),
        server.log_text()
    );
}
