//! CONNECT: a duplicate, while the middlewares run or once in, is ignored —
//! one socket, one middleware run, no ghost; and a client may be in so many
//! namespaces at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use edgeio::server::{ConnectError, Io, IoConfig};
use tokio::sync::Semaphore;

use super::sio_client::{next_text, send, serve, sid_of};
use super::{answer_pings, eventually, open, ping};

#[tokio::test(flavor = "multi_thread")]
async fn a_duplicate_connect_is_ignored_and_leaves_no_ghost() {
    let io = Io::new(IoConfig::default());
    let slow = io.of("/slow");
    let runs = Arc::new(AtomicUsize::new(0));
    let connections = Arc::new(AtomicUsize::new(0));
    // The middleware waits at a gate the test opens.
    let gate = Arc::new(Semaphore::new(0));
    {
        let (runs, gate) = (runs.clone(), gate.clone());
        slow.use_middleware(move |_socket| {
            runs.fetch_add(1, Ordering::SeqCst);
            let gate = gate.clone();
            async move {
                let _permit = gate.acquire().await;
                Ok(())
            }
        });
    }
    {
        let connections = connections.clone();
        slow.on_connection(move |socket| {
            connections.fetch_add(1, Ordering::SeqCst);
            socket.join("room-a");
            answer_pings(socket);
        });
    }
    io.of("/probe").on_connection(answer_pings);
    let (addr, stop) = serve(&io).await;
    let mut ws = open(addr).await;

    // Three CONNECTs while the middleware waits; the answer of a CONNECT
    // sent after them says they were all read.
    for _ in 0..3 {
        send(&mut ws, "40/slow,").await;
    }
    // A CONNECT refused meanwhile leaves the one in progress alone.
    send(&mut ws, "40/nope,").await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"44/nope,{"message":"Invalid namespace"}"#
    );
    send(&mut ws, "40/slow,").await;
    send(&mut ws, "40/probe,").await;
    assert!(next_text(&mut ws).await.starts_with("40/probe,"));
    gate.add_permits(10);
    let answer = next_text(&mut ws).await;
    assert!(answer.starts_with("40/slow,{\"sid\""), "{answer}");
    let sid = sid_of(&answer);
    // The next frame answers the ping: no second CONNECT answer came first.
    ping(&mut ws, "/slow", 1).await;
    ping(&mut ws, "/probe", 9).await;
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the middleware ran once");
    assert_eq!(connections.load(Ordering::SeqCst), 1);
    assert_eq!(slow.socket_count(), 1);

    // Once in, a CONNECT is ignored too: same socket, no second handler run.
    send(&mut ws, "40/slow,").await;
    ping(&mut ws, "/slow", 2).await;
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(connections.load(Ordering::SeqCst), 1);
    assert_eq!(slow.socket_count(), 1);
    assert!(slow.socket(&sid).is_some(), "the socket is the first one");

    // The client goes: nothing of it stays in the namespace or its rooms.
    drop(ws);
    eventually("the namespace to be empty", || slow.socket_count() == 0).await;
    eventually("the rooms to be empty", || slow.rooms().is_empty()).await;
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_joins_so_many_namespaces_at_once() {
    let io = Io::new(IoConfig {
        max_namespaces_per_client: 2,
        ..IoConfig::default()
    });
    for name in ["/a", "/b", "/c"] {
        io.of(name).on_connection(answer_pings);
    }
    io.of("/refusing")
        .use_middleware(|_socket| async move { Err(ConnectError::new("no")) });
    let (addr, stop) = serve(&io).await;
    let mut ws = open(addr).await;
    send(&mut ws, "40/a,").await;
    assert!(next_text(&mut ws).await.starts_with("40/a,"));
    // CONNECTs refused do not count, and may be tried again.
    for _ in 0..2 {
        send(&mut ws, "40/nope,").await;
        assert_eq!(
            next_text(&mut ws).await,
            r#"44/nope,{"message":"Invalid namespace"}"#
        );
        send(&mut ws, "40/refusing,").await;
        assert_eq!(next_text(&mut ws).await, r#"44/refusing,{"message":"no"}"#);
    }
    send(&mut ws, "40/b,").await;
    assert!(next_text(&mut ws).await.starts_with("40/b,"));

    // A third is refused, and the client stays.
    send(&mut ws, "40/c,").await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"44/c,{"message":"Too many namespaces"}"#
    );
    assert_eq!(io.of("/c").socket_count(), 0);
    ping(&mut ws, "/a", 1).await;

    // Leaving one makes room.
    send(&mut ws, "41/b,").await;
    send(&mut ws, "40/c,").await;
    assert!(next_text(&mut ws).await.starts_with("40/c,"));
    ping(&mut ws, "/c", 2).await;
    let _ = stop.send(());
}
