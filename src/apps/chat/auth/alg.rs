//! [`JwtAlg`]: the signing algorithms the chat service accepts. One is pinned
//! by configuration; a token's own `alg` header never chooses it.

use std::fmt;
use std::str::FromStr;

use jsonwebtoken::Algorithm;

/// A token signing algorithm: HMAC with a shared secret, or a signature
/// checked with a public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JwtAlg {
    /// HMAC-SHA256 with a shared secret (`--jwt-secret`, or the generated one).
    Hs256,
    /// RSASSA-PKCS1-v1_5 with SHA-256, checked with an RSA public key.
    Rs256,
    /// ECDSA on P-256 with SHA-256, checked with an EC public key.
    Es256,
}

impl JwtAlg {
    /// The name used in the `alg` header and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hs256 => "HS256",
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
        }
    }

    /// The `jsonwebtoken` algorithm.
    pub(super) fn algorithm(self) -> Algorithm {
        match self {
            Self::Hs256 => Algorithm::HS256,
            Self::Rs256 => Algorithm::RS256,
            Self::Es256 => Algorithm::ES256,
        }
    }
}

impl fmt::Display for JwtAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An algorithm name that is not one of HS256, RS256, ES256.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown JWT algorithm {0:?} (HS256, RS256 or ES256)")]
pub struct UnknownAlg(pub String);

impl FromStr for JwtAlg {
    type Err = UnknownAlg;

    /// `HS256`, `RS256` or `ES256`, in any case (environment variables are
    /// often written in lower case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "HS256" => Ok(Self::Hs256),
            "RS256" => Ok(Self::Rs256),
            "ES256" => Ok(Self::Es256),
            _ => Err(UnknownAlg(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_print() {
        for (name, alg, jwt) in [
            ("HS256", JwtAlg::Hs256, Algorithm::HS256),
            ("RS256", JwtAlg::Rs256, Algorithm::RS256),
            ("ES256", JwtAlg::Es256, Algorithm::ES256),
        ] {
            assert_eq!(name.parse::<JwtAlg>(), Ok(alg));
            assert_eq!(name.to_lowercase().parse::<JwtAlg>(), Ok(alg));
            assert_eq!(alg.to_string(), name);
            assert_eq!(alg.algorithm(), jwt);
        }
        for bad in ["", "none", "HS384", "HS512", "RS512", "PS256", "EdDSA"] {
            let err = bad.parse::<JwtAlg>().expect_err(bad);
            assert!(err.to_string().contains("HS256, RS256 or ES256"), "{err}");
        }
    }
}
