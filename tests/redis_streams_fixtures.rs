//! The wire format of Node's `@socket.io/redis-streams-adapter` 0.3.x,
//! against what the real package writes to a real Redis:
//! `fixtures/redis-streams-adapter/cases.json`, recorded by
//! `tests/interop/redis_streams_fixtures.mjs`. Every stream entry decodes
//! and encodes back to the same fields, every pub/sub message to the same
//! bytes; the messages the adapter acts on read as the values written here,
//! and the adapter's own messages are built exactly as Node builds them.
//! Malformed input is refused with a typed error. A last test re-runs the
//! recorder against a redis-server of its own.

mod node_support;
mod redis_support;

use std::process::Command;

use edgeio::server::adapter::streams::wire::{
    entry, pubsub, Body, ClusterMessage, Filter, MessageType, StreamsWireError, Value,
    MAX_MESSAGE_BYTES,
};

const CASES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/redis-streams-adapter/cases.json"
);

/// One recorded write: a stream entry's fields, or a pub/sub message.
enum Recorded {
    Entry(Vec<(String, String)>),
    Message { channel: String, bytes: Vec<u8> },
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("fixture hex"))
        .collect()
}

fn cases() -> Vec<(String, Recorded)> {
    let text = std::fs::read_to_string(CASES).expect("read cases.json");
    let index: serde_json::Value = serde_json::from_str(&text).expect("cases.json is JSON");
    index["cases"]
        .as_array()
        .expect("cases array")
        .iter()
        .map(|c| {
            let name = c["name"].as_str().expect("name").to_owned();
            let recorded = if c["via"] == "stream" {
                let flat: Vec<String> = c["fields"]
                    .as_array()
                    .expect("fields")
                    .iter()
                    .map(|f| f.as_str().expect("a string field").to_owned())
                    .collect();
                Recorded::Entry(
                    flat.chunks(2)
                        .map(|p| (p[0].clone(), p[1].clone()))
                        .collect(),
                )
            } else {
                Recorded::Message {
                    channel: c["channel"].as_str().expect("channel").to_owned(),
                    bytes: unhex(c["hex"].as_str().expect("hex")),
                }
            };
            (name, recorded)
        })
        .collect()
}

fn decode(recorded: &Recorded) -> Result<ClusterMessage, StreamsWireError> {
    match recorded {
        Recorded::Entry(fields) => {
            entry::decode(fields.iter().map(|(k, v)| (k.as_str(), v.as_bytes())))
        }
        Recorded::Message { bytes, .. } => pubsub::decode(bytes),
    }
}

fn case(name: &str) -> ClusterMessage {
    let all = cases();
    let (_, recorded) = all.iter().find(|(n, _)| n == name).expect("the case");
    decode(recorded).expect("decodes")
}

fn s(x: &str) -> Value {
    Value::from(x)
}

fn strs(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|x| x.to_string()).collect()
}

#[test]
fn every_fixture_decodes_and_encodes_to_what_node_wrote() {
    let cases = cases();
    assert!(cases.len() >= 14, "fixtures lost cases");
    let mut failures = Vec::new();
    for (name, recorded) in &cases {
        let message = match decode(recorded) {
            Ok(m) => m,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        if let Err(e) = Body::of(&message) {
            failures.push(format!("{name}: body: {e}"));
        }
        match recorded {
            Recorded::Entry(fields) => {
                assert!(!message.is_ephemeral(), "{name} travels on the stream");
                let again: Vec<(String, String)> = entry::encode(&message)
                    .expect("encodes")
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect();
                if &again != fields {
                    failures.push(format!("{name}: re-encodes to {again:?}"));
                }
            }
            Recorded::Message { channel, bytes } => {
                let public = pubsub::public_channel("socket.io", "/");
                assert!(
                    channel == &public || message.kind.number() >= 8,
                    "{name}: requests on the public channel, answers on a private one"
                );
                if channel == &public {
                    assert!(message.is_ephemeral(), "{name} is ephemeral");
                }
                if &pubsub::encode(&message) != bytes {
                    failures.push(format!("{name}: re-encodes to other bytes"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn the_messages_the_adapter_acts_on_read_as_node_meant_them() {
    let m = case("broadcast_all");
    assert_eq!((m.uid.as_str(), m.nsp.as_str()), ("nodeA1", "/"));
    assert_eq!(m.kind, MessageType::Broadcast);
    let Body::Broadcast {
        packet,
        filter,
        request_id: None,
    } = Body::of(&m).expect("body")
    else {
        panic!("not a plain broadcast");
    };
    assert_eq!(filter, Filter::default());
    let data = Value::Array(vec![
        s("hello"),
        Value::from(1),
        Value::from(-2),
        Value::F64(1.5),
        Value::Nil,
        Value::from(true),
    ]);
    assert_eq!(
        packet,
        Value::Map(vec![(s("type"), Value::from(2)), (s("data"), data)])
    );

    let Body::Broadcast { filter, .. } = Body::of(&case("broadcast_room_except_flags")).unwrap()
    else {
        panic!("not a broadcast");
    };
    assert_eq!(filter.rooms, strs(&["room1"]));
    assert_eq!(filter.except, strs(&["sidX"]));
    assert!(filter.volatile && !filter.local);

    let Body::Broadcast { packet, .. } = Body::of(&case("broadcast_binary")).unwrap() else {
        panic!("not a broadcast");
    };
    let Value::Map(pairs) = &packet else { panic!() };
    let Value::Array(items) = &pairs[1].1 else {
        panic!("data")
    };
    assert_eq!(items[1], Value::Binary(vec![1, 2, 3, 255]));

    let chat = case("broadcast_custom_stream_nsp");
    assert_eq!(chat.nsp, "/chat");

    assert_eq!(
        Body::of(&case("sockets_join")).unwrap(),
        Body::SocketsJoin {
            filter: Filter {
                rooms: strs(&["room1"]),
                except: strs(&["sidX"]),
                ..Filter::default()
            },
            rooms: strs(&["room2", "room3"]),
        }
    );
    assert_eq!(
        Body::of(&case("sockets_leave")).unwrap(),
        Body::SocketsLeave {
            filter: Filter::default(),
            rooms: strs(&["room2"]),
        }
    );
    assert_eq!(
        Body::of(&case("disconnect_sockets")).unwrap(),
        Body::DisconnectSockets {
            filter: Filter {
                rooms: strs(&["room1"]),
                ..Filter::default()
            },
            close: true,
        }
    );
    let hello = Value::Map(vec![(s("n"), Value::from(1))]);
    assert_eq!(
        Body::of(&case("server_side_emit")).unwrap(),
        Body::ServerSideEmit {
            packet: vec![s("hello"), hello],
            request_id: None,
        }
    );
    let Body::ServerSideEmit { request_id, .. } =
        Body::of(&case("server_side_emit_with_ack")).unwrap()
    else {
        panic!("not an emit")
    };
    assert_eq!(request_id.as_deref(), Some("7265713030303033"));
    let Body::FetchSockets { filter, request_id } = Body::of(&case("fetch_sockets")).unwrap()
    else {
        panic!("not a fetch")
    };
    assert_eq!(
        (filter.timeout, request_id.as_str()),
        (Some(60_000), "7265713030303034")
    );
    assert!(case("broadcast_with_ack").is_ephemeral());
    assert_eq!(
        Body::of(&case("fetch_sockets_response")).unwrap(),
        Body::Other
    );
}

#[test]
fn what_edgeio_sends_is_byte_for_byte_what_node_sends() {
    for name in [
        "broadcast_all",
        "sockets_join",
        "sockets_leave",
        "disconnect_sockets",
        "server_side_emit",
        "server_side_emit_with_ack",
        "fetch_sockets",
        "broadcast_with_ack",
    ] {
        let recorded = case(name);
        let rebuilt = Body::of(&recorded)
            .expect("body")
            .into_message(&recorded.uid, &recorded.nsp)
            .expect("a message");
        assert_eq!(rebuilt, recorded, "{name}");
    }
}

/// A stream entry's fields, as Redis hands them over.
type Fields<'a> = &'a [(&'a str, &'a [u8])];

fn fields<'a>(pairs: &'a [(&'a str, &'a [u8])]) -> impl Iterator<Item = (&'a str, &'a [u8])> {
    pairs.iter().copied()
}

#[test]
fn malformed_entries_are_refused_with_a_typed_error() {
    let ok: &[(&str, &[u8])] = &[("uid", b"n"), ("nsp", b"/"), ("type", b"4")];
    assert!(entry::decode(fields(ok)).is_ok(), "no data is allowed");
    let cases: Vec<(Fields<'_>, StreamsWireError)> = vec![
        (
            &[("nsp", b"/"), ("type", b"3")],
            StreamsWireError::Missing("uid"),
        ),
        (
            &[("uid", b"n"), ("type", b"3")],
            StreamsWireError::Missing("nsp"),
        ),
        (
            &[("uid", b"n"), ("nsp", b"/")],
            StreamsWireError::Missing("type"),
        ),
        (
            &[("uid", b"n"), ("nsp", b"/"), ("type", b"99")],
            StreamsWireError::UnknownType("99".into()),
        ),
        (
            &[("uid", b"n"), ("nsp", b"/"), ("type", b"x3")],
            StreamsWireError::UnknownType("x3".into()),
        ),
        (
            &[("uid", b"\xff"), ("nsp", b"/"), ("type", b"3")],
            StreamsWireError::WrongType("uid"),
        ),
    ];
    for (pairs, expected) in cases {
        assert_eq!(entry::decode(fields(pairs)), Err(expected));
    }
    for data in [&b"{not json"[..], b"!!!not base64", b"kw==", b"gqFhAQ=="] {
        // `kw==` is a 3-element array header with no elements; `gqFhAQ==`
        // a map announcing 2 pairs and holding 1.
        let pairs: &[(&str, &[u8])] =
            &[("uid", b"n"), ("nsp", b"/"), ("type", b"3"), ("data", data)];
        assert!(
            matches!(entry::decode(fields(pairs)), Err(StreamsWireError::Data(_))),
            "{:?}",
            String::from_utf8_lossy(data)
        );
    }
    let big = vec![b'{'; MAX_MESSAGE_BYTES + 1];
    let pairs: &[(&str, &[u8])] = &[("uid", b"n"), ("nsp", b"/"), ("type", b"3"), ("data", &big)];
    assert!(matches!(
        entry::decode(fields(pairs)),
        Err(StreamsWireError::TooLarge { .. })
    ));
    // A broadcast whose data lacks what a broadcast needs.
    for data in [
        &br#"{"opts":{"rooms":[],"except":[]}}"#[..],
        br#"{"packet":{"type":2,"data":["x"]}}"#,
        br#"{"packet":{"type":2,"data":["x"]},"opts":{"rooms":"r","except":[]}}"#,
        br#"{"packet":{"type":2,"data":["x"]},"opts":{"rooms":[1],"except":[]}}"#,
        br#"{"packet":5,"opts":{"rooms":[],"except":[]}}"#,
    ] {
        let pairs: &[(&str, &[u8])] =
            &[("uid", b"n"), ("nsp", b"/"), ("type", b"3"), ("data", data)];
        let message = entry::decode(fields(pairs)).expect("a well-formed entry");
        assert!(
            Body::of(&message).is_err(),
            "{}",
            String::from_utf8_lossy(data)
        );
    }
}

#[test]
fn malformed_pubsub_messages_are_refused_with_a_typed_error() {
    assert_eq!(
        pubsub::decode(b"\x93\x01\x02\x03"),
        Err(StreamsWireError::WrongType("message"))
    );
    assert!(matches!(
        pubsub::decode(b"\x81\xa3uid"),
        Err(StreamsWireError::Data(_))
    ));
    let good = hex_case("server_side_emit");
    let mut trailing = good.clone();
    trailing.push(0xc0);
    assert!(matches!(
        pubsub::decode(&trailing),
        Err(StreamsWireError::Data(_))
    ));
    // 100 000 nested arrays: refused, not recursed into.
    let deep = vec![0x91u8; 100_000];
    assert!(matches!(
        pubsub::decode(&deep),
        Err(StreamsWireError::Data(_))
    ));
    let big = vec![0xc0u8; MAX_MESSAGE_BYTES + 1];
    assert!(matches!(
        pubsub::decode(&big),
        Err(StreamsWireError::TooLarge { .. })
    ));
    // {type: 77, uid, nsp}
    let unknown = b"\x83\xa4type\x4d\xa3uid\xa1n\xa3nsp\xa1/";
    assert_eq!(
        pubsub::decode(unknown),
        Err(StreamsWireError::UnknownType("77".into()))
    );
}

fn hex_case(name: &str) -> Vec<u8> {
    cases()
        .into_iter()
        .find_map(|(n, r)| match r {
            Recorded::Message { bytes, .. } if n == name => Some(bytes),
            _ => None,
        })
        .expect("the case")
}

/// Re-runs the recorder against a redis-server of this test's own: the
/// fixtures must still be what the pinned package writes.
#[test]
fn fixtures_match_the_node_package() {
    node_support::require_node_package("@socket.io/redis-streams-adapter");
    node_support::require_node_package("redis");
    let redis = redis_support::Redis::start();
    let out = Command::new("node")
        .arg("redis_streams_fixtures.mjs")
        .arg(redis.url())
        .current_dir(node_support::INTEROP_DIR)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "recorder failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let committed = std::fs::read_to_string(CASES).expect("read cases.json");
    assert!(
        String::from_utf8_lossy(&out.stdout) == committed,
        "fixtures/redis-streams-adapter/cases.json differs from what the Node adapter writes now; \
         regenerate (see fixtures/redis-streams-adapter/README.md)"
    );
}
