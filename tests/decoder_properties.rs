//! Property tests of every decoder a client's bytes reach (issue 10, item 7):
//! the Engine.IO packet and payload codecs, the handshake query, and the
//! Socket.IO parser with attachments.
//!
//! Each decoder gets two kinds of property:
//! - **round trip**: arbitrary valid packets, encoded by the server's own
//!   encoder, decode to themselves;
//! - **garbage**: arbitrary input (biased towards the wire's shapes so that
//!   it gets past the first byte) decodes or fails with the error that
//!   explains it, never panics, and what decodes stays within the limits and
//!   re-encodes to something that decodes to the same value.
//!
//! proptest shrinks a failure to a small input and prints it; a failing case
//! is saved beside the property's file and replayed first on
//! the next run. The fuzz targets in `fuzz/` check the same
//! invariants on inputs libFuzzer grows from coverage.

use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError};

/// The default 256 cases per property; a failure is saved beside the
/// property's file (`<file>.proptest-regressions`) and replayed first.
fn config() -> Config {
    Config {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..Config::default()
    }
}

/// A check's verdict as a property's: `Err(what went wrong)` fails the case.
fn holds<T>(check: Result<T, String>) -> Result<T, TestCaseError> {
    check.map_err(TestCaseError::fail)
}

#[path = "decoder_properties/engine.rs"]
mod engine;
#[path = "decoder_properties/invariants.rs"]
mod invariants;
#[path = "decoder_properties/json.rs"]
mod json;
#[path = "decoder_properties/query.rs"]
mod query;
#[path = "decoder_properties/socketio.rs"]
mod socketio;
