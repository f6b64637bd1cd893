//! Engine.IO v4 HTTP long-polling transport over two keep-alive HTTP/1.1
//! connections (hyper's connection-level client): one carries the GETs, one
//! the POSTs, so that at most one of each is in flight. Packets queued while
//! a POST is in flight go out together in the next one, separated by \x1e.
//! Both requests are futures owned by the transport, driven by `recv`, which
//! makes `recv` cancel-safe.

use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context as TaskCx, Poll};

use anyhow::{anyhow, Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

type Sender = SendRequest<Full<Bytes>>;
type Pending = Pin<Box<dyn Future<Output = (Sender, Result<Bytes>)> + Send>>;

/// The Engine.IO packet separator in a polling payload.
const SEP: u8 = 0x1e;

/// One long-polling session.
pub struct PollingTransport {
    host: String,
    /// Path and query of this session, `sid` included.
    uri: String,
    get: Pending,
    post: Option<Pending>,
    post_sender: Option<Sender>,
    /// Packets waiting for the next POST, already joined by \x1e.
    queue: Vec<u8>,
}

impl PollingTransport {
    /// Performs the Engine.IO handshake GET and starts the first long poll.
    /// Returns the transport and the packets of the handshake response (the
    /// open packet first).
    pub async fn open(addr: SocketAddr, path: &str) -> Result<(Self, Vec<Bytes>)> {
        let host = addr.to_string();
        let mut get_sender = connection(addr).await?;
        let handshake = format!("{path}?EIO=4&transport=polling");
        let (sender, body) =
            request(get_sender, &host, Method::GET, &handshake, Bytes::new()).await;
        get_sender = sender;
        let packets = split(body.context("handshake GET")?);
        let open = packets.first().context("empty handshake response")?;
        let sid = sid_of(open)?;
        let uri = format!("{path}?EIO=4&transport=polling&sid={sid}");
        let post_sender = connection(addr).await?;
        let get = request(get_sender, &host, Method::GET, &uri, Bytes::new());
        let transport = Self {
            host,
            uri,
            get,
            post: None,
            post_sender: Some(post_sender),
            queue: Vec::new(),
        };
        Ok((transport, packets))
    }

    /// Queues one Engine.IO packet for the next POST.
    pub fn send(&mut self, packet: &[u8]) {
        if !self.queue.is_empty() {
            self.queue.push(SEP);
        }
        self.queue.extend_from_slice(packet);
    }

    /// Starts a POST of the queued packets unless one is already in flight.
    pub fn flush(&mut self) {
        if self.queue.is_empty() {
            return;
        }
        if let Some(sender) = self.post_sender.take() {
            let body = Bytes::from(std::mem::take(&mut self.queue));
            self.post = Some(request(sender, &self.host, Method::POST, &self.uri, body));
        }
    }

    /// Waits for a GET to return with packets, appending them to `out`;
    /// meanwhile completes POSTs and sends whatever was queued behind them.
    pub async fn recv(&mut self, out: &mut Vec<Bytes>) -> Result<()> {
        poll_fn(|cx| self.poll_recv(cx, out)).await
    }

    fn poll_recv(&mut self, cx: &mut TaskCx<'_>, out: &mut Vec<Bytes>) -> Poll<Result<()>> {
        loop {
            let mut progressed = false;
            if let Some(post) = self.post.as_mut() {
                if let Poll::Ready((sender, result)) = post.as_mut().poll(cx) {
                    self.post = None;
                    self.post_sender = Some(sender);
                    let body = result.context("POST")?;
                    if &body[..] != b"ok" {
                        let text = String::from_utf8_lossy(&body);
                        return Poll::Ready(Err(anyhow!("POST answered {text:?}")));
                    }
                    // The next POST, if anything was queued, is polled (and
                    // so registered) on the next turn of the loop.
                    self.flush();
                    progressed = true;
                }
            }
            if let Poll::Ready((sender, result)) = self.get.as_mut().poll(cx) {
                // The next long poll starts when `recv` is polled again.
                self.get = request(sender, &self.host, Method::GET, &self.uri, Bytes::new());
                out.extend(split(result.context("GET")?));
                return Poll::Ready(Ok(()));
            }
            if !progressed {
                return Poll::Pending;
            }
        }
    }
}

/// Opens one HTTP/1.1 connection and spawns its driver.
async fn connection(addr: SocketAddr) -> Result<Sender> {
    let stream = TcpStream::connect(addr)
        .await
        .with_context(|| format!("connect to {addr}"))?;
    stream.set_nodelay(true)?;
    let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// One request whose future gives the connection back with the body.
fn request(mut sender: Sender, host: &str, method: Method, uri: &str, body: Bytes) -> Pending {
    let mut req = Request::builder()
        .method(method.clone())
        .uri(uri)
        .header(hyper::header::HOST, host);
    if method == Method::POST {
        req = req.header(hyper::header::CONTENT_TYPE, "text/plain;charset=UTF-8");
    }
    let req = req.body(Full::new(body));
    Box::pin(async move {
        let result = async {
            let req = req?;
            sender.ready().await?;
            let resp = sender.send_request(req).await?;
            let status = resp.status();
            let body = resp.into_body().collect().await?.to_bytes();
            if status != StatusCode::OK {
                return Err(anyhow!(
                    "HTTP {status}: {}",
                    String::from_utf8_lossy(&body[..body.len().min(200)])
                ));
            }
            Ok(body)
        }
        .await;
        (sender, result)
    })
}

/// Splits a polling payload into its packets (zero-copy).
fn split(body: Bytes) -> Vec<Bytes> {
    let mut packets = Vec::new();
    let mut start = 0;
    for (i, &b) in body.iter().enumerate() {
        if b == SEP {
            packets.push(body.slice(start..i));
            start = i + 1;
        }
    }
    packets.push(body.slice(start..));
    packets
}

/// The `sid` of an open packet `0{...}`.
fn sid_of(open: &[u8]) -> Result<String> {
    let json = open
        .strip_prefix(b"0")
        .with_context(|| format!("not an open packet: {:?}", String::from_utf8_lossy(open)))?;
    let v: serde_json::Value = serde_json::from_slice(json).context("open packet JSON")?;
    v["sid"]
        .as_str()
        .map(str::to_owned)
        .context("open packet without sid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_payloads_and_reads_sids() {
        let parts = split(Bytes::from_static(b"2\x1e42[\"a\"]\x1e6"));
        assert_eq!(parts, vec![&b"2"[..], &b"42[\"a\"]"[..], &b"6"[..]]);
        assert_eq!(sid_of(br#"0{"sid":"abc","upgrades":[]}"#).unwrap(), "abc");
        assert!(sid_of(b"40").is_err());
    }
}
