//! `fetch_sockets` and the other request/response operations of the server
//! API on one node, over real WebSocket clients speaking raw Socket.IO
//! frames: what a fetched socket tells, and that its actions reach the
//! client.

mod sio_client;

use std::time::Duration;

use edgeio::server::{Io, IoConfig};
use serde_json::{json, Value};
use sio_client::{join, next_text, send, serve, sid_of, LIMIT};

/// A server whose main namespace puts every socket in `lobby`, keeps its
/// auth as its data, and then tells the client `ready`.
fn lobby_server() -> Io {
    let io = Io::new(IoConfig::default());
    io.main().on_connection(|socket| {
        socket.join("lobby");
        let _ = socket.set_data(socket.auth().clone());
        let _ = socket.emit("ready", 1);
    });
    io
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fetched_socket_tells_its_id_rooms_data_and_handshake() {
    let io = lobby_server();
    let (addr, stop) = serve(&io).await;
    let (mut ws, answer) = join(addr, "", r#"{"name":"ann"}"#).await;
    let id = sid_of(&answer);
    assert_eq!(next_text(&mut ws).await, r#"42["ready",1]"#);

    let fetched = io.fetch_sockets().await.expect("fetch");
    assert_eq!(fetched.len(), 1);
    let s = &fetched[0];
    assert_eq!(s.id(), id);
    assert_eq!(s.ns(), "/");
    let mut expected_rooms = vec![id.clone(), "lobby".to_owned()];
    expected_rooms.sort();
    assert_eq!(s.rooms(), expected_rooms.as_slice());
    assert_eq!(s.data::<Value>(), Some(json!({"name": "ann"})));

    let h = serde_json::to_value(s.handshake()).expect("json");
    assert_eq!(h["auth"], json!({"name": "ann"}));
    assert_eq!(h["address"], "127.0.0.1");
    assert_eq!(h["query"]["EIO"], "4");
    assert_eq!(h["query"]["transport"], "websocket");
    assert_eq!(h["url"], "/socket.io/?EIO=4&transport=websocket");
    assert_eq!(h["headers"]["host"], addr.to_string());
    assert_eq!(h["xdomain"], false);
    assert!(h["issued"].as_u64().unwrap_or(0) > 0, "{h}");
    assert!(h["time"]
        .as_str()
        .unwrap_or("")
        .ends_with("GMT+0000 (Coordinated Universal Time)"));

    // A room selects: nobody is in `elsewhere`.
    let none = io
        .main()
        .to("elsewhere")
        .fetch_sockets()
        .await
        .expect("fetch");
    assert!(none.is_empty());
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fetched_socket_is_emitted_to_joined_left_and_disconnected() {
    let io = lobby_server();
    let main = io.main();
    let (addr, stop) = serve(&io).await;
    let (mut a, answer) = join(addr, "", "").await;
    let a_id = sid_of(&answer);
    assert_eq!(next_text(&mut a).await, r#"42["ready",1]"#);
    let (mut b, _) = join(addr, "", "").await;
    assert_eq!(next_text(&mut b).await, r#"42["ready",1]"#);

    let fetched = main.to(a_id.as_str()).fetch_sockets().await.expect("fetch");
    assert_eq!(fetched.len(), 1);
    let remote = &fetched[0];

    // An emit reaches `a` alone: `b`'s next frame is the marker after it.
    remote.emit("hi", "a").expect("emit");
    assert_eq!(next_text(&mut a).await, r#"42["hi","a"]"#);
    main.emit("mark", 1).expect("emit");
    assert_eq!(next_text(&mut b).await, r#"42["mark",1]"#);
    assert_eq!(next_text(&mut a).await, r#"42["mark",1]"#);

    // Join and leave act on the socket.
    remote.join("vip").expect("join");
    let in_vip: Vec<String> = main
        .to("vip")
        .sockets()
        .iter()
        .map(|s| s.id().to_string())
        .collect();
    assert_eq!(in_vip, vec![a_id.clone()]);
    main.to("vip").emit("vip-news", 2).expect("emit");
    assert_eq!(next_text(&mut a).await, r#"42["vip-news",2]"#);
    remote.leave("vip").expect("leave");
    assert!(main.to("vip").sockets().is_empty());

    // An emit with an acknowledgement gets the client's answer.
    let asking = {
        let remote = remote.clone();
        tokio::spawn(async move {
            remote
                .emit_with_ack("question", vec![json!(41)], LIMIT)
                .await
        })
    };
    let frame = next_text(&mut a).await;
    let ack_id = frame
        .strip_prefix("42")
        .and_then(|rest| rest.strip_suffix(r#"["question",41]"#))
        .expect("an event with an ack id")
        .to_owned();
    send(&mut a, &format!(r#"43{ack_id}["answer",42]"#)).await;
    let got = tokio::time::timeout(LIMIT, asking)
        .await
        .expect("in time")
        .expect("task")
        .expect("acknowledged");
    assert_eq!(got.args, vec![json!("answer"), json!(42)]);

    // Disconnecting tells `a`, and `b` stays.
    remote.disconnect().expect("disconnect");
    assert_eq!(next_text(&mut a).await, "41");
    assert_eq!(main.socket_count(), 1);
    main.emit("still-here", 3).expect("emit");
    assert_eq!(next_text(&mut b).await, r#"42["still-here",3]"#);
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_socket_of_a_dynamic_namespace_is_fetched_through_its_parent() {
    let io = Io::new(IoConfig::default());
    let parent = io.of_dynamic(|name, _auth| name.starts_with("/team-"));
    let (addr, stop) = serve(&io).await;
    let (mut red, answer) = join(addr, "/team-red", "").await;
    let red_id = sid_of(&answer);

    let fetched = parent.fetch_sockets().await.expect("fetch");
    assert_eq!(fetched.len(), 1);
    assert_eq!(fetched[0].id(), red_id);
    assert_eq!(fetched[0].ns(), "/team-red");
    fetched[0].emit("hello", "red").expect("emit");
    assert_eq!(next_text(&mut red).await, r#"42/team-red,["hello","red"]"#);
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_alone_counts_itself_and_gets_no_server_side_answer() {
    let io = lobby_server();
    let (addr, stop) = serve(&io).await;
    let (mut ws, _) = join(addr, "", "").await;
    assert_eq!(next_text(&mut ws).await, r#"42["ready",1]"#);

    assert_eq!(io.server_count().await, Ok(1));
    assert_eq!(io.of("/other").server_count().await, Ok(1));
    let rooms = io.main().all_rooms().await.expect("rooms");
    assert!(rooms.contains(&"lobby".to_owned()), "{rooms:?}");

    // No other node: no answer, at once (well before this long timeout).
    let answers = tokio::time::timeout(
        LIMIT,
        io.main()
            .server_side_emit_with_ack("ping", &[json!(1)], Duration::from_secs(3600)),
    )
    .await
    .expect("resolved without waiting for the timeout");
    assert_eq!(answers, Ok(vec![]));
    let _ = stop.send(());
}
