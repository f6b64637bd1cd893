//! The socket.io-client interop tests' server app and runner.

pub mod app;
pub mod harness;
