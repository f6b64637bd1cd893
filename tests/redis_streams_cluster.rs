//! A mixed cluster on one Redis Stream: a Node socket.io 4.8 server with
//! `@socket.io/redis-streams-adapter` 0.3 and two or three edgeio nodes on
//! `StreamsAdapter`, with socket.io-client clients on each. Broadcasts reach
//! every member once, `except` and `local` are honoured, socketsJoin,
//! disconnectSockets and serverSideEmit work both ways; an edgeio node cut
//! off Redis catches up on every broadcast published meanwhile.

mod node_support;
mod redis_streams;
mod redis_support;
mod sio_client;

use redis_streams::{eventually, Edge, NodeSide, Proxy};
use redis_support::Redis;
use serde_json::{json, Value};

fn require_node() {
    node_support::require_node_package("socket.io");
    node_support::require_node_package("socket.io-client");
    node_support::require_node_package("@socket.io/redis-streams-adapter");
    node_support::require_node_package("redis");
}

/// Waits until the Node node counts `n` nodes (edgeio's included: Node
/// counts the subscribers of the namespace's public channel).
async fn wait_server_count(node: &mut NodeSide, n: u64) {
    let deadline = std::time::Instant::now() + redis_streams::LIMIT;
    loop {
        let count = node.cmd(json!({"op": "serverCount"}))["count"].as_u64();
        if count == Some(n) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "Node counts {count:?} nodes, not {n}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Waits until the rooms of Node's client `id` satisfy `check`.
async fn wait_rooms(node: &mut NodeSide, id: &str, check: impl Fn(&Vec<String>) -> bool) {
    let deadline = std::time::Instant::now() + redis_streams::LIMIT;
    loop {
        let rooms = node.rooms(id);
        if check(&rooms) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{id}'s rooms: {rooms:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edgeio_and_node_share_broadcasts_joins_leaves_disconnects_and_server_side_emits() {
    require_node();
    let redis = Redis::start();
    let e1 = Edge::start(&redis.url()).await;
    let e2 = Edge::start(&redis.url()).await;
    let e3 = Edge::start(&redis.url()).await;
    let mut node = NodeSide::start(&redis.url(), "redis_streams_cluster");
    wait_server_count(&mut node, 4).await;

    // n1 on Node, a1 and x1 on edgeio 1, b1 on edgeio 2, c1 on edgeio 3;
    // all but x1 in room1.
    let n1 = node.client("n1", &node.url());
    let a1 = node.client("a1", &e1.url());
    let x1 = node.client("x1", &e1.url());
    let b1 = node.client("b1", &e2.url());
    let c1 = node.client("c1", &e3.url());
    for c in ["n1", "a1", "b1", "c1"] {
        node.join(c, "room1");
    }

    // Room broadcasts from each kind of node, one with `except`.
    e1.io.main().to("room1").emit("from-e1", 1).expect("emit");
    e3.io.main().to("room1").emit("from-e3", 5).expect("emit");
    node.cmd(
        json!({"op": "broadcast", "rooms": ["room1"], "except": [], "local": false,
        "name": "from-node", "args": [2]}),
    );
    e2.io
        .main()
        .to("room1")
        .except(a1.as_str())
        .emit("from-e2-except-a1", 3)
        .expect("emit");
    // `local`: each node's own clients only.
    node.cmd(
        json!({"op": "broadcast", "rooms": [], "except": [], "local": true,
        "name": "node-local", "args": []}),
    );
    e1.io
        .main()
        .broadcast()
        .local()
        .emit("e1-local", 4)
        .expect("emit");
    // A fence from each node to everyone, after the above: once a client has
    // all three, it has everything those nodes sent before.
    node.cmd(
        json!({"op": "broadcast", "rooms": [], "except": [], "local": false,
        "name": "fence-node", "args": []}),
    );
    e1.io.main().emit("fence-e1", 0).expect("emit");
    e2.io.main().emit("fence-e2", 0).expect("emit");
    e3.io.main().emit("fence-e3", 0).expect("emit");
    for c in ["n1", "a1", "x1", "b1", "c1"] {
        for fence in ["fence-node", "fence-e1", "fence-e2", "fence-e3"] {
            node.wait_got(c, fence);
        }
    }
    let count = |node: &NodeSide, c: &str, name: &str| node.got(c, name).len();
    for c in ["n1", "a1", "b1", "c1"] {
        assert_eq!(count(&node, c, "from-e1"), 1, "{c} gets from-e1 once");
        assert_eq!(count(&node, c, "from-node"), 1, "{c} gets from-node once");
        assert_eq!(count(&node, c, "from-e3"), 1, "{c} gets from-e3 once");
        assert_eq!(
            count(&node, c, "from-e2-except-a1"),
            1 - usize::from(c == "a1")
        );
    }
    assert_eq!(node.got("a1", "from-e1"), vec![json!([1])]);
    assert_eq!(node.got("b1", "from-node"), vec![json!([2])]);
    assert_eq!(
        count(&node, "x1", "from-e1") + count(&node, "x1", "from-node"),
        0
    );
    assert_eq!(count(&node, "n1", "from-e2-except-a1"), 1);
    assert_eq!(count(&node, "b1", "from-e2-except-a1"), 1);
    assert_eq!(
        count(&node, "a1", "from-e2-except-a1"),
        0,
        "except honoured"
    );
    assert_eq!(count(&node, "n1", "node-local"), 1);
    for c in ["a1", "x1", "b1", "c1"] {
        assert_eq!(count(&node, c, "node-local"), 0, "Node's local reached {c}");
    }
    assert_eq!(
        count(&node, "a1", "e1-local") + count(&node, "x1", "e1-local"),
        2
    );
    assert_eq!(
        count(&node, "n1", "e1-local")
            + count(&node, "b1", "e1-local")
            + count(&node, "c1", "e1-local"),
        0
    );
    assert_eq!(count(&node, "x1", "from-e3"), 0, "x1 is not in room1");

    // socketsJoin from Node reaches edgeio's sockets, and from edgeio Node's.
    node.cmd(json!({"op": "socketsJoin", "rooms": ["room1"], "room": "from-node"}));
    eventually("Node's socketsJoin on edgeio", || {
        e1.in_room(&a1, "from-node") && e2.in_room(&b1, "from-node") && e3.in_room(&c1, "from-node")
    })
    .await;
    assert!(!e1.in_room(&x1, "from-node"), "x1 is not in room1");
    e2.io
        .main()
        .to("room1")
        .sockets_join("from-e2")
        .expect("join");
    eventually("edgeio's socketsJoin on edgeio", || {
        e1.in_room(&a1, "from-e2") && e3.in_room(&c1, "from-e2")
    })
    .await;
    wait_rooms(&mut node, "n1", |r| r.contains(&"from-e2".to_owned())).await;
    // socketsLeave from edgeio too.
    e1.io
        .main()
        .to("room1")
        .sockets_leave("from-e2")
        .expect("leave");
    eventually("edgeio's socketsLeave on edgeio", || {
        !e2.in_room(&b1, "from-e2")
    })
    .await;
    wait_rooms(&mut node, "n1", |r| !r.contains(&"from-e2".to_owned())).await;

    // serverSideEmit both ways; a node does not hear its own.
    node.cmd(json!({"op": "serverSideEmit", "name": "ping-sse", "args": [{"from": "node"}]}));
    e1.io
        .main()
        .server_side_emit("ping-sse", &[json!("from-e1")])
        .expect("emit");
    let from_node = ("ping-sse".to_owned(), vec![json!({"from": "node"})]);
    let from_e1 = ("ping-sse".to_owned(), vec![json!("from-e1")]);
    eventually("server-side emits on edgeio", || {
        let h1 = e1.heard.lock().expect("lock").clone();
        let h2 = e2.heard.lock().expect("lock").clone();
        h1.contains(&from_node) && h2.contains(&from_node) && h2.contains(&from_e1)
    })
    .await;
    node.wait("Node hears edgeio's emit", |r| {
        r["sse"] == "ping-sse" && r["args"] == json!(["from-e1"])
    });
    assert!(!e1.heard.lock().expect("lock").contains(&from_e1));

    // all_rooms: the rooms of every node's sockets, Node's included (asked
    // with fetchSockets, which Node answers).
    node.join("n1", "node-only");
    let rooms = e1.io.main().all_rooms().await.expect("all rooms");
    assert!(rooms.contains(&"node-only".to_owned()), "{rooms:?}");
    assert!(
        rooms.contains(&c1),
        "a socket's own room on edgeio 3: {rooms:?}"
    );
    assert!(rooms.contains(&"room1".to_owned()));

    // disconnectSockets both ways: edgeio 1 disconnects room "from-node"
    // (n1 on Node, b1 on edgeio 2), Node disconnects x1 by its id.
    e1.io
        .main()
        .to("from-node")
        .disconnect_sockets()
        .expect("disconnect");
    for c in ["n1", "a1", "b1", "c1"] {
        let report = node.wait(&format!("{c} disconnected"), |r| r["disconnected"] == c);
        assert_eq!(report["reason"], "io server disconnect");
    }
    node.cmd(json!({"op": "disconnectSockets", "rooms": [x1.clone()]}));
    node.wait("x1 disconnected", |r| r["disconnected"] == "x1");
    assert!(!n1.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edgeio_node_cut_off_redis_catches_up_on_every_broadcast_once_back() {
    require_node();
    let redis = Redis::start();
    let mut proxy = Proxy::start(redis.port).await;
    let e1 = Edge::start(&redis.url()).await;
    let e2 = Edge::start(&proxy.url()).await;
    let mut node = NodeSide::start(&redis.url(), "redis_streams_catch_up");
    wait_server_count(&mut node, 3).await;
    node.client("b1", &e2.url());
    node.client("a1", &e1.url());

    // Cut edgeio 2 off Redis; edgeio 1 and Node broadcast meanwhile.
    proxy.cut().await;
    for i in 0..5 {
        e1.io.main().emit("missed", json!(["e1", i])).expect("emit");
        node.cmd(
            json!({"op": "broadcast", "rooms": [], "except": [], "local": false,
            "name": "missed", "args": [["node", i]]}),
        );
    }
    // Its local traffic goes on.
    e2.io.main().emit("local-while-cut", 1).expect("emit");
    node.wait_got("b1", "local-while-cut");
    node.wait_got("a1", "missed");
    assert!(node.got("b1", "missed").is_empty(), "the proxy was not cut");

    proxy.resume().await;
    node.cmd(
        json!({"op": "broadcast", "rooms": [], "except": [], "local": false,
        "name": "after", "args": []}),
    );
    node.wait_got("b1", "after");
    let missed = node.got("b1", "missed");
    let mut expected = Vec::new();
    for i in 0..5 {
        expected.push(json!([["e1", i]]));
    }
    let from =
        |who: &str| -> Vec<Value> { missed.iter().filter(|a| a[0][0] == who).cloned().collect() };
    assert_eq!(
        from("e1"),
        expected,
        "every broadcast of edgeio 1, in order, once"
    );
    let node_expected: Vec<Value> = (0..5).map(|i| json!([["node", i]])).collect();
    assert_eq!(
        from("node"),
        node_expected,
        "every broadcast of Node, in order, once"
    );
    assert_eq!(missed.len(), 10);
    let names = node.names("b1");
    let last_missed = names.iter().rposition(|n| n == "missed");
    let after = names.iter().position(|n| n == "after");
    assert!(last_missed < after, "caught up in stream order: {names:?}");
}

/// Each edgeio node counts the cluster's three nodes as Node does; Node's
/// request/response operations are answered by edgeio nodes:
/// `fetchSockets()` describes edgeio's sockets (id, rooms, data, handshake),
/// `serverSideEmitWithAck` gets each edgeio node's handler's answer, and an
/// acknowledged broadcast gets one acknowledgement per client of every node.
/// And edgeio's `fetch_sockets`, `server_side_emit_with_ack` and acknowledged
/// broadcasts get Node's and the other edgeio node's answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_requests_get_edgeio_answers() {
    require_node();
    let redis = Redis::start();
    let e1 = Edge::start(&redis.url()).await;
    let e2 = Edge::start(&redis.url()).await;
    let mut node = NodeSide::start(&redis.url(), "redis_streams_requests");
    wait_server_count(&mut node, 3).await;
    // Counted as Node counts: the public channel's subscribers, Node's among them.
    for edge in [&e1, &e2] {
        let count = edge.io.main().server_count().await.expect("server count");
        assert_eq!(count, 3, "edgeio's server_count");
    }

    // n1 on Node, a1 and x1 on edgeio 1, b1 on edgeio 2; all but x1 in room1.
    let n1 = node.client("n1", &node.url());
    let a1 = node.client("a1", &e1.url());
    let b1 = node.client("b1", &e2.url());
    let x1 = node.client("x1", &e1.url());
    for c in ["n1", "a1", "b1"] {
        node.join(c, "room1");
    }

    let answer = node.cmd(json!({"op": "fetchSockets", "rooms": ["room1"]}));
    let mut expected: Vec<Value> = [
        (&n1, json!("node")),
        (&a1, json!(e1.node.uid())),
        (&b1, json!(e2.node.uid())),
    ]
    .into_iter()
    .map(|(sid, on)| {
        let mut rooms = vec![sid.clone(), "room1".to_owned()];
        rooms.sort();
        json!({"id": sid, "rooms": rooms, "data": {"node": on}, "eio": "4"})
    })
    .collect();
    expected.sort_by_key(|s| s["id"].as_str().map(str::to_owned));
    assert_eq!(answer["sockets"], json!(expected), "Node's fetchSockets");

    let answer = node.cmd(json!({"op": "serverSideEmitWithAck", "name": "ask-sse", "args": [7]}));
    let mut expected = vec![
        json!({"node": e1.node.uid(), "args": [7]}),
        json!({"node": e2.node.uid(), "args": [7]}),
    ];
    expected.sort_by_key(|a| a["node"].as_str().map(str::to_owned));
    assert_eq!(
        answer["answers"],
        json!(expected),
        "Node's serverSideEmitWithAck"
    );

    let answer =
        node.cmd(json!({"op": "broadcastWithAck", "rooms": ["room1"], "name": "ask", "args": [5]}));
    assert_eq!(
        answer["acks"],
        json!([{"client": "a1", "x": 5}, {"client": "b1", "x": 5}, {"client": "n1", "x": 5}]),
        "Node's acknowledged broadcast: one ack per client in room1, x1 not asked"
    );

    // The other way: edgeio asks.
    let mut ids: Vec<String> = e1
        .io
        .main()
        .fetch_sockets()
        .await
        .expect("every node answers")
        .iter()
        .map(|s| s.id().to_owned())
        .collect();
    ids.sort();
    let mut expected = vec![n1.clone(), a1.clone(), b1.clone(), x1.clone()];
    expected.sort();
    assert_eq!(
        ids, expected,
        "edgeio's fetch_sockets sees every node's sockets"
    );
    let mut answers = e1
        .io
        .main()
        .server_side_emit_with_ack("ask-sse", &[json!(8)], redis_streams::LIMIT)
        .await
        .expect("every node answers");
    answers.sort_by_key(|a| a["node"].as_str().map(str::to_owned));
    let mut expected = vec![
        json!({"node": "node", "args": [8]}),
        json!({"node": e2.node.uid(), "args": [8]}),
    ];
    expected.sort_by_key(|a| a["node"].as_str().map(str::to_owned));
    assert_eq!(answers, expected, "edgeio's server_side_emit_with_ack");
    let acks = e1
        .io
        .main()
        .to("room1")
        .timeout(redis_streams::LIMIT)
        .emit_with_ack("ask", vec![json!(6)], Vec::new())
        .await
        .expect("every client answers");
    let mut acks: Vec<Value> = acks.iter().map(|a| a.args[0].clone()).collect();
    acks.sort_by_key(|a| a["client"].as_str().map(str::to_owned));
    assert_eq!(
        acks,
        vec![
            json!({"client": "a1", "x": 6}),
            json!({"client": "b1", "x": 6}),
            json!({"client": "n1", "x": 6}),
        ],
        "edgeio's acknowledged broadcast: one ack per client in room1, x1 not asked"
    );
}
