//! `disconnectSockets(true)` across nodes: the node holding a socket closes
//! its client's whole connection (socket.io's `socket.disconnect(true)`),
//! not just the socket's namespace — both ways between an edgeio node and a
//! Node socket.io 4.8 server, on the Redis adapter and on the Streams
//! adapter. Each socket.io-client client is in "/" and "/other" on one
//! connection: with `close`, it leaves both (`io server disconnect`) and its
//! connection closes; without, it leaves "/" only and "/other" still answers.

mod node_support;
mod redis_adapter;
mod redis_streams;
mod redis_support;
mod sio_client;

use edgeio::server::Io;
use redis_streams::{Edge, NodeSide, LIMIT};
use redis_support::Redis;
use serde_json::{json, Value};

fn require_node(adapter: &str) {
    node_support::require_node_package("socket.io");
    node_support::require_node_package("socket.io-client");
    node_support::require_node_package("redis");
    node_support::require_node_package(adapter);
}

/// Namespace "/other" on edgeio: its sockets answer `ping` with "pong".
fn serve_other(io: &Io) {
    io.of("/other").on_connection(|socket| {
        socket.on("ping", |_, event| {
            if let Some(ack) = event.ack {
                let _ = ack.send("pong");
            }
        });
    });
}

/// Waits until the Node node counts `n` nodes.
async fn wait_server_count(node: &mut NodeSide, n: u64) {
    let deadline = std::time::Instant::now() + LIMIT;
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

/// Client `id` of `url`, in "/" and "/other", its "/" socket in `room`.
fn client(node: &mut NodeSide, id: &str, url: &str, room: &str) -> String {
    let sid = node.client(id, url);
    // Acknowledged once joined (edgeio's test nodes answer without args).
    node.cmd(json!({"op": "emit", "id": id, "name": "join", "args": [room]}));
    sid
}

/// Waits until client `id` left "/" and "/other" for `io server disconnect`
/// and its connection closed.
fn wait_closed(node: &mut NodeSide, id: &str) {
    for ns in ["/", "/other"] {
        let report = node.wait(&format!("{id} leaves {ns}"), |r| {
            r["disconnected"] == id && r["ns"] == ns
        });
        assert_eq!(report["reason"], "io server disconnect", "{id} {ns}");
    }
    node.wait(&format!("{id}'s connection closes"), |r| {
        r["engineClosed"] == id
    });
}

/// Waits until client `id` left "/" (`io server disconnect`), then checks
/// its "/other" socket still answers on the same connection.
fn wait_left_main_only(node: &mut NodeSide, id: &str) {
    let report = node.wait(&format!("{id} leaves /"), |r| {
        r["disconnected"] == id && r["ns"] == "/"
    });
    assert_eq!(report["reason"], "io server disconnect");
    let answer =
        node.cmd(json!({"op": "emit", "id": id, "ns": "/other", "name": "ping", "args": []}));
    assert_eq!(answer["answer"], "pong", "{id}'s /other still connected");
    let closed = |r: &Value| r["disconnected"] == id && r["ns"] == "/other";
    assert!(
        !node.reports.iter().any(closed),
        "{id} left /other: {:?}",
        node.reports
    );
}

/// The scenario, on a cluster of edgeio node `edge` (served at `edge_url`)
/// and the Node node: Node closes an edgeio client's connection and its
/// own; edgeio closes a Node client's and its own, by broadcast operator
/// and by fetched socket; a disconnect without close leaves "/other".
async fn scenario(edge: &Io, edge_url: &str, node: &mut NodeSide) {
    let node_url = node.url();
    serve_other(edge);
    // Node -> edgeio, with close.
    client(node, "e1", edge_url, "r1");
    client(node, "n1", &node_url, "r1");
    node.cmd(json!({"op": "disconnectSockets", "rooms": ["r1"], "close": true}));
    wait_closed(node, "e1");
    wait_closed(node, "n1");

    // Node -> edgeio, without close: "/" only.
    client(node, "e2", edge_url, "r2");
    node.cmd(json!({"op": "disconnectSockets", "rooms": ["r2"], "close": false}));
    wait_left_main_only(node, "e2");

    // edgeio -> Node, with close, by operator (its own client too).
    client(node, "e3", edge_url, "r3");
    client(node, "n3", &node_url, "r3");
    edge.main()
        .to("r3")
        .disconnect_sockets_closing()
        .expect("disconnect");
    wait_closed(node, "n3");
    wait_closed(node, "e3");

    // edgeio -> Node, with close, by fetched socket; Node's fetched
    // socket -> edgeio the same.
    client(node, "n4", &node_url, "r4");
    client(node, "e4", edge_url, "r4e");
    let fetched = edge.main().to("r4").fetch_sockets().await.expect("fetch");
    assert_eq!(fetched.len(), 1, "{fetched:?}");
    fetched[0].disconnect_closing().expect("disconnect");
    wait_closed(node, "n4");
    let answer = node.cmd(json!({"op": "remoteDisconnect", "rooms": ["r4e"], "close": true}));
    assert_eq!(answer["count"], 1);
    wait_closed(node, "e4");

    // edgeio -> Node, without close: "/" only.
    client(node, "n5", &node_url, "r5");
    edge.main()
        .to("r5")
        .disconnect_sockets()
        .expect("disconnect");
    wait_left_main_only(node, "n5");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_redis_adapter_a_closing_disconnect_closes_the_connection_both_ways() {
    require_node("@socket.io/redis-adapter");
    let redis = Redis::start();
    let url = redis.url();
    let edge = redis_adapter::EdgeNode::start(&url).await;
    let mut node = NodeSide::run(
        "redis_disconnect_close.mjs",
        &["redis", &url],
        "redis_disconnect_close_redis",
    );
    wait_server_count(&mut node, 2).await;
    scenario(&edge.io, &format!("http://{}", edge.addr), &mut node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_streams_adapter_a_closing_disconnect_closes_the_connection_both_ways() {
    require_node("@socket.io/redis-streams-adapter");
    let redis = Redis::start();
    let url = redis.url();
    let edge = Edge::start(&url).await;
    let mut node = NodeSide::run(
        "redis_disconnect_close.mjs",
        &["streams", &url],
        "redis_disconnect_close_streams",
    );
    wait_server_count(&mut node, 2).await;
    scenario(&edge.io, &edge.url(), &mut node).await;
}
