//! [`AuthError`]: why a token is refused, or why the token keys cannot be
//! loaded. Token problems all share the client-facing code `unauthorized`;
//! [`AuthError::reason`] tells them apart in logs.

use std::io;
use std::path::PathBuf;

use jsonwebtoken::errors::{Error as JwtError, ErrorKind};

use super::alg::JwtAlg;
use super::ids::IdError;

/// A refused token, or a key that cannot be loaded or used.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The client sent no token.
    #[error("no token")]
    MissingToken,
    /// The token's `exp` is past.
    #[error("the token has expired")]
    Expired,
    /// The token's `nbf` is in the future.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// The signature does not match the configured key.
    #[error("the token's signature does not verify")]
    BadSignature,
    /// The token's `alg` is not the one configured.
    #[error("the token is not signed with {expected}")]
    WrongAlgorithm {
        /// The configured algorithm.
        expected: JwtAlg,
    },
    /// Not a JWT, or claims of the wrong shape (a missing `exp`, say).
    #[error("malformed token: {0}")]
    Malformed(String),
    /// The `sub` claim (the user id) is missing or not a valid id.
    #[error("the token's subject (sub) {0}")]
    BadSubject(IdError),
    /// A key file cannot be read or written.
    #[error("key file {}: {error}", .path.display())]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// What the system said (in the message, so not also a `source`).
        error: io::Error,
    },
    /// A key file holds no key usable with the configuration.
    #[error("key file {} {reason}", .path.display())]
    BadKey {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The generated secret's file may be read or written by other users.
    #[error(
        "key file {} may be read or written by other users (mode {mode:03o}): run chmod 600 on it",
        .path.display()
    )]
    InsecureKeyFile {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The flags contradict each other.
    #[error("{0}")]
    Config(String),
    /// Minting needs a private key, and only the public key is configured.
    #[error("cannot sign {alg} tokens with only the public key: give the private key with --jwt-private-key FILE")]
    NoSigningKey {
        /// The configured algorithm.
        alg: JwtAlg,
    },
    /// Signing failed.
    #[error("cannot sign the token: {0}")]
    Sign(String),
}

// Not `#[from]`: that would also make the id error the `source`, and an
// error chain would print it twice.
impl From<IdError> for AuthError {
    fn from(e: IdError) -> Self {
        Self::BadSubject(e)
    }
}

impl AuthError {
    /// The stable code a client sees: `unauthorized` for every token
    /// problem (a client learns no more than that its token was refused),
    /// `internal` for a key or configuration problem of the server.
    pub fn code(&self) -> &'static str {
        if self.is_token_problem() {
            "unauthorized"
        } else {
            "internal"
        }
    }

    /// Whether the client's token is at fault (rather than the server's
    /// keys or configuration).
    pub fn is_token_problem(&self) -> bool {
        matches!(
            self,
            Self::MissingToken
                | Self::Expired
                | Self::NotYetValid
                | Self::BadSignature
                | Self::WrongAlgorithm { .. }
                | Self::Malformed(_)
                | Self::BadSubject(_)
        )
    }

    /// A stable, fine-grained name of the problem, for logs and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::MissingToken => "missing_token",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::BadSignature => "bad_signature",
            Self::WrongAlgorithm { .. } => "wrong_algorithm",
            Self::Malformed(_) => "malformed",
            Self::BadSubject(_) => "bad_subject",
            Self::KeyFile { .. } => "key_file",
            Self::BadKey { .. } => "bad_key",
            Self::InsecureKeyFile { .. } => "insecure_key_file",
            Self::Config(_) => "config",
            Self::NoSigningKey { .. } => "no_signing_key",
            Self::Sign(_) => "sign",
        }
    }

    /// The refusal of a token that `jsonwebtoken` did not accept, checked
    /// against algorithm `expected`.
    pub(super) fn from_jwt(err: &JwtError, expected: JwtAlg) -> Self {
        match err.kind() {
            ErrorKind::ExpiredSignature => Self::Expired,
            ErrorKind::ImmatureSignature => Self::NotYetValid,
            ErrorKind::InvalidSignature => Self::BadSignature,
            ErrorKind::InvalidAlgorithm => Self::WrongAlgorithm { expected },
            ErrorKind::InvalidAudience => {
                Self::Malformed("it names an audience (aud), and none is configured".into())
            }
            _ => Self::Malformed(err.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_token_problem_is_unauthorized() {
        let token_problems = [
            AuthError::MissingToken,
            AuthError::Expired,
            AuthError::NotYetValid,
            AuthError::BadSignature,
            AuthError::WrongAlgorithm {
                expected: JwtAlg::Hs256,
            },
            AuthError::Malformed("x".into()),
            AuthError::BadSubject(IdError::Empty),
        ];
        for e in &token_problems {
            assert_eq!(e.code(), "unauthorized", "{e}");
            assert!(e.is_token_problem(), "{e}");
        }
        let server_problems = [
            AuthError::KeyFile {
                path: "/k".into(),
                error: io::Error::from(io::ErrorKind::NotFound),
            },
            AuthError::BadKey {
                path: "/k".into(),
                reason: "is odd".into(),
            },
            AuthError::InsecureKeyFile {
                path: "/k".into(),
                mode: 0o644,
            },
            AuthError::Config("x".into()),
            AuthError::NoSigningKey { alg: JwtAlg::Rs256 },
            AuthError::Sign("x".into()),
        ];
        for e in &server_problems {
            assert_eq!(e.code(), "internal", "{e}");
            assert!(!e.is_token_problem(), "{e}");
        }
        let reasons: std::collections::HashSet<_> = token_problems
            .iter()
            .chain(&server_problems)
            .map(AuthError::reason)
            .collect();
        assert_eq!(reasons.len(), 13, "one distinct reason per variant");
    }

    #[test]
    fn messages_name_the_file_and_the_fix() {
        let e = AuthError::InsecureKeyFile {
            path: "/d/jwt-secret".into(),
            mode: 0o644,
        };
        assert_eq!(
            e.to_string(),
            "key file /d/jwt-secret may be read or written by other users (mode 644): run chmod 600 on it"
        );
        let e = AuthError::NoSigningKey { alg: JwtAlg::Es256 };
        assert!(e.to_string().contains("ES256"), "{e}");
        assert!(e.to_string().contains("--jwt-private-key"), "{e}");
        let e = AuthError::KeyFile {
            path: "/k.pem".into(),
            error: io::Error::from(io::ErrorKind::NotFound),
        };
        assert!(e.to_string().starts_with("key file /k.pem: "), "{e}");
    }

    #[test]
    fn jsonwebtoken_errors_map_to_stable_reasons() {
        let map =
            |kind: ErrorKind| AuthError::from_jwt(&JwtError::from(kind), JwtAlg::Rs256).reason();
        assert_eq!(map(ErrorKind::ExpiredSignature), "expired");
        assert_eq!(map(ErrorKind::ImmatureSignature), "not_yet_valid");
        assert_eq!(map(ErrorKind::InvalidSignature), "bad_signature");
        assert_eq!(map(ErrorKind::InvalidAlgorithm), "wrong_algorithm");
        assert_eq!(map(ErrorKind::InvalidAudience), "malformed");
        let aud = AuthError::from_jwt(&JwtError::from(ErrorKind::InvalidAudience), JwtAlg::Hs256);
        assert!(aud.to_string().contains("audience (aud)"), "{aud}");
        assert_eq!(map(ErrorKind::InvalidToken), "malformed");
        assert_eq!(
            map(ErrorKind::MissingRequiredClaim("exp".into())),
            "malformed"
        );
    }
}
