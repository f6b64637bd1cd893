//! What each recorded message of `fixtures/redis-adapter/cases.json` means:
//! the value the codec must decode it to (and encode back from).

use edgeio::server::adapter::redis::wire::{
    BroadcastFlags, BroadcastMessage, Request, RequestBody, RequestType, Response, ResponseBody,
    SocketFilter, Target, Value, WireOpts, WirePacket, WireSocket,
};
use serde_json::json;

pub fn s(v: &str) -> String {
    v.to_owned()
}

pub fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| s(x)).collect()
}

fn val(json: serde_json::Value) -> Value {
    edgeio::server::adapter::redis::wire::from_json(json)
}

fn filter(rooms: &[&str], except: &[&str]) -> SocketFilter {
    SocketFilter {
        rooms: strs(rooms),
        except: strs(except),
    }
}

fn event(data: Value, nsp: &str) -> WirePacket {
    WirePacket {
        packet_type: 2,
        data: Some(data),
        nsp: s(nsp),
        id: None,
    }
}

fn broadcast(
    uid: &str,
    packet: WirePacket,
    filter: SocketFilter,
    flags: BroadcastFlags,
) -> BroadcastMessage {
    BroadcastMessage {
        uid: s(uid),
        packet,
        opts: WireOpts { filter, flags },
    }
}

fn request(id: Option<&str>, body: RequestBody) -> Request {
    Request {
        uid: s("nodeA1"),
        request_id: id.map(s),
        body,
    }
}

fn response(id: &str, body: ResponseBody) -> Response {
    Response {
        request_id: s(id),
        body,
    }
}

/// What each recorded message means.
pub enum Expected {
    Broadcast(BroadcastMessage),
    Request(Request),
    /// The response, and the type of the request it answers.
    Response(Response, RequestType),
}

pub fn expected(name: &str) -> Expected {
    use Expected::{Broadcast as B, Request as Q, Response as R};
    let none = BroadcastFlags::default();
    match name {
        "broadcast_all" => B(broadcast(
            "nodeA1",
            event(val(json!(["hello", 1, -2, 1.5, null, true])), "/"),
            filter(&[], &[]),
            none,
        )),
        "broadcast_one_room_except" => B(broadcast(
            "nodeA1",
            event(val(json!(["news", {"text": "hi"}])), "/"),
            filter(&["room1"], &["sidX"]),
            BroadcastFlags {
                volatile: Some(true),
                compress: Some(true),
                ..none
            },
        )),
        "broadcast_two_rooms_binary" => B(broadcast(
            "nodeA1",
            event(
                Value::Array(vec![Value::from("file"), Value::Binary(vec![1, 2, 3, 255])]),
                "/",
            ),
            filter(&["r1", "r2"], &[]),
            none,
        )),
        "broadcast_custom_prefix_nsp" => B(broadcast(
            "nodeC3",
            event(val(json!(["in chat"])), "/chat"),
            filter(&[], &[]),
            none,
        )),
        "request_broadcast_with_ack" => Q(request(
            Some("req003"),
            RequestBody::Broadcast {
                packet: event(val(json!(["ping", 3])), "/"),
                opts: WireOpts {
                    filter: filter(&["room1"], &["sidX"]),
                    flags: BroadcastFlags {
                        timeout: Some(5000),
                        ..none
                    },
                },
            },
        )),
        "request_remote_join" => Q(request(
            None,
            RequestBody::RemoteJoin {
                target: Target::Matching(filter(&["room1"], &["sidX"])),
                rooms: strs(&["room2", "room3"]),
            },
        )),
        "request_remote_leave" => Q(request(
            None,
            RequestBody::RemoteLeave {
                target: Target::Matching(filter(&[], &[])),
                rooms: strs(&["room2"]),
            },
        )),
        "request_remote_disconnect" => Q(request(
            None,
            RequestBody::RemoteDisconnect {
                target: Target::Matching(filter(&["room1"], &[])),
                close: true,
            },
        )),
        "request_remote_fetch" => Q(request(
            Some("req004"),
            RequestBody::RemoteFetch {
                filter: filter(&["room1"], &["sidX"]),
            },
        )),
        "request_all_rooms" => Q(request(Some("req005"), RequestBody::AllRooms)),
        "request_server_side_emit" => Q(request(
            None,
            RequestBody::ServerSideEmit {
                data: vec![Value::from("hello"), val(json!({"n": 1}))],
            },
        )),
        "request_server_side_emit_with_ack" => Q(request(
            Some("req006"),
            RequestBody::ServerSideEmit {
                data: vec![Value::from("question"), Value::from(42)],
            },
        )),
        "response_sockets" => R(
            response("r1", ResponseBody::Sockets(strs(&["sid1"]))),
            RequestType::Sockets,
        ),
        "response_all_rooms" => R(
            response(
                "r2",
                ResponseBody::AllRooms(strs(&["sid1", "room1", "sid2"])),
            ),
            RequestType::AllRooms,
        ),
        "response_remote_fetch" => R(
            response(
                "r3",
                ResponseBody::FetchedSockets(vec![WireSocket {
                    id: s("sid1"),
                    handshake: val(json!({
                        "headers": {"host": "localhost:3000", "user-agent": "node"},
                        "time": "Mon Nov 30 2026 05:00:00 GMT+0000",
                        "address": "127.0.0.1",
                        "xdomain": false,
                        "secure": false,
                        "issued": 1_796_014_800_000_u64,
                        "url": "/socket.io/?EIO=4&transport=websocket",
                        "query": {"EIO": "4", "transport": "websocket"},
                        "auth": {"token": "abc"},
                    })),
                    rooms: strs(&["sid1", "room1"]),
                    data: val(json!({"user": "ann", "n": 3})),
                }]),
            ),
            RequestType::RemoteFetch,
        ),
        "response_remote_join_by_sid" => {
            R(response("r4", ResponseBody::Done), RequestType::RemoteJoin)
        }
        "response_server_side_emit_ack" => R(
            response(
                "r5",
                ResponseBody::ServerSideEmitAck(val(json!({"ok": true, "from": "nodeB2"}))),
            ),
            RequestType::ServerSideEmit,
        ),
        "response_broadcast_client_count" => R(
            response("r6", ResponseBody::BroadcastClientCount(1)),
            RequestType::Broadcast,
        ),
        "response_broadcast_ack" => R(
            response(
                "r6",
                ResponseBody::BroadcastAck(Value::Array(vec![
                    Value::from("pong"),
                    Value::Binary(vec![9, 8]),
                ])),
            ),
            RequestType::Broadcast,
        ),
        other => panic!("fixture {other} has no expected value in this test: add one"),
    }
}
