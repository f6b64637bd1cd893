//! The binary's Redis over TLS and with a password:
//!
//! - a `redis-server` with a TLS port and a certificate of a CA this test
//!   makes (`rcgen`): two binaries with `--redis-url rediss://...` and
//!   `--redis-ca ca.pem` share a room broadcast; without `--redis-ca` the
//!   private CA is not trusted and the binary refuses to start;
//! - a `redis-server` with `--requirepass`: two binaries with
//!   `redis://:PASSWORD@...` share a broadcast, a wrong password fails at
//!   start-up with an error that names Redis and never shows the password,
//!   and `edgeio config` masks the URL.

mod chat_support;
mod common;
mod redis_support;
mod sio_client;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chat_support::binary::{ChatBinary, BIN};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use redis_support::Redis;
use sio_client::{join, next_text, send, Ws};

/// The flags of a loadtest node on Redis pub/sub at `url`, then `extra`.
fn flags<'a>(url: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut flags = vec![
        "--app",
        "loadtest",
        "--store",
        "memory",
        "--recovery-window",
        "0",
        "--events",
        "redis-pubsub",
        "--redis-url",
        url,
    ];
    flags.extend_from_slice(extra);
    flags
}

/// A socket of the main namespace on `server`, in room `r`.
async fn member(server: &ChatBinary) -> Ws {
    let (mut ws, answer) = join(server.addr, "", "").await;
    assert!(answer.starts_with("40{"), "{answer}");
    send(&mut ws, r#"421["join"]"#).await;
    assert_eq!(next_text(&mut ws).await, "431[]");
    ws
}

/// A broadcast to room `r` on `a` reaches a member on `b`.
async fn share_a_broadcast(a: &ChatBinary, b: &ChatBinary) {
    let mut alice = member(a).await;
    let mut bob = member(b).await;
    send(&mut alice, r#"422["bcast","hi"]"#).await;
    assert_eq!(
        next_text(&mut bob).await,
        r#"42["bcast","hi"]"#,
        "logs:\n{}\n{}",
        a.log_text(),
        b.log_text()
    );
}

/// Runs the binary with `args`, which must fail before serving: its exit
/// status must be an error; returns what it printed (bounded wait).
fn fails_to_start(args: &[&str]) -> String {
    let mut child = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("EDGEIO_REDIS_URL")
        .env_remove("EDGEIO_REDIS_CA")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run edgeio");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("poll edgeio").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("edgeio kept running with {args:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("its output");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "edgeio started: {text}");
    text
}

/// A CA and a certificate it signed for 127.0.0.1, written to `dir` as
/// `ca.pem`, `cert.pem` and `key.pem`.
fn certificates(dir: &Path) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "edgeio redis test CA");
    let ca_key = KeyPair::generate().expect("CA key");
    let ca_pem = ca.self_signed(&ca_key).expect("CA certificate").pem();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("leaf params");
    let key = KeyPair::generate().expect("leaf key");
    let cert = leaf.signed_by(&key, &issuer).expect("leaf certificate");
    std::fs::write(dir.join("ca.pem"), ca_pem).expect("write the CA");
    std::fs::write(dir.join("cert.pem"), cert.pem()).expect("write the certificate");
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).expect("write the key");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_nodes_share_a_broadcast_over_rediss_trusting_a_private_ca() {
    let dir = tempfile::tempdir().expect("a directory");
    certificates(dir.path());
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let tls_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
        .to_string();
    let (cert, key, ca) = (path("cert.pem"), path("key.pem"), path("ca.pem"));
    let _redis = Redis::start_with(&[
        "--tls-port",
        &tls_port,
        "--tls-cert-file",
        &cert,
        "--tls-key-file",
        &key,
        "--tls-ca-cert-file",
        &ca,
        "--tls-auth-clients",
        "no",
    ]);
    let url = format!("rediss://127.0.0.1:{tls_port}/");

    // The private CA is not among the system's: refused without --redis-ca.
    let out = fails_to_start(&flags(&url, &[]));
    assert!(out.contains("redis connect"), "{out}");
    assert!(out.contains("certificate"), "says why: {out}");

    let a = ChatBinary::start("rediss-a", &flags(&url, &["--redis-ca", &ca]));
    let b = ChatBinary::start("rediss-b", &flags(&url, &["--redis-ca", &ca]));
    share_a_broadcast(&a, &b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_in_the_url_works_and_a_wrong_one_fails_without_showing_it() {
    let redis = Redis::start_with(&["--requirepass", "s3cret-pw"]);
    let url = format!("redis://:s3cret-pw@127.0.0.1:{}/", redis.port);
    let a = ChatBinary::start("redis-auth-a", &flags(&url, &[]));
    let b = ChatBinary::start("redis-auth-b", &flags(&url, &[]));
    share_a_broadcast(&a, &b).await;

    let wrong = format!("redis://:wr0ng-pw@127.0.0.1:{}/", redis.port);
    let out = fails_to_start(&flags(&wrong, &[]));
    assert!(out.contains("redis connect"), "{out}");
    assert!(out.contains("authentication failed"), "the reason: {out}");
    assert!(!out.contains("wr0ng-pw"), "the password leaked: {out}");
    let none = format!("redis://127.0.0.1:{}/", redis.port);
    let out = fails_to_start(&flags(&none, &[]));
    assert!(
        out.contains("redis PING") && out.contains("NOAUTH"),
        "{out}"
    );

    let shown = Command::new(BIN)
        .args(["--redis-url", &url, "config"])
        .env_remove("EDGEIO_REDIS_URL")
        .output()
        .expect("edgeio config");
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.status.success(), "{text}");
    assert!(text.contains("redis-url"), "{text}");
    assert!(!text.contains("s3cret-pw"), "the password shown: {text}");
}
