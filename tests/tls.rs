//! TLS end to end: the `edgeio` binary (`--app protocol-suite`) serving a
//! certificate this test makes (`rcgen`, signed by a test CA), the official
//! npm `socket.io-client` trusting that CA (`tests/interop/tls.mjs`) over
//! polling then the upgrade and over WebSocket alone, acknowledgements
//! included; then a second certificate and SIGHUP: the connections opened
//! before go on, a new connection is shown the new certificate; then a
//! garbage certificate and SIGHUP: the last good one stays.
//!
//! Needs Node.js and `npm ci --prefix tests/interop`; without them this
//! test fails, it never passes silently.
#![cfg(feature = "tls")]

mod chat_support;
mod common;
mod node_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

use chat_support::binary::ChatBinary;
use node_support::require_node_package;
use node_support::script::Script;

/// Upper bound for any one step of the script.
const STEP: Duration = Duration::from_secs(60);

/// The test's certificate authority.
struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

impl Ca {
    fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "edgeio test CA");
        let key = KeyPair::generate().expect("CA key");
        let pem = params.self_signed(&key).expect("CA certificate").pem();
        Self {
            issuer: Issuer::new(params, key),
            pem,
        }
    }

    /// A certificate for `localhost` and 127.0.0.1 and its key, in PEM,
    /// written to `dir`; the certificate's DER in base64.
    fn issue(&self, dir: &Path) -> String {
        let params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("leaf params");
        let key = KeyPair::generate().expect("leaf key");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("leaf certificate");
        std::fs::write(dir.join("cert.pem"), cert.pem()).expect("write the certificate");
        std::fs::write(dir.join("key.pem"), key.serialize_pem()).expect("write the key");
        base64::engine::general_purpose::STANDARD.encode(cert.der())
    }
}

/// Waits, at most a minute, for the server's log to hold `what` `n` times.
fn log_says(server: &ChatBinary, what: &str, n: usize) {
    let deadline = Instant::now() + STEP;
    while server.log_text().matches(what).count() < n {
        assert!(
            Instant::now() < deadline,
            "the server's log does not say {what:?} {n} times:\n{}",
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn socketio_client_over_tls_and_the_certificate_reloaded_on_sighup() {
    require_node_package("socket.io-client");
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = Ca::new();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca.pem).expect("write the CA");
    let first = ca.issue(dir.path());
    let path = |name: &str| dir.path().join(name).to_str().expect("UTF-8").to_owned();
    let (cert, key) = (path("cert.pem"), path("key.pem"));
    let mut server = ChatBinary::start(
        "tls",
        &[
            "--app",
            "protocol-suite",
            "--store",
            "memory",
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
        ],
    );

    // Plain HTTP on the TLS port: the handshake fails, the connection is
    // closed, and the server goes on.
    let mut plain = TcpStream::connect(server.addr).expect("connect");
    plain
        .set_read_timeout(Some(STEP))
        .expect("set a read timeout");
    plain
        .write_all(b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("write");
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer);
    assert!(
        !answer.starts_with(b"HTTP/"),
        "plain HTTP answered: {:?}",
        String::from_utf8_lossy(&answer)
    );

    let url = format!("https://{}", server.addr);
    let ca_path = ca_file.to_str().expect("UTF-8");
    let mut script = Script::start("tls.mjs", "tls", &[&url, ca_path]);
    assert_eq!(script.expect("CERT ", STEP), first, "the first certificate");
    script.expect("READY", STEP);

    let second = ca.issue(dir.path());
    assert_ne!(first, second);
    server.signal("HUP");
    log_says(&server, "TLS certificate reloaded", 1);
    script.send("CHECK");
    assert_eq!(
        script.expect("CERT ", STEP),
        second,
        "a new connection is shown the new certificate"
    );
    script.expect("CHECKED", STEP);

    std::fs::write(dir.path().join("cert.pem"), "not a certificate").expect("write garbage");
    server.signal("HUP");
    log_says(&server, "the previous one stays", 1);
    script.send("CHECK");
    assert_eq!(
        script.expect("CERT ", STEP),
        second,
        "after a bad reload the last good certificate is still shown"
    );
    script.expect("CHECKED", STEP);
    script.send("STOP");
    assert!(script.wait(STEP).success(), "{}", script.report());
    server
        .terminate()
        .unwrap_or_else(|e| panic!("{e}; its log:\n{}", server.log_text()));
}
