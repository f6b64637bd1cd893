//! The official `socket.io-client` bundle in headless Chromium, on a page
//! served from another origin, against the `edgeio` binary with `--app
//! protocol-suite`: polling then the upgrade, WebSocket only, polling only,
//! binary up to 100 kB both ways, acks, namespaces with auth, CORS allowed
//! and refused, credentials with `--cors-credentials`, reconnect after the
//! server restarts, and the connect latency of 40 default connects
//! (reported; the stall it would show is pinned by the unit tests of
//! `src/engine/transport/polling.rs`). One browser for the file; the page's
//! screenshot and the latency numbers go to `target/test-artifacts/browser_e2e/`.

mod browser_support;
mod chat_support;
mod common;
mod node_support;

use serde_json::{json, Value};

use browser_support::{artifacts_dir, browser_available, BrowserScript};
use chat_support::binary::ChatBinary;

const TEST: &str = "browser_e2e";
const CONNECTS: usize = 40;

#[test]
fn a_page_on_another_origin_speaks_to_edgeio_in_chromium() {
    if !browser_available(TEST) {
        return;
    }
    let artifacts = artifacts_dir(TEST);
    let mut browser = BrowserScript::start("browser_e2e.mjs", TEST, &artifacts, &[]);
    let origin = browser.origin.clone();
    let mut server =
        ChatBinary::start(TEST, &["--app", "protocol-suite", "--cors-origin", &origin]);
    let url = server.url();

    transports(&mut browser, &url);
    binary_and_acks(&mut browser, &url);
    namespaces(&mut browser, &url);
    cors(&mut browser, &url, &origin);
    connect_latency(&mut browser, &url, &artifacts);

    // Reconnect: the server is killed and started again on the same port.
    let before = browser.run_clean("cdn", "reconnectOpen", json!([url]));
    let how = server.kill();
    server
        .restart(&how)
        .unwrap_or_else(|e| panic!("restart: {e}; log:\n{}", server.log_text()));
    let (after, _errors) = browser.run("cdn", "reconnectWait", json!([]));
    assert_eq!(after["text"], "after the restart", "{after}");
    assert_ne!(after["id"], before["id"], "a new session after the restart");
    assert!(
        after["disconnects"]
            .as_array()
            .is_some_and(|d| !d.is_empty()),
        "the page saw the server go: {after}"
    );

    let shot = browser.screenshot("cdn", "page");
    assert!(shot.is_file(), "no screenshot at {}", shot.display());
}

/// Polling then the upgrade (the default), WebSocket only, polling only.
fn transports(browser: &mut BrowserScript, url: &str) {
    let r = browser.run_clean("cdn", "upgrade", json!([url]));
    assert_eq!(r["first"], "polling", "{r}");
    assert_eq!(r["after"], "websocket", "{r}");
    assert_eq!(r["text"], "after the upgrade", "{r}");
    for transport in ["websocket", "polling"] {
        let r = browser.run_clean("cdn", "only", json!([url, transport]));
        assert_eq!(r["used"], transport, "{r}");
        assert_eq!(r["still"], transport, "{r}");
        assert_eq!(r["text"], format!("only {transport}"), "{r}");
    }
}

/// Binary of 1 B to 100 kB echoed on each transport; acks with arguments.
fn binary_and_acks(browser: &mut BrowserScript, url: &str) {
    let sizes = [1, 1_000, 100_000];
    let r = browser.run_clean("cdn", "binary", json!([url, sizes]));
    for transport in ["polling", "websocket"] {
        for n in sizes {
            assert_eq!(
                r[format!("{transport}:{n}")],
                true,
                "{transport} {n} B: {r}"
            );
        }
    }
    let r = browser.run_clean("cdn", "acks", json!([url]));
    assert_eq!(r["plain"], r#"[1,"two",{"three":[3]}]"#, "{r}");
    assert_eq!(r["binary"], true, "{r}");
    assert_eq!(r["withTimeout"], "once", "{r}");
}

/// The handshake's auth payload reaches each namespace; an unknown one is
/// refused.
fn namespaces(browser: &mut BrowserScript, url: &str) {
    let (r, _errors) = browser.run("cdn", "namespaces", json!([url]));
    assert_eq!(
        r["auth"]["/custom"],
        json!({"token": "t/custom", "n": 1}),
        "{r}"
    );
    assert_eq!(r["auth"]["/"], json!({"token": "t/", "n": 1}), "{r}");
    assert_eq!(r["unknown"], "Invalid namespace", "{r}");
}

/// Another origin is refused without `--cors-origin`; credentials need
/// `--cors-credentials`.
fn cors(browser: &mut BrowserScript, url: &str, origin: &str) {
    let closed = ChatBinary::start("browser_e2e-no-cors", &["--app", "protocol-suite"]);
    let (r, errors) = browser.run("cdn", "attempt", json!([closed.url(), {}]));
    assert_eq!(
        r["connected"], false,
        "connected without --cors-origin: {r}"
    );
    assert!(
        errors.iter().any(|e| e.contains("CORS")),
        "the browser said nothing of CORS: {errors:?}"
    );

    let credentials = json!({"withCredentials": true});
    let (r, _errors) = browser.run("cdn", "attempt", json!([url, credentials]));
    assert_eq!(
        r["connected"], false,
        "credentials without --cors-credentials: {r}"
    );
    let with = ChatBinary::start(
        "browser_e2e-credentials",
        &[
            "--app",
            "protocol-suite",
            "--cors-origin",
            origin,
            "--cors-credentials",
        ],
    );
    let r = browser.run_clean("cdn", "attempt", json!([with.url(), credentials]));
    assert_eq!(r["connected"], true, "{r}");
    assert_eq!(r["text"], "attempt", "{r}");
}

/// 40 default connects from the page served without request interception;
/// p50/p95/max reported (stderr and `connect-latency.json`), not asserted.
fn connect_latency(browser: &mut BrowserScript, url: &str, artifacts: &std::path::Path) {
    let r = browser.run_clean("plain", "connects", json!([url, CONNECTS]));
    let mut ms: Vec<f64> = r
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    assert_eq!(ms.len(), CONNECTS, "{r}");
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 * q).ceil() as usize).clamp(1, ms.len()) - 1];
    let summary = json!({
        "connects": CONNECTS,
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "max_ms": at(1.0),
        "over_50_ms": ms.iter().filter(|m| **m > 50.0).count(),
        "all_ms": ms,
    });
    eprintln!("browser connect latency: {summary}");
    std::fs::write(artifacts.join("connect-latency.json"), summary.to_string())
        .expect("write the latency numbers");
}
