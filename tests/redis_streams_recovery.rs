//! Connection-state recovery across the nodes of a Redis Streams cluster:
//! Node socket.io 4.8 with `@socket.io/redis-streams-adapter` 0.3
//! (`connectionStateRecovery`) and two edgeio nodes with recovery on. A
//! socket.io-client client reaches a server through a TCP proxy (a load
//! balancer); its connection is cut, broadcasts go out from every node
//! meanwhile, and the proxy then leads it to another server, which restores
//! it: same id, rooms and data, and exactly the broadcasts it missed, in
//! order — edgeio to edgeio, edgeio to Node and Node to edgeio. A session
//! whose offset left the stream, or that is not kept, is not restored.

mod node_support;
mod redis_streams;
mod redis_support;
mod sio_client;

use std::time::Duration;

use bytes::Bytes;
use edgeio::server::RecoveryConfig;
use redis_streams::recovery::{entry_id, redis_cli, session_kept, Cluster};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_left_one_edgeio_node_is_restored_by_another_with_what_it_missed() {
    let mut c = Cluster::start("redis_streams_recovery_edge_to_edge").await;
    let e1_port = c.e1.addr.port();
    let url = c.proxy("p", e1_port);
    let (sid, pid) = c.client("c1", &url);
    c.node.join("c1", "room1");
    // Witnesses on edgeio 2, in room1 and room2: each broadcast below is
    // sent once the one before it is in the stream.
    let e2_url = c.e2.url();
    c.node.client("w1", &e2_url);
    c.node.join("w1", "room1");
    c.node.client("w2", &e2_url);
    c.node.join("w2", "room2");

    c.e1.io.main().to("room1").emit("seen", 0).expect("emit");
    c.node.wait_got("c1", "seen");
    c.node.wait_got("w1", "seen");
    c.cut("p", "c1", &pid).await;
    assert!(c.e1.io.main().socket(&sid).is_none(), "left edgeio 1");

    c.e1.io.main().to("room1").emit("m1", 1).expect("emit");
    c.node.wait_got("w1", "m1");
    c.e2.io.main().to("room1").emit("m2", 2).expect("emit");
    c.node.wait_got("w1", "m2");
    c.node.cmd(
        json!({"op": "broadcast", "rooms": ["room1"], "except": [], "name": "m3", "args": [3]}),
    );
    c.node.wait_got("w1", "m3");
    c.e1.io
        .main()
        .to("room2")
        .emit("not-my-room", 0)
        .expect("emit");
    c.node.wait_got("w2", "not-my-room");
    c.e2.io
        .main()
        .to("room1")
        .except(sid.as_str())
        .emit("not-me", 0)
        .expect("emit");
    c.node.wait_got("w1", "not-me");
    c.node.cmd(json!({"op": "broadcast", "rooms": [], "except": ["room1"], "name": "not-room1", "args": []}));
    c.node.wait_got("w2", "not-room1");
    c.e2.io
        .main()
        .to("room1")
        .emit_args(
            "bin",
            vec![json!({"_placeholder": true, "num": 0})],
            vec![Bytes::from_static(&[1, 2, 3])],
        )
        .expect("emit");
    c.node.wait_got("w1", "bin");
    // Another namespace's broadcast is in the stream too (before m4: one
    // node's entries are appended in the order sent).
    c.e1.io.of("/other").emit("other-ns", 0).expect("emit");
    c.e1.io.main().emit("m4", 4).expect("emit");
    c.node.wait_got("w1", "m4");

    c.route("p", Some(c.e2.addr.port()));
    let back = c.connection("c1", 2);
    assert_eq!(back["recovered"], true, "restored: {back}");
    assert_eq!(back["sid"], sid.as_str(), "its id kept");
    c.node.wait_got("c1", "m4");
    assert!(c.e2.in_room(&sid, "room1"), "its rooms kept");
    let data: Option<Value> = c.e2.io.main().socket(&sid).and_then(|s| s.data());
    assert_eq!(
        data,
        Some(json!({"node": c.e1.node.uid()})),
        "its data kept"
    );
    assert!(!session_kept(&c.redis, &pid), "restored once");

    // Later broadcasts to its room reach it where it is now.
    c.node.cmd(
        json!({"op": "broadcast", "rooms": ["room1"], "except": [], "name": "after", "args": []}),
    );
    c.node.wait_got("c1", "after");
    c.e1.io
        .main()
        .to("room1")
        .emit("after-e1", 0)
        .expect("emit");
    c.node.wait_got("c1", "after-e1");

    assert_eq!(
        c.node.names("c1"),
        ["seen", "m1", "m2", "m3", "bin", "m4", "after", "after-e1"],
        "exactly the missed broadcasts of its rooms, in order, once"
    );
    assert_eq!(c.node.got("c1", "m1")[0][0], 1);
    assert_eq!(c.node.got("c1", "m3")[0][0], 3);
    assert_eq!(
        c.node.got("c1", "bin")[0][0],
        json!({"type": "Buffer", "data": [1, 2, 3]}),
        "binary kept"
    );
    let offsets: Vec<(u64, u64)> = c.offsets("c1").iter().map(|o| entry_id(o)).collect();
    assert!(
        offsets.windows(2).all(|w| w[0] < w[1]),
        "offsets are increasing entry ids: {offsets:?}"
    );
}

/// Client `id` on server `from_port` (through a proxy) misses broadcasts
/// from edgeio 1 and Node, then is restored by the server at `to_port`.
async fn moves(c: &mut Cluster, id: &str, from_port: u16, to_port: u16) -> String {
    let url = c.proxy(id, from_port);
    let (sid, pid) = c.client(id, &url);
    c.node.join(id, "room1");
    let witness = format!("{id}-w");
    let e2_url = c.e2.url();
    c.node.client(&witness, &e2_url);
    c.node.join(&witness, "room1");
    c.e2.io.main().to("room1").emit("seen", 0).expect("emit");
    c.node.wait_got(id, "seen");
    c.cut(id, id, &pid).await;
    c.e1.io.main().to("room1").emit("m1", 1).expect("emit");
    c.node.wait_got(&witness, "m1");
    c.node.cmd(
        json!({"op": "broadcast", "rooms": ["room1"], "except": [], "name": "m2", "args": [2]}),
    );
    c.node.wait_got(&witness, "m2");
    c.e1.io
        .main()
        .to("room2")
        .emit("not-my-room", 0)
        .expect("emit");
    c.e2.io.main().emit("m3", 3).expect("emit");
    c.node.wait_got(&witness, "m3");
    c.route(id, Some(to_port));
    let back = c.connection(id, 2);
    assert_eq!(back["recovered"], true, "restored: {back}");
    assert_eq!(back["sid"], sid.as_str(), "its id kept");
    c.node.wait_got(id, "m3");
    assert_eq!(c.node.names(id), ["seen", "m1", "m2", "m3"]);
    assert_eq!(c.node.got(id, "m2")[0][0], 2);
    sid
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edgeio_and_node_restore_each_others_sessions() {
    let mut c = Cluster::start("redis_streams_recovery_both_ways").await;
    let (e1_port, node_port) = (c.e1.addr.port(), c.node.port);

    // Left edgeio, restored by Node: in its rooms there.
    let sid = moves(&mut c, "to-node", e1_port, node_port).await;
    let rooms = c.node.rooms("to-node");
    assert!(rooms.contains(&"room1".to_owned()), "{rooms:?}");
    assert!(rooms.contains(&sid), "{rooms:?}");

    // Left Node, restored by edgeio: in its rooms and with Node's data.
    let sid = moves(&mut c, "to-edge", node_port, e1_port).await;
    assert!(c.e1.in_room(&sid, "room1"));
    let data: Option<Value> = c.e1.io.main().socket(&sid).and_then(|s| s.data());
    assert_eq!(data, Some(json!({"node": "node"})));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_past_its_offset_or_not_kept_is_not_restored() {
    let mut c = Cluster::start("redis_streams_recovery_refused").await;
    let (e1_port, e2_port) = (c.e1.addr.port(), c.e2.addr.port());
    for (id, why) in [("trimmed", "offset trimmed"), ("unknown", "session gone")] {
        let url = c.proxy(id, e1_port);
        let (sid, pid) = c.client(id, &url);
        c.node.join(id, "room-x");
        c.e1.io.main().to("room-x").emit("seen", 0).expect("emit");
        c.node.wait_got(id, "seen");
        c.cut(id, id, &pid).await;
        if id == "trimmed" {
            redis_cli(&c.redis, &["XTRIM", "socket.io", "MAXLEN", "0"]);
        } else {
            redis_cli(&c.redis, &["DEL", &format!("sio:session:{pid}")]);
        }
        c.e1.io.main().to("room-x").emit("missed", 0).expect("emit");
        c.route(id, Some(e2_port));
        let back = c.connection(id, 2);
        assert_eq!(back["recovered"], false, "{why}: {back}");
        assert_ne!(back["sid"], sid.as_str(), "{why}: a new id");
        // A fresh session, not in its old rooms, no replay.
        c.e2.io.main().emit("fence", 0).expect("emit");
        c.node.wait_got(id, "fence");
        assert_eq!(c.node.names(id), ["seen", "fence"], "{why}");
        let new_sid = back["sid"].as_str().expect("sid").to_owned();
        assert!(!c.e2.in_room(&new_sid, "room-x"), "{why}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_missed_more_than_the_budgets_gets_a_fresh_session() {
    let budgets = Some(RecoveryConfig {
        max_disconnection_duration: Duration::from_secs(60),
        max_buffered_packets: 2,
        max_buffered_bytes: 2_000,
        ..RecoveryConfig::default()
    });
    let mut c = Cluster::start_with("redis_streams_recovery_budgets", budgets).await;
    let (e1_port, e2_port) = (c.e1.addr.port(), c.e2.addr.port());
    let big = "x".repeat(3_000);
    // (client, broadcasts it misses, whether edgeio 2 restores it)
    let cases = [
        ("two", vec![json!(1), json!(2)], true),
        ("three", vec![json!(1), json!(2), json!(3)], false),
        ("big", vec![json!(big)], false),
    ];
    for (id, missed, restored) in cases {
        let url = c.proxy(id, e1_port);
        let (sid, pid) = c.client(id, &url);
        let room = format!("room-{id}");
        c.node.join(id, &room);
        let witness = format!("{id}-w");
        let e1_url = c.e1.url();
        c.node.client(&witness, &e1_url);
        c.node.join(&witness, &room);
        c.e1.io
            .main()
            .to(room.as_str())
            .emit("seen", 0)
            .expect("emit");
        c.node.wait_got(id, "seen");
        c.cut(id, id, &pid).await;
        for arg in &missed {
            c.e1.io
                .main()
                .to(room.as_str())
                .emit("missed", arg)
                .expect("emit");
        }
        while c.node.got(&witness, "missed").len() < missed.len() {
            c.node.read_report();
        }
        c.route(id, Some(e2_port));
        let back = c.connection(id, 2);
        assert_eq!(back["recovered"], restored, "{id}: {back}");
        assert_eq!(back["sid"] == sid.as_str(), restored, "{id}: {back}");
        c.e2.io.main().emit("fence", id).expect("emit");
        c.node.wait_got(id, "fence");
        let expected = if restored { missed.len() } else { 0 };
        assert_eq!(c.node.got(id, "missed").len(), expected, "{id}");
    }
}
