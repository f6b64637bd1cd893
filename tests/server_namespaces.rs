//! Dynamic namespaces and the operations that go through the adapter, over
//! real WebSocket clients speaking raw Socket.IO frames.

mod sio_client;

use edgeio::server::{Io, IoConfig};
use sio_client::{join, next_text, serve, sid_of};

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
