//! Tokens made by the test rather than `edgeio token`: one the server must
//! accept (so the refusals are of what was changed, not of how the test
//! signs), and the ones it must refuse, each named for the report — no
//! signature (`alg: none`), the right secret with another HMAC, another
//! secret or key, expired, not yet valid, without `exp` or a usable `sub`,
//! a payload changed after signing.

use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{encode, get_current_timestamp, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

/// How the server checks tokens, and with what.
pub enum ServerKey<'a> {
    /// HS256 with this secret.
    Secret(&'a [u8]),
    /// RS256 with `fixtures/jwt/rs256-public.pem`.
    Rs256,
}

/// A key file of `fixtures/jwt/`.
fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/jwt")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn sign(alg: Algorithm, key: &EncodingKey, claims: &Value) -> String {
    encode(&Header::new(alg), claims, key).expect("sign a test token")
}

fn hmac(alg: Algorithm, secret: &[u8], claims: &Value) -> String {
    let key = EncodingKey::from_secret(secret).expect("an HMAC key");
    sign(alg, &key, claims)
}

fn rsa(file: &str, claims: &Value) -> String {
    let key = EncodingKey::from_rsa_pem(&fixture(file)).expect("an RSA key");
    sign(Algorithm::RS256, &key, claims)
}

/// `alice` for an hour.
fn claims() -> Value {
    let now = get_current_timestamp();
    json!({ "sub": "alice", "iat": now, "exp": now + 3600 })
}

/// `claims()` with `changes` applied (a null removes the claim).
fn with(changes: Value) -> Value {
    let mut c = claims();
    for (k, v) in changes.as_object().expect("an object") {
        match v {
            Value::Null => c.as_object_mut().expect("claims").remove(k),
            v => c
                .as_object_mut()
                .expect("claims")
                .insert(k.clone(), v.clone()),
        };
    }
    c
}

/// A token of alice the server accepts.
pub fn accepted(key: &ServerKey) -> String {
    match key {
        ServerKey::Secret(secret) => hmac(Algorithm::HS256, secret, &claims()),
        ServerKey::Rs256 => rsa("rs256-private.pem", &claims()),
    }
}

/// `(what, token)` of every token the server must refuse.
pub fn refused(key: &ServerKey) -> Vec<(&'static str, String)> {
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let unsigned = format!(
        "{}.{}.",
        b64(&json!({ "alg": "none", "typ": "JWT" })),
        b64(&claims())
    );
    let now = get_current_timestamp();
    let good = accepted(key);
    let parts: Vec<&str> = good.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(&with(json!({ "sub": "bob" }))),
        parts[2]
    );
    let signed = |c: &Value| match key {
        ServerKey::Secret(secret) => hmac(Algorithm::HS256, secret, c),
        ServerKey::Rs256 => rsa("rs256-private.pem", c),
    };
    let mut tokens = vec![
        ("alg none, no signature", unsigned),
        ("the payload changed after signing", tampered),
        (
            "expired a minute ago",
            signed(&with(json!({ "exp": now - 60 }))),
        ),
        (
            "expired 2 s ago (within the clock-skew leeway)",
            signed(&with(json!({ "exp": now - 2 }))),
        ),
        (
            "not valid for an hour (nbf)",
            signed(&with(json!({ "nbf": now + 3600 }))),
        ),
        ("no exp", signed(&with(json!({ "exp": null })))),
        ("no sub", signed(&with(json!({ "sub": null })))),
        ("sub not a string", signed(&with(json!({ "sub": 42 })))),
        ("sub not a valid id", signed(&with(json!({ "sub": "a:b" })))),
        ("not a JWT", "not-a-jwt".to_owned()),
        (
            "RS256 with another key",
            rsa("other-rs256-private.pem", &claims()),
        ),
    ];
    match key {
        ServerKey::Secret(secret) => tokens.extend([
            (
                "HS384 with the right secret",
                hmac(Algorithm::HS384, secret, &claims()),
            ),
            (
                "HS512 with the right secret",
                hmac(Algorithm::HS512, secret, &claims()),
            ),
            (
                "HS256 with another secret",
                hmac(Algorithm::HS256, b"another secret", &claims()),
            ),
            (
                "RS256 when HS256 is configured",
                rsa("rs256-private.pem", &claims()),
            ),
        ]),
        ServerKey::Rs256 => {
            let public = fixture("rs256-public.pem");
            let es256 = EncodingKey::from_ec_pem(&fixture("es256-private.pem")).expect("an EC key");
            tokens.extend([
                (
                    "HS256 keyed with the RSA public key (algorithm confusion)",
                    hmac(Algorithm::HS256, &public, &claims()),
                ),
                (
                    "ES256 when RS256 is configured",
                    sign(Algorithm::ES256, &es256, &claims()),
                ),
            ]);
        }
    }
    tokens
}
