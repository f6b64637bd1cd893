//! Sticky sessions behind HAProxy, with `deploy/haproxy.cfg` as shipped
//! (only its addresses replaced): two `edgeio` nodes on one Redis, run with
//! `--cookie io`, and Node's `socket.io-client` over long-polling only with
//! `withCredentials: true` (its cookie jar) connects and gets 50
//! acknowledgements in a row through HAProxy. The same config without the
//! cookie lines (plain round robin) fails as the README says: the second
//! request of the session reaches the other node, which answers 400
//! `Session ID unknown`, and the client sees a transport error.
//!
//! And behind nginx, with `deploy/nginx.conf` as shipped (only its
//! addresses replaced) inside a minimal `nginx.conf` of the test's own:
//! `hash $remote_addr consistent` keeps the client on one node and the 50
//! acknowledgements come back; without the `hash` line (round robin) the
//! client fails the same way.
//!
//! Needs `haproxy` and `nginx` (`.ci/run` installs Debian's `haproxy` and
//! `nginx-light`; nginx runs in the foreground, one process, everything in a
//! temporary directory) and `npm ci --prefix tests/interop`.

mod chat_support;
mod common;
mod node_support;
mod redis_support;

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chat_support::binary::ChatBinary;
use common::request;
use node_support::script::Script;
use node_support::{require_node_package, Killed};
use redis_support::Redis;

/// The shipped configuration.
const CONFIG: &str = include_str!("../deploy/haproxy.cfg");
/// The shipped nginx configuration (an `http {}` block's contents).
const NGINX: &str = include_str!("../deploy/nginx.conf");
/// A polling handshake: what nginx routes (only `/socket.io/`).
const HANDSHAKE: &str = "/socket.io/?EIO=4&transport=polling";
/// How many acknowledgements the client waits for.
const EMITS: &str = "50";

/// Two loadtest nodes with the `io` cookie, on `redis`.
fn nodes(redis: &Redis, name: &str) -> (ChatBinary, ChatBinary) {
    let url = redis.url();
    let flags = [
        "--app",
        "loadtest",
        "--store",
        "memory",
        "--cookie",
        "io",
        "--adapter",
        "redis",
        "--redis-url",
        &url,
    ];
    (
        ChatBinary::start(&format!("{name}-1"), &flags),
        ChatBinary::start(&format!("{name}-2"), &flags),
    )
}

/// HAProxy running `config` with the deploy file's addresses replaced by
/// a free port and the two nodes'; its address, once it routes `/ready`.
fn haproxy(config: &str, a: &ChatBinary, b: &ChatBinary, dir: &std::path::Path) -> (Killed, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let text = config
        .replace("bind 0.0.0.0:80", &format!("bind 127.0.0.1:{port}"))
        .replace("10.0.0.1:3000", &a.addr.to_string())
        .replace("10.0.0.2:3000", &b.addr.to_string());
    let path = dir.join("haproxy.cfg");
    std::fs::write(&path, text).expect("write the config");
    let check = Command::new("haproxy")
        .arg("-c")
        .arg("-f")
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run haproxy ({e}): install it (.ci/run does)"));
    assert!(
        check.status.success(),
        "haproxy -c: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let child = Command::new("haproxy")
        .arg("-db")
        .arg("-f")
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run haproxy");
    (Killed(child), port)
}

/// Waits (bounded) until the proxy at `port` routes `path` to a node, a few
/// times in a row (both nodes, under round robin).
async fn routes(port: u16, path: &str) {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut ok = 0;
    while ok < 4 {
        assert!(Instant::now() < deadline, "the proxy never routed {path}");
        if std::net::TcpStream::connect(addr).is_err() {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        let answered =
            tokio::time::timeout(Duration::from_secs(5), request(addr, "GET", path, &[], b""))
                .await;
        match answered {
            Ok(r) if r.status == 200 => ok += 1,
            _ => {
                ok = 0;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// What the client says after connecting through `port` and emitting.
fn client(port: u16, name: &str) -> String {
    let url = format!("http://127.0.0.1:{port}");
    let mut script = Script::start("sticky.mjs", name, &[&url, EMITS]);
    let line = script.expect("", Duration::from_secs(90));
    script.wait(Duration::from_secs(30));
    line
}

#[tokio::test(flavor = "multi_thread")]
async fn polling_through_haproxy_with_the_io_cookie_keeps_each_session_on_its_node() {
    require_node_package("socket.io-client");
    let redis = Redis::start();
    let (a, b) = nodes(&redis, "sticky");
    let dir = tempfile::tempdir().expect("a directory");
    let (_haproxy, port) = haproxy(CONFIG, &a, &b, dir.path());
    routes(port, "/ready").await;
    let said = client(port, "sticky");
    assert_eq!(
        said,
        format!("OK {EMITS}"),
        "logs:\n{}\n{}",
        a.log_text(),
        b.log_text()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn polling_through_round_robin_without_stickiness_fails_with_session_id_unknown() {
    require_node_package("socket.io-client");
    let redis = Redis::start();
    let (a, b) = nodes(&redis, "unsticky");
    let dir = tempfile::tempdir().expect("a directory");
    let round_robin: String = CONFIG
        .lines()
        .filter(|l| !l.trim_start().starts_with("cookie "))
        .map(|l| l.split(" cookie ").next().unwrap_or(l).to_owned() + "\n")
        .collect();
    assert!(
        !round_robin.contains("\n    cookie io") && !round_robin.contains("check cookie"),
        "{round_robin}"
    );
    let (_haproxy, port) = haproxy(&round_robin, &a, &b, dir.path());
    routes(port, "/ready").await;
    let said = client(port, "unsticky");
    // The client's CONNECT (a POST) reached the node that did not make the
    // session: `xhr post error`, status 400, Engine.IO's error body.
    assert!(said.starts_with("ERR connect_error"), "{said}");
    assert!(
        said.ends_with(r#"400 {"code":1,"message":"Session ID unknown"}"#),
        "{said}"
    );
}

/// nginx running `http` (the contents of an `http {}` block, as the deploy
/// file is) with its addresses replaced by a free port and the two nodes',
/// inside a configuration of the test's own: foreground, one process, its
/// pid, logs and temporary files in `dir`. Its port.
fn nginx(http: &str, a: &ChatBinary, b: &ChatBinary, dir: &std::path::Path) -> (Killed, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let http = http
        .replace("listen 80;", &format!("listen 127.0.0.1:{port};"))
        .replace("10.0.0.1:3000", &a.addr.to_string())
        .replace("10.0.0.2:3000", &b.addr.to_string());
    let d = dir.display();
    let text = format!(
        "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{}}\nhttp {{\n\
         access_log {d}/access.log;\n\
         client_body_temp_path {d}/body;\nproxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\nuwsgi_temp_path {d}/uwsgi;\nscgi_temp_path {d}/scgi;\n\
         {http}\n}}\n"
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, text).expect("write the config");
    let nginx = |args: &[&str]| {
        let mut cmd = Command::new("nginx");
        cmd.arg("-p").arg(dir).arg("-c").arg(&path).args(args);
        cmd
    };
    let check = nginx(&["-t"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run nginx ({e}): install it (.ci/run does)"));
    assert!(
        check.status.success(),
        "nginx -t: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let child = nginx(&[])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run nginx");
    (Killed(child), port)
}

#[tokio::test(flavor = "multi_thread")]
async fn polling_through_nginx_hashing_the_address_keeps_each_session_on_its_node() {
    require_node_package("socket.io-client");
    let redis = Redis::start();
    let (a, b) = nodes(&redis, "nginx");
    let dir = tempfile::tempdir().expect("a directory");
    let (_nginx, port) = nginx(NGINX, &a, &b, dir.path());
    routes(port, HANDSHAKE).await;
    let said = client(port, "nginx");
    assert_eq!(
        said,
        format!("OK {EMITS}"),
        "logs:\n{}\n{}",
        a.log_text(),
        b.log_text()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn polling_through_nginx_round_robin_fails_with_session_id_unknown() {
    require_node_package("socket.io-client");
    let redis = Redis::start();
    let (a, b) = nodes(&redis, "nginx-unsticky");
    let dir = tempfile::tempdir().expect("a directory");
    let round_robin: String = NGINX
        .lines()
        .filter(|l| !l.trim_start().starts_with("hash "))
        .map(|l| l.to_owned() + "\n")
        .collect();
    assert!(!round_robin.contains("\n    hash "), "{round_robin}");
    let (_nginx, port) = nginx(&round_robin, &a, &b, dir.path());
    routes(port, HANDSHAKE).await;
    let said = client(port, "nginx-unsticky");
    assert!(said.starts_with("ERR connect_error"), "{said}");
    assert!(
        said.ends_with(r#"400 {"code":1,"message":"Session ID unknown"}"#),
        "{said}"
    );
}
