//! Dynamic namespaces and the operations that go through the adapter, over
//! real WebSocket clients speaking raw Socket.IO frames.

use std::net::SocketAddr;
use std::time::Duration;

use edgeio::engine::{Engine, EngineConfig};
use edgeio::server::{Io, IoConfig};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const LIMIT: Duration = Duration::from_secs(10);

async fn serve(io: &Io) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let engine = Engine::new(EngineConfig::default(), io.engine_handler());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(edgeio::serve(listener, engine, async {
        let _ = stopped.await;
    }));
    (addr, stop)
}

async fn next_text(ws: &mut Ws) -> String {
    loop {
        let msg = tokio::time::timeout(LIMIT, ws.next())
            .await
            .expect("a frame in time")
            .expect("open")
            .expect("valid");
        if let Message::Text(t) = msg {
            if t.as_str() != "2" {
                return t.to_string();
            }
        }
    }
}

/// A WebSocket session joined to namespace `ns`, and its socket id.
async fn join_with_id(addr: SocketAddr, ns: &str) -> (Ws, String) {
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    assert!(next_text(&mut ws).await.starts_with('0'));
    let prefix = if ns.is_empty() {
        "40".to_owned()
    } else {
        format!("40{ns},")
    };
    ws.send(Message::Text(prefix.clone().into()))
        .await
        .expect("send");
    let answer = next_text(&mut ws).await;
    let json = answer.strip_prefix(&prefix).expect("a CONNECT answer");
    let v: serde_json::Value = serde_json::from_str(json).expect("JSON");
    let sid = v["sid"].as_str().expect("sid").to_owned();
    (ws, sid)
}

async fn join(addr: SocketAddr, ns: &str) -> Ws {
    join_with_id(addr, ns).await.0
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dynamic_parent_broadcasts_to_every_namespace_it_created() {
    let io = Io::new(IoConfig::default());
    let parent = io.of_dynamic(|name, _auth| name.starts_with("/team-"));
    let (addr, stop) = serve(&io).await;

    let mut red = join(addr, "/team-red").await;
    let mut blue = join(addr, "/team-blue").await;
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
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (mut other, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    next_text(&mut other).await;
    other
        .send(Message::Text("40/admin,".into()))
        .await
        .expect("send");
    assert_eq!(
        next_text(&mut other).await,
        r#"44/admin,{"message":"Invalid namespace"}"#
    );
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread")]
async fn server_side_operations_select_sockets_through_the_adapter() {
    let io = Io::new(IoConfig::default());
    let main = io.main();
    let (addr, stop) = serve(&io).await;
    let (mut a, a_id) = join_with_id(addr, "").await;
    let (mut b, _) = join_with_id(addr, "").await;
    assert_eq!(main.socket_count(), 2);

    // Every socket joins "all", then `a` leaves it again.
    main.broadcast().sockets_join("all");
    assert_eq!(main.to("all").fetch_sockets().len(), 2);
    main.to(a_id.as_str()).sockets_leave("all");
    let left: Vec<String> = main
        .to("all")
        .fetch_sockets()
        .iter()
        .map(|s| s.id().to_string())
        .collect();
    assert_eq!(left.len(), 1);
    assert_ne!(left[0], a_id);

    // On one node, a server-side emit reaches no other node.
    assert_eq!(main.server_side_emit("sync", &[]), 0);

    // Disconnecting the room tells its one member, `b`, and only it.
    main.to("all").disconnect_sockets();
    assert_eq!(next_text(&mut b).await, "41");
    assert_eq!(main.socket_count(), 1);
    main.emit("still-here", 1).expect("emit");
    assert_eq!(next_text(&mut a).await, r#"42["still-here",1]"#);
    let _ = stop.send(());
}
