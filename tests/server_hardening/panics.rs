//! Application code that panics: the panic is caught and logged, and the
//! session goes on — an event's handlers, listeners and middlewares; a
//! connection middleware refuses the socket at once; a connection handler
//! has the socket leave cleanly; a disconnect handler does not keep the
//! socket in its namespace.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use edgeio::server::{Io, IoConfig};

use super::sio_client::{join, next_text, send, serve};
use super::{answer_pings, eventually, open, ping};

#[tokio::test(flavor = "multi_thread")]
async fn a_panicking_event_handler_leaves_the_session_working() {
    let io = Io::new(IoConfig::default());
    io.main().on_connection(|socket| {
        answer_pings(socket);
        socket.on("boom", |_, _| panic!("handler boom"));
        socket.on_any(|_, name, _| {
            if name == "boom-any" {
                panic!("listener boom");
            }
        });
        socket.use_middleware(|_, event| {
            if event.name == "boom-middleware" {
                panic!("middleware boom");
            }
            Ok(())
        });
    });
    let (addr, stop) = serve(&io).await;
    let (mut ws, answer) = join(addr, "", "").await;
    assert!(answer.starts_with("40"), "{answer}");
    for (i, event) in ["boom", "boom-any", "boom-middleware"].iter().enumerate() {
        send(&mut ws, &format!(r#"42["{event}"]"#)).await;
        ping(&mut ws, "/", i as u32).await;
    }
    assert_eq!(io.main().socket_count(), 1);
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_panicking_connection_middleware_refuses_the_socket() {
    let io = Io::new(IoConfig::default());
    io.of("/guarded")
        .use_middleware(|_socket| async move { panic!("middleware boom") });
    io.main().on_connection(answer_pings);
    let (addr, stop) = serve(&io).await;
    let mut ws = open(addr).await;
    send(&mut ws, "40/guarded,").await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"44/guarded,{"message":"Internal server error"}"#
    );
    assert_eq!(io.of("/guarded").socket_count(), 0);
    send(&mut ws, "40").await;
    assert!(next_text(&mut ws).await.starts_with("40{"));
    ping(&mut ws, "/", 1).await;
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_panicking_connection_handler_disconnects_its_socket_cleanly() {
    let io = Io::new(IoConfig::default());
    let told = Arc::new(AtomicBool::new(false));
    {
        let told = told.clone();
        io.of("/fragile").on_connection(move |socket| {
            socket.join("half-set-up");
            let told = told.clone();
            socket.on_disconnect(move |_, _| told.store(true, Ordering::SeqCst));
            panic!("connection handler boom");
        });
    }
    io.main().on_connection(answer_pings);
    let (addr, stop) = serve(&io).await;
    let mut ws = open(addr).await;
    send(&mut ws, "40/fragile,").await;
    assert!(next_text(&mut ws).await.starts_with("40/fragile,{\"sid\""));
    assert_eq!(next_text(&mut ws).await, "41/fragile,");
    assert_eq!(io.of("/fragile").socket_count(), 0);
    assert!(io.of("/fragile").rooms().is_empty());
    assert!(told.load(Ordering::SeqCst), "its disconnect handler ran");
    send(&mut ws, "40").await;
    assert!(next_text(&mut ws).await.starts_with("40{"));
    ping(&mut ws, "/", 1).await;
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_panicking_disconnect_handler_does_not_keep_the_socket() {
    let io = Io::new(IoConfig::default());
    let second_ran = Arc::new(AtomicBool::new(false));
    {
        let second_ran = second_ran.clone();
        io.main().on_connection(move |socket| {
            socket.on_disconnect(|_, _| panic!("disconnect boom"));
            let second_ran = second_ran.clone();
            socket.on_disconnect(move |_, _| second_ran.store(true, Ordering::SeqCst));
        });
    }
    let (addr, stop) = serve(&io).await;
    let (ws, answer) = join(addr, "", "").await;
    assert!(answer.starts_with("40"), "{answer}");
    drop(ws);
    eventually("the socket to leave", || io.main().socket_count() == 0).await;
    assert!(io.main().rooms().is_empty());
    assert!(second_ran.load(Ordering::SeqCst));
    let _ = stop.send(());
}
