//! Loading the golden fixtures of `fixtures/` (layout: `fixtures/README.md`).
//!
//! Shared by the fixture tests and the codec benches (which include this file
//! with `#[path]`), so every user reads the same bytes the same way. Nothing
//! here skips: a missing or unreadable file, or a manifest that does not
//! parse, panics with the path at fault.

// Each including crate uses a different subset.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Deserialize;

/// `fixtures/` at the root of the package.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// `fixtures/<layer>/`.
pub fn layer_dir(layer: &str) -> PathBuf {
    fixtures_dir().join(layer)
}

/// The exact bytes of `fixtures/<layer>/<rel>`; panics if it cannot be read.
pub fn read(layer: &str, rel: &str) -> Vec<u8> {
    let path = layer_dir(layer).join(rel);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("fixture {} cannot be read: {e}", path.display()))
}

/// Every file under `fixtures/<layer>/` except the manifest, as paths
/// relative to the layer directory with `/` separators, sorted.
pub fn list_files(layer: &str) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        let entries = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("fixture dir {} cannot be read: {e}", dir.display()));
        for entry in entries {
            let path = entry
                .unwrap_or_else(|e| panic!("fixture dir {} cannot be read: {e}", dir.display()))
                .path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                let rel = path.strip_prefix(root).expect("under the root");
                let rel: Vec<_> = rel.iter().map(|c| c.to_string_lossy()).collect();
                out.push(rel.join("/"));
            }
        }
    }
    let root = layer_dir(layer);
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out.retain(|f| f != MANIFEST);
    out.sort();
    out
}

/// Asserts that the files the manifest of `layer` uses (`used`) are exactly
/// those on disk: none unused, none missing.
pub fn assert_files_are(layer: &str, used: &std::collections::BTreeSet<String>) {
    let on_disk: std::collections::BTreeSet<String> = list_files(layer).into_iter().collect();
    let unused: Vec<_> = on_disk.difference(used).collect();
    assert!(unused.is_empty(), "fixture files no case uses: {unused:?}");
    let missing: Vec<_> = used.difference(&on_disk).collect();
    assert!(missing.is_empty(), "fixture files missing: {missing:?}");
}

/// The manifest's name in each layer directory.
pub const MANIFEST: &str = "cases.json";

/// `fixtures/<layer>/cases.json`. `P` is the layer's expected-packet shape.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest<P> {
    /// The layer directory's name (`engine`).
    pub layer: String,
    /// The layout version; bumped on incompatible changes.
    pub version: u32,
    /// Inputs too large to commit, generated in code (see [`generate`]).
    #[serde(default)]
    pub generated: BTreeMap<String, Generated>,
    pub cases: Vec<Case<P>>,
}

/// One golden case: an input, the decoder it goes through, and what comes out.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case<P> {
    /// The input file, relative to the layer directory...
    pub file: Option<String>,
    /// ...or the name of a generated input (exactly one of the two).
    pub generated: Option<String>,
    /// Which entry point decodes the input (layer-specific names).
    pub decoder: String,
    /// The packets decoded, in order: all of them for a valid input, those
    /// before the error for a malformed one.
    pub packets: Vec<P>,
    /// The error expected, in serde's externally tagged form of the layer's
    /// error enum (`"Empty"`, `{"UnknownType": 97}`); absent when valid.
    pub error: Option<serde_json::Value>,
    /// Whether re-encoding the packets gives back the input byte for byte
    /// (default `true`; only meaningful for valid cases).
    pub canonical: Option<bool>,
    /// Free text for humans.
    pub note: Option<String>,
}

impl<P> Case<P> {
    /// The case's name in messages: its file or generated input.
    pub fn name(&self) -> String {
        match (&self.file, &self.generated) {
            (Some(f), None) => f.clone(),
            (None, Some(g)) => format!("generated:{g}"),
            _ => panic!(
                "a case needs exactly one of `file` and `generated`: {:?} / {:?}",
                self.file, self.generated
            ),
        }
    }

    /// The case's input bytes (panics when missing or unreadable).
    pub fn input(&self, layer: &str, generated: &BTreeMap<String, Generated>) -> Vec<u8> {
        match (&self.file, &self.generated) {
            (Some(f), None) => read(layer, f),
            (None, Some(g)) => generate(generated, g),
            _ => panic!(
                "a case needs exactly one of `file` and `generated`: {:?} / {:?}",
                self.file, self.generated
            ),
        }
    }
}

/// A generated input: `len` bytes of `generator`, pinned by the FNV-1a 64
/// hash of the bytes (lowercase hex) so that every implementation of the
/// generator (tests, benches, other languages) agrees.
///
/// - `lcg32` needs `seed` (see [`lcg32`]);
/// - `fill` needs `prefix`, `fill` and `suffix` (see [`fill`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Generated {
    pub generator: String,
    pub seed: Option<u32>,
    pub prefix: Option<String>,
    pub fill: Option<String>,
    pub suffix: Option<String>,
    pub len: usize,
    pub fnv1a64: String,
}

/// Reads and parses `fixtures/<layer>/cases.json`; panics on any error.
pub fn manifest<P: DeserializeOwned>(layer: &str) -> Manifest<P> {
    let bytes = read(layer, MANIFEST);
    let m: Manifest<P> = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!("fixtures/{layer}/{MANIFEST} does not parse: {e}");
    });
    assert_eq!(
        m.layer, layer,
        "fixtures/{layer}/{MANIFEST} names another layer"
    );
    m
}

/// The bytes of the generated input `name`, checked against its hash.
pub fn generate(generated: &BTreeMap<String, Generated>, name: &str) -> Vec<u8> {
    let g = generated
        .get(name)
        .unwrap_or_else(|| panic!("no generated input named {name:?} in the manifest"));
    let field = |v: &Option<String>, field: &str| -> String {
        v.clone()
            .unwrap_or_else(|| panic!("generated input {name:?} needs `{field}`"))
    };
    let bytes = match g.generator.as_str() {
        "lcg32" => {
            assert!(
                g.prefix.is_none() && g.fill.is_none() && g.suffix.is_none(),
                "generated input {name:?}: lcg32 takes only `seed`"
            );
            let seed = g
                .seed
                .unwrap_or_else(|| panic!("generated input {name:?} needs `seed`"));
            lcg32(seed, g.len)
        }
        "fill" if g.seed.is_some() => {
            panic!("generated input {name:?}: fill takes no `seed`")
        }
        "fill" => fill(
            field(&g.prefix, "prefix").as_bytes(),
            field(&g.fill, "fill").as_bytes(),
            field(&g.suffix, "suffix").as_bytes(),
            g.len,
        ),
        other => panic!("unknown generator {other:?} for {name:?}"),
    };
    assert_eq!(
        format!("{:016x}", fnv1a64(&bytes)),
        g.fnv1a64,
        "generated input {name:?} does not match its fnv1a64"
    );
    bytes
}

/// `x = x * 1664525 + 1013904223 (mod 2^32)` from `x = seed`; each byte is
/// the top 8 bits of `x` after a step.
pub fn lcg32(seed: u32, len: usize) -> Vec<u8> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 24) as u8
        })
        .collect()
}

/// `prefix`, then `fill` repeated (cut byte by byte) to make `len` bytes in
/// all, then `suffix`: a large input of a known shape, such as a packet one
/// byte over a length limit.
pub fn fill(prefix: &[u8], fill: &[u8], suffix: &[u8], len: usize) -> Vec<u8> {
    let middle = len
        .checked_sub(prefix.len() + suffix.len())
        .unwrap_or_else(|| panic!("`fill` of {len} bytes is shorter than its prefix and suffix"));
    assert!(!fill.is_empty() || middle == 0, "`fill` is empty");
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(prefix);
    out.extend(fill.iter().copied().cycle().take(middle));
    out.extend_from_slice(suffix);
    out
}

/// FNV-1a, 64 bits.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
