//! Two edgeio nodes on the Redis adapter and one real `redis-server`: the
//! request/response operations of the server API reach the other node —
//! `fetch_sockets` returns its sockets (id, rooms, data, handshake) whose
//! emit, ack, join and disconnect act on its clients; `all_rooms` and
//! `server_count` count it; `server_side_emit_with_ack` gets its answer.

mod redis_adapter;
mod redis_support;
mod sio_client;

use std::time::Duration;

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
