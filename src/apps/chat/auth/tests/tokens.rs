//! Tokens that verify: minted and checked with each algorithm.

use std::time::Duration;

use super::*;

fn round_trip(auth: &Authenticator) {
    let before = now();
    let token = auth.mint("alice", Duration::from_secs(3600)).expect("mint");
    let header = jsonwebtoken::decode_header(&token).expect("header");
    assert_eq!(header.alg, auth.alg().algorithm());
    let id = auth.verify(&token).expect("verify");
    assert_eq!(id.user_id, "alice");
    let exp = id.expires_at.expect("exp");
    assert!((before + 3600..=now() + 3600).contains(&exp), "{exp}");
}

#[test]
fn hs256_round_trip() {
    let auth = hs256("a secret of thirty-two bytes or more!");
    assert_eq!(auth.alg(), JwtAlg::Hs256);
    assert!(auth.can_mint());
    assert!(!auth.generated_key());
    round_trip(&auth);
}

#[test]
fn rs256_round_trip() {
    let auth = rs256();
    assert_eq!(auth.alg(), JwtAlg::Rs256);
    assert!(auth.can_mint());
    assert!(!auth.generated_key());
    round_trip(&auth);
    // A verifier with the public key alone accepts what the signer made.
    let token = auth.mint("bob", Duration::from_secs(60)).expect("mint");
    let verifier = with_pem("rs256-public.pem", None);
    assert_eq!(verifier.verify(&token).expect("verify").user_id, "bob");
}

#[test]
fn es256_round_trip() {
    let auth = es256();
    assert_eq!(auth.alg(), JwtAlg::Es256);
    round_trip(&auth);
    let token = auth.mint("bob", Duration::from_secs(60)).expect("mint");
    let verifier = with_pem("es256-public.pem", None);
    assert_eq!(verifier.verify(&token).expect("verify").user_id, "bob");
}

#[test]
fn a_compressed_p256_public_key_works_too() {
    let token = es256()
        .mint("carol", Duration::from_secs(60))
        .expect("mint");
    let verifier = with_pem("es256-public-compressed.pem", None);
    assert_eq!(verifier.alg(), JwtAlg::Es256);
    assert_eq!(verifier.verify(&token).expect("verify").user_id, "carol");
}

#[test]
fn a_stated_algorithm_that_fits_the_key_is_accepted() {
    for (alg, public) in [
        (JwtAlg::Rs256, "rs256-public.pem"),
        (JwtAlg::Es256, "es256-public.pem"),
    ] {
        let auth = Authenticator::load(&AuthConfig {
            alg: Some(alg),
            public_key: Some(fixture(public)),
            ..config()
        })
        .expect("config");
        assert_eq!(auth.alg(), alg);
        assert!(!auth.can_mint());
    }
    let auth = Authenticator::load(&AuthConfig {
        alg: Some(JwtAlg::Hs256),
        secret: Some("s3cr3t".into()),
        ..config()
    })
    .expect("config");
    assert_eq!(auth.alg(), JwtAlg::Hs256);
}

#[test]
fn without_a_private_key_minting_is_refused_clearly() {
    let auth = with_pem("rs256-public.pem", None);
    let err = auth
        .mint("alice", Duration::from_secs(60))
        .expect_err("no key");
    assert!(
        matches!(err, AuthError::NoSigningKey { alg: JwtAlg::Rs256 }),
        "{err:?}"
    );
    assert!(err.to_string().contains("--jwt-private-key"), "{err}");
}

#[test]
fn minting_refuses_user_ids_verify_would_refuse() {
    let auth = hs256("s3cr3t");
    for (user, want) in [
        ("", IdError::Empty),
        ("a:b", IdError::BadChar(':')),
        ("a b", IdError::BadChar(' ')),
    ] {
        match auth.mint(user, Duration::from_secs(60)) {
            Err(AuthError::BadSubject(e)) => assert_eq!(e, want, "{user:?}"),
            other => panic!("{user:?}: {other:?}"),
        }
    }
    let long = "u".repeat(MAX_USER_ID_LEN);
    let token = auth
        .mint(&long, Duration::from_secs(60))
        .expect("longest id");
    assert_eq!(auth.verify(&token).expect("verify").user_id, long);
    let err = auth
        .mint(&"u".repeat(MAX_USER_ID_LEN + 1), Duration::from_secs(60))
        .expect_err("too long");
    assert_eq!(err.reason(), "bad_subject");
}

#[test]
fn minting_an_impossible_lifetime_is_an_error_not_a_panic() {
    let err = hs256("s3cr3t")
        .mint("alice", Duration::from_secs(u64::MAX))
        .expect_err("overflow");
    assert_eq!(err.reason(), "sign");
}

#[test]
fn the_generated_secret_is_made_private_and_reused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cfg = AuthConfig {
        data_dir: tmp.path().join("data"),
        ..AuthConfig::default()
    };
    let first = Authenticator::load(&cfg).expect("generated");
    assert!(first.generated_key());
    assert_eq!(first.alg(), JwtAlg::Hs256);
    let path = tmp.path().join("data").join(SECRET_FILE);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(&path).expect("secret file");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }
    let token = first.mint("alice", Duration::from_secs(60)).expect("mint");
    let second = Authenticator::load(&cfg).expect("reused");
    assert!(second.generated_key());
    assert_eq!(second.verify(&token).expect("same key").user_id, "alice");
    // The file's text is the secret: --jwt-secret with it is the same key.
    let text = std::fs::read_to_string(&path).expect("read");
    assert_eq!(
        hs256(text.trim()).verify(&token).expect("verify").user_id,
        "alice"
    );
    // Another data directory, another key.
    let other = Authenticator::load(&AuthConfig {
        data_dir: tmp.path().join("other"),
        ..AuthConfig::default()
    })
    .expect("generated");
    assert_eq!(
        other.verify(&token).expect_err("other key").reason(),
        "bad_signature"
    );
}

#[test]
fn fractional_exp_still_gives_an_expiry() {
    let auth = hs256("s3cr3t");
    let exp = now() + 100;
    let claims = serde_json::json!({ "sub": "alice", "exp": exp as f64 + 0.5 });
    let token = sign(Algorithm::HS256, &hs_key(b"s3cr3t"), &claims);
    assert_eq!(auth.verify(&token).expect("verify").expires_at, Some(exp));
}

#[test]
fn within_the_leeway_a_token_still_passes() {
    let auth = hs256("s3cr3t");
    let key = hs_key(b"s3cr3t");
    for claims in [
        serde_json::json!({ "sub": "alice", "exp": now() - 2 }),
        serde_json::json!({ "sub": "alice", "exp": now() + 60, "nbf": now() + 2 }),
        serde_json::json!({ "sub": "alice", "exp": now() + 60, "nbf": now() - 60 }),
        serde_json::json!({ "sub": "alice", "exp": now() + 60, "iat": now(), "extra": [1] }),
    ] {
        let token = sign(Algorithm::HS256, &key, &claims);
        assert_eq!(
            auth.verify(&token).expect("within leeway").user_id,
            "alice",
            "{claims}"
        );
    }
}

#[test]
fn debug_output_never_shows_the_secret() {
    let cfg = AuthConfig {
        secret: Some("hunter2-very-secret".into()),
        ..config()
    };
    let shown = format!("{cfg:?} {:?}", Authenticator::load(&cfg).expect("load"));
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("Hs256"), "{shown}");
    let cfg_shown = format!("{cfg:?}");
    assert!(
        cfg_shown.contains("secret: Some(\"<redacted>\")"),
        "{cfg_shown}"
    );
    assert!(cfg_shown.contains("data_dir"), "{cfg_shown}");
}
