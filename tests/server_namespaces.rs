//! Dynamic namespaces and the operations that go through the adapter, over
//! real WebSocket clients speaking raw Socket.IO frames.

mod sio_client;

use std::sync::Arc;
use std::time::Duration;

use edgeio::server::{Io, IoConfig, ServerStorage};
use edgeio_storage::{LocalEventStore, MemoryStoreFactory, StoreFactory};
use serde_json::{json, Value};
use sio_client::{join, next_text, serve, sid_of, Ws, LIMIT};

#[tokio::test(flavor = "multi_thread")]
async fn a_dynamic_parent_broadcasts_to_every_namespace_it_created() {
    let io = Io::new(IoConfig::default());
    let parent = io.of_dynamic(|name, _auth| name.starts_with("/team-"));
    let (addr, stop) = serve(&io).await;

    let (mut red, _) = join(addr, "/team-red", "").await;
    let (mut blue, _) = join(addr, "/team-blue", "").await;
    assert_eq!(io.of("/team-red").socket_count(), 1);

    parent.emit("news", "hello teams").expect("emit");
    assert_eq!(
        next_text(&mut red).await,
        r#"42/team-red,["news","hello teams"]"#
    );
    assert_eq!(
        next_text(&mut blue).await,
        r#"42/team-blue,["news","hello teams"]"#
    );

    // A namespace the matcher refuses is an invalid namespace.
    let (_, refused) = join(addr, "/admin", "").await;
    assert_eq!(refused, r#"44/admin,{"message":"Invalid namespace"}"#);
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread")]
async fn server_side_operations_select_sockets_through_the_adapter() {
    let io = Io::new(IoConfig::default());
    let main = io.main();
    let (addr, stop) = serve(&io).await;
    let (mut a, answer) = join(addr, "", "").await;
    let a_id = sid_of(&answer);
    let (mut b, _) = join(addr, "", "").await;
    assert_eq!(main.socket_count(), 2);

    // Every socket joins "all", then `a` leaves it again.
    main.broadcast().sockets_join("all").expect("join");
    let all = main.to("all").fetch_sockets().await.expect("fetch");
    assert_eq!(all.len(), 2);
    main.to(a_id.as_str()).sockets_leave("all").expect("leave");
    let left: Vec<String> = main
        .to("all")
        .fetch_sockets()
        .await
        .expect("fetch")
        .iter()
        .map(|s| s.id().to_string())
        .collect();
    assert_eq!(left.len(), 1);
    assert_ne!(left[0], a_id);

    // Disconnecting the room tells its one member, `b`, and only it.
    main.to("all").disconnect_sockets().expect("disconnect");
    assert_eq!(next_text(&mut b).await, "41");
    assert_eq!(main.socket_count(), 1);
    main.emit("still-here", 1).expect("emit");
    assert_eq!(next_text(&mut a).await, r#"42["still-here",1]"#);
    let _ = stop.send(());
}

/// Two servers ("nodes") in one process whose storages share one event
/// store hub, as two processes would share Redis.
async fn two_nodes() -> (Io, Io) {
    let events = LocalEventStore::new("node-a");
    let node = |events: Arc<LocalEventStore>| async move {
        let factory: Arc<dyn StoreFactory> = Arc::new(MemoryStoreFactory::new(events));
        let storage = ServerStorage::open(factory).await.expect("storage");
        Io::new(IoConfig {
            storage: Some(storage),
            ..IoConfig::default()
        })
    };
    let b = node(events.peer("node-b")).await;
    (node(events).await, b)
}

/// Waits for a frame; `None` when none comes within a short while.
async fn maybe_text(ws: &mut Ws) -> Option<String> {
    tokio::time::timeout(Duration::from_millis(300), next_text(ws))
        .await
        .ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_in_memory_adapter_reaches_the_other_nodes_through_the_event_store() {
    let (node_a, node_b) = two_nodes().await;
    let (addr_a, stop_a) = serve(&node_a).await;
    let (addr_b, stop_b) = serve(&node_b).await;
    let (mut on_a, _) = join(addr_a, "", "").await;
    let (mut on_b, answer) = join(addr_b, "", "").await;
    let b_id = sid_of(&answer);

    // A broadcast on node a reaches the client of node b, once.
    node_a.main().emit("hello", 1).expect("emit");
    assert_eq!(next_text(&mut on_a).await, r#"42["hello",1]"#);
    assert_eq!(next_text(&mut on_b).await, r#"42["hello",1]"#);
    // `local` stays on node a.
    node_a
        .main()
        .broadcast()
        .local()
        .emit("only-a", 2)
        .expect("emit");
    assert_eq!(next_text(&mut on_a).await, r#"42["only-a",2]"#);
    assert_eq!(
        maybe_text(&mut on_b).await,
        None,
        "a local broadcast stayed home"
    );

    // Node a makes every socket join "room": node b's socket joins too.
    node_a
        .main()
        .broadcast()
        .sockets_join("room")
        .expect("join");
    let joined = node_b.main().to("room").sockets();
    assert_eq!(joined.len(), 1);
    assert_eq!(joined[0].id().as_str(), b_id);
    node_a.main().to("room").emit("in-room", 3).expect("emit");
    assert_eq!(next_text(&mut on_b).await, r#"42["in-room",3]"#);

    // A server-side emit runs node b's handler, never node a's own.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(&str, Vec<Value>)>();
    for (io, name) in [(&node_a, "a"), (&node_b, "b")] {
        let tx = tx.clone();
        io.main().on_server_side_emit("sync", move |args| {
            let _ = tx.send((name, args.to_vec()));
        });
    }
    node_a
        .main()
        .server_side_emit("sync", &[json!({"v": 1})])
        .expect("emit");
    let got = tokio::time::timeout(LIMIT, rx.recv())
        .await
        .expect("in time");
    assert_eq!(got, Some(("b", vec![json!({"v": 1})])));
    assert!(
        rx.try_recv().is_err(),
        "the sender's own handler did not run"
    );

    // Disconnecting from node a disconnects node b's socket in the room.
    node_a
        .main()
        .to("room")
        .disconnect_sockets()
        .expect("disconnect");
    assert_eq!(next_text(&mut on_b).await, "41");
    assert_eq!(node_b.main().socket_count(), 0);
    let _ = (stop_a.send(()), stop_b.send(()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_socket_refused_by_a_middleware_is_in_no_room() {
    let io = Io::new(IoConfig::default());
    io.main().use_middleware(|socket| async move {
        socket.join("joined-then-refused");
        Err(edgeio::server::ConnectError::new("no"))
    });
    let (addr, stop) = serve(&io).await;
    let (_ws, answer) = join(addr, "", "").await;
    assert!(answer.starts_with("44"), "refused: {answer}");
    assert!(io.main().rooms().is_empty(), "{:?}", io.main().rooms());
    let _ = stop.send(());
}

/// The text frames `ws` gets until its connection closes (bounded).
async fn texts_until_closed(ws: &mut Ws) -> Vec<String> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let mut texts = Vec::new();
    loop {
        let frame = tokio::time::timeout(LIMIT, ws.next())
            .await
            .expect("the connection closes in time");
        match frame {
            Some(Ok(Message::Text(t))) if t.as_str() != "2" => texts.push(t.to_string()),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return texts,
            Some(Ok(_)) => {}
        }
    }
}

/// A client of `addr` in "/" and "/other" on one connection; its "/" id.
async fn in_two_namespaces(addr: std::net::SocketAddr) -> (Ws, String) {
    let (mut ws, answer) = join(addr, "", "").await;
    sio_client::send(&mut ws, "40/other,").await;
    assert!(next_text(&mut ws).await.starts_with("40/other,{"));
    (ws, sid_of(&answer))
}

/// Asks `ws`'s "/other" socket for a `ping` acknowledgement: it is still
/// connected there.
async fn answers_on_other(ws: &mut Ws) {
    sio_client::send(ws, r#"42/other,7["ping"]"#).await;
    assert_eq!(next_text(ws).await, r#"43/other,7["pong"]"#);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closing_disconnect_closes_the_clients_connection_here_and_on_the_other_node() {
    let (node_a, node_b) = two_nodes().await;
    for io in [&node_a, &node_b] {
        io.of("/other").on_connection(|socket| {
            socket.on("ping", |_, event| {
                if let Some(ack) = event.ack {
                    let _ = ack.send("pong");
                }
            });
        });
    }
    let (addr_a, stop_a) = serve(&node_a).await;
    let (addr_b, stop_b) = serve(&node_b).await;
    let (mut on_a, a_id) = in_two_namespaces(addr_a).await;
    let (mut on_b, b_id) = in_two_namespaces(addr_b).await;
    let (mut stays, _) = in_two_namespaces(addr_b).await;

    // Without close, from node a: "/" only; "/other" still answers on that
    // connection (a closing one would have said `41/other,` first).
    node_a
        .main()
        .to(b_id.as_str())
        .disconnect_sockets()
        .expect("disconnect");
    assert_eq!(next_text(&mut on_b).await, "41");
    answers_on_other(&mut on_b).await;

    // With close, from node a: its own client and node b's leave both
    // namespaces, told, and their connections close.
    let (mut on_b, b_id) = in_two_namespaces(addr_b).await;
    node_a
        .main()
        .to(a_id.as_str())
        .to(b_id.as_str())
        .disconnect_sockets_closing()
        .expect("disconnect");
    assert_eq!(texts_until_closed(&mut on_a).await, ["41", "41/other,"]);
    assert_eq!(texts_until_closed(&mut on_b).await, ["41", "41/other,"]);
    assert_eq!(node_a.of("/other").socket_count(), 0);
    // The client not selected stays in both.
    answers_on_other(&mut stays).await;
    assert_eq!(node_b.main().socket_count(), 1);
    let _ = (stop_a.send(()), stop_b.send(()));
}
