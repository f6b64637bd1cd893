//! Two edgeio nodes on the Redis adapter and one real `redis-server`: the
//! request/response operations of the server API reach the other node —
//! `fetch_sockets` returns its sockets (id, rooms, data, handshake) whose
//! emit, ack, join and disconnect act on its clients; `all_rooms` and
//! `server_count` count it; `server_side_emit_with_ack` gets its answer.
//! And the same between an edgeio node and a Node socket.io 4.8 server on
//! `@socket.io/redis-adapter`, both ways for server-side acks.

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
use sio_client::next_text;

const WITHIN: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread")]
async fn the_other_nodes_sockets_rooms_count_and_answers_come_through_redis() {
    let redis = Redis::start();
    let url = redis.url();
    let a = EdgeNode::start(&url).await;
    let b = EdgeNode::start(&url).await;
    b.io.main()
        .on_server_side_emit_with_ack("load", |args, ack| {
            if let Some(ack) = ack {
                let _ = ack.send(json!({"node": "b", "args": args}));
            }
        });
    wait_nodes(&url, 2).await;
    let (_ws_a, sid_a) = client(a.addr, Some("room1")).await;
    let (mut ws_b, sid_b) = client(b.addr, Some("room1")).await;

    assert_eq!(a.io.server_count().await, Ok(2));

    // Both members of room1, this node's and the other's.
    let fetched =
        a.io.main()
            .to("room1")
            .fetch_sockets()
            .await
            .expect("fetch");
    let mut ids: Vec<&str> = fetched.iter().map(|s| s.id()).collect();
    ids.sort();
    let mut expected = vec![sid_a.as_str(), sid_b.as_str()];
    expected.sort();
    assert_eq!(ids, expected);
    let far = fetched
        .iter()
        .find(|s| s.id() == sid_b)
        .expect("b's socket")
        .clone();
    assert!(
        far.rooms().contains(&"room1".to_owned()),
        "{:?}",
        far.rooms()
    );
    assert_eq!(far.data::<Value>(), Some(json!({"node": "edge"})));
    assert_eq!(far.handshake().address, "127.0.0.1");
    assert_eq!(
        far.handshake().query.get("transport"),
        Some(&json!("websocket"))
    );

    // Its actions reach b's client.
    far.emit("hi", "from a").expect("emit");
    assert_eq!(next_text(&mut ws_b).await, r#"42["hi","from a"]"#);
    far.join("vip").expect("join");
    b.wait_in_room(&sid_b, "vip").await;
    let rooms = a.io.main().all_rooms().await.expect("all rooms");
    assert!(rooms.contains(&"vip".to_owned()), "b's room: {rooms:?}");
    let asking = {
        let far = far.clone();
        tokio::spawn(async move { far.emit_with_ack("q", vec![json!(1)], WITHIN).await })
    };
    assert_eq!(answer_ack(&mut ws_b, "yes").await, r#"["q",1]"#);
    let acked = tokio::time::timeout(WITHIN, asking)
        .await
        .expect("in time")
        .expect("task")
        .expect("acknowledged");
    assert_eq!(acked.args, vec![json!("yes")]);

    // b's server-side handler answers a's emit with an ack.
    let answers =
        a.io.main()
            .server_side_emit_with_ack("load", &[json!(7)], WITHIN)
            .await
            .expect("b answered");
    assert_eq!(answers, vec![json!({"node": "b", "args": [7]})]);

    far.disconnect().expect("disconnect");
    assert_eq!(next_text(&mut ws_b).await, "41");
}

/// Sends a command to the Node server and returns its answer (after
/// `prefix`), waiting for it off the async threads.
async fn command(node: &mut Script, cmd: Value, prefix: &str) -> String {
    node.send(&cmd.to_string());
    tokio::task::block_in_place(|| node.expect(prefix, WITHIN))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edgeio_node_and_a_node_server_fetch_and_answer_each_other() {
    let redis = Redis::start();
    let url = redis.url();
    let mut node = Script::start("redis_remote_ops_node.mjs", "redis_remote_ops", &[&url]);
    let port: u16 = tokio::task::block_in_place(|| node.expect("ready", WITHIN))
        .parse()
        .expect("a port");
    let node_addr = SocketAddr::from(([127, 0, 0, 1], port));
    let a = EdgeNode::start(&url).await;
    a.io.main()
        .on_server_side_emit_with_ack("load", |args, ack| {
            if let Some(ack) = ack {
                let _ = ack.send(json!({"node": "edge", "args": args}));
            }
        });
    wait_nodes(&url, 2).await;
    let (mut n1, n1_id) = client(node_addr, Some("room1")).await;

    assert_eq!(a.io.server_count().await, Ok(2));

    // Node's socket, as Node describes it, read by edgeio.
    let fetched =
        a.io.main()
            .to("room1")
            .fetch_sockets()
            .await
            .expect("fetch");
    assert_eq!(fetched.len(), 1);
    let far = &fetched[0];
    assert_eq!(far.id(), n1_id);
    assert_eq!(far.data::<Value>(), Some(json!({"node": "node"})));
    assert!(
        far.rooms().contains(&"room1".to_owned()),
        "{:?}",
        far.rooms()
    );
    let h = far.handshake();
    assert_eq!(h.query.get("transport"), Some(&json!("websocket")));
    assert!(h.issued > 0 && !h.time.is_empty(), "{h:?}");
    assert!(h.address.ends_with("127.0.0.1"), "{h:?}");

    // Its actions reach Node's client.
    far.emit("hi", "from edgeio").expect("emit");
    assert_eq!(next_text(&mut n1).await, r#"42["hi","from edgeio"]"#);
    far.join("vip").expect("join");
    let rooms_of = json!({"cmd": "rooms", "id": n1_id});
    let deadline = tokio::time::Instant::now() + WITHIN;
    while !command(&mut node, rooms_of.clone(), "rooms")
        .await
        .contains("vip")
    {
        assert!(tokio::time::Instant::now() < deadline, "never joined vip");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Server-side acks, both ways.
    let answers =
        a.io.main()
            .server_side_emit_with_ack("load", &[json!(7)], WITHIN)
            .await
            .expect("Node answered");
    assert_eq!(answers, vec![json!({"node": "node", "arg": 7})]);
    let from_node = command(
        &mut node,
        json!({"cmd": "sseAck", "event": "load", "args": [8]}),
        "answers",
    )
    .await;
    let from_node: Value = serde_json::from_str(&from_node).expect("JSON");
    assert_eq!(from_node, json!([{"node": "edge", "args": [8]}]));

    far.disconnect().expect("disconnect");
    assert_eq!(next_text(&mut n1).await, "41");
}
