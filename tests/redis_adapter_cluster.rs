//! A mixed cluster on one real `redis-server`: a Node socket.io 4.8 server
//! on `@socket.io/redis-adapter` 8.3 and three edgeio nodes on edgeio's Redis
//! adapter, each with raw Socket.IO clients. What one node does reaches the
//! sockets of the others, exactly once, in both directions: room
//! broadcasts with `except` and `local`, socketsJoin, disconnectSockets,
//! serverSideEmit, fetchSockets, broadcasts with acknowledgements, and the
//! node count.

mod common;
mod node_support;
mod redis_adapter;
mod redis_support;
mod sio_client;

use std::net::SocketAddr;
use std::time::Duration;

use node_support::script::Script;
use redis_adapter::{answer_ack, client, wait_nodes, EdgeNode};
use redis_support::Redis;
use serde_json::{json, Value};
use sio_client::{next_text, Ws};

const WITHIN: Duration = Duration::from_secs(30);

/// Sends a command to the Node server and returns its answer (after
/// `prefix`), waiting for it off the async threads.
async fn command(node: &mut Script, cmd: Value, prefix: &str) -> String {
    node.send(&cmd.to_string());
    tokio::task::block_in_place(|| node.expect(prefix, WITHIN))
}

/// What Node's `fetchSockets()` on `room` says, once it lists `n` sockets
/// (asked again while it does not, a bounded number of times).
async fn fetch_until(node: &mut Script, room: &str, n: usize) -> Vec<Value> {
    let mut last = Vec::new();
    for _ in 0..200 {
        let cmd = json!({"cmd": "fetchSockets", "room": room});
        last = serde_json::from_str(&command(node, cmd, "fetched").await).expect("JSON");
        if last.len() == n {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fetchSockets({room}) never listed {n}: {last:?}");
}

/// Every client's next frame is the marker event `n`: whatever was meant for
/// it before came exactly once (a duplicate would come first).
async fn marked(node: &mut Script, clients: &mut [&mut Ws], n: u32) {
    command(
        node,
        json!({"cmd": "emit", "event": "mark", "args": [n]}),
        "done",
    )
    .await;
    for ws in clients.iter_mut() {
        assert_eq!(next_text(ws).await, format!(r#"42["mark",{n}]"#));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn edgeio_and_node_nodes_form_one_cluster() {
    let redis = Redis::start();
    let url = redis.url();
    let mut node = Script::start("redis_node_server.mjs", "redis_adapter_cluster", &[&url]);
    let node_port: u16 = tokio::task::block_in_place(|| node.expect("ready", WITHIN))
        .parse()
        .expect("a port");
    let node_addr = SocketAddr::from(([127, 0, 0, 1], node_port));
    let a = EdgeNode::start(&url).await;
    let b = EdgeNode::start(&url).await;
    let c = EdgeNode::start(&url).await;
    wait_nodes(&url, 4).await;

    let (mut a1, a1_id) = client(a.addr, Some("r")).await;
    let (mut a2, a2_id) = client(a.addr, None).await;
    let (mut b1, b1_id) = client(b.addr, Some("r")).await;
    let (mut c1, _) = client(c.addr, Some("r")).await;
    let (mut n1, n1_id) = client(node_addr, Some("r")).await;
    let (mut n2, n2_id) = client(node_addr, Some("r")).await;

    // A room broadcast from edgeio, except one of Node's sockets.
    a.io.main()
        .to("r")
        .except(n2_id.clone())
        .emit("news", "from-a")
        .expect("broadcast");
    for ws in [&mut a1, &mut b1, &mut c1, &mut n1] {
        assert_eq!(next_text(ws).await, r#"42["news","from-a"]"#);
    }
    marked(
        &mut node,
        &mut [&mut a1, &mut a2, &mut b1, &mut c1, &mut n1, &mut n2],
        1,
    )
    .await;

    // A room broadcast from Node, except one of edgeio's sockets.
    let cmd = json!({"cmd": "emit", "room": "r", "except": b1_id, "event": "news", "args": ["from-node"]});
    command(&mut node, cmd, "done").await;
    for ws in [&mut a1, &mut c1, &mut n1, &mut n2] {
        assert_eq!(next_text(ws).await, r#"42["news","from-node"]"#);
    }
    marked(
        &mut node,
        &mut [&mut a1, &mut a2, &mut b1, &mut c1, &mut n1, &mut n2],
        2,
    )
    .await;

    // `local` stays on its node, from either side.
    let cmd =
        json!({"cmd": "emit", "room": "r", "local": true, "event": "news", "args": ["node-only"]});
    command(&mut node, cmd, "done").await;
    b.io.main()
        .to("r")
        .local()
        .emit("news", "b-only")
        .expect("broadcast");
    assert_eq!(next_text(&mut n1).await, r#"42["news","node-only"]"#);
    assert_eq!(next_text(&mut n2).await, r#"42["news","node-only"]"#);
    assert_eq!(next_text(&mut b1).await, r#"42["news","b-only"]"#);
    marked(
        &mut node,
        &mut [&mut a1, &mut a2, &mut b1, &mut c1, &mut n1, &mut n2],
        3,
    )
    .await;

    // socketsJoin from Node moves edgeio's sockets; from edgeio, Node's.
    let cmd = json!({"cmd": "socketsJoin", "room": a2_id, "join": "s"});
    command(&mut node, cmd, "done").await;
    a.wait_in_room(&a2_id, "s").await;
    a.io.main()
        .to(n1_id.clone())
        .sockets_join("s")
        .expect("socketsJoin");
    let fetched = fetch_until(&mut node, "s", 2).await;
    // Node's fetchSockets sees edgeio's socket with its rooms, data and a
    // handshake in Node's shape.
    let edge = fetched
        .iter()
        .find(|s| s["id"] == a2_id.as_str())
        .unwrap_or_else(|| panic!("{a2_id} fetched: {fetched:?}"));
    let mut rooms = vec![a2_id.clone(), "s".to_owned()];
    rooms.sort();
    assert_eq!(edge["rooms"], json!(rooms), "sorted by the script");
    assert_eq!(edge["data"], json!({"node": "edge"}));
    let hs = &edge["handshake"];
    assert_eq!(hs["address"], "127.0.0.1");
    assert_eq!(hs["query"]["EIO"], "4");
    assert!(
        hs["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("/socket.io/")),
        "{hs}"
    );
    assert!(hs["headers"]["host"].is_string(), "{hs}");
    assert!(hs["issued"].is_u64() && hs["time"].is_string(), "{hs}");
    assert!(
        fetched.iter().any(|s| s["id"] == n1_id.as_str()),
        "{fetched:?}"
    );
    // socketsLeave from edgeio takes Node's socket out again.
    a.io.main()
        .to(n1_id.clone())
        .sockets_leave("s")
        .expect("socketsLeave");
    let fetched = fetch_until(&mut node, "s", 1).await;
    assert_eq!(fetched[0]["id"], a2_id.as_str());

    // serverSideEmit without ack, both ways.
    a.io.main()
        .server_side_emit("ping", &[json!(1)])
        .expect("serverSideEmit");
    assert_eq!(
        tokio::task::block_in_place(|| node.expect("sse", WITHIN)),
        r#"["ping",1]"#
    );
    b.wait_heard(json!(["ping", 1])).await;
    c.wait_heard(json!(["ping", 1])).await;
    let cmd = json!({"cmd": "serverSideEmit", "event": "hello", "args": ["n"]});
    command(&mut node, cmd, "done").await;
    a.wait_heard(json!(["hello", "n"])).await;
    b.wait_heard(json!(["hello", "n"])).await;
    assert!(
        !a.heard
            .lock()
            .expect("lock")
            .contains(&vec![json!("ping"), json!(1)]),
        "a node does not hear its own server-side emit"
    );

    // Node's emitWithAck gets the acks of edgeio's clients.
    node.send(&json!({"cmd": "emitWithAck", "room": "r", "event": "q"}).to_string());
    assert_eq!(answer_ack(&mut a1, "a1").await, r#"["q"]"#);
    assert_eq!(answer_ack(&mut b1, "b1").await, r#"["q"]"#);
    assert_eq!(answer_ack(&mut c1, "c1").await, r#"["q"]"#);
    answer_ack(&mut n1, "n1").await;
    answer_ack(&mut n2, "n2").await;
    let acks = tokio::task::block_in_place(|| node.expect("acks", WITHIN));
    let mut acks: Vec<String> =
        serde_json::from_str(&acks).unwrap_or_else(|e| panic!("{acks}: {e}"));
    acks.sort();
    assert_eq!(acks, ["a1", "b1", "c1", "n1", "n2"]);

    // edgeio's emit_with_ack gets the acks of Node's clients and the other
    // edgeio node's.
    let main = a.io.main();
    let asking = tokio::spawn(async move {
        main.to("r")
            .timeout(Duration::from_secs(20))
            .emit_with_ack("q2", Vec::new(), Vec::new())
            .await
    });
    for (ws, name) in [
        (&mut a1, "a1"),
        (&mut b1, "b1"),
        (&mut c1, "c1"),
        (&mut n1, "n1"),
        (&mut n2, "n2"),
    ] {
        assert_eq!(answer_ack(ws, name).await, r#"["q2"]"#);
    }
    let acks = asking.await.expect("joins").expect("every ack");
    let mut got: Vec<String> = acks
        .iter()
        .map(|a| a.args[0].as_str().expect("a string").to_owned())
        .collect();
    got.sort();
    assert_eq!(got, ["a1", "b1", "c1", "n1", "n2"]);

    // Node counts the edgeio nodes.
    let count = command(&mut node, json!({"cmd": "serverCount"}), "count").await;
    assert_eq!(count, "4");
    // And every edgeio node counts the four.
    for edge in [&a, &b, &c] {
        assert_eq!(edge.io.server_count().await.expect("counted"), 4);
    }

    // disconnectSockets both ways.
    a.io.main()
        .to(n2_id.clone())
        .disconnect_sockets()
        .expect("disconnectSockets");
    assert_eq!(next_text(&mut n2).await, "41");
    let cmd = json!({"cmd": "disconnectSockets", "room": b1_id});
    command(&mut node, cmd, "done").await;
    assert_eq!(next_text(&mut b1).await, "41");
    let _ = a1_id;
    drop(redis);
}

/// The next frame of `ws` if one comes within `wait` (a bounded poll).
async fn maybe_text(ws: &mut Ws, wait: Duration) -> Option<String> {
    tokio::time::timeout(wait, next_text(ws)).await.ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn losing_redis_keeps_local_delivery_and_cross_node_delivery_resumes() {
    let mut redis = Redis::start();
    let url = redis.url();
    let a = EdgeNode::start(&url).await;
    let b = EdgeNode::start(&url).await;
    wait_nodes(&url, 2).await;
    let (mut a1, _) = client(a.addr, Some("r")).await;
    let (mut b1, _) = client(b.addr, Some("r")).await;
    a.io.main()
        .to("r")
        .emit("news", "before")
        .expect("broadcast");
    assert_eq!(next_text(&mut a1).await, r#"42["news","before"]"#);
    assert_eq!(next_text(&mut b1).await, r#"42["news","before"]"#);

    redis.kill();
    // Local traffic goes on: a new client connects and joins, and a
    // broadcast reaches this node's sockets (publishing may fail: logged).
    let (mut a2, _) = client(a.addr, Some("r")).await;
    let _ = a.io.main().to("r").emit("news", "during");
    assert_eq!(next_text(&mut a1).await, r#"42["news","during"]"#);
    assert_eq!(next_text(&mut a2).await, r#"42["news","during"]"#);

    redis.restart();
    // The subscribers come back by themselves.
    wait_nodes(&url, 2).await;
    // Publishing resumes (the publishing connection reconnects when used):
    // a broadcast from A reaches B again, within a bounded number of tries.
    let mut crossed = false;
    for attempt in 0..60 {
        let _ = a.io.main().to("r").emit("after", attempt);
        assert_eq!(
            next_text(&mut a1).await,
            format!(r#"42["after",{attempt}]"#)
        );
        assert_eq!(
            next_text(&mut a2).await,
            format!(r#"42["after",{attempt}]"#)
        );
        while let Some(text) = maybe_text(&mut b1, Duration::from_millis(500)).await {
            if text.starts_with(r#"42["after","#) {
                crossed = true;
            }
        }
        if crossed {
            break;
        }
    }
    assert!(crossed, "cross-node delivery never resumed");
    // And from B to A too.
    b.io.main().to("r").emit("news", "back").expect("broadcast");
    assert_eq!(next_text(&mut b1).await, r#"42["news","back"]"#);
    assert_eq!(next_text(&mut a1).await, r#"42["news","back"]"#);
}

/// A broadcast to everyone from node `zz`, of more than 1 MB.
fn big_broadcast() -> Vec<u8> {
    use rmpv::Value as V;
    let map =
        |pairs: Vec<(&str, V)>| V::Map(pairs.into_iter().map(|(k, v)| (V::from(k), v)).collect());
    let message = V::Array(vec![
        V::from("zz"),
        map(vec![
            ("type", V::from(2)),
            (
                "data",
                V::Array(vec![V::from("big"), V::from("x".repeat(1_100_000))]),
            ),
            ("nsp", V::from("/")),
        ]),
        map(vec![
            ("rooms", V::Array(Vec::new())),
            ("except", V::Array(Vec::new())),
            ("flags", map(Vec::new())),
        ]),
    ]);
    let mut bytes = Vec::new();
    rmpv::encode::write_value(&mut bytes, &message).expect("encodes");
    bytes
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_and_oversized_messages_are_counted_and_dropped() {
    let redis = Redis::start();
    let url = redis.url();
    let a = EdgeNode::start(&url).await;
    let b = EdgeNode::start(&url).await;
    wait_nodes(&url, 2).await;
    let (mut b1, _) = client(b.addr, Some("r")).await;

    let client = redis::Client::open(url.as_str()).expect("url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect");
    let bad: [(&str, Vec<u8>); 6] = [
        ("socket.io#/#", vec![0xc1]),
        ("socket.io#/#r#", b"\x93\xa1x".to_vec()),
        ("socket.io-request#/#", b"{not json".to_vec()),
        (
            "socket.io-request#/#",
            br#"{"uid":"zz","type":99}"#.to_vec(),
        ),
        ("socket.io-request#/#", vec![0xdc, 0xff, 0xff]),
        // A valid broadcast, but above the 1 MB limit: refused before
        // decoding (else b1 would get it).
        ("socket.io#/#", big_broadcast()),
    ];
    for (channel, payload) in bad {
        let _: i64 = redis::cmd("PUBLISH")
            .arg(channel)
            .arg(payload)
            .query_async(&mut conn)
            .await
            .expect("publish");
    }
    // Each of the two nodes refuses each of the six.
    for node in [&a, &b] {
        let deadline = tokio::time::Instant::now() + WITHIN;
        while node.node.malformed() < 6 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "refused {} of 6",
                node.node.malformed()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // And both still work.
    a.io.main()
        .to("r")
        .emit("news", "still")
        .expect("broadcast");
    assert_eq!(next_text(&mut b1).await, r#"42["news","still"]"#);
}
