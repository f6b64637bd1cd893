//! The official Socket.IO Admin UI itself (`@socket.io/admin-ui`'s
//! `ui/dist`, served from a second origin) in headless Chromium against
//! `edgeio --admin-ui`: refused with a wrong password, connected with the
//! right one, and showing a client connected to the server in its socket
//! list. A screenshot of the list goes to
//! `target/test-artifacts/admin_ui_browser/`.
//!
//! Needs Node.js, `npm ci --prefix tests/interop` and Chromium (skipped with
//! a message without Chromium, except in CI where it fails).

mod browser_support;
mod chat_support;
mod common;
mod node_support;

use serde_json::json;

use browser_support::{artifacts_dir, browser_available, BrowserScript, COMMAND_TIMEOUT};
use chat_support::binary::ChatBinary;
use node_support::script::Script;

const TEST: &str = "admin_ui_browser";
const USER: &str = "ops";
const PASSWORD: &str = "correct horse battery staple";

#[test]
fn the_admin_ui_in_chromium_lists_a_connected_client() {
    if !browser_available(TEST) {
        return;
    }
    let artifacts = artifacts_dir(TEST);
    let mut browser = BrowserScript::start("admin_ui_browser.mjs", TEST, &artifacts, &[]);
    let origin = browser.origin.clone();
    let hash = bcrypt::hash(PASSWORD, 4).expect("hash");
    let server = ChatBinary::start(
        TEST,
        &[
            "--app",
            "protocol-suite",
            "--store",
            "memory",
            "--admin-ui",
            "--admin-username",
            USER,
            "--admin-password-hash",
            &hash,
            // The UI connects with credentials, from its own origin.
            "--cors-origin",
            &origin,
            "--cors-credentials",
        ],
    );
    let url = server.url();

    // A client of the application, from Node.
    let mut node = Script::start("admin_ui.mjs", &format!("{TEST}-client"), &[&url]);
    node.expect("READY", COMMAND_TIMEOUT);
    node.send(&json!({"op": "client", "tag": "c"}).to_string());
    let answer: serde_json::Value =
        serde_json::from_str(&node.expect("", COMMAND_TIMEOUT)).expect("JSON");
    let id = answer["id"].as_str().expect("the client's id").to_owned();

    let refused = browser.command(json!({
        "op": "login", "server": url, "username": USER, "password": "wrong",
    }));
    // The UI shows the server's CONNECT_ERROR message (capitalized).
    let shown = refused["error"].as_str().unwrap_or_default().to_lowercase();
    assert_eq!(shown, "invalid credentials", "{refused}");
    let login = browser.command(json!({
        "op": "login", "server": url, "username": USER, "password": PASSWORD,
    }));
    assert!(login["error"].is_null(), "{login}; {}", browser.report());
    let found = browser.command(json!({"op": "find", "id": id}));
    browser.screenshot("ui", "sockets");
    assert_eq!(found["errors"], json!([]), "{found}");
}
