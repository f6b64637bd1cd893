//! A mixed cluster on one real `redis-server`: a Node socket.io 4.8 server
//! on `@socket.io/redis-adapter` 8.3 and two edgeio nodes on edgeio's Redis
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
    wait_nodes(&url, 3).await;

    let (mut a1, a1_id) = client(a.addr, Some("r")).await;
    let (mut a2, a2_id) = client(a.addr, None).await;
    let (mut b1, b1_id) = client(b.addr, Some("r")).await;
    let (mut n1, n1_id) = client(node_addr, Some("r")).await;
    let (mut n2, n2_id) = client(node_addr, Some("r")).await;

    // A room broadcast from edgeio, except one of Node's sockets.
    a.io.main()
        .to("r")
        .except(n2_id.clone())
        .emit("news", "from-a")
        .expect("broadcast");
    for ws in [&mut a1, &mut b1, &mut n1] {
        assert_eq!(next_text(ws).await, r#"42["news","from-a"]"#);
    }
    marked(
        &mut node,
        &mut [&mut a1, &mut a2, &mut b1, &mut n1, &mut n2],
        1,
    )
    .await;

    // A room broadcast from Node, except one of edgeio's sockets.
    let cmd = json!({"cmd": "emit", "room": "r", "except": b1_id, "event": "news", "args": ["from-node"]});
    command(&mut node, cmd, "done").await;
    for ws in [&mut a1, &mut n1, &mut n2] {
        assert_eq!(next_text(ws).await, r#"42["news","from-node"]"#);
    }
    marked(
        &mut node,
        &mut [&mut a1, &mut a2, &mut b1, &mut n1, &mut n2],
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
        &mut [&mut a1, &mut a2, &mut b1, &mut n1, &mut n2],
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
    let fetched = loop {
        let cmd = json!({"cmd": "fetchSockets", "room": "s"});
        let fetched: Vec<Value> =
            serde_json::from_str(&command(&mut node, cmd, "fetched").await).expect("JSON");
        if fetched.len() == 2 {
            break fetched;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
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

    // serverSideEmit without ack, both ways.
    a.io.main()
        .server_side_emit("ping", &[json!(1)])
        .expect("serverSideEmit");
    assert_eq!(
        tokio::task::block_in_place(|| node.expect("sse", WITHIN)),
        r#"["ping",1]"#
    );
    b.wait_heard(json!(["ping", 1])).await;
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
    answer_ack(&mut n1, "n1").await;
    answer_ack(&mut n2, "n2").await;
    let acks = tokio::task::block_in_place(|| node.expect("acks", WITHIN));
    let mut acks: Vec<String> =
        serde_json::from_str(&acks).unwrap_or_else(|e| panic!("{acks}: {e}"));
    acks.sort();
    assert_eq!(acks, ["a1", "b1", "n1", "n2"]);

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
    assert_eq!(got, ["a1", "b1", "n1", "n2"]);

    // Node counts the edgeio nodes.
    let count = command(&mut node, json!({"cmd": "serverCount"}), "count").await;
    assert_eq!(count, "3");

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
