//! The chat end to end: the `edgeio` binary (`--app chat`, sled in a data
//! directory of its own, tokens from `edgeio token`) on a free loopback port,
//! driven by the official clients — npm `socket.io-client` scenarios in
//! `tests/interop/chat/` and PyPI `python-socketio` in
//! `tests/interop/chat_python.py`. Each test starts its own server; its log
//! is `CARGO_TARGET_TMPDIR/chat-<test>.log`, printed when the test fails.
//!
//! - `node`: runs a Node scenario, answering its requests for tokens and
//!   restarts.
//! - `tokens`: the tokens a server must refuse (alg none, HS384, another
//!   key, expired, RS256 ...).
//! - `python`: the python-socketio scenario.
//!
//! Needs Node.js with `npm ci --prefix tests/interop`, and `.venv` with the
//! pinned python-socketio (`.ci/run` makes both); without them these tests
//! fail, they never pass silently.

mod chat_support;
mod common;
mod node_support;

#[path = "chat_e2e/node.rs"]
mod node;
#[path = "chat_e2e/python.rs"]
mod python;
#[path = "chat_e2e/tokens.rs"]
mod tokens;

use std::path::Path;

use chat_support::binary::{ChatBinary, UNLIMITED};
use tokens::ServerKey;

/// A server with no rate limits, and `scenario` run against it.
fn scenario(test: &str, script: &str, args: &[&str]) {
    let mut server = ChatBinary::start(test, &[UNLIMITED]);
    node::run(&mut server, script, args, &[]);
}

/// Two users on three devices: sends, acks, deliveries, unread counts, an
/// idempotent resend, read receipts; over polling upgraded to WebSocket.
#[test]
fn messaging_across_devices() {
    scenario("messaging", "messaging", &[]);
}

/// The same over long-polling only.
#[test]
fn messaging_across_devices_over_polling() {
    scenario(
        "messaging-polling",
        "messaging",
        &["--transport", "polling"],
    );
}

/// Typing indicators (to the other user only, cleared without a stop) and
/// presence across devices (offline only once every device has left).
#[test]
fn typing_and_presence() {
    scenario("live", "live", &[]);
}

/// Blocks (refused sends not stored, every device of the blocker told) and
/// mutes (messages flagged for the muter only), and lifting both.
#[test]
fn blocks_and_mutes() {
    scenario("moderation", "moderation", &[]);
}

/// `--chat-rate-limit message:send=3`: the fourth send in a minute is
/// refused with `retryAfter` and not stored.
#[test]
fn a_rate_limit_hit() {
    let mut server = ChatBinary::start("rate-limit", &["--chat-rate-limit", "message:send=3"]);
    node::run(&mut server, "rate_limit", &[], &[]);
}

/// A token from `edgeio token --ttl 2s` expires on a live connection:
/// events are refused until an `auth` with a fresh token of the same user.
#[test]
fn token_expiry_and_refresh() {
    scenario("token", "token", &[]);
}

/// A device that comes back gets what it missed: in `pendingMessages` on a
/// new connection, replayed by connection-state recovery otherwise.
#[test]
fn reconnect_with_pending_messages() {
    scenario("reconnect", "reconnect", &[]);
}

/// Messages sent while a device was away are pending after the server is
/// SIGKILLed and started again on the same data directory.
#[test]
fn pending_messages_survive_sigkill() {
    scenario("restart-kill", "restart", &["--stop", "kill"]);
}

/// The same across a graceful stop (SIGTERM).
#[test]
fn pending_messages_survive_sigterm() {
    scenario("restart-term", "restart", &["--stop", "term"]);
}

/// Runs `access.mjs` with the tokens `key` makes the server refuse.
fn access(server: &mut ChatBinary, key: &ServerKey) {
    let refused: Vec<(&str, String)> = tokens::refused(key);
    let refused = serde_json::to_string(&refused).expect("JSON");
    let accepted = tokens::accepted(key);
    let env = [
        ("CHAT_ACCEPTED_TOKEN", accepted.as_str()),
        ("CHAT_REFUSED_TOKENS", refused.as_str()),
    ];
    node::run(server, "access", &[], &env);
}

/// The generated HS256 secret: connects refused without a token, with
/// `alg: none`, HS384/HS512, another secret, RS256, expired ... tokens; and
/// a non-participant's every event refused with `not_participant`.
#[test]
fn connect_refusals_and_non_participants() {
    let mut server = ChatBinary::start("access", &[UNLIMITED]);
    let secret = std::fs::read_to_string(server.data_dir().join("jwt-secret"))
        .expect("the generated secret");
    access(
        &mut server,
        &ServerKey::Secret(secret.trim_end().as_bytes()),
    );
}

/// A server pinned to RS256 (`fixtures/jwt/`): HS256 keyed with its public
/// key (algorithm confusion), ES256, another RSA key ... are refused.
#[test]
fn connect_refusals_with_rs256() {
    let jwt = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/jwt");
    let public = jwt.join("rs256-public.pem");
    let private = jwt.join("rs256-private.pem");
    let args = [
        UNLIMITED,
        "--jwt-public-key",
        public.to_str().expect("UTF-8 path"),
        "--jwt-private-key",
        private.to_str().expect("UTF-8 path"),
    ];
    let mut server = ChatBinary::start("access-rs256", &args);
    access(&mut server, &ServerKey::Rs256);
}

/// `--chat-max-content 64`: missing fields, wrong types, too long, unknown
/// conversation or event, non-object payloads — each refused with its code
/// in the ack and as `error:<code>`, on a connection that stays usable.
#[test]
fn bad_input_is_refused_and_the_connection_stays() {
    let mut server = ChatBinary::start("bad-input", &[UNLIMITED, "--chat-max-content", "64"]);
    node::run(&mut server, "bad_input", &[], &[]);
}

/// python-socketio: two users connect with tokens in `auth`, a send with an
/// ack, `message:received`, a read receipt, a refusal.
#[test]
fn python_socketio_client() {
    let server = ChatBinary::start("python", &[UNLIMITED]);
    python::run(&server, "default");
}
