//! The request/response operations go through the adapter: an adapter that
//! stands for a cluster (it pretends another node holds socket `far-1`)
//! overrides only the trait methods, and the server API — `fetch_sockets`
//! and the `RemoteSocket` actions, `server_side_emit_with_ack`,
//! `server_count`, `all_rooms` — follows it, next to a real local client.

mod sio_client;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use edgeio::engine::Frame;
use edgeio::protocol::Packet;
use edgeio::server::adapter::{
    ready, Acks, Adapter, AdapterFactory, AdapterFuture, Answers, BroadcastOptions, LocalNamespace,
    RemoteSocketData, Room, RoomIndex,
};
use edgeio::server::{AckResponse, Io, IoConfig};
use serde_json::{json, Value};
use sio_client::{join, serve, sid_of, LIMIT};

/// What the fake cluster was asked to do for the far node, in order.
type Log = Arc<Mutex<Vec<String>>>;

struct FakeCluster {
    rooms: RoomIndex,
    log: Log,
}

const FAR: &str = "far-1";

impl FakeCluster {
    /// Records `what` when `opts` reaches the far socket.
    fn far(&self, opts: &BroadcastOptions, what: String) -> bool {
        let reached = opts.rooms.is_empty() || opts.rooms.contains(FAR);
        if reached && !opts.local {
            self.log.lock().expect("log").push(what);
        }
        reached
    }
}

fn sorted(rooms: &HashSet<Room>) -> String {
    let mut r: Vec<_> = rooms.iter().cloned().collect();
    r.sort();
    r.join(",")
}

impl Adapter for FakeCluster {
    fn room_index(&self) -> &RoomIndex {
        &self.rooms
    }

    fn broadcast(
        &self,
        nsp: &LocalNamespace<'_>,
        packet: &Packet,
        frames: &[Frame],
        opts: &BroadcastOptions,
    ) -> AdapterFuture<()> {
        nsp.deliver(&self.local_targets(opts), packet, frames, opts.volatile);
        let name = packet.event_name().unwrap_or_default();
        self.far(opts, format!("emit {} {name}", sorted(&opts.rooms)));
        ready(Ok(()))
    }

    fn broadcast_with_ack(
        &self,
        _nsp: &LocalNamespace<'_>,
        packet: &Packet,
        opts: &BroadcastOptions,
        _timeout: Duration,
    ) -> AdapterFuture<Acks> {
        let name = packet.event_name().unwrap_or_default();
        let mut acks = Acks::default();
        if self.far(opts, format!("ask {} {name}", sorted(&opts.rooms))) {
            acks.responses.push(AckResponse {
                args: vec![json!("from far")],
                bins: Vec::new(),
            });
        }
        ready(Ok(acks))
    }

    fn fetch_sockets(
        &self,
        nsp: &LocalNamespace<'_>,
        opts: &BroadcastOptions,
    ) -> AdapterFuture<Vec<RemoteSocketData>> {
        let mut found = nsp.socket_data(&self.local_targets(opts));
        if opts.rooms.is_empty() || opts.rooms.contains(FAR) {
            found.push(RemoteSocketData {
                id: FAR.to_owned(),
                rooms: vec![FAR.to_owned()],
                data: json!({"node": "b"}),
                ..RemoteSocketData::default()
            });
        }
        ready(Ok(found))
    }

    fn add_sockets(
        &self,
        nsp: &LocalNamespace<'_>,
        opts: &BroadcastOptions,
        rooms: &[Room],
    ) -> AdapterFuture<()> {
        nsp.join(&self.local_targets(opts), rooms);
        self.far(
            opts,
            format!("join {} {}", sorted(&opts.rooms), rooms.join(",")),
        );
        ready(Ok(()))
    }

    fn del_sockets(
        &self,
        nsp: &LocalNamespace<'_>,
        opts: &BroadcastOptions,
        rooms: &[Room],
    ) -> AdapterFuture<()> {
        nsp.leave(&self.local_targets(opts), rooms);
        self.far(
            opts,
            format!("leave {} {}", sorted(&opts.rooms), rooms.join(",")),
        );
        ready(Ok(()))
    }

    fn disconnect_sockets(
        &self,
        nsp: &LocalNamespace<'_>,
        opts: &BroadcastOptions,
        close: bool,
    ) -> AdapterFuture<()> {
        nsp.disconnect(&self.local_targets(opts), close);
        self.far(opts, format!("disconnect {}", sorted(&opts.rooms)));
        ready(Ok(()))
    }

    fn server_side_emit_with_ack(
        &self,
        _nsp: &LocalNamespace<'_>,
        name: &str,
        _args: &[Value],
        _timeout: Duration,
    ) -> AdapterFuture<Answers<Value>> {
        ready(Ok(Answers {
            answers: vec![json!(format!("b answers {name}"))],
            missing: 1,
        }))
    }

    fn server_count(&self) -> AdapterFuture<usize> {
        ready(Ok(3))
    }

    fn all_rooms(&self, _nsp: &LocalNamespace<'_>) -> AdapterFuture<Vec<Room>> {
        let mut all = self.rooms();
        all.push("far-room".to_owned());
        ready(Ok(all))
    }
}

fn cluster_io(log: &Log) -> Io {
    let log = log.clone();
    Io::new(IoConfig {
        adapter: AdapterFactory::new(move |_ctx| {
            Arc::new(FakeCluster {
                rooms: RoomIndex::new(),
                log: log.clone(),
            })
        }),
        ..IoConfig::default()
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_socket_of_another_node_is_fetched_and_acted_on_through_the_adapter() {
    let log = Log::default();
    let io = cluster_io(&log);
    let (addr, stop) = serve(&io).await;
    let (_near, answer) = join(addr, "", "").await;
    let near_id = sid_of(&answer);

    let fetched = io.fetch_sockets().await.expect("fetch");
    let ids: Vec<&str> = fetched.iter().map(|s| s.id()).collect();
    assert_eq!(ids, vec![near_id.as_str(), FAR]);
    let far = &fetched[1];
    assert_eq!(far.data::<Value>(), Some(json!({"node": "b"})));
    assert_eq!(far.rooms(), [FAR.to_owned()].as_slice());

    far.emit("hello", 1).expect("emit");
    far.join("vip").expect("join");
    far.leave("vip").expect("leave");
    let acked = tokio::time::timeout(LIMIT, far.emit_with_ack("ask", vec![], LIMIT))
        .await
        .expect("in time")
        .expect("acknowledged");
    assert_eq!(acked.args, vec![json!("from far")]);
    far.disconnect().expect("disconnect");
    assert_eq!(
        *log.lock().expect("log"),
        vec![
            "emit far-1 hello",
            "join far-1 vip",
            "leave far-1 vip",
            "ask far-1 ask",
            "disconnect far-1",
        ]
    );
    // The local client was not touched by the far socket's actions.
    assert_eq!(io.main().socket_count(), 1);
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread")]
async fn counts_rooms_and_server_side_acks_come_from_the_adapter() {
    let log = Log::default();
    let io = cluster_io(&log);
    assert_eq!(io.server_count().await, Ok(3));
    let rooms = io.main().all_rooms().await.expect("rooms");
    assert!(rooms.contains(&"far-room".to_owned()), "{rooms:?}");

    // One node answered, one did not: the error holds both facts.
    let err = io
        .main()
        .server_side_emit_with_ack("load", &[], LIMIT)
        .await
        .expect_err("one node missing");
    assert_eq!(err.received, vec![json!("b answers load")]);
    assert_eq!(err.missing, 1);
    assert_eq!(
        err.to_string(),
        "acknowledgement timed out: 1 of 2 nodes did not answer"
    );
}
