//! TLS in the library (`ServeConfig::tls`), spoken to by a rustls client:
//! the WebSocket transport and long-polling over a TLS stream (not a bare
//! `TcpStream`), and the TLS handshake bounded by the header timeout and
//! counted by the connection cap.
#![cfg(feature = "tls")]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::bounded;
use edgeio::engine::{DisconnectReason, Engine, EngineHandler, Message, Session};
use edgeio::http::{serve_with, Drained, ServeConfig, TlsCerts};
use futures_util::{SinkExt, StreamExt};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// Echoes every message.
struct Echo;

impl EngineHandler for Echo {
    fn on_connect(&self, _: &Arc<Session>) {}
    fn on_message(&self, socket: &Arc<Session>, message: Message) {
        let _ = socket.send(message);
    }
    fn on_disconnect(&self, _: &Arc<Session>, _: DisconnectReason) {}
}

/// The next frame of `ws`, which must be text.
async fn next_text<S>(ws: &mut tokio_tungstenite::WebSocketStream<S>) -> String
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    match bounded("a frame", ws.next()).await {
        Some(Ok(WsMessage::Text(t))) => t.as_str().to_owned(),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

/// A CA, and a certificate for `localhost` it signed, loaded as TlsCerts.
fn certs(dir: &std::path::Path) -> (TlsCerts, CertificateDer<'static>) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().expect("CA key");
    let ca = ca_params.self_signed(&ca_key).expect("CA");
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().expect("key");
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .expect("params")
        .signed_by(&key, &issuer)
        .expect("leaf");
    let (cert_file, key_file) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_file, leaf.pem()).expect("write");
    std::fs::write(&key_file, key.serialize_pem()).expect("write");
    let certs = TlsCerts::from_pem_files(cert_file, key_file).expect("a good pair");
    (certs, ca.der().clone())
}

/// A TLS client trusting `ca`, over a new connection to `addr`.
async fn connect(addr: SocketAddr, ca: &CertificateDer<'static>) -> TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone()).expect("the CA");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let tcp = TcpStream::connect(addr).await.expect("connect");
    let name = ServerName::try_from("localhost").expect("a name");
    bounded(
        "the TLS handshake",
        tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp),
    )
    .await
    .expect("TLS handshake")
}

async fn start(serve: ServeConfig) -> (SocketAddr, oneshot::Sender<()>, JoinHandle<Drained>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let engine = Engine::new(common::config(), Arc::new(Echo));
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(serve_with(listener, engine, None, serve, async move {
        let _ = rx.await;
    }));
    (addr, tx, task)
}

#[tokio::test(flavor = "multi_thread")]
async fn websocket_and_polling_work_over_tls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (tls, ca) = certs(dir.path());
    let (addr, stop, task) = start(ServeConfig {
        tls: Some(tls),
        ..ServeConfig::default()
    })
    .await;

    let stream = connect(addr, &ca).await;
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    let url = format!("wss://localhost{}?EIO=4&transport=websocket", common::PATH);
    let (mut ws, response) = bounded(
        "the WebSocket handshake",
        tokio_tungstenite::client_async(url, stream),
    )
    .await
    .expect("WebSocket over TLS");
    assert_eq!(response.status(), 101);
    let open = next_text(&mut ws).await;
    assert!(open.starts_with("0{\"sid\":"), "{open}");
    bounded("send", ws.send(WsMessage::text("4over tls")))
        .await
        .expect("send");
    assert_eq!(next_text(&mut ws).await, "4over tls");

    let mut polling = connect(addr, &ca).await;
    let head = format!(
        "GET {}?EIO=4&transport=polling HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        common::PATH
    );
    polling.write_all(head.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    let _ = bounded("the answer", polling.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("0{\"sid\":"), "{answer}");

    let _ = stop.send(());
    let drained = bounded("serve to return", task).await.expect("serve");
    assert_eq!(drained, Drained { aborted: 0 });
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_tls_handshake_holds_its_place_until_the_header_timeout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (tls, ca) = certs(dir.path());
    let (addr, stop, task) = start(ServeConfig {
        tls: Some(tls),
        header_timeout: Duration::from_millis(500),
        max_connections: 1,
        ..ServeConfig::default()
    })
    .await;

    // Says nothing: no ClientHello.
    let mut stalled = TcpStream::connect(addr).await.expect("connect");
    // Over the cap while the stalled handshake holds the one place.
    let mut second = TcpStream::connect(addr).await.expect("connect");
    let mut buf = [0u8; 64];
    let n = bounded("the second connection closed", second.read(&mut buf)).await;
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
    // The stalled one is cut at the header timeout...
    let n = bounded("the stalled handshake cut", stalled.read(&mut buf)).await;
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
    // ...which frees its place.
    let mut client = connect(addr, &ca).await;
    let head = format!(
        "GET {}?EIO=4&transport=polling HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        common::PATH
    );
    client.write_all(head.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    let _ = bounded("the answer", client.read_to_end(&mut answer)).await;
    assert!(answer.starts_with(b"HTTP/1.1 200"));

    let _ = stop.send(());
    let _ = bounded("serve to return", task).await;
}
