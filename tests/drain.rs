//! The `edgeio` binary's stop on SIGTERM, seen from outside: official npm
//! `socket.io-client` sockets (`tests/interop/drain.mjs`) see their
//! connection close with "transport close" — not a server DISCONNECT, so
//! they try to reconnect (elsewhere, behind a load balancer); a handshake
//! made during the drain is answered `503`; the process exits 0 even with a
//! connection held open (cut at the drain timeout); and a chat message
//! acknowledged before SIGTERM is there after a restart.
//!
//! Needs Node.js and `npm ci --prefix tests/interop`; without them these
//! tests fail, they never pass silently.

mod chat_support;
mod common;
mod node_support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use chat_support::binary::{ChatBinary, UNLIMITED};
use node_support::require_node_package;
use node_support::script::Script;

/// Upper bound for any one step.
const STEP: Duration = Duration::from_secs(60);

/// One HTTP/1.1 request on a new connection: the status and the body.
fn get(addr: SocketAddr, path: &str, token: Option<&str>) -> (u16, String) {
    try_get(addr, path, token).unwrap_or_else(|| panic!("GET {path}: closed unanswered"))
}

/// [`get`], `None` when the connection is closed without an answer (as a
/// connection accepted just before the drain starts may be).
fn try_get(addr: SocketAddr, path: &str, token: Option<&str>) -> Option<(u16, String)> {
    let mut conn = TcpStream::connect(addr).expect("connect");
    conn.set_read_timeout(Some(STEP)).expect("read timeout");
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let head = format!("GET {path} HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n");
    conn.write_all(head.as_bytes()).expect("write");
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).expect("read the answer");
    if raw.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    Some((status, body))
}

const HANDSHAKE: &str = "/socket.io/?EIO=4&transport=polling";

#[test]
fn sigterm_closes_the_sessions_refuses_handshakes_and_exits_zero() {
    require_node_package("socket.io-client");
    let mut server = ChatBinary::start(
        "drain-sessions",
        &[
            "--app",
            "protocol-suite",
            "--store",
            "memory",
            // Sessions go on for 2 s after SIGTERM, new ones refused.
            "--shutdown-delay",
            "2000",
            "--drain-timeout",
            "3000",
            "--shutdown-timeout",
            "15000",
            // So that the connection held below outlives the drain.
            "--header-timeout",
            "120000",
        ],
    );
    let url = server.url();
    let mut script = Script::start("drain.mjs", "drain-sessions", &["sessions", &url]);
    script.expect("READY", STEP);
    assert_eq!(get(server.addr, HANDSHAKE, None).0, 200, "before: served");
    assert_eq!(
        get(server.addr, "/ready", None),
        (200, "ready\n".to_owned())
    );

    // A connection that never finishes its request.
    let mut held = TcpStream::connect(server.addr).expect("connect");
    held.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .expect("write half a head");

    server.signal("TERM");
    let deadline = Instant::now() + STEP;
    let refused = loop {
        match try_get(server.addr, HANDSHAKE, None) {
            Some((503, body)) => break body,
            Some((status, body)) => assert_eq!(status, 200, "{body}"),
            None => {}
        }
        assert!(Instant::now() < deadline, "no 503 within {STEP:?}");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(refused.contains("Server shutting down"), "{refused}");
    // A load balancer sees the node leave at once, while its sessions go on.
    assert_eq!(
        get(server.addr, "/ready", None),
        (503, "draining\n".to_owned())
    );
    assert_eq!(get(server.addr, "/health", None).0, 200);

    let mut reasons = std::collections::BTreeMap::new();
    let mut reconnecting = std::collections::BTreeSet::new();
    while reasons.len() < 3 || reconnecting.len() < 3 {
        let line = script.expect("", STEP);
        if let Some(rest) = line.strip_prefix("DISCONNECT ") {
            let (tag, reason) = rest.split_once(' ').expect("DISCONNECT tag reason");
            reasons.insert(tag.to_owned(), reason.to_owned());
        } else if let Some(tag) = line.strip_prefix("RECONNECTING ") {
            reconnecting.insert(tag.to_owned());
        } else {
            panic!("unexpected {line:?}; {}", script.report());
        }
    }
    script.expect("DONE", STEP);
    assert_eq!(reasons["a"], "transport close", "{reasons:?}");
    assert_eq!(reasons["c"], "transport close", "{reasons:?}");
    // Polling only: the pending GET gets the close packet, or the next GET
    // finds the session gone.
    assert!(
        ["transport close", "transport error"].contains(&reasons["b"].as_str()),
        "{reasons:?}"
    );

    let status = server
        .wait_exit(STEP)
        .unwrap_or_else(|e| panic!("{e}; its log:\n{}", server.log_text()));
    let log = server.log_text();
    assert_eq!(status.code(), Some(0), "{status}; its log:\n{log}");
    assert!(
        log.contains("connections still open after the drain timeout were cut"),
        "the held connection was cut at the drain timeout:\n{log}"
    );
    assert!(log.contains("stopped"), "{log}");
    held.set_read_timeout(Some(STEP)).expect("read timeout");
    let mut rest = Vec::new();
    let _ = held.read_to_end(&mut rest);
    assert!(rest.is_empty(), "{:?}", String::from_utf8_lossy(&rest));
}

#[test]
fn a_message_acknowledged_before_sigterm_is_kept() {
    require_node_package("socket.io-client");
    let mut server = ChatBinary::start("drain-chat", &[UNLIMITED]);
    let dir = tempfile::tempdir().expect("tempdir");
    let tokens = server.write_tokens(2, dir.path());
    let url = server.url();
    let tokens = tokens.to_str().expect("UTF-8");
    let mut script = Script::start("drain.mjs", "drain-chat", &["chat", &url, tokens]);
    let acked = script.expect("ACKED ", STEP);
    let [conv, id, seq]: [&str; 3] = acked
        .split(' ')
        .collect::<Vec<_>>()
        .try_into()
        .expect("ACKED conv id seq");

    server.signal("TERM");
    assert_eq!(script.expect("DISCONNECT ", STEP), "transport close");
    assert!(script.wait(STEP).success(), "{}", script.report());
    let status = server
        .wait_exit(STEP)
        .unwrap_or_else(|e| panic!("{e}; its log:\n{}", server.log_text()));
    assert_eq!(status.code(), Some(0), "{status}; {}", server.log_text());

    server.restart("SIGTERM").expect("restart");
    let token = server.token("u0", "1h");
    let (status, body) = get(
        server.addr,
        &format!("/conversations/{conv}/messages?limit=100&after=0"),
        Some(&token),
    );
    assert_eq!(status, 200, "{body}");
    let page: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let kept = page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["messageId"] == id)
        .unwrap_or_else(|| panic!("{id} is not in the history: {body}"));
    assert_eq!(kept["serverSequence"].to_string(), seq);
    assert_eq!(kept["content"], "said before SIGTERM");
}
