//! Key configurations that must be refused at load, each with a message
//! that names the file or the flags at fault.

use super::*;

fn load_err(cfg: AuthConfig) -> AuthError {
    Authenticator::load(&cfg).expect_err("must be refused")
}

fn pem(public: &str, private: Option<&str>, alg: Option<JwtAlg>) -> AuthConfig {
    AuthConfig {
        alg,
        public_key: Some(fixture(public)),
        private_key: private.map(fixture),
        ..config()
    }
}

fn assert_bad_key(err: AuthError, file: &str, says: &str) {
    match &err {
        AuthError::BadKey { path, reason } => {
            assert!(path.ends_with(file), "{err}");
            assert!(reason.contains(says), "{err}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.code(), "internal");
    assert!(err.to_string().contains(file), "{err}");
}

#[test]
fn secret_and_public_key_are_exclusive() {
    let err = load_err(AuthConfig {
        secret: Some("s3cr3t".into()),
        ..pem("rs256-public.pem", None, None)
    });
    assert!(matches!(err, AuthError::Config(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("--jwt-secret and --jwt-public-key"),
        "{err}"
    );
}

#[test]
fn a_secret_is_for_hs256_only() {
    for alg in [JwtAlg::Rs256, JwtAlg::Es256] {
        let err = load_err(AuthConfig {
            alg: Some(alg),
            secret: Some("s3cr3t".into()),
            ..config()
        });
        assert!(matches!(err, AuthError::Config(_)), "{err:?}");
        assert!(err.to_string().contains(alg.as_str()), "{err}");
    }
    let err = load_err(AuthConfig {
        secret: Some(String::new()),
        ..config()
    });
    assert!(err.to_string().contains("empty"), "{err}");
}

#[test]
fn rs256_or_es256_without_a_public_key_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for alg in [JwtAlg::Rs256, JwtAlg::Es256] {
        let err = load_err(AuthConfig {
            alg: Some(alg),
            data_dir: tmp.path().to_owned(),
            ..AuthConfig::default()
        });
        assert!(err.to_string().contains("--jwt-public-key"), "{err}");
    }
    // Nothing was generated for a configuration that is refused.
    assert_eq!(std::fs::read_dir(tmp.path()).expect("list").count(), 0);
}

#[test]
fn a_private_key_needs_its_public_key() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let err = load_err(AuthConfig {
        private_key: Some(fixture("rs256-private.pem")),
        data_dir: tmp.path().to_owned(),
        ..AuthConfig::default()
    });
    assert!(
        err.to_string()
            .contains("--jwt-private-key goes with --jwt-public-key"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(tmp.path()).expect("list").count(), 0);
    let err = load_err(AuthConfig {
        secret: Some("s3cr3t".into()),
        private_key: Some(fixture("rs256-private.pem")),
        ..config()
    });
    assert!(err.to_string().contains("not with --jwt-secret"), "{err}");
}

#[test]
fn the_algorithm_must_fit_the_public_key() {
    let cases = [
        (
            "rs256-public.pem",
            JwtAlg::Es256,
            "is a key for RS256, but --jwt-alg is ES256",
        ),
        (
            "rs256-public.pem",
            JwtAlg::Hs256,
            "is a key for RS256, but --jwt-alg is HS256",
        ),
        (
            "es256-public.pem",
            JwtAlg::Rs256,
            "is a key for ES256, but --jwt-alg is RS256",
        ),
        (
            "es256-public.pem",
            JwtAlg::Hs256,
            "is a key for ES256, but --jwt-alg is HS256",
        ),
    ];
    for (file, alg, says) in cases {
        assert_bad_key(load_err(pem(file, None, Some(alg))), file, says);
    }
}

#[test]
fn unusable_public_keys_are_refused() {
    for private in ["rs256-private.pem", "es256-private.pem"] {
        assert_bad_key(
            load_err(pem(private, None, None)),
            private,
            "holds a private key",
        );
    }
    assert_bad_key(
        load_err(pem("es384-public.pem", None, None)),
        "es384-public.pem",
        "not a P-256 key",
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let junk = tmp.path().join("junk.pem");
    for text in [
        "not a key",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    ] {
        std::fs::write(&junk, text).expect("write");
        let err = load_err(AuthConfig {
            public_key: Some(junk.clone()),
            ..config()
        });
        assert_bad_key(err, "junk.pem", "is not an RSA or P-256 EC public key");
    }
    let missing = tmp.path().join("missing.pem");
    let err = load_err(AuthConfig {
        public_key: Some(missing.clone()),
        ..config()
    });
    assert!(
        matches!(&err, AuthError::KeyFile { path, .. } if *path == missing),
        "{err:?}"
    );
    assert!(err.to_string().contains("missing.pem"), "{err}");
}

#[test]
fn the_private_key_must_match_the_public_key() {
    assert_bad_key(
        load_err(pem(
            "rs256-public.pem",
            Some("other-rs256-private.pem"),
            None,
        )),
        "other-rs256-private.pem",
        "does not sign tokens that",
    );
    assert_bad_key(
        load_err(pem("rs256-public.pem", Some("es256-private.pem"), None)),
        "es256-private.pem",
        "is not a PEM private key for RS256",
    );
    assert_bad_key(
        load_err(pem("es256-public.pem", Some("rs256-private.pem"), None)),
        "rs256-private.pem",
        "is not a PEM private key for ES256",
    );
    let err = load_err(pem("rs256-public.pem", Some("absent.pem"), None));
    assert!(
        matches!(&err, AuthError::KeyFile { path, .. } if path.ends_with("absent.pem")),
        "{err:?}"
    );
}
