//! What the Chromium tests share: the check that a browser is there (a hard
//! failure in CI, a skip with a message elsewhere), the folder a test's
//! screenshots go to, and [`BrowserScript`], a Node script driving headless
//! Chromium through `tests/interop/browser.mjs`, one JSON command at a time.
//! Declare `mod node_support;` (and `mod chat_support;` to start the binary
//! with `ChatBinary`) next to `mod browser_support;`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

use crate::node_support::require_node_package;
use crate::node_support::script::Script;

/// Upper bound for one command (a scenario in the page, a screenshot).
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// Upper bound for Chromium to start and the page to load.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The browser the tests launch: `$CHROMIUM`, else Debian's `chromium`.
pub fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// True when the browser tests can run. Without Chromium: a panic in CI
/// (`CI=true`, where `.ci/run` installs it), else `false` after a message
/// saying the test is skipped. Also fails unless puppeteer-core and the
/// official client are installed at their pinned versions.
pub fn browser_available(test: &str) -> bool {
    require_node_package("puppeteer-core");
    require_node_package("socket.io-client");
    let path = chromium();
    if path.is_file() {
        return true;
    }
    let hint = "install Debian's `chromium` (`.ci/run` does) or point $CHROMIUM at a Chromium";
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{test}: no browser at {}: {hint}", path.display());
    }
    eprintln!("SKIPPED {test}: no browser at {}: {hint}", path.display());
    false
}

/// `target/test-artifacts/<test>/`: where a test's screenshots go (CI keeps
/// it). Emptied first.
pub fn artifacts_dir(test: &str) -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is inside the target folder");
    let dir = target.join("test-artifacts").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the artifacts folder");
    dir
}

/// A Node script that drives Chromium: it prints `{"origin": ...}` first
/// (the test page's origin), then answers `{"op": ...}` lines with
/// `{"ok": op, ...}` lines (see `tests/interop/browser_e2e.mjs`).
pub struct BrowserScript {
    script: Script,
    /// The origin the test page is served from (not the server's).
    pub origin: String,
}

impl BrowserScript {
    /// Starts `node tests/interop/<file> ARTIFACTS ARGS` and waits for the
    /// page's origin. Its stderr is `CARGO_TARGET_TMPDIR/<name>.node.log`.
    pub fn start(file: &str, name: &str, artifacts: &Path, args: &[&str]) -> Self {
        let artifacts = artifacts.to_str().expect("a UTF-8 artifacts path");
        let all: Vec<&str> = std::iter::once(artifacts)
            .chain(args.iter().copied())
            .collect();
        let mut script = Script::start(file, name, &all);
        let first = script.expect("{", START_TIMEOUT);
        let origin = parse(&format!("{{{first}"), &script)["origin"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no origin in the first line; {}", script.report()));
        Self { script, origin }
    }

    /// Sends `command` and returns the script's answer; panics, with the
    /// script's output and log, if it fails or does not answer in time.
    pub fn command(&mut self, command: Value) -> Value {
        self.script.send(&command.to_string());
        let line = self.script.expect("{", COMMAND_TIMEOUT);
        let answer = parse(&format!("{{{line}"), &self.script);
        assert_eq!(
            answer["ok"],
            command["op"],
            "answer to {command}: {answer}; {}",
            self.script.report()
        );
        answer
    }

    /// Runs `scenario(args...)` of the page in tab `tab` (`cdn` or
    /// `plain`); what it resolved with, and the console errors meanwhile.
    pub fn run(&mut self, tab: &str, scenario: &str, args: Value) -> (Value, Vec<String>) {
        let answer =
            self.command(json!({"op": "run", "tab": tab, "scenario": scenario, "args": args}));
        let errors = answer["errors"]
            .as_array()
            .map(|a| a.iter().map(|e| e.to_string()).collect())
            .unwrap_or_default();
        (answer["result"].clone(), errors)
    }

    /// Like [`Self::run`], and asserts the page logged no error.
    pub fn run_clean(&mut self, tab: &str, scenario: &str, args: Value) -> Value {
        let (result, errors) = self.run(tab, scenario, args);
        assert!(
            errors.is_empty(),
            "{scenario}: console errors {errors:?} (result {result})"
        );
        result
    }

    /// Saves a screenshot of tab `tab` as `<artifacts>/<name>.png`.
    pub fn screenshot(&mut self, tab: &str, name: &str) -> PathBuf {
        let answer = self.command(json!({"op": "screenshot", "tab": tab, "name": name}));
        PathBuf::from(answer["path"].as_str().expect("a screenshot path"))
    }

    /// What the script said, and its log (for a failure's message).
    pub fn report(&self) -> String {
        self.script.report()
    }
}

fn parse(line: &str, script: &Script) -> Value {
    serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {line}; {}", script.report()))
}
