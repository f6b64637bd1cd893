//! The wire format of Node's `@socket.io/redis-adapter` 8.x, against what the
//! real package publishes: `fixtures/redis-adapter/cases.json`, recorded by
//! `tests/interop/redis_adapter_fixtures.mjs` driving the adapter with fake
//! Redis clients. Every case is classified by its channel, decodes to the
//! value written here, and encodes back to the exact same bytes. A last test
//! re-runs the recorder (when Node is installed) and checks the fixtures are
//! still what the pinned package publishes.

#[path = "redis_wire/expected.rs"]
mod expected;
mod node_support;

use std::process::Command;

use edgeio::server::adapter::redis::wire::{
    BroadcastMessage, ChannelKind, Channels, RawResponse, Request, RequestBody, Target, WireError,
};
use expected::{expected, s, strs, Expected};

const CASES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/redis-adapter/cases.json"
);

/// One recorded publish.
struct Case {
    name: String,
    channel: String,
    encoding: String,
    bytes: Vec<u8>,
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("fixture hex"))
        .collect()
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(CASES).expect("read fixtures/redis-adapter/cases.json");
    let index: serde_json::Value = serde_json::from_str(&text).expect("cases.json is JSON");
    index["cases"]
        .as_array()
        .expect("cases array")
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().expect("name").to_owned(),
            channel: c["channel"].as_str().expect("channel").to_owned(),
            encoding: c["encoding"].as_str().expect("encoding").to_owned(),
            bytes: unhex(c["hex"].as_str().expect("hex")),
        })
        .collect()
}

#[test]
fn every_fixture_decodes_to_its_value_and_encodes_to_its_bytes() {
    let cases = cases();
    assert!(
        cases.len() >= 19,
        "fixtures/redis-adapter/cases.json lost cases"
    );
    let mut failures = Vec::new();
    for case in &cases {
        let nsp = if case.channel.starts_with("my-app") {
            "/chat"
        } else {
            "/"
        };
        let prefix = if nsp == "/chat" {
            "my-app"
        } else {
            "socket.io"
        };
        let kind = Channels::new(prefix, nsp).classify(&case.channel);
        let check = |got: Result<Vec<u8>, WireError>| match got {
            Ok(bytes) if bytes == case.bytes => None,
            Ok(bytes) => Some(format!(
                "re-encodes to {bytes:02x?}, not {:02x?}",
                case.bytes
            )),
            Err(e) => Some(format!("does not re-encode: {e}")),
        };
        let problem = match (expected(&case.name), kind) {
            (Expected::Broadcast(want), Some(ChannelKind::Broadcast { room })) => {
                let single = match want.opts.filter.rooms.as_slice() {
                    [one] => Some(one.clone()),
                    _ => None,
                };
                match BroadcastMessage::decode(&case.bytes) {
                    _ if room != single => Some(format!("channel room {room:?}, want {single:?}")),
                    Ok(got) if got == want => check(Ok(got.encode())),
                    other => Some(format!("decodes to {other:?}, want {want:?}")),
                }
            }
            (Expected::Request(want), Some(ChannelKind::Request)) => {
                let wire = if matches!(want.body, RequestBody::Broadcast { .. }) {
                    "msgpack"
                } else {
                    "json"
                };
                match Request::decode(&case.bytes) {
                    _ if case.encoding != wire => {
                        Some(format!("travels as {}, want {wire}", case.encoding))
                    }
                    Ok(got) if got == want => check(got.encode()),
                    other => Some(format!("decodes to {other:?}, want {want:?}")),
                }
            }
            (Expected::Response(want, asked), Some(ChannelKind::Response { node: None })) => {
                match RawResponse::decode(&case.bytes).and_then(|raw| raw.into_response(asked)) {
                    Ok(got) if got == want => check(got.encode()),
                    other => Some(format!("decodes to {other:?}, want {want:?}")),
                }
            }
            (_, kind) => Some(format!("unexpected channel {} ({kind:?})", case.channel)),
        };
        if let Some(p) = problem {
            failures.push(format!("{}: {p}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Node writes numbers and binary the way this codec does, byte for byte:
/// the one binary fixture holds a `bin 8` (0xc4) of the Buffer.
#[test]
fn binary_travels_as_msgpack_bin() {
    let case = cases()
        .into_iter()
        .find(|c| c.name == "broadcast_two_rooms_binary")
        .expect("case");
    let needle = [0xc4, 4, 1, 2, 3, 255];
    assert!(
        case.bytes.windows(needle.len()).any(|w| w == needle),
        "{:02x?}",
        case.bytes
    );
}

/// Malformed messages from a peer are errors, never panics.
#[test]
fn malformed_messages_are_refused() {
    let not_array = [0x80]; // {}
    assert!(BroadcastMessage::decode(&not_array).is_err());
    assert!(BroadcastMessage::decode(&[0x93, 0xa1, b'a']).is_err()); // truncated
    assert!(BroadcastMessage::decode(&[0x90, 0x00]).is_err()); // trailing byte
    assert_eq!(
        Request::decode(b"{\"uid\":\"a\",\"type\":42}"),
        Err(WireError::UnknownType(42))
    );
    assert_eq!(
        Request::decode(b"{\"uid\":\"a\"}"),
        Err(WireError::Missing("type"))
    );
    assert!(matches!(
        Request::decode(b"{not json"),
        Err(WireError::Json(_))
    ));
    assert_eq!(
        Request::decode(b"{\"uid\":\"a\",\"type\":2,\"opts\":{\"rooms\":[[]]}}"),
        Err(WireError::WrongType("rooms"))
    );
    assert_eq!(
        RawResponse::decode(b"{\"rooms\":[]}"),
        Err(WireError::Missing("requestId"))
    );
    // Deep nesting is refused, not recursed into.
    let deep: Vec<u8> = std::iter::repeat_n(0x91, 100_000).chain([0xc0]).collect();
    assert!(BroadcastMessage::decode(&deep).is_err());
}

/// The single-socket forms of join/leave/disconnect (older adapters send
/// them; Node 8.x still answers them) decode and encode too.
#[test]
fn single_socket_requests_round_trip() {
    let join = br#"{"uid":"nodeA1","requestId":"r4","type":2,"sid":"sid1","room":"room9"}"#;
    let got = Request::decode(join).expect("decode");
    assert_eq!(
        got.body,
        RequestBody::RemoteJoin {
            target: Target::Socket(s("sid1")),
            rooms: strs(&["room9"])
        }
    );
    assert_eq!(got.encode().expect("encode"), join.to_vec());
    let kick = br#"{"uid":"nodeA1","requestId":"r7","type":4,"sid":"sid2","close":false}"#;
    let got = Request::decode(kick).expect("decode");
    assert_eq!(
        got.body,
        RequestBody::RemoteDisconnect {
            target: Target::Socket(s("sid2")),
            close: false
        }
    );
    assert_eq!(got.encode().expect("encode"), kick.to_vec());
}

/// Re-runs the recorder against the pinned `@socket.io/redis-adapter` and
/// checks that the committed fixtures are what it publishes. Skipped (with a
/// note) when Node is not installed; the other tests need no Node.
#[test]
fn fixtures_match_the_node_package() {
    if !Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        eprintln!("node is not installed: not regenerating fixtures/redis-adapter");
        return;
    }
    node_support::require_node_package("notepack.io");
    node_support::require_node_package("@socket.io/redis-adapter");
    let out = Command::new("node")
        .arg("redis_adapter_fixtures.mjs")
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
        "fixtures/redis-adapter/cases.json differs from what the Node adapter publishes now; \
         regenerate: node tests/interop/redis_adapter_fixtures.mjs > fixtures/redis-adapter/cases.json"
    );
}
