//! Namespaces: a dynamic parent's children go once their last socket has
//! left (registry, parent's list, adapter); names too long are refused.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use edgeio::server::adapter::{AdapterFuture, AdapterHandle, LocalAdapter, RoomIndex};
use edgeio::server::{Adapter, AdapterFactory, Io, IoConfig, RecoveryConfig};

use super::sio_client::{next_text, send, serve};
use super::{answer_pings, eventually, open, ping, pinging};

/// The in-memory adapter, counted while alive.
struct Counted {
    inner: LocalAdapter,
    alive: Arc<AtomicUsize>,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.alive.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Adapter for Counted {
    fn room_index(&self) -> &RoomIndex {
        self.inner.room_index()
    }

    fn init(&self, handle: AdapterHandle) -> AdapterFuture<()> {
        self.inner.init(handle)
    }
}

fn counted(alive: &Arc<AtomicUsize>) -> AdapterFactory {
    let alive = alive.clone();
    AdapterFactory::new(move |ctx| {
        alive.fetch_add(1, Ordering::SeqCst);
        Arc::new(Counted {
            inner: LocalAdapter::new(&ctx.ns, ctx.events.clone()),
            alive: alive.clone(),
        })
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn dynamic_namespaces_go_when_their_last_socket_leaves() {
    let alive = Arc::new(AtomicUsize::new(0));
    let io = Io::new(IoConfig {
        adapter: counted(&alive),
        ..IoConfig::default()
    });
    pinging(&io);
    let parent = io.of_dynamic(|name, _| name.starts_with("/room-"));
    parent.on_connection(answer_pings);
    let statics = io.namespace_names();
    let adapters = alive.load(Ordering::SeqCst);
    assert_eq!(statics, vec!["/".to_owned()]);
    assert_eq!(adapters, 2, "the main namespace and the dynamic parent");

    let (addr, stop) = serve(&io).await;
    let mut ws = open(addr).await;
    send(&mut ws, "40").await;
    assert!(next_text(&mut ws).await.starts_with("40{"));
    for i in 0..1000 {
        send(&mut ws, &format!("40/room-{i},")).await;
        let answer = next_text(&mut ws).await;
        assert!(answer.starts_with(&format!("40/room-{i},")), "{answer}");
        send(&mut ws, &format!("41/room-{i},")).await;
    }
    ping(&mut ws, "/", 1).await;
    eventually("the dynamic namespaces to go", || {
        io.namespace_names() == statics
    })
    .await;
    eventually("their adapters to be dropped", || {
        alive.load(Ordering::SeqCst) == adapters
    })
    .await;

    // A parent's broadcast reaches a child made anew, and only it.
    send(&mut ws, "40/room-7,").await;
    assert!(next_text(&mut ws).await.starts_with("40/room-7,"));
    parent.emit("news", 1).expect("emit");
    assert_eq!(next_text(&mut ws).await, r#"42/room-7,["news",1]"#);
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread")]
async fn with_recovery_an_empty_dynamic_namespace_goes_after_the_window() {
    let io = Io::new(IoConfig {
        recovery: Some(RecoveryConfig {
            max_disconnection_duration: Duration::from_millis(200),
            ..RecoveryConfig::default()
        }),
        ..IoConfig::default()
    });
    pinging(&io);
    io.of_dynamic(|name, _| name.starts_with("/room-"));
    let (addr, stop) = serve(&io).await;
    let mut ws = open(addr).await;
    send(&mut ws, "40").await;
    assert!(next_text(&mut ws).await.starts_with("40{"));
    for i in 0..20 {
        send(&mut ws, &format!("40/room-{i},")).await;
        assert!(next_text(&mut ws)
            .await
            .starts_with(&format!("40/room-{i},")));
    }
    // The connection drops: the sockets may come back within the window.
    drop(ws);
    eventually("the dynamic namespaces to go", || {
        io.namespace_names() == ["/"]
    })
    .await;
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_namespace_name_too_long_is_an_invalid_namespace() {
    let io = Io::new(IoConfig {
        max_namespace_name_len: 64,
        ..IoConfig::default()
    });
    pinging(&io);
    io.of_dynamic(|name, _| name.starts_with("/d"));
    let (addr, stop) = serve(&io).await;
    let mut ws = open(addr).await;
    send(&mut ws, "40").await;
    assert!(next_text(&mut ws).await.starts_with("40{"));

    let long = format!("/d{}", "x".repeat(63));
    send(&mut ws, &format!("40{long},")).await;
    assert_eq!(
        next_text(&mut ws).await,
        format!(r#"44{long},{{"message":"Invalid namespace"}}"#)
    );
    assert!(!io.namespace_names().contains(&long));
    let fits = format!("/d{}", "x".repeat(62));
    send(&mut ws, &format!("40{fits},")).await;
    assert!(next_text(&mut ws).await.starts_with(&format!("40{fits},")));
    ping(&mut ws, "/", 1).await;
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_room_name_too_long_is_not_joined() {
    let io = Io::new(IoConfig {
        max_room_name_len: 32,
        ..IoConfig::default()
    });
    io.main().on_connection(|socket| {
        socket.on("join", |socket, event| {
            let room: String = event.arg(0).unwrap_or_default();
            socket.join(room.as_str());
            if let Some(ack) = event.ack {
                let _ = ack.send(socket.rooms().contains(&room));
            }
        });
    });
    let (addr, stop) = serve(&io).await;
    let mut ws = open(addr).await;
    send(&mut ws, "40").await;
    assert!(next_text(&mut ws).await.starts_with("40{"));

    let long = "r".repeat(33);
    send(&mut ws, &format!(r#"421["join","{long}"]"#)).await;
    assert_eq!(next_text(&mut ws).await, "431[false]");
    assert!(!io.main().rooms().contains(&long));
    let fits = "r".repeat(32);
    send(&mut ws, &format!(r#"422["join","{fits}"]"#)).await;
    assert_eq!(next_text(&mut ws).await, "432[true]");
    let _ = stop.send(());
}
