//! The golden Engine.IO fixtures (`fixtures/engine/`, layout in
//! `fixtures/README.md`) through the real codec: every case decodes to what
//! its manifest entry says, every malformed one fails with the error it
//! names, and valid ones re-encode to their exact bytes.
//!
//! Failures are collected over all cases and reported together, one line per
//! case, so that one run shows every case the codec gets wrong.

mod golden;

use std::collections::BTreeSet;

use base64::Engine as _;
use bytes::Bytes;
use edgeio::engine::packet::{Frame, Packet};
use edgeio::engine::{payload, PacketError, Text};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Utf8Bytes;

const LAYER: &str = "engine";

/// An expected packet, as written in `cases.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedPacket {
    /// `open`, `close`, `ping`, `pong`, `message`, `upgrade`, `noop` or
    /// `binary`.
    #[serde(rename = "type")]
    kind: String,
    /// The text after the type digit (text packets; default empty).
    data: Option<String>,
    /// A binary message's bytes: base64 (standard, padded)...
    base64: Option<String>,
    /// ...or the bytes of a fixture file...
    file: Option<String>,
    /// ...or a generated input.
    generated: Option<String>,
}

type Manifest = golden::Manifest<ExpectedPacket>;
type Case = golden::Case<ExpectedPacket>;

/// The expected packet as the codec's [`Packet`]; panics on a manifest entry
/// that does not describe one packet.
fn expected_packet(m: &Manifest, p: &ExpectedPacket) -> Packet {
    let text = || Text::from(p.data.clone().unwrap_or_default());
    let no_binary = p.base64.is_none() && p.file.is_none() && p.generated.is_none();
    assert!(
        no_binary || p.kind == "binary",
        "binary data on a {} packet",
        p.kind
    );
    let no_data = |packet: Packet| {
        assert!(
            p.data.as_deref().unwrap_or_default().is_empty(),
            "data on a {} packet",
            p.kind
        );
        packet
    };
    match p.kind.as_str() {
        "open" => Packet::Open(text()),
        "close" => no_data(Packet::Close),
        "ping" => Packet::Ping(text()),
        "pong" => Packet::Pong(text()),
        "message" => Packet::Message(text()),
        "upgrade" => no_data(Packet::Upgrade),
        "noop" => no_data(Packet::Noop),
        "binary" => {
            assert!(p.data.is_none(), "`data` on a binary packet");
            let bytes = match (&p.base64, &p.file, &p.generated) {
                (Some(b64), None, None) => base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .unwrap_or_else(|e| panic!("bad base64 in the manifest {b64:?}: {e}")),
                (None, Some(file), None) => golden::read(LAYER, file),
                (None, None, Some(g)) => golden::generate(&m.generated, g),
                _ => panic!("a binary packet needs exactly one of base64, file, generated"),
            };
            Packet::Binary(Bytes::from(bytes))
        }
        other => panic!("unknown packet type {other:?} in the manifest"),
    }
}

/// The error in the manifest's form: serde's externally tagged enum.
/// Exhaustive, so a new variant must be given a form here.
fn error_json(e: &PacketError) -> Value {
    match e {
        PacketError::Empty => json!("Empty"),
        PacketError::UnknownType(b) => json!({ "UnknownType": b }),
        PacketError::UnexpectedData(c) => json!({ "UnexpectedData": c.to_string() }),
        PacketError::BadBase64 => json!("BadBase64"),
        PacketError::NotUtf8 => json!("NotUtf8"),
    }
}

/// What decoding an input gave: every item the decoder yielded.
struct Outcome {
    items: Vec<Result<Packet, PacketError>>,
}

/// The body or frame as the transports receive it: validated as UTF-8 once
/// (`Utf8Bytes::try_from`, as `transport::polling` does and tungstenite does
/// for text frames), a failure being [`PacketError::NotUtf8`].
fn utf8(input: &[u8]) -> Result<Text, PacketError> {
    Utf8Bytes::try_from(Bytes::copy_from_slice(input))
        .map(Text::new)
        .map_err(|_| PacketError::NotUtf8)
}

/// Runs `input` through the decoder the case names.
fn decode(decoder: &str, input: &[u8]) -> Outcome {
    let items = match decoder {
        // One WebSocket text frame.
        "text" => vec![utf8(input).and_then(Packet::decode_text)],
        // One polling body, decoded lazily up to the first error.
        "payload" => match utf8(input) {
            Ok(text) => payload::decode(text).collect(),
            Err(e) => vec![Err(e)],
        },
        // One WebSocket binary frame: the raw bytes are the message.
        "binary" => vec![Ok(Packet::Binary(Bytes::copy_from_slice(input)))],
        other => panic!("unknown decoder {other:?} in the manifest"),
    };
    Outcome { items }
}

/// Short, bounded description of a packet for failure messages.
fn show(p: &Packet) -> String {
    match p {
        Packet::Binary(b) if b.len() > 16 => {
            format!("Binary({} bytes, starting {:02x?})", b.len(), &b[..16])
        }
        p => {
            let s = format!("{p:?}");
            match s.char_indices().nth(120) {
                Some((end, _)) => format!("{}...", &s[..end]),
                None => s,
            }
        }
    }
}

fn show_all(ps: &[Packet]) -> String {
    let v: Vec<_> = ps.iter().map(show).collect();
    format!("[{}]", v.join(", "))
}

/// Checks one case; returns what is wrong with it, if anything.
fn check(m: &Manifest, case: &Case) -> Vec<String> {
    let mut errs = Vec::new();
    let input = case.input(LAYER, &m.generated);
    let expected: Vec<Packet> = case.packets.iter().map(|p| expected_packet(m, p)).collect();
    let Outcome { items } = decode(&case.decoder, &input);

    // Split what came out into the packets, then at most one error, last.
    let mut got = Vec::new();
    let mut error = None;
    for (i, item) in items.iter().enumerate() {
        match item {
            Ok(p) if error.is_none() => got.push(p.clone()),
            Ok(p) => errs.push(format!("item {i} decoded after an error: {}", show(p))),
            Err(e) if error.is_none() => error = Some(e.clone()),
            Err(e) => errs.push(format!("item {i}: a second error after the first: {e:?}")),
        }
    }
    if got != expected {
        errs.push(format!(
            "decoded {}, expected {}",
            show_all(&got),
            show_all(&expected)
        ));
    }
    let got_error = error.as_ref().map(error_json);
    if got_error != case.error {
        errs.push(format!(
            "error {}, expected {}",
            got_error.map_or("none".into(), |v| v.to_string()),
            case.error.as_ref().map_or("none".into(), Value::to_string),
        ));
    }
    if case.error.is_some() || !errs.is_empty() {
        return errs;
    }

    // Valid: encode the packets back.
    let frames: Vec<Frame> = got.iter().map(Packet::encode).collect();
    let canonical = case.canonical.unwrap_or(true);
    let reencoded: Vec<u8> = match case.decoder.as_str() {
        // A binary message in a text frame is `b` + base64, its polling form.
        "text" => match &frames[..] {
            [frame] => {
                let mut text = String::new();
                frame.write_polling(&mut text);
                text.into_bytes()
            }
            other => {
                errs.push(format!("a text frame re-encoded as {other:?}"));
                return errs;
            }
        },
        "payload" => payload::encode(&frames).into_bytes(),
        "binary" => match &frames[..] {
            [Frame::Binary(b)] => b.to_vec(),
            other => {
                errs.push(format!("a binary frame re-encoded as {other:?}"));
                return errs;
            }
        },
        _ => unreachable!("decode() refused it"),
    };
    if canonical && reencoded != input {
        errs.push(format!(
            "re-encoded to {:?}, not its input {:?}",
            String::from_utf8_lossy(&reencoded[..reencoded.len().min(200)]),
            String::from_utf8_lossy(&input[..input.len().min(200)]),
        ));
    }
    // Canonical or not, the re-encoding decodes to the same packets.
    let again = decode(&case.decoder, &reencoded);
    let again: Result<Vec<Packet>, _> = again.items.into_iter().collect();
    if again.as_ref() != Ok(&got) {
        errs.push(format!("decode(encode(packets)) gave {again:?}"));
    }
    // A binary message also travels as `b` + base64 in a polling payload.
    if case.decoder == "binary" {
        let frame = &frames[0];
        let body = payload::encode(std::slice::from_ref(frame));
        let b64 = base64::engine::general_purpose::STANDARD.encode(&input);
        if body != format!("b{b64}") {
            errs.push("polling form is not `b` + standard padded base64".into());
        }
        if frame.polling_len() != body.len() {
            errs.push(format!(
                "polling_len {} but the polling form is {} bytes",
                frame.polling_len(),
                body.len()
            ));
        }
        match Packet::decode_text(Text::from(body)) {
            Ok(p) if p == got[0] => {}
            other => errs.push(format!(
                "polling form decodes to {:?}",
                other.as_ref().map(show)
            )),
        }
    }
    errs
}

#[test]
fn every_engine_fixture_decodes_as_its_manifest_says() {
    let m: Manifest = golden::manifest(LAYER);
    assert_eq!(m.version, 1, "unknown fixture layout version");
    let mut failures = Vec::new();
    let mut counts = std::collections::BTreeMap::<(String, bool), usize>::new();
    for case in &m.cases {
        *counts
            .entry((case.decoder.clone(), case.error.is_none()))
            .or_default() += 1;
        for e in check(&m, case) {
            failures.push(format!("FAIL {} ({}): {e}", case.name(), case.decoder));
        }
    }
    eprintln!("{} engine fixture cases: {counts:?}", m.cases.len());
    assert!(!m.cases.is_empty(), "no fixture cases found");
    for key in [
        ("text", true),
        ("text", false),
        ("payload", true),
        ("payload", false),
        ("binary", true),
    ] {
        let n = counts.get(&(key.0.into(), key.1)).copied().unwrap_or(0);
        assert!(
            n > 0,
            "no {} {} cases",
            if key.1 { "valid" } else { "malformed" },
            key.0
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        m.cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_fixture_file_is_used_and_every_used_file_exists() {
    let m: Manifest = golden::manifest(LAYER);
    let mut used = BTreeSet::new();
    let mut inputs = BTreeSet::new();
    for case in &m.cases {
        let name = case.name(); // exactly one of file / generated
        if let Some(g) = &case.generated {
            assert!(
                m.generated.contains_key(g),
                "{name}: unknown generated input"
            );
        }
        if let Some(f) = &case.file {
            assert!(inputs.insert(f.clone()), "{f} is the input of two cases");
            used.insert(f.clone());
            let valid = case.error.is_none();
            let dir = f.split('/').next().unwrap_or_default();
            assert!(
                match dir {
                    "valid" => valid,
                    "malformed" => !valid,
                    "binary" => valid && case.decoder == "binary",
                    _ => false,
                },
                "{f}: a {} {} case is not in its directory",
                if valid { "valid" } else { "malformed" },
                case.decoder
            );
        }
        used.extend(case.packets.iter().filter_map(|p| p.file.clone()));
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

#[test]
#[should_panic(expected = "cannot be read")]
fn a_missing_fixture_file_fails_loudly() {
    golden::read(LAYER, "valid/no_such_fixture.txt");
}
