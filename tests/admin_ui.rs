//! The server side of the official Socket.IO Admin UI (`--admin-ui`), seen
//! by the official `socket.io-client` speaking as the UI does
//! (`tests/interop/admin_ui.mjs`) to the `edgeio` binary: credentials
//! checked against a bcrypt hash, `config`, `all_sockets`, `server_stats`
//! with the right counts, the socket and room events, the actions — and
//! none of them when read-only; and no start without credentials.
//!
//! Needs Node.js and `npm ci --prefix tests/interop`; without them these
//! tests fail, they never pass silently.

mod chat_support;
mod common;
mod node_support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chat_support::binary::{ChatBinary, BIN};
use node_support::require_node_package;
use node_support::script::Script;
use serde_json::{json, Value};

/// Upper bound for any one step.
const STEP: Duration = Duration::from_secs(60);

const USER: &str = "ops";
const PASSWORD: &str = "correct horse battery staple";

/// The server, with the Admin UI on (`extra` flags added), and the script.
fn start(name: &str, extra: &[&str]) -> (ChatBinary, Script) {
    require_node_package("socket.io-client");
    // Cost 4, the least: the test checks the protocol, not bcrypt's cost.
    let hash = bcrypt::hash(PASSWORD, 4).expect("hash");
    let mut args = vec![
        "--app",
        "protocol-suite",
        "--store",
        "memory",
        "--admin-ui",
        "--admin-username",
        USER,
        "--admin-password-hash",
        &hash,
    ];
    args.extend_from_slice(extra);
    let server = ChatBinary::start(name, &args);
    let mut script = Script::start("admin_ui.mjs", name, &[&server.url()]);
    script.expect("READY", STEP);
    (server, script)
}

/// Sends command `cmd` and returns its answer.
fn ask(script: &mut Script, cmd: Value) -> Value {
    script.send(&cmd.to_string());
    let line = script.expect("", STEP);
    let answer: Value = serde_json::from_str(&line).expect("a JSON answer");
    assert_eq!(answer["ok"], cmd["op"], "{line}");
    answer
}

/// The arguments of the admin socket's next `event`.
fn next(script: &mut Script, tag: &str, event: &str) -> Vec<Value> {
    let answer = ask(script, json!({"op": "next", "tag": tag, "event": event}));
    answer["args"].as_array().expect("args").clone()
}

/// The next `event` whose arguments satisfy `wanted` (others skipped).
fn next_where(
    script: &mut Script,
    tag: &str,
    event: &str,
    wanted: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + STEP;
    loop {
        let args = next(script, tag, event);
        if wanted(&args) {
            return args;
        }
        assert!(
            Instant::now() < deadline,
            "no wanted {event} within {STEP:?}, the last: {args:?}"
        );
    }
}

/// The admin socket `tag` logged in with the right credentials: its
/// `config`'s supported features.
fn log_in(script: &mut Script, tag: &str) -> Vec<Value> {
    let auth = json!({"username": USER, "password": PASSWORD});
    let answer = ask(script, json!({"op": "admin", "tag": tag, "auth": auth}));
    assert!(answer["id"].is_string(), "{answer}");
    let config = next(script, tag, "config");
    config[0]["supportedFeatures"]
        .as_array()
        .expect("features")
        .clone()
}

/// The socket count of namespace `name` in `server_stats` arguments.
fn sockets_in(stats: &[Value], name: &str) -> Option<u64> {
    stats[0]["namespaces"]
        .as_array()?
        .iter()
        .find(|n| n["name"] == name)?["socketsCount"]
        .as_u64()
}

#[test]
fn admin_ui_logs_in_watches_and_acts() {
    let (_server, mut script) = start("admin-ui", &[]);

    for auth in [
        json!({"username": USER, "password": "wrong"}),
        json!({"username": "root", "password": PASSWORD}),
        json!({}),
    ] {
        let answer = ask(
            &mut script,
            json!({"op": "admin", "tag": "bad", "auth": auth}),
        );
        assert_eq!(answer["error"], "invalid credentials", "{auth}: {answer}");
    }

    let features = log_in(&mut script, "a");
    for f in ["JOIN", "LEAVE", "DISCONNECT", "MJOIN", "AGGREGATED_EVENTS"] {
        assert!(features.contains(&json!(f)), "{f} in {features:?}");
    }
    let session = next(&mut script, "a", "session");
    let all = next(&mut script, "a", "all_sockets");
    let all = all[0].as_array().expect("a list");
    assert!(
        all.iter().any(|s| s["nsp"] == "/admin"),
        "the admin socket itself: {all:?}"
    );
    let me = &all[0];
    for key in ["id", "clientId", "transport", "rooms", "data"] {
        assert!(!me[key].is_null(), "{key} in {me}");
    }
    assert!(me["handshake"]["headers"].is_object(), "{me}");
    assert!(me["handshake"].get("auth").is_none(), "no password: {me}");

    // A session id lets the UI back in without the password.
    let auth = json!({"sessionId": session[0]});
    let answer = ask(
        &mut script,
        json!({"op": "admin", "tag": "again", "auth": auth}),
    );
    assert!(answer["id"].is_string(), "{answer}");

    let c = ask(&mut script, json!({"op": "client", "tag": "c"}));
    let c_id = c["id"].as_str().expect("id").to_owned();
    let connected = next_where(&mut script, "a", "socket_connected", |a| a[0]["id"] == c_id);
    assert_eq!(connected[0]["nsp"], "/");
    assert!(connected[0]["rooms"]
        .as_array()
        .expect("rooms")
        .contains(&json!(c_id)));
    assert!(connected[1].is_string(), "a timestamp: {connected:?}");
    let p = ask(
        &mut script,
        json!({"op": "client", "tag": "p", "transports": ["polling"]}),
    );
    assert!(p["id"].is_string());

    // Engine.IO sessions: a, again, c, p; p stays on polling.
    let stats = next_where(&mut script, "a", "server_stats", |s| {
        s[0]["clientsCount"] == 4
            && s[0]["pollingClientsCount"] == 1
            && sockets_in(s, "/") == Some(2)
            && sockets_in(s, "/admin") == Some(2)
    });
    assert!(stats[0]["uptime"].is_number() && stats[0]["pid"].is_number());
    // The traffic charts: a session opened since the last emit is counted.
    ask(&mut script, json!({"op": "client", "tag": "d"}));
    next_where(&mut script, "a", "server_stats", |s| {
        s[0]["aggregatedEvents"].as_array().is_some_and(|e| {
            e.iter()
                .any(|e| e["type"] == "rawConnection" && e["count"].as_u64() >= Some(1))
        })
    });

    let act = |script: &mut Script, event: &str, args: Value| {
        ask(
            script,
            json!({"op": "act", "tag": "a", "event": event, "args": args}),
        );
    };
    act(&mut script, "join", json!(["/", "vip", c_id]));
    let joined = next_where(&mut script, "a", "room_joined", |a| a[1] == "vip");
    assert_eq!(&joined[..3], &[json!("/"), json!("vip"), json!(c_id)]);
    act(&mut script, "leave", json!(["/", "vip", c_id]));
    let left = next_where(&mut script, "a", "room_left", |a| a[1] == "vip");
    assert_eq!(&left[..3], &[json!("/"), json!("vip"), json!(c_id)]);
    // A namespace that does not exist is not made by an action.
    act(&mut script, "join", json!(["/nowhere", "vip"]));

    act(&mut script, "_disconnect", json!(["/", false, c_id]));
    let gone = next_where(&mut script, "a", "socket_disconnected", |a| a[1] == c_id);
    assert_eq!(gone[0], "/");
    assert_eq!(gone[2], "server namespace disconnect");
    let reason = ask(&mut script, json!({"op": "disconnected", "tag": "c"}));
    assert_eq!(reason["reason"], "io server disconnect");
    // p and d are left on `/`.
    let stats = next_where(&mut script, "a", "server_stats", |s| {
        sockets_in(s, "/") == Some(2)
    });
    assert_eq!(sockets_in(&stats, "/nowhere"), None, "{stats:?}");
}

#[test]
fn read_only_admin_ui_watches_but_does_not_act() {
    let (_server, mut script) = start("admin-ui-readonly", &["--admin-readonly"]);
    let features = log_in(&mut script, "a");
    assert_eq!(features, vec![json!("AGGREGATED_EVENTS")]);
    let c = ask(&mut script, json!({"op": "client", "tag": "c"}));
    let c_id = c["id"].as_str().expect("id").to_owned();
    next_where(&mut script, "a", "socket_connected", |a| a[0]["id"] == c_id);

    for (event, args) in [
        ("join", json!(["/", "vip", c_id])),
        ("join", json!(["/", "vip"])),
        ("_disconnect", json!(["/", true])),
    ] {
        ask(
            &mut script,
            json!({"op": "act", "tag": "a", "event": event, "args": args}),
        );
    }
    // Read after the actions, on the same connection: once it is in, they
    // have been handled.
    let sentinel = ask(&mut script, json!({"op": "sentinel", "tag": "a"}));
    let s_id = sentinel["id"].as_str().expect("id").to_owned();
    next_where(&mut script, "a", "socket_connected", |a| a[0]["id"] == s_id);
    let count = |script: &mut Script, event: &str| {
        ask(script, json!({"op": "count", "tag": "a", "event": event}))["n"].clone()
    };
    assert_eq!(count(&mut script, "room_joined"), 0, "nothing joined");
    assert_eq!(count(&mut script, "socket_disconnected"), 0, "nobody left");
}

/// `edgeio ARGS`'s exit status and stderr; killed if it runs past `STEP`.
fn run_binary(args: &[&str]) -> (Option<i32>, String) {
    let log = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("admin-ui-refusal.log");
    let stderr = std::fs::File::create(&log).expect("log");
    let mut child = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--store", "memory"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("run edgeio");
    let deadline = Instant::now() + STEP;
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll") {
            break status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status, node_support::read_log(&log))
}

#[test]
fn admin_ui_without_credentials_does_not_start() {
    let hash = bcrypt::hash(PASSWORD, 4).expect("hash");
    for args in [
        &["--admin-ui"][..],
        &["--admin-ui", "--admin-username", USER],
        &["--admin-ui", "--admin-password-hash", &hash],
        &[
            "--admin-ui",
            "--admin-username",
            USER,
            "--admin-password-hash",
            "secret",
        ],
    ] {
        let (status, stderr) = run_binary(args);
        assert!(
            status.is_some_and(|c| c != 0),
            "{args:?} must not start: {status:?}, {stderr}"
        );
        assert!(stderr.contains("--admin-ui"), "{args:?}: {stderr}");
    }
}
