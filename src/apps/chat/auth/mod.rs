//! Who a chat client is: a JWT, checked with a key pinned by configuration.
//!
//! A client sends its token in the Socket.IO handshake (the auth payload's
//! `token`, else the `token` query parameter: [`token_from_handshake`]) or
//! on REST as `Authorization: Bearer` ([`bearer`]). [`Authenticator::verify`]
//! checks it with the one configured algorithm — HS256 with a secret, or
//! RS256/ES256 with a public key; never the algorithm the token names —
//! requires `exp`, checks `nbf` when present (5 s of leeway for clock skew),
//! and returns the user id from `sub` ([`validate_user_id`]'s rules).
//!
//! With no key configured, an HS256 secret is generated on the first start
//! and kept in `DATA_DIR/jwt-secret` (mode 0600); [`Authenticator::mint`]
//! signs tokens with it (or with `--jwt-private-key`), which is what
//! `edgeio token --user ID` prints.
//!
//! # Layout
//! - `alg`: [`JwtAlg`]. `keys`: [`AuthConfig`] and loading the keys it names.
//! - `secret_file`: the generated secret. `ids`: user and device id rules.
//! - `transport`: where clients put tokens. `ttl`: lifetimes (`1h`, `7d`).
//! - `error`: [`AuthError`].

mod alg;
mod error;
mod ids;
mod keys;
mod secret_file;
mod transport;
mod ttl;

#[cfg(test)]
mod tests;

use std::fmt;
use std::time::Duration;

use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use super::identity::Identity;
pub use alg::{JwtAlg, UnknownAlg};
pub use error::AuthError;
pub use ids::{validate_device_id, validate_user_id, IdError, MAX_DEVICE_ID_LEN, MAX_USER_ID_LEN};
pub use keys::AuthConfig;
pub use secret_file::SECRET_FILE;
pub use transport::{bearer, token_from_handshake};
pub use ttl::{parse_ttl, TtlError, DEFAULT_TTL, MAX_TTL};

/// Seconds of clock skew allowed on `exp` and `nbf`.
pub const LEEWAY_SECS: u64 = 5;

/// How long a token from the demo page's `GET /dev/token` is valid.
pub const DEV_TOKEN_TTL: Duration = Duration::from_secs(3600);

/// Longest token accepted, in bytes: a bound on the work a stranger can ask
/// of the server before its signature is checked.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// Verifies (and, with a signing key, mints) the chat service's tokens.
pub struct Authenticator {
    /// The one algorithm accepted.
    alg: JwtAlg,
    /// What checks signatures.
    decoding: DecodingKey,
    /// What signs: the secret, or the private key when one is configured.
    encoding: Option<EncodingKey>,
    /// The checks: the pinned algorithm, `exp` required, `nbf`, leeway.
    validation: Validation,
    /// Whether the key is the secret generated in the data directory.
    generated: bool,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("alg", &self.alg)
            .field("can_mint", &self.can_mint())
            .field("generated_key", &self.generated)
            .finish_non_exhaustive()
    }
}

/// The claims read from a token. `sub` and `exp` are read loosely so that a
/// wrong type is reported as a bad subject, and a fractional `exp` (which
/// `jsonwebtoken` accepts) still gives an expiry.
#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    sub: Option<Value>,
    #[serde(default)]
    exp: Option<Value>,
}

/// The claims of a minted token.
#[derive(Serialize)]
struct MintClaims<'a> {
    sub: &'a str,
    iat: u64,
    exp: u64,
}

impl Authenticator {
    /// Loads the keys `config` names: a secret (HS256), a public key
    /// (RS256 or ES256, from `alg` or the key itself; a mismatch is
    /// refused) with an optional private key, or else the secret in the
    /// data directory, generated if absent.
    pub fn load(config: &AuthConfig) -> Result<Self, AuthError> {
        let keys = keys::load(config)?;
        Ok(Self {
            alg: keys.alg,
            validation: validation(keys.alg),
            decoding: keys.decoding,
            encoding: keys.encoding,
            generated: keys.generated,
        })
    }

    /// The pinned algorithm.
    pub fn alg(&self) -> JwtAlg {
        self.alg
    }

    /// Whether the key is the secret generated in the data directory (no
    /// key was configured): a development setup.
    pub fn generated_key(&self) -> bool {
        self.generated
    }

    /// Whether [`Authenticator::mint`] can sign (HS256, or a private key).
    pub fn can_mint(&self) -> bool {
        self.encoding.is_some()
    }

    /// Checks `token` and returns who it names.
    pub fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        if token.is_empty() {
            return Err(AuthError::MissingToken);
        }
        if token.len() > MAX_TOKEN_LEN {
            return Err(AuthError::Malformed(format!(
                "longer than {MAX_TOKEN_LEN} bytes"
            )));
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| AuthError::from_jwt(&e, self.alg))?
            .claims;
        let user_id = match claims.sub {
            Some(Value::String(sub)) => {
                validate_user_id(&sub)?;
                sub
            }
            Some(_) => return Err(IdError::NotAString.into()),
            None => return Err(IdError::Missing.into()),
        };
        let expires_at = claims
            .exp
            .and_then(|exp| exp.as_u64().or_else(|| exp.as_f64().map(|f| f as u64)));
        Ok(Identity {
            user_id,
            expires_at,
        })
    }

    /// A token for `user` that expires after `ttl`, signed with the
    /// secret or the private key.
    pub fn mint(&self, user: &str, ttl: Duration) -> Result<String, AuthError> {
        validate_user_id(user)?;
        let key = self
            .encoding
            .as_ref()
            .ok_or(AuthError::NoSigningKey { alg: self.alg })?;
        sign(self.alg, key, user, ttl)
    }
}

/// The checks every token goes through.
fn validation(alg: JwtAlg) -> Validation {
    // One algorithm: a token's own `alg` never chooses how it is checked.
    let mut validation = Validation::new(alg.algorithm());
    validation.set_required_spec_claims(&["exp"]);
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.leeway = LEEWAY_SECS;
    validation
}

fn sign(alg: JwtAlg, key: &EncodingKey, user: &str, ttl: Duration) -> Result<String, AuthError> {
    let iat = jsonwebtoken::get_current_timestamp();
    let exp = iat
        .checked_add(ttl.as_secs())
        .ok_or_else(|| AuthError::Sign(format!("a lifetime of {ttl:?} is too long")))?;
    let claims = MintClaims {
        sub: user,
        iat,
        exp,
    };
    jsonwebtoken::encode(&Header::new(alg.algorithm()), &claims, key)
        .map_err(|e| AuthError::Sign(e.to_string()))
}

/// Signs a short-lived token with `key` and checks it with `decoding`:
/// whether a private key matches its public key.
fn probe(alg: JwtAlg, key: &EncodingKey, decoding: &DecodingKey) -> Result<(), AuthError> {
    let token = sign(alg, key, "probe", Duration::from_secs(60))?;
    jsonwebtoken::decode::<Claims>(&token, decoding, &validation(alg))
        .map(drop)
        .map_err(|e| AuthError::from_jwt(&e, alg))
}

impl super::identity::Verifier for Authenticator {
    fn verify(&self, token: &str) -> super::error::ChatResult<Identity> {
        Authenticator::verify(self, token)
            .map_err(|e| super::error::ChatError::Unauthorized(e.to_string()))
    }

    /// Only with the generated secret: a configured key or secret is a
    /// deployment, where nobody may ask the server for someone's token.
    fn dev_token(&self, user: &str) -> Option<super::error::ChatResult<String>> {
        if !self.generated {
            return None;
        }
        Some(
            self.mint(user, DEV_TOKEN_TTL)
                .map_err(|e| super::error::ChatError::InvalidPayload(e.to_string())),
        )
    }
}
