//! The pieces of the mixed-cluster tests: an edgeio node in the test
//! process on the Redis adapter, a raw client on any node, and the wait for
//! the cluster's subscriptions.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use edgeio::server::adapter::redis::RedisAdapterConfig;
use edgeio::server::{AdapterFactory, Io, IoConfig};
use serde_json::{json, Value};

use crate::sio_client::{join, next_text, send, serve, sid_of, Ws};

/// An edgeio node: its `Io` on the Redis adapter, served on a loopback
/// port. Its sockets answer `join` (room) by joining it, and carry
/// `{"node":"edge"}` as data; its server-side handlers of `ping` and
/// `hello` record what they get.
pub struct EdgeNode {
    pub io: Io,
    pub addr: SocketAddr,
    pub heard: Arc<Mutex<Vec<Vec<Value>>>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl EdgeNode {
    pub async fn start(redis_url: &str) -> Self {
        let io = Io::new(IoConfig {
            adapter: AdapterFactory::redis(RedisAdapterConfig {
                url: redis_url.to_owned(),
                ..RedisAdapterConfig::default()
            }),
            ..IoConfig::default()
        });
        io.main().on_connection(|socket| {
            let _ = socket.set_data(json!({"node": "edge"}));
            socket.on("join", |socket, event| {
                if let Some(room) = event.args.first().and_then(Value::as_str) {
                    socket.join_all(&[room.to_owned()]);
                }
                if let Some(ack) = event.ack {
                    let _ = ack.send_args(Vec::new(), Vec::new());
                }
            });
        });
        let heard = Arc::new(Mutex::new(Vec::new()));
        for name in ["ping", "hello"] {
            let heard = heard.clone();
            io.main().on_server_side_emit(name, move |args| {
                let mut all = vec![Value::from(name)];
                all.extend(args.iter().cloned());
                heard.lock().expect("lock").push(all);
            });
        }
        let (addr, stop) = serve(&io).await;
        Self {
            io,
            addr,
            heard,
            _stop: stop,
        }
    }

    /// Waits (bounded) until a server-side emit `expected` was heard.
    pub async fn wait_heard(&self, expected: Value) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            if self
                .heard
                .lock()
                .expect("lock")
                .iter()
                .any(|h| Value::Array(h.clone()) == expected)
            {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "never heard {expected}; heard {:?}",
                self.heard.lock().expect("lock")
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits (bounded) until socket `sid` here is in `room`.
    pub async fn wait_in_room(&self, sid: &str, room: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let socket = self.io.main().socket(sid).expect("socket here");
            if socket.rooms().contains(room) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{sid} never joined {room}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A raw client of the main namespace at `addr` (any node: the Node server
/// speaks the same wire), in `room` when given; its socket id.
pub async fn client(addr: SocketAddr, room: Option<&str>) -> (Ws, String) {
    let (mut ws, answer) = join(addr, "", "").await;
    assert!(answer.starts_with("40{"), "{answer}");
    let sid = sid_of(&answer);
    if let Some(room) = room {
        send(&mut ws, &format!(r#"421["join","{room}"]"#)).await;
        assert_eq!(next_text(&mut ws).await, "431[]");
    }
    (ws, sid)
}

/// Waits (bounded) until `n` connections subscribe to the request channel
/// of the main namespace: `n` nodes are listening.
pub async fn wait_nodes(redis_url: &str, n: usize) {
    let client = redis::Client::open(redis_url).expect("redis url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect to redis");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, count): (String, usize) = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg("socket.io-request#/#")
            .query_async(&mut conn)
            .await
            .expect("numsub");
        // Node's subscriber subscribes the broadcast pattern first, the
        // request channel after: counted here, it hears broadcasts too.
        if count >= n {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {count} of {n} nodes subscribed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Answers the ack request that is `ws`'s next frame (`42<id>[...]`) with
/// `answer`; returns the request's text.
pub async fn answer_ack(ws: &mut Ws, answer: &str) -> String {
    let asked = next_text(ws).await;
    let rest = asked.strip_prefix("42").expect("an event");
    let id: String = rest.chars().take_while(char::is_ascii_digit).collect();
    assert!(!id.is_empty(), "the event asks for an ack: {asked}");
    send(ws, &format!(r#"43{id}["{answer}"]"#)).await;
    asked[2 + id.len()..].to_owned()
}
