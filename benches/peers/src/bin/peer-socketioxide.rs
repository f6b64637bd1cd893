//! Peer server for issue 5: socketioxide (default ping 25000/20000, path
//! `/socket.io/`, polling + WebSocket; see `main` for the two aligned limits)
//! served by hyper 1 on
//! `127.0.0.1:$PORT`, on a multi-threaded tokio runtime.
//!
//! Namespace `/`:
//! - `echo`  → ack with exactly the received arguments;
//! - `join`  → join room `r`, then ack with no arguments;
//! - `bcast` → `io.to("r").emit("bcast", args…)`, then ack with no arguments.

use std::fmt;

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use serde::de::{Deserialize, Deserializer, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeTuple, Serializer};
use serde_json::Value;
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, Data, SocketRef};
use tokio::net::TcpListener;

/// All arguments of an event, in order.
///
/// `Data<serde_json::Value>` would only yield the *first* argument, and a
/// `Vec` would be emitted as a single array argument: socketioxide treats
/// tuple-like types (serde `tuple`) as "multiple arguments", so this type
/// (de)serializes as a serde tuple of arbitrary length.
#[derive(Debug, Default)]
struct Args(Vec<Value>);

impl Serialize for Args {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(self.0.len())?;
        for v in &self.0 {
            t.serialize_element(v)?;
        }
        t.end()
    }
}

impl<'de> Deserialize<'de> for Args {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ArgsVisitor;
        impl<'de> Visitor<'de> for ArgsVisitor {
            type Value = Args;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a sequence of event arguments")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Args, A::Error> {
                let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(1));
                while let Some(x) = seq.next_element()? {
                    v.push(x);
                }
                Ok(Args(v))
            }
        }
        d.deserialize_tuple(usize::MAX, ArgsVisitor)
    }
}

/// An ack with no arguments (`3<id>[]` on the wire, like JS `callback()`).
const NO_ARGS: [(); 0] = [];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::var("PORT")
        .map_err(|_| "PORT env var is required")?
        .parse()?;

    // Library defaults except two limits, aligned with edgeio's defaults so a
    // burst does not make socketioxide drop packets or clients where the
    // others would not: max_payload 100 kB → 1 MB (also socket.io's default),
    // per-socket outgoing queue 128 → 4096 packets (a full queue drops
    // broadcasts to that socket and even fails its heartbeat → disconnect).
    // The queue is a tokio mpsc channel that allocates lazily, so idle RSS is
    // unaffected. ws_read_buffer_size is already 4096 by default, as in edgeio.
    let (svc, io) = SocketIo::builder()
        .max_payload(1_000_000)
        .max_buffer_size(4096)
        .build_svc();
    io.ns("/", async |s: SocketRef| {
        s.on("echo", async |Data::<Args>(args), ack: AckSender| {
            ack.send(&args).ok();
        });
        s.on("join", async |s: SocketRef, ack: AckSender| {
            s.join("r");
            ack.send(&NO_ARGS).ok();
        });
        s.on(
            "bcast",
            async |io: SocketIo, Data::<Args>(args), ack: AckSender| {
                io.to("r").emit("bcast", &args).await.ok();
                ack.send(&NO_ARGS).ok();
            },
        );
    });

    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    eprintln!("peer-socketioxide listening on 127.0.0.1:{port}");
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true).ok();
        let svc = svc.clone();
        tokio::spawn(async move {
            let conn = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .with_upgrades();
            conn.await.ok();
        });
    }
}
