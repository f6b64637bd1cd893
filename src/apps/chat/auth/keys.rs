//! [`AuthConfig`] and the keys it names: an HS256 secret (given, or
//! generated in the data directory), or a PEM public key for RS256/ES256
//! with an optional private key for minting.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use jsonwebtoken::{DecodingKey, EncodingKey};

use super::alg::JwtAlg;
use super::error::AuthError;
use super::secret_file;

/// Secrets shorter than this are accepted with a warning: HS256 is only as
/// strong as its secret, and RFC 7518 asks for at least 256 bits.
const MIN_SECRET_LEN: usize = 32;

/// Where the chat service's token keys come from (the binary builds it from
/// `--jwt-*` and `--data-dir`).
#[derive(Clone, Default)]
pub struct AuthConfig {
    /// The pinned algorithm; inferred from the key when absent.
    pub alg: Option<JwtAlg>,
    /// An HS256 secret.
    pub secret: Option<String>,
    /// A PEM public key (SPKI `PUBLIC KEY`, or PKCS#1 `RSA PUBLIC KEY`) for
    /// RS256 or ES256.
    pub public_key: Option<PathBuf>,
    /// The matching PEM private key (PKCS#8 `PRIVATE KEY`, or PKCS#1 `RSA
    /// PRIVATE KEY`), needed only to mint tokens.
    pub private_key: Option<PathBuf>,
    /// Where the generated secret is kept when no key is configured.
    pub data_dir: PathBuf,
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field("alg", &self.alg)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("public_key", &self.public_key)
            .field("private_key", &self.private_key)
            .field("data_dir", &self.data_dir)
            .finish()
    }
}

/// The keys an [`AuthConfig`] names.
pub(super) struct Keys {
    /// The pinned algorithm.
    pub alg: JwtAlg,
    /// What checks signatures.
    pub decoding: DecodingKey,
    /// What signs, when the configuration can sign.
    pub encoding: Option<EncodingKey>,
    /// Whether the key is the secret generated in the data directory.
    pub generated: bool,
}

/// Loads the keys `config` names, refusing contradictory settings.
pub(super) fn load(config: &AuthConfig) -> Result<Keys, AuthError> {
    match (&config.secret, &config.public_key) {
        (Some(_), Some(_)) => Err(AuthError::Config(
            "--jwt-secret and --jwt-public-key cannot be used together".into(),
        )),
        (Some(secret), None) => {
            no_private_key(config, "--jwt-secret")?;
            hs256_only(config.alg, "--jwt-secret")?;
            hmac(secret, false)
        }
        (None, Some(public)) => pem_keys(config.alg, public, config.private_key.as_deref()),
        (None, None) => {
            no_private_key(config, "the generated secret")?;
            hs256_only(config.alg, "the generated secret")?;
            hmac(&secret_file::load_or_create(&config.data_dir)?, true)
        }
    }
}

fn no_private_key(config: &AuthConfig, with: &str) -> Result<(), AuthError> {
    match config.private_key {
        Some(_) => Err(AuthError::Config(format!(
            "--jwt-private-key goes with --jwt-public-key, not with {with}"
        ))),
        None => Ok(()),
    }
}

fn hs256_only(alg: Option<JwtAlg>, with: &str) -> Result<(), AuthError> {
    match alg {
        None | Some(JwtAlg::Hs256) => Ok(()),
        Some(alg) => Err(AuthError::Config(format!(
            "--jwt-alg {alg} needs --jwt-public-key FILE; {with} is for HS256"
        ))),
    }
}

fn hmac(secret: &str, generated: bool) -> Result<Keys, AuthError> {
    if secret.is_empty() {
        return Err(AuthError::Config("--jwt-secret is empty".into()));
    }
    if is_weak(secret) {
        tracing::warn!(
            "the JWT secret is shorter than {MIN_SECRET_LEN} bytes: tokens signed with it can be forged by guessing it"
        );
    }
    let bytes = secret.as_bytes();
    Ok(Keys {
        alg: JwtAlg::Hs256,
        decoding: DecodingKey::from_secret(bytes).map_err(|e| AuthError::Config(e.to_string()))?,
        encoding: Some(
            EncodingKey::from_secret(bytes).map_err(|e| AuthError::Config(e.to_string()))?,
        ),
        generated,
    })
}

/// Whether a secret is too short for HS256's strength.
fn is_weak(secret: &str) -> bool {
    secret.len() < MIN_SECRET_LEN
}

/// An RS256 or ES256 public key, the algorithm it implies (which must be
/// the configured one, if any), and the private key when given.
fn pem_keys(alg: Option<JwtAlg>, public: &Path, private: Option<&Path>) -> Result<Keys, AuthError> {
    let pem = read(public)?;
    if pem_is_private(&pem) {
        return Err(bad(
            public,
            "holds a private key: give the public key (openssl pkey -in KEY -pubout)",
        ));
    }
    let (found, decoding) = if let Ok(key) = DecodingKey::from_rsa_pem(&pem) {
        (JwtAlg::Rs256, key)
    } else if let Ok(key) = DecodingKey::from_ec_pem(&pem) {
        // A P-256 point: 0x04 then x and y of 32 bytes each, or compressed,
        // 0x02 or 0x03 then x. P-384 and P-521 points are longer, and
        // cannot check ES256.
        if !matches!(key.try_get_as_bytes().map(<[u8]>::len), Ok(33 | 65)) {
            return Err(bad(public, "is not a P-256 key (ES256 needs P-256)"));
        }
        (JwtAlg::Es256, key)
    } else {
        return Err(bad(public, "is not an RSA or P-256 EC public key in PEM"));
    };
    if let Some(alg) = alg.filter(|&alg| alg != found) {
        return Err(bad(
            public,
            &format!("is a key for {found}, but --jwt-alg is {alg}"),
        ));
    }
    let encoding = private
        .map(|path| private_key(found, path, public, &decoding))
        .transpose()?;
    Ok(Keys {
        alg: found,
        decoding,
        encoding,
        generated: false,
    })
}

/// The private key at `path`, checked to sign tokens that `public` verifies.
fn private_key(
    alg: JwtAlg,
    path: &Path,
    public: &Path,
    decoding: &DecodingKey,
) -> Result<EncodingKey, AuthError> {
    let pem = read(path)?;
    let key = match alg {
        JwtAlg::Rs256 => EncodingKey::from_rsa_pem(&pem),
        _ => EncodingKey::from_ec_pem(&pem),
    }
    .map_err(|_| bad(path, &format!("is not a PEM private key for {alg}")))?;
    super::probe(alg, &key, decoding).map_err(|reason| {
        bad(
            path,
            &format!(
                "does not sign tokens that {} verifies: {reason}",
                public.display()
            ),
        )
    })?;
    Ok(key)
}

fn pem_is_private(pem: &[u8]) -> bool {
    pem.windows(b"PRIVATE KEY-----".len())
        .any(|w| w == b"PRIVATE KEY-----")
}

fn read(path: &Path) -> Result<Vec<u8>, AuthError> {
    fs::read(path).map_err(|error| AuthError::KeyFile {
        path: path.to_owned(),
        error,
    })
}

fn bad(path: &Path, reason: &str) -> AuthError {
    AuthError::BadKey {
        path: path.to_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_under_32_bytes_are_weak() {
        assert!(is_weak("s3cr3t"));
        assert!(is_weak(&"x".repeat(31)));
        assert!(!is_weak(&"x".repeat(32)));
        assert!(!is_weak(&"x".repeat(64)));
    }

    #[test]
    fn private_pem_labels_are_recognised() {
        for label in [
            "PRIVATE KEY",
            "RSA PRIVATE KEY",
            "EC PRIVATE KEY",
            "ENCRYPTED PRIVATE KEY",
        ] {
            let pem = format!("-----BEGIN {label}-----\nAAAA\n-----END {label}-----\n");
            assert!(pem_is_private(pem.as_bytes()), "{label}");
        }
        for label in ["PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE"] {
            let pem = format!("-----BEGIN {label}-----\nAAAA\n-----END {label}-----\n");
            assert!(!pem_is_private(pem.as_bytes()), "{label}");
        }
    }
}
