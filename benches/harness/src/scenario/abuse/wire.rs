//! What the attackers share: a bare HTTP/1.1 client on one kept-alive TCP
//! connection (an attacker wants every byte under its control, and to see a
//! refusal as the server wrote it), a tally of what the server answered, and
//! a small pseudo-random generator for the random bytes.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Where edgeio serves Engine.IO.
pub const PATH: &str = "/socket.io/";
/// Longest wait for one answer before it counts as none.
pub const ANSWER_WAIT: Duration = Duration::from_secs(30);
/// Most bytes of an answer body kept in its label.
const LABEL_BODY: usize = 60;

/// One HTTP/1.1 connection.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

/// A response: its status and body.
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Answer {
    /// `200 ok`, `400 {"code":1,…}`: the status and the body's start.
    pub fn label(&self) -> String {
        label(self.status, &self.body)
    }
}

/// `STATUS BODY-START` as a tally label.
pub fn label(status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(LABEL_BODY)]);
    let more = if body.len() > LABEL_BODY { "…" } else { "" };
    format!("{status} {text}{more}")
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> Result<Self, String> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect failed: {}", e.kind()))?;
        let _ = stream.set_nodelay(true);
        Ok(Self {
            stream,
            buf: Vec::new(),
        })
    }

    /// Sends one request and reads its answer (bounded by [`ANSWER_WAIT`]);
    /// `Err` is a tally label: the connection ended or nothing came.
    pub async fn request(
        &mut self,
        method: &str,
        uri: &str,
        body: &[u8],
    ) -> Result<Answer, String> {
        let mut head = format!("{method} {uri} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        if method == "POST" {
            head.push_str("Content-Type: text/plain;charset=UTF-8\r\n");
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let exchange = async {
            self.stream
                .write_all(head.as_bytes())
                .await
                .map_err(io_label)?;
            if !body.is_empty() {
                self.stream.write_all(body).await.map_err(io_label)?;
            }
            self.read_answer().await
        };
        match tokio::time::timeout(ANSWER_WAIT, exchange).await {
            Ok(r) => r,
            Err(_) => Err(format!("no answer in {} s", ANSWER_WAIT.as_secs())),
        }
    }

    /// Writes raw bytes.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.stream.write_all(bytes).await.map_err(io_label)
    }

    /// Reads one response (Content-Length bodies; anything else to EOF).
    pub async fn read_answer(&mut self) -> Result<Answer, String> {
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i;
            }
            self.fill().await?;
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        self.buf.drain(..head_end + 4);
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad status line {:?}", head.lines().next()))?;
        let len = head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())
                .flatten()
        });
        let body = match len {
            Some(len) => {
                while self.buf.len() < len {
                    self.fill().await?;
                }
                self.buf.drain(..len).collect()
            }
            None if status == 101 => Vec::new(),
            None => {
                let _ = self.stream.read_to_end(&mut self.buf).await;
                std::mem::take(&mut self.buf)
            }
        };
        Ok(Answer { status, body })
    }

    /// Waits for whatever the server does next: `Ok(label)` for an answer,
    /// `Err(label)` for the connection ending.
    pub async fn next_event(&mut self) -> Result<String, String> {
        self.read_answer().await.map(|a| a.label())
    }

    async fn fill(&mut self) -> Result<(), String> {
        let mut chunk = [0u8; 16 * 1024];
        match self.stream.read(&mut chunk).await {
            Ok(0) => Err("closed".into()),
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
            Err(e) => Err(io_label(e)),
        }
    }
}

fn io_label(e: std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe => {
            "closed (reset)".into()
        }
        k => format!("I/O error: {k}"),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Opens an Engine.IO polling session: its sid, or the answer as a label.
pub async fn handshake(conn: &mut Conn) -> Result<String, String> {
    let a = conn
        .request("GET", &format!("{PATH}?EIO=4&transport=polling"), b"")
        .await?;
    if a.status != 200 || !a.body.starts_with(b"0{") {
        return Err(a.label());
    }
    let v: serde_json::Value =
        serde_json::from_slice(&a.body[1..]).map_err(|_| "bad open packet".to_owned())?;
    v["sid"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| "open packet without sid".into())
}

/// The URI of polling session `sid`.
pub fn session_uri(sid: &str) -> String {
    format!("{PATH}?EIO=4&transport=polling&sid={sid}")
}

/// How many times the server answered each way.
#[derive(Default)]
pub struct Tally(Mutex<BTreeMap<String, u64>>);

impl Tally {
    pub fn add(&self, label: impl Into<String>) {
        if let Ok(mut m) = self.0.lock() {
            *m.entry(label.into()).or_default() += 1;
        }
    }

    /// `label ×N; …`, most frequent first.
    pub fn summary(&self) -> String {
        let Ok(m) = self.0.lock() else {
            return String::new();
        };
        let mut v: Vec<_> = m.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        v.iter()
            .map(|(k, n)| format!("{k} ×{n}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The counts, for the JSON line.
    pub fn json(&self) -> serde_json::Value {
        match self.0.lock() {
            Ok(m) => serde_json::json!(*m),
            Err(_) => serde_json::Value::Null,
        }
    }
}

/// xorshift64*: fast, seedable, and enough for garbage.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_tallies() {
        assert_eq!(label(200, b"ok"), "200 ok");
        assert_eq!(label(400, &[b'x'; 70]), format!("400 {}…", "x".repeat(60)));
        let t = Tally::default();
        t.add("b");
        t.add("a");
        t.add("b");
        assert_eq!(t.summary(), "b ×2; a ×1");
        assert_eq!(t.json(), serde_json::json!({"a": 1, "b": 2}));
    }

    #[test]
    fn random_numbers_stay_in_range() {
        let mut r = Rng::new(7);
        for _ in 0..1000 {
            assert!((3..=9).contains(&r.range(3, 9)));
        }
        assert_eq!(r.bytes(5).len(), 5);
    }
}
