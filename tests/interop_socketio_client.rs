//! Interop: the official npm `socket.io-client` (pinned in
//! `tests/interop/package.json`) against an edgeio server built in-process
//! with the public Socket.IO API (`tests/interop_sio/app.rs`). Each test
//! starts its own server on a free loopback port and runs one scenario of
//! `tests/interop/socketio_client.mjs` under Node, on one transport:
//! polling only, WebSocket only, or polling upgraded to WebSocket.
//!
//! Needs Node.js and `npm ci --prefix tests/interop` (`.ci/run` does both);
//! without them these tests fail, they never pass silently.

mod interop_sio;
mod node_support;

use std::time::{Duration, Instant};

use interop_sio::harness::{require_node_client, run_then, Kind, Server};

/// Three tests, one per transport, for a scenario.
macro_rules! scenario {
    ($(#[$attr:meta])* $name:ident, $kind:expr, $scenario:literal) => {
        scenario!($(#[$attr])* $name, $kind, $scenario, |_: &mut Server| {});
    };
    ($(#[$attr:meta])* $name:ident, $kind:expr, $scenario:literal, $after:expr) => {
        mod $name {
            use super::*;

            #[test]
            $(#[$attr])*
            fn polling() {
                run_then($kind, $scenario, "polling", $after);
            }

            #[test]
            $(#[$attr])*
            fn websocket() {
                run_then($kind, $scenario, "websocket", $after);
            }

            #[test]
            $(#[$attr])*
            fn polling_upgraded_to_websocket() {
                run_then($kind, $scenario, "default", $after);
            }
        }
    };
}

// Namespaces: `/`, `/custom`, dynamic ones, multiplexing, an invalid one.
scenario!(connect, Kind::Plain, "connect");
// The auth payload (object, function, none) as the server sees it.
scenario!(auth, Kind::Plain, "auth");
// A middleware's refusal reaches the client as connect_error with its data.
scenario!(middleware, Kind::Plain, "middleware");
// Acks both ways, several arguments, server-side ack timeout, on_any.
scenario!(ack, Kind::Plain, "ack");
// Buffers nested in objects and arrays, both ways, in events and acks.
scenario!(binary, Kind::Plain, "binary");
// Rooms and every broadcast operator, with four clients.
scenario!(rooms, Kind::Plain, "rooms");
// Broadcasts collecting acks, and timing out on a client that never answers.
scenario!(broadcast_ack, Kind::Plain, "broadcast-ack");
// A dropped transport: missed broadcasts replayed, id and rooms kept.
scenario!(recovery, Kind::Recovery, "recovery");
// The same, the client being the only member of the room broadcast to while
// it is away.
scenario!(recovery_alone, Kind::Recovery, "recovery-alone");
// Client `socket.disconnect()`: "client namespace disconnect".
scenario!(disconnect_client, Kind::Plain, "disconnect-client");
// Server `socket.disconnect()`: "io server disconnect" for the client.
scenario!(disconnect_server, Kind::Plain, "disconnect-server");
// The client closes the connection, or its TCP connection is cut.
scenario!(transport_close, Kind::Plain, "transport-close");
// The client's TCP connection is cut under its WebSocket, without a close
// frame: socket.io (the `ws` module) reports "transport close".
mod transport_cut {
    use super::*;

    #[test]
    fn websocket() {
        run_then(Kind::Plain, "transport-cut", "websocket", |_| {});
    }

    #[test]
    fn polling_upgraded_to_websocket() {
        run_then(Kind::Plain, "transport-cut", "default", |_| {});
    }
}
// A client that stops answering pings: "ping timeout" on the server.
scenario!(ping_timeout, Kind::FastPing, "ping-timeout");
// Malformed packets: "parse error" on the server, the others unaffected.
scenario!(parse_error, Kind::Plain, "parse-error");
// Server shutdown: "transport close" for the client (checked by the script),
// "server shutting down" for each of its three sockets (checked here).
scenario!(shutdown, Kind::Plain, "shutdown", check_shut_down);

fn check_shut_down(server: &mut Server) {
    assert!(
        server.wait_stopped(),
        "serve() did not return after the shutdown"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut seen: Vec<_> = server
            .observed()
            .into_iter()
            .map(|o| (o.ns, o.reason))
            .collect();
        seen.sort();
        let shutting_down = |ns: &str| (ns.to_owned(), "server shutting down".to_owned());
        let expected = vec![
            shutting_down("/"),
            shutting_down("/"),
            shutting_down("/custom"),
        ];
        if seen == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "server-side disconnections after the shutdown: expected {expected:?}, got {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The script refuses unknown scenarios and transports (a typo in a test
/// name must not pass).
#[test]
fn unknown_scenario_is_refused() {
    require_node_client();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop");
    let status = std::process::Command::new("node")
        .args([
            "socketio_client.mjs",
            "http://127.0.0.1:9",
            "no-such-scenario",
        ])
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .status();
    match status {
        Ok(s) => assert_eq!(s.code(), Some(2), "unknown scenario: {s}"),
        Err(e) => panic!("`node` is not runnable ({e}): install Node.js, or run `.ci/run`"),
    }
}
