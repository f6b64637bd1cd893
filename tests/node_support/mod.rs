//! What the tests that drive the official Node clients share: where the
//! pinned packages live, a guard that kills a child process, reading a log,
//! and the check that Node and a pinned package are installed.
#![allow(dead_code)]

pub mod script;

use std::path::Path;
use std::process::{Child, Command};

/// The folder of the pinned npm packages and the Node scripts.
pub const INTEROP_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop");

/// Kills the child (a server or Node) if the test ends early.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A log file's text, or why it could not be read.
pub fn read_log(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| format!("<cannot read {}: {e}>", path.display()))
}

/// Fails with setup instructions unless Node runs and npm package `name` is
/// installed at the version `tests/interop/package.json` pins.
pub fn require_node_package(name: &str) {
    let dir = Path::new(INTEROP_DIR);
    let installed = dir.join(format!("node_modules/{name}/package.json"));
    let hint = "Run `npm ci --prefix tests/interop` (or `.ci/run`, which installs it) first.";
    let version = |path: &Path, pointer: &str| -> Option<String> {
        let text = std::fs::read_to_string(path).ok()?;
        let json: serde_json::Value = serde_json::from_str(&text).ok()?;
        json.pointer(pointer)?.as_str().map(str::to_owned)
    };
    let Some(got) = version(&installed, "/version") else {
        panic!(
            "{} is missing: these tests need the official {name}. {hint}",
            installed.display()
        );
    };
    // A scoped name (`@socket.io/redis-adapter`) holds a `/`, which a JSON
    // pointer spells `~1` (and `~` as `~0`).
    let key = name.replace('~', "~0").replace('/', "~1");
    let pinned = version(&dir.join("package.json"), &format!("/dependencies/{key}"));
    assert_eq!(
        pinned.as_deref(),
        Some(got.as_str()),
        "tests/interop/node_modules has {name} {got}, package.json pins {pinned:?}. {hint}"
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "`node` is not runnable ({node:?}): install Node.js (>= 18), or run `.ci/run`"
    );
}
