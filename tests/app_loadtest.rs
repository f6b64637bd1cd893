//! `--app loadtest`, started the way the load harness starts it
//! (`PORT=N edgeio --app loadtest`): echo, join and bcast over real sockets.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod sio_client;

use sio_client::{join, next_text, send, Ws};

struct Server(Child, #[allow(dead_code)] tempfile::TempDir);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start() -> (Server, SocketAddr) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let data = tempfile::tempdir().expect("a data directory");
    let child = Command::new(env!("CARGO_BIN_EXE_edgeio"))
        .args(["--app", "loadtest"])
        .env("EDGEIO_DATA_DIR", data.path())
        .env("PORT", port.to_string())
        .env_remove("EDGEIO_LISTEN")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start edgeio");
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "edgeio did not listen on {addr}");
        std::thread::sleep(Duration::from_millis(20));
    }
    (Server(child, data), addr)
}

async fn client(addr: SocketAddr) -> Ws {
    let (ws, answer) = join(addr, "", "").await;
    assert!(answer.starts_with("40{"), "{answer}");
    ws
}

#[tokio::test(flavor = "multi_thread")]
async fn echo_join_and_bcast_behave_as_the_harness_expects() {
    let (_server, addr) = start();
    let mut sender = client(addr).await;
    let mut member = client(addr).await;

    send(&mut sender, r#"427["echo",{"n":1,"pad":"xxxx"}]"#).await;
    assert_eq!(next_text(&mut sender).await, r#"437[{"n":1,"pad":"xxxx"}]"#);

    send(&mut member, r#"420["join"]"#).await;
    assert_eq!(next_text(&mut member).await, "430[]");

    send(&mut sender, r#"428["bcast","hello room"]"#).await;
    assert_eq!(
        next_text(&mut sender).await,
        "438[]",
        "the sender only gets its ack"
    );
    // Recovery is on by default: a broadcast carries its offset last.
    let frame = next_text(&mut member).await;
    let args: serde_json::Value = serde_json::from_str(&frame[2..]).expect("JSON");
    assert_eq!(args[0], "bcast", "{frame}");
    assert_eq!(args[1], "hello room", "{frame}");
    assert!(args[2].is_string(), "an offset: {frame}");
}
