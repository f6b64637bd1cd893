//! What the fuzz targets check: the invariants the property tests check
//! too (`tests/decoder_properties/invariants.rs`, included so that both hold
//! the decoders to the same rules), and a way to fail on a broken one.

#[path = "../../tests/decoder_properties/invariants.rs"]
pub mod invariants;

/// Panics (which libFuzzer reports as a crash, saving the input) when a
/// check failed.
pub fn holds<T>(check: Result<T, String>) -> T {
    match check {
        Ok(v) => v,
        Err(what) => panic!("invariant broken: {what}"),
    }
}
