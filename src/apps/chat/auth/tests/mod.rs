//! Tests of the authenticator as the chat service uses it: tokens made and
//! checked with each algorithm, every refusal, and the key configuration.
//! Keys are the PEM files of `fixtures/jwt/`.

mod config;
mod refusals;
mod tokens;

use std::path::PathBuf;

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;

use super::*;

/// A file of `fixtures/jwt/`.
fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/jwt")
        .join(name)
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).expect("fixture")
}

/// A configuration whose data directory must never be touched.
fn config() -> AuthConfig {
    AuthConfig {
        data_dir: PathBuf::from("/nonexistent/edgeio-test-must-not-be-used"),
        ..AuthConfig::default()
    }
}

fn hs256(secret: &str) -> Authenticator {
    Authenticator::load(&AuthConfig {
        secret: Some(secret.into()),
        ..config()
    })
    .expect("HS256 config")
}

fn with_pem(public: &str, private: Option<&str>) -> Authenticator {
    Authenticator::load(&AuthConfig {
        public_key: Some(fixture(public)),
        private_key: private.map(fixture),
        ..config()
    })
    .expect("PEM config")
}

fn rs256() -> Authenticator {
    with_pem("rs256-public.pem", Some("rs256-private.pem"))
}

fn es256() -> Authenticator {
    with_pem("es256-public.pem", Some("es256-private.pem"))
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// Claims for `alice` valid for an hour.
fn alice() -> Value {
    serde_json::json!({ "sub": "alice", "exp": now() + 3600 })
}

/// A token with any header algorithm and claims, signed with `key`.
fn sign(alg: Algorithm, key: &EncodingKey, claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, key).expect("sign")
}

fn hs_key(secret: &[u8]) -> EncodingKey {
    EncodingKey::from_secret(secret).expect("secret")
}

fn b64(json: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json.to_string())
}
