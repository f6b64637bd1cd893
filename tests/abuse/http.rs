//! HTTP/1.1 as an attacker speaks it: requests written by hand on a kept
//! TCP connection, and answers read without assuming the server answers at
//! all (a closed connection is an outcome, not a test failure).

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{bounded, connect, open_packet, request_bytes, TestServer};

/// A response.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// Writes `request` and reads the answer; `Err` when the connection ended
/// first (bounded: a server that neither answers nor closes fails the test).
pub async fn exchange(stream: &mut TcpStream, request: &[u8]) -> Result<Answer, String> {
    bounded("an answer or the connection's end", async {
        stream
            .write_all(request)
            .await
            .map_err(|e| format!("write: {e}"))?;
        read_answer(stream).await
    })
    .await
}

/// Reads one answer with a `Content-Length` body; `Err` when the connection
/// ends first. Not bounded: wrap it in [`bounded`].
pub async fn read_answer(stream: &mut TcpStream) -> Result<Answer, String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        match stream.read(&mut chunk).await {
            Ok(0) => return Err("closed".into()),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) => return Err(format!("read: {e}")),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line in {head:?}"))?;
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = buf.split_off(head_end + 4);
    while body.len() < len {
        match stream.read(&mut chunk).await {
            Ok(0) => return Err("closed inside the body".into()),
            Ok(n) => body.extend_from_slice(&chunk[..n]),
            Err(e) => return Err(format!("read: {e}")),
        }
    }
    body.truncate(len);
    Ok(Answer {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// Opens a polling session (the handshake must succeed): its connection,
/// kept alive for the session's next requests, and its sid.
pub async fn open_session(addr: SocketAddr) -> (TcpStream, String) {
    let mut stream = connect(addr).await;
    let handshake = request_bytes("GET", &TestServer::polling(None), &[], b"");
    let answer = exchange(&mut stream, &handshake)
        .await
        .expect("a handshake answer");
    assert_eq!(answer.status, 200, "handshake refused: {answer:?}");
    let sid = open_packet(&answer.body)["sid"]
        .as_str()
        .expect("a sid")
        .to_owned();
    (stream, sid)
}

/// The bytes of a POST of `body` to session `sid`.
pub fn post(sid: &str, body: &[u8]) -> Vec<u8> {
    request_bytes("POST", &TestServer::polling(Some(sid)), &[], body)
}

/// The bytes of a long-poll GET of session `sid`.
pub fn poll(sid: &str) -> Vec<u8> {
    request_bytes("GET", &TestServer::polling(Some(sid)), &[], b"")
}
