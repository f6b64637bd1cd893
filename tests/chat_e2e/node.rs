//! Runs one scenario of `tests/interop/chat/` (the official npm
//! `socket.io-client`) against a [`ChatBinary`], and answers what the
//! script asks of the test on its stdout, one line each:
//!
//! - `@@token USER TTL`: a token from `edgeio token`, written back on its
//!   stdin;
//! - `@@restart kill|term`: the server stopped (SIGKILL or SIGTERM) and
//!   started again on the same port and data directory; `restarted` back.
//!
//! Any other line is the script's report. The scenario passes when the
//! script exits 0 after an `ok: ...` line; otherwise the test fails with its
//! output and the server's log.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::chat_support::binary::ChatBinary;
use crate::node_support::{read_log, require_node_package, Killed, INTEROP_DIR};

/// Upper bound of one Node run: the scripts bound themselves at 90 s (150 s at most), this
/// leaves room for Node's start and restarts on a busy machine.
const NODE_TIMEOUT: Duration = Duration::from_secs(200);

/// What Node's stdout says, line by line, or that it closed.
enum Line {
    Text(String),
    Closed,
}

/// Runs `tests/interop/chat/{script}.mjs URL ARGS` with `env` against
/// `server`; panics with everything there is to read unless it passes.
pub fn run(server: &mut ChatBinary, script: &str, args: &[&str], env: &[(&str, &str)]) {
    require_node_package("socket.io-client");
    let node_err = server.log.with_extension("node.err");
    let mut node = Killed(
        Command::new("node")
            .arg(Path::new(INTEROP_DIR).join(format!("chat/{script}.mjs")))
            .arg(server.url())
            .args(args)
            .envs(env.iter().copied())
            .current_dir(INTEROP_DIR)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(File::create(&node_err).expect("create node's stderr log"))
            .spawn()
            .expect("run node (is Node.js installed?)"),
    );
    let mut stdin = node.0.stdin.take().expect("node's stdin");
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
    let problem = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = match rx.recv_timeout(left) {
            Ok(Line::Text(line)) => line,
            Ok(Line::Closed) => break None,
            Err(_) => break Some(format!("node did not finish within {NODE_TIMEOUT:?}")),
        };
        let Some(command) = line.strip_prefix("@@") else {
            out.push(line);
            continue;
        };
        out.push(format!("[test] {command}"));
        let reply = match command.split_whitespace().collect::<Vec<_>>()[..] {
            ["token", user, ttl] => Ok(server.token(user, ttl)),
            ["restart", how] => restart(server, how),
            _ => Err(format!("unknown request {command:?}")),
        };
        let reply = match reply {
            Ok(reply) => reply,
            Err(e) => break Some(e),
        };
        if let Err(e) = writeln!(stdin, "{reply}").and_then(|()| stdin.flush()) {
            break Some(format!("cannot answer node: {e}"));
        }
    };
    drop(stdin);
    // Its stdout is closed: it is exiting.
    let status = match problem {
        None => Some(node.0.wait().expect("wait for node")),
        Some(_) => None,
    };
    drop(node);
    let passed =
        status.is_some_and(|s| s.success()) && out.last().is_some_and(|l| l.starts_with("ok"));
    if passed {
        // Shown with --nocapture.
        println!("{}\n({:.1?})", out.join("\n"), started.elapsed());
        return;
    }
    let verdict = match (status, problem) {
        (Some(s), _) => format!("node exited with {s}"),
        (None, Some(p)) => p,
        (None, None) => "node's stdout closed".into(),
    };
    panic!(
        "chat scenario {script} {args:?} failed after {:.1?}: {verdict}\n\
         --- node stdout ---\n{}\n--- node stderr ---\n{}\n--- server log ({}) ---\n{}",
        started.elapsed(),
        out.join("\n"),
        read_log(&node_err),
        server.log.display(),
        server.log_text()
    );
}

/// `@@restart kill|term`.
fn restart(server: &mut ChatBinary, how: &str) -> Result<String, String> {
    let stopped = match how {
        "kill" => server.kill(),
        "term" => server.terminate()?,
        other => return Err(format!("restart {other:?}: expected kill or term")),
    };
    server.restart(&stopped)?;
    Ok("restarted".into())
}
