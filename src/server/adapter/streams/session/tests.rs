//! The session value against one Node's adapter wrote, and the filter of
//! missed broadcasts.

use serde_json::json;

use super::*;

/// Kept by socket.io 4.8.1 with `@socket.io/redis-streams-adapter` 0.3.1
/// for a socket in room `r1` whose data is `{node: "node", n: 1}`, left with
/// "transport close" (read with `redis-cli GET sio:session:<pid>`; its PTTL
/// was the server's `maxDisconnectionDuration`).
const FROM_NODE: &str = "hKNzaWS0Vm1qaEZOQldNakQwXzlNSUFBQUGjcGlktDdTN2VhS05odkNhQ28wcGpBQUFCpXJvb21zkrRWbWpoRk5CV01qRDBfOU1JQUFBQaJyMaRkYXRhgqRub2RlpG5vZGWhbgE=";

#[test]
fn a_session_node_kept_decodes() {
    let session = decode(FROM_NODE.as_bytes()).expect("decodes");
    assert_eq!(session.sid.as_str(), "VmjhFNBWMjD0_9MIAAAA");
    assert_eq!(session.pid.as_str(), "7S7eaKNhvCaCo0pjAAAB");
    assert_eq!(
        session.rooms,
        vec!["VmjhFNBWMjD0_9MIAAAA".to_owned(), "r1".to_owned()]
    );
    assert_eq!(session.data, Some(json!({"node": "node", "n": 1})));
}

#[test]
fn what_edgeio_keeps_is_what_node_keeps() {
    let session = Session {
        sid: Sid::from("VmjhFNBWMjD0_9MIAAAA"),
        pid: Sid::from("7S7eaKNhvCaCo0pjAAAB"),
        rooms: vec!["r1".into()],
        data: Some(json!({"node": "node", "n": 1})),
    };
    assert_eq!(encode(&session), FROM_NODE);
    let back = decode(encode(&session).as_bytes()).expect("decodes");
    assert_eq!(
        back.rooms,
        vec!["VmjhFNBWMjD0_9MIAAAA".to_owned(), "r1".to_owned()]
    );
}

#[test]
fn data_not_set_is_kept_as_nodes_default() {
    let session = Session {
        sid: Sid::from("s"),
        pid: Sid::from("p"),
        rooms: vec![],
        data: None,
    };
    let back = decode(encode(&session).as_bytes()).expect("decodes");
    assert_eq!(back.data, Some(json!({})));
    assert_eq!(back.rooms, vec!["s".to_owned()]);
}

#[test]
fn malformed_values_are_refused() {
    assert!(matches!(
        decode(b"not base64!"),
        Err(SessionError::Malformed(_))
    ));
    // base64 of MessagePack `1`, not a map.
    assert!(matches!(decode(b"AQ=="), Err(SessionError::Malformed(_))));
    let huge = vec![b'A'; MAX_MESSAGE_BYTES + 4];
    assert_eq!(
        decode(&huge),
        Err(SessionError::TooLarge(MAX_MESSAGE_BYTES + 4))
    );
    let no_rooms = BASE64.encode(encode_msgpack(&Value::Map(vec![
        (Value::from("sid"), Value::from("s")),
        (Value::from("pid"), Value::from("p")),
    ])));
    assert!(decode(no_rooms.as_bytes()).is_err());
}

fn filter(rooms: &[&str], except: &[&str]) -> Filter {
    Filter {
        rooms: rooms.iter().map(|r| r.to_string()).collect(),
        except: except.iter().map(|r| r.to_string()).collect(),
        local: false,
        volatile: false,
        timeout: None,
    }
}

#[test]
fn missed_broadcasts_are_those_that_reach_the_rooms() {
    let rooms = vec!["sid1".to_owned(), "r1".to_owned()];
    assert!(reaches(&rooms, &filter(&[], &[])));
    assert!(reaches(&rooms, &filter(&["r1"], &[])));
    assert!(reaches(&rooms, &filter(&["r2", "sid1"], &[])));
    assert!(!reaches(&rooms, &filter(&["r2"], &[])));
    assert!(!reaches(&rooms, &filter(&["r1"], &["sid1"])));
    assert!(!reaches(&rooms, &filter(&[], &["r1"])));
    assert!(reaches(&rooms, &filter(&["r1"], &["r2"])));
}
