//! The golden Socket.IO fixtures (`fixtures/socketio/`, layout in
//! `fixtures/README.md`) through the real codec, `edgeio::protocol::decode`
//! with the default [`Limits`]: every valid case decodes to the packet its
//! manifest entry gives, every malformed one fails with the error it names,
//! and valid ones re-encode with `Packet::encode` to their exact text (or, for
//! a case marked `"canonical": false`, to a text that decodes the same).
//!
//! Failures are collected over all cases and reported together, one line per
//! case, so that one run shows every case the codec gets wrong.

mod golden;

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use edgeio::protocol::{decode, Decoded, Limits, Packet, PacketKind, ProtocolError};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

const LAYER: &str = "socketio";

/// The limits the manifest's numbers (`TooDeep`, `TooLarge`, ...) are about.
const MAX_ATTACHMENTS: usize = 10;
const MAX_DEPTH: usize = 32;
const MAX_LEN: usize = 1_000_000;

/// An expected packet, as written in `cases.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedPacket {
    /// The wire type: `CONNECT`, `DISCONNECT`, `EVENT`, `ACK`,
    /// `CONNECT_ERROR`, `BINARY_EVENT` or `BINARY_ACK`.
    #[serde(rename = "type")]
    kind: String,
    /// The namespace (default `/`).
    #[serde(default = "main_namespace")]
    ns: String,
    /// The acknowledgement id, when there is one.
    id: Option<u64>,
    /// The JSON data; absent when the packet has none (`null` is data).
    #[serde(default, deserialize_with = "present")]
    data: Option<Value>,
    /// The number of binary attachments the header announces (default 0).
    #[serde(default)]
    attachments: usize,
}

fn main_namespace() -> String {
    "/".to_owned()
}

/// A field that is present, even as `null`, is `Some`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

type Manifest = golden::Manifest<ExpectedPacket>;
type Case = golden::Case<ExpectedPacket>;

/// Every wire type, with the codec's kind and whether it is a binary type.
const TYPES: &[(&str, PacketKind, bool)] = &[
    ("CONNECT", PacketKind::Connect, false),
    ("DISCONNECT", PacketKind::Disconnect, false),
    ("EVENT", PacketKind::Event, false),
    ("ACK", PacketKind::Ack, false),
    ("CONNECT_ERROR", PacketKind::ConnectError, false),
    ("BINARY_EVENT", PacketKind::Event, true),
    ("BINARY_ACK", PacketKind::Ack, true),
];

/// The expected packet as the codec's [`Decoded`]: the packet without its
/// attachments yet, and the number announced. The codec has no separate
/// binary kinds: a BINARY_EVENT is an `Event` with attachments announced.
fn expected_decoded(p: &ExpectedPacket) -> Decoded {
    let &(_, kind, binary) = TYPES
        .iter()
        .find(|(name, _, _)| *name == p.kind)
        .unwrap_or_else(|| panic!("unknown packet type {:?} in the manifest", p.kind));
    if binary {
        assert!(p.attachments > 0, "a {} without attachments", p.kind);
    } else {
        assert_eq!(p.attachments, 0, "attachments on a {} packet", p.kind);
    }
    Decoded {
        packet: Packet {
            kind,
            ns: p.ns.clone().into(),
            id: p.id,
            data: p.data.clone(),
            attachments: Vec::new(),
        },
        attachments: p.attachments,
    }
}

/// The error in the manifest's form: serde's externally tagged enum.
/// Exhaustive, so a new variant must be given a form here.
fn error_json(e: &ProtocolError) -> Value {
    match e {
        ProtocolError::Empty => json!("Empty"),
        ProtocolError::UnknownType(b) => json!({ "UnknownType": b }),
        ProtocolError::BadAttachmentCount => json!("BadAttachmentCount"),
        ProtocolError::TooManyAttachments(n) => json!({ "TooManyAttachments": n }),
        ProtocolError::BadAckId => json!("BadAckId"),
        ProtocolError::BadJson => json!("BadJson"),
        ProtocolError::TooDeep(n) => json!({ "TooDeep": n }),
        ProtocolError::TooLarge(n) => json!({ "TooLarge": n }),
        ProtocolError::BadPayload => json!("BadPayload"),
        ProtocolError::UnexpectedAttachment => json!("UnexpectedAttachment"),
        ProtocolError::MissingAttachments => json!("MissingAttachments"),
        ProtocolError::BadPlaceholder => json!("BadPlaceholder"),
        ProtocolError::AttachmentsTooLarge(n) => json!({ "AttachmentsTooLarge": n }),
        ProtocolError::AttachmentsTimedOut => json!("AttachmentsTimedOut"),
    }
}

/// The input as the server receives it: the data of an Engine.IO message,
/// which that layer has already validated as UTF-8.
fn text(case: &Case, input: &[u8]) -> String {
    String::from_utf8(input.to_vec()).unwrap_or_else(|e| {
        panic!(
            "fixture {} is not UTF-8 ({e}); Socket.IO packets are text",
            case.name()
        )
    })
}

/// Runs `input` through the decoder the case names.
fn run(decoder: &str, input: &str) -> Result<Decoded, ProtocolError> {
    match decoder {
        // The text part of one packet, with the server's default limits.
        "packet" => decode(input, &Limits::default()),
        other => panic!("unknown decoder {other:?} in the manifest"),
    }
}

/// Short, bounded text for failure messages.
fn short(s: &str) -> String {
    match s.char_indices().nth(160) {
        Some((end, _)) => format!("{}... ({} bytes)", &s[..end], s.len()),
        None => s.to_owned(),
    }
}

fn show(d: &Result<Decoded, ProtocolError>) -> String {
    short(&format!("{d:?}"))
}

/// Checks one case; returns what is wrong with it, if anything.
fn check(m: &Manifest, case: &Case) -> Vec<String> {
    let mut errs = Vec::new();
    let input = case.input(LAYER, &m.generated);
    let input = text(case, &input);
    let got = run(&case.decoder, &input);

    match (&case.error, &case.packets[..]) {
        (Some(error), []) => {
            let got_error = got.as_ref().err().map(error_json);
            if got_error.as_ref() != Some(error) {
                errs.push(format!("decoded {}, expected error {error}", show(&got)));
            }
            return errs;
        }
        (Some(_), _) => panic!("{}: a malformed case decodes no packet", case.name()),
        (None, [p]) => {
            let expected = expected_decoded(p);
            if got.as_ref() != Ok(&expected) {
                errs.push(format!(
                    "decoded {}, expected {}",
                    show(&got),
                    show(&Ok(expected))
                ));
                return errs;
            }
        }
        (None, _) => panic!("{}: a valid case decodes exactly one packet", case.name()),
    }
    let Ok(decoded) = got else {
        unreachable!("checked above")
    };

    // Valid: the packet, once its attachments have arrived, encodes back.
    let mut packet = decoded.packet.clone();
    packet.attachments = (0..decoded.attachments)
        .map(|i| Bytes::from(vec![i as u8]))
        .collect();
    let encoded = packet.encode();
    if case.canonical.unwrap_or(true) {
        if encoded != input {
            errs.push(format!(
                "re-encoded to {:?}, not its input {:?}",
                short(&encoded),
                short(&input)
            ));
        }
    } else if encoded == input {
        errs.push("marked non-canonical, but re-encodes to its input".into());
    }
    // Canonical or not, the re-encoding decodes to the same packet.
    let again = run(&case.decoder, &encoded);
    if again.as_ref() != Ok(&decoded) {
        errs.push(format!("decode(encode(packet)) gave {}", show(&again)));
    }
    errs
}

/// The wire type name of a manifest packet, for coverage.
fn type_of(case: &Case) -> Option<&str> {
    case.packets.first().map(|p| p.kind.as_str())
}

#[test]
fn the_limits_are_those_the_manifest_is_written_for() {
    let l = Limits::default();
    assert_eq!(
        (l.max_attachments, l.max_depth, l.max_len),
        (MAX_ATTACHMENTS, MAX_DEPTH, MAX_LEN),
        "Limits::default() changed: update the limit cases of fixtures/socketio/cases.json"
    );
}

#[test]
fn every_socketio_fixture_decodes_as_its_manifest_says() {
    let m: Manifest = golden::manifest(LAYER);
    assert_eq!(m.version, 1, "unknown fixture layout version");
    let mut failures = Vec::new();
    let mut counts = BTreeMap::<(String, bool), usize>::new();
    let mut types = BTreeSet::new();
    let mut errors = BTreeSet::new();
    for case in &m.cases {
        *counts
            .entry((case.decoder.clone(), case.error.is_none()))
            .or_default() += 1;
        types.extend(type_of(case).map(str::to_owned));
        if let Some(e) = &case.error {
            errors.insert(match e {
                Value::Object(o) => o.keys().next().cloned().unwrap_or_default(),
                other => other.as_str().unwrap_or_default().to_owned(),
            });
        }
        for e in check(&m, case) {
            failures.push(format!("FAIL {} ({}): {e}", case.name(), case.decoder));
        }
    }
    eprintln!("{} socketio fixture cases: {counts:?}", m.cases.len());
    assert!(!m.cases.is_empty(), "no fixture cases found");
    for valid in [true, false] {
        if !counts.contains_key(&("packet".into(), valid)) {
            let kind = if valid { "valid" } else { "malformed" };
            failures.push(format!("COVERAGE: no {kind} packet case"));
        }
    }
    // Every wire type is decoded by some valid case, and every error the
    // decoder can give is expected by some malformed one.
    for (name, _, _) in TYPES {
        if !types.contains(*name) {
            failures.push(format!("COVERAGE: no valid {name} case"));
        }
    }
    for e in [
        "Empty",
        "UnknownType",
        "BadAttachmentCount",
        "TooManyAttachments",
        "BadAckId",
        "BadJson",
        "TooDeep",
        "TooLarge",
        "BadPayload",
        "BadPlaceholder",
    ] {
        if !errors.contains(e) {
            failures.push(format!("COVERAGE: no malformed case expects {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures over {} cases:\n{}",
        failures.len(),
        m.cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_fixture_file_is_used_and_every_used_file_exists() {
    let m: Manifest = golden::manifest(LAYER);
    let mut used = BTreeSet::new();
    for case in &m.cases {
        let name = case.name(); // exactly one of file / generated
        if let Some(g) = &case.generated {
            assert!(
                m.generated.contains_key(g),
                "{name}: unknown generated input"
            );
        }
        if let Some(f) = &case.file {
            assert!(used.insert(f.clone()), "{f} is the input of two cases");
            let valid = case.error.is_none();
            let dir = f.split('/').next().unwrap_or_default();
            assert!(
                match dir {
                    "valid" => valid,
                    "malformed" => !valid,
                    _ => false,
                },
                "{f}: a {} case is not in its directory",
                if valid { "valid" } else { "malformed" },
            );
            let stem = f.rsplit('/').next().unwrap_or_default();
            assert!(
                stem.starts_with(&format!("{}_", case.decoder)) && stem.ends_with(".txt"),
                "{f}: not named <decoder>_<what>.txt"
            );
        }
    }
    golden::assert_files_are(LAYER, &used);
}

#[test]
fn generated_inputs_match_their_hashes() {
    let m: Manifest = golden::manifest(LAYER);
    assert!(!m.generated.is_empty());
    for (name, g) in &m.generated {
        assert_eq!(golden::generate(&m.generated, name).len(), g.len);
    }
}

/// The other side of `event_too_long`: the same event at exactly `max_len`
/// bytes decodes (too big to commit, and its expected data too big to write
/// in the manifest).
#[test]
fn a_packet_of_exactly_max_len_decodes() {
    let input = golden::fill(b"2[\"big\",\"", b"x", b"\"]", MAX_LEN);
    let input = String::from_utf8(input).expect("ASCII");
    let d = decode(&input, &Limits::default()).expect("max_len bytes are allowed");
    let filler = "x".repeat(MAX_LEN - "2[\"big\",\"\"]".len());
    assert_eq!(d.packet.data, Some(json!(["big", filler])));
    assert_eq!(d.packet.encode(), input);
}

#[test]
#[should_panic(expected = "cannot be read")]
fn a_missing_fixture_file_fails_loudly() {
    golden::read(LAYER, "valid/no_such_fixture.txt");
}
