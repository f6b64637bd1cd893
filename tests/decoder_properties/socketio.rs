//! Socket.IO: the text part of a packet with the default and with tiny
//! limits, completed with its attachments the way the server completes it
//! (one binary message per announced attachment, in order).

use bytes::Bytes;
use edgeio::protocol::{decode, placeholder, Limits, Packet, PacketKind, RESERVED_EVENTS};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::Value;

use super::holds;
use super::invariants::check_sio_text;
use super::json;

/// A namespace: the main one, or `/` and a name without the `,` that ends it.
fn namespace() -> BoxedStrategy<String> {
    prop_oneof![Just("/".to_owned()), "/[^,]{1,10}"].boxed()
}

/// An event's name: any string but a reserved one, or a number (which the
/// reference parser accepts).
fn event_name() -> impl Strategy<Value = Value> {
    prop_oneof![
        ".{0,10}"
            .prop_filter("reserved", |n| !RESERVED_EVENTS.contains(&n.as_str()))
            .prop_map(Value::String),
        any::<u32>().prop_map(Value::from),
    ]
}

/// The attachments of a binary packet, and whether to nest their
/// placeholders in an object rather than list them as arguments.
fn attachments() -> impl Strategy<Value = (Vec<Bytes>, bool)> {
    (
        vec(vec(any::<u8>(), 0..16).prop_map(Bytes::from), 0..=3),
        any::<bool>(),
    )
}

/// `args` with one placeholder per attachment appended.
fn with_placeholders(mut args: Vec<Value>, count: usize, nested: bool) -> Vec<Value> {
    let placeholders = (0..count).map(placeholder);
    if nested && count > 0 {
        let files: serde_json::Map<String, Value> = placeholders
            .enumerate()
            .map(|(i, p)| (format!("f{i}"), p))
            .collect();
        args.push(Value::Object(files));
    } else {
        args.extend(placeholders);
    }
    args
}

/// Any packet the server may receive or send, with its attachments.
fn packet() -> impl Strategy<Value = Packet> {
    let args = vec(json::value(3), 0..4);
    let object = json::value(3).prop_filter_map("an object", |v| v.is_object().then_some(v));
    let head = (namespace(), proptest::option::of(any::<u64>()));
    prop_oneof![
        (head.clone(), proptest::option::of(object.clone())).prop_map(|((ns, id), data)| Packet {
            id,
            ..Packet::new(PacketKind::Connect, &ns, data)
        }),
        head.clone().prop_map(|(ns, id)| Packet {
            id,
            ..Packet::new(PacketKind::Disconnect, &ns, None)
        }),
        (head.clone(), event_name(), args.clone(), attachments()).prop_map(
            |((ns, id), name, args, (bins, nested))| {
                let mut data = vec![name];
                data.extend(with_placeholders(args, bins.len(), nested));
                Packet {
                    id,
                    data: Some(Value::Array(data)),
                    attachments: bins,
                    ..Packet::new(PacketKind::Event, &ns, None)
                }
            }
        ),
        (namespace(), any::<u64>(), args, attachments()).prop_map(
            |(ns, id, args, (bins, nested))| {
                let n = bins.len();
                Packet::ack(&ns, id, with_placeholders(args, n, nested), bins)
            }
        ),
        (head, prop_oneof![object, ".{0,10}".prop_map(Value::String)]).prop_map(|((ns, id), d)| {
            Packet {
                id,
                ..Packet::new(PacketKind::ConnectError, &ns, Some(d))
            }
        }),
    ]
}

/// Text shaped like a packet: a type with or without an attachment count,
/// a namespace, an ack id, then JSON or anything.
fn packet_text() -> impl Strategy<Value = String> {
    let kind = select(vec![
        "", "0", "1", "2", "3", "4", "5", "6", "7", "51-", "52-", "6-", "50-", "5x-", "53", "511-",
    ]);
    let ns = select(vec!["", "/", "/,", "/chat,", "/a-b,", "/x"]);
    let id = select(vec!["", "1", "007", "18446744073709551616"]);
    let data = prop_oneof![
        json::value(4).prop_map(|v| v.to_string()),
        select(vec![
            r#"["m",{"_placeholder":true,"num":0}]"#,
            r#"["m",{"_placeholder":true,"num":1}]"#,
            r#"["connect"]"#,
            "{}",
            "[]",
            r#""s""#,
            r#"["m","\"[[[["]"#,
            "[[[[[[]]]]]]",
        ])
        .prop_map(str::to_owned),
        ".{0,16}",
    ];
    prop_oneof![
        4 => (kind, ns, id, data).prop_map(|(k, n, i, d)| format!("{k}{n}{i}{d}")),
        1 => any::<String>(),
    ]
}

/// The default limits, or tiny ones that garbage runs into.
fn limits() -> impl Strategy<Value = Limits> {
    prop_oneof![
        Just(Limits::default()),
        (0..4usize, 0..5usize, 0..64usize).prop_map(|(a, d, l)| Limits {
            max_attachments: a,
            max_depth: d,
            max_len: l,
            ..Limits::default()
        }),
    ]
}

proptest! {
    #![proptest_config(super::config())]

    /// Every kind of packet, with namespaces, ack ids, nested JSON and
    /// binary attachments, decodes from its encoding to itself once its
    /// announced attachments are added.
    #[test]
    fn a_packet_round_trips_with_its_attachments(p in packet()) {
        let d = holds(decode(&p.encode(), &Limits::default()).map_err(|e| e.to_string()))?;
        prop_assert_eq!(d.attachments, p.attachments.len());
        let mut decoded = d.packet;
        decoded.attachments = p.attachments.clone();
        prop_assert_eq!(decoded, p);
    }

    /// Any text decodes within the limits (length, depth, attachments; an
    /// attachment count only on the binary types) to a packet whose encoding
    /// decodes to the same packet, or fails with the error that explains it.
    #[test]
    fn a_packet_text_decodes_within_the_limits_or_is_refused(text in packet_text(), limits in limits()) {
        holds(check_sio_text(&text, &limits))?;
    }
}
