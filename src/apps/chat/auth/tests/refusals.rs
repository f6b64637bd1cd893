//! Tokens that must be refused, and the reason each is refused with.

use serde_json::json;

use super::*;

const SECRET: &[u8] = b"the same secret on both sides, 32+ bytes";

fn hs() -> Authenticator {
    hs256(std::str::from_utf8(SECRET).expect("utf-8"))
}

fn reason(auth: &Authenticator, token: &str) -> &'static str {
    let err = auth.verify(token).expect_err("must be refused");
    assert_eq!(err.code(), "unauthorized", "{err}");
    err.reason()
}

#[test]
fn alg_none_is_refused() {
    let header = b64(&json!({ "alg": "none", "typ": "JWT" }));
    let claims = b64(&alice());
    for token in [
        format!("{header}.{claims}."),
        format!("{header}.{claims}"),
        format!("{header}.{claims}.c2ln"),
    ] {
        for auth in [hs(), rs256(), es256()] {
            let why = reason(&auth, &token);
            assert!(
                why == "malformed" || why == "wrong_algorithm",
                "{token}: {why}"
            );
        }
    }
    // Case variants are no better.
    let header = b64(&json!({ "alg": "None" }));
    assert_eq!(reason(&hs(), &format!("{header}.{claims}.")), "malformed");
}

#[test]
fn other_hmac_strengths_with_the_same_secret_are_refused() {
    let key = hs_key(SECRET);
    for alg in [Algorithm::HS384, Algorithm::HS512] {
        let token = sign(alg, &key, &alice());
        let err = hs().verify(&token).expect_err("pinned to HS256");
        assert!(
            matches!(
                err,
                AuthError::WrongAlgorithm {
                    expected: JwtAlg::Hs256
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("HS256"), "{err}");
    }
    // The same claims signed with HS256 pass: only the algorithm differed.
    assert!(hs().verify(&sign(Algorithm::HS256, &key, &alice())).is_ok());
}

#[test]
fn a_token_of_another_family_is_refused() {
    let rs_token = rs256()
        .mint("alice", std::time::Duration::from_secs(60))
        .expect("rs");
    let es_token = es256()
        .mint("alice", std::time::Duration::from_secs(60))
        .expect("es");
    let hs_token = hs()
        .mint("alice", std::time::Duration::from_secs(60))
        .expect("hs");
    assert_eq!(reason(&hs(), &rs_token), "wrong_algorithm");
    assert_eq!(reason(&hs(), &es_token), "wrong_algorithm");
    assert_eq!(reason(&rs256(), &hs_token), "wrong_algorithm");
    assert_eq!(reason(&rs256(), &es_token), "wrong_algorithm");
    assert_eq!(reason(&es256(), &hs_token), "wrong_algorithm");
    assert_eq!(reason(&es256(), &rs_token), "wrong_algorithm");
    // RS512 with the right RSA key is not RS256.
    let rsa = EncodingKey::from_rsa_pem(&fixture_bytes("rs256-private.pem")).expect("rsa");
    assert_eq!(
        reason(&rs256(), &sign(Algorithm::RS512, &rsa, &alice())),
        "wrong_algorithm"
    );
}

#[test]
fn hs256_signed_with_the_public_key_is_refused() {
    // The key-confusion attack: the public key is public, so an attacker
    // can HMAC with its bytes and hope the server checks HS256 with it.
    for (public, auth) in [("rs256-public.pem", rs256()), ("es256-public.pem", es256())] {
        let pem = fixture_bytes(public);
        for secret in [pem.as_slice(), pem.trim_ascii_end()] {
            let forged = sign(Algorithm::HS256, &hs_key(secret), &alice());
            assert_eq!(reason(&auth, &forged), "wrong_algorithm", "{public}");
        }
    }
}

#[test]
fn a_wrong_key_is_a_bad_signature() {
    let forged = sign(Algorithm::HS256, &hs_key(b"not the secret"), &alice());
    assert_eq!(reason(&hs(), &forged), "bad_signature");
    let other = EncodingKey::from_rsa_pem(&fixture_bytes("other-rs256-private.pem")).expect("rsa");
    assert_eq!(
        reason(&rs256(), &sign(Algorithm::RS256, &other, &alice())),
        "bad_signature"
    );
}

#[test]
fn a_tampered_payload_is_a_bad_signature() {
    let token = hs()
        .mint("alice", std::time::Duration::from_secs(60))
        .expect("mint");
    let mut parts: Vec<&str> = token.split('.').collect();
    let evil = b64(&json!({ "sub": "admin", "exp": now() + 3600 }));
    parts[1] = &evil;
    assert_eq!(reason(&hs(), &parts.join(".")), "bad_signature");
}

#[test]
fn expired_and_not_yet_valid_tokens_are_refused() {
    let key = hs_key(SECRET);
    let expired = sign(
        Algorithm::HS256,
        &key,
        &json!({ "sub": "alice", "exp": now() - 60 }),
    );
    assert!(matches!(hs().verify(&expired), Err(AuthError::Expired)));
    let early = json!({ "sub": "alice", "exp": now() + 3600, "nbf": now() + 60 });
    let early = sign(Algorithm::HS256, &key, &early);
    assert!(matches!(hs().verify(&early), Err(AuthError::NotYetValid)));
    // Just past the leeway.
    let token = sign(
        Algorithm::HS256,
        &key,
        &json!({ "sub": "a", "exp": now() - 7 }),
    );
    assert_eq!(reason(&hs(), &token), "expired");
}

#[test]
fn exp_is_required_and_must_be_a_number() {
    let key = hs_key(SECRET);
    for claims in [
        json!({ "sub": "alice" }),
        json!({ "sub": "alice", "exp": null }),
        json!({ "sub": "alice", "exp": "tomorrow" }),
        json!({ "sub": "alice", "exp": now() + 60, "nbf": "now" }),
    ] {
        let token = sign(Algorithm::HS256, &key, &claims);
        assert_eq!(reason(&hs(), &token), "malformed", "{claims}");
    }
}

#[test]
fn the_subject_must_be_a_valid_user_id() {
    let key = hs_key(SECRET);
    let exp = now() + 60;
    for (claims, want) in [
        (json!({ "exp": exp }), IdError::Missing),
        (json!({ "sub": null, "exp": exp }), IdError::Missing),
        (json!({ "sub": 42, "exp": exp }), IdError::NotAString),
        (json!({ "sub": "", "exp": exp }), IdError::Empty),
        (
            json!({ "sub": "x".repeat(129), "exp": exp }),
            IdError::TooLong { max: 128 },
        ),
        (
            json!({ "sub": "user:alice", "exp": exp }),
            IdError::BadChar(':'),
        ),
        (
            json!({ "sub": "alice bob", "exp": exp }),
            IdError::BadChar(' '),
        ),
        (
            json!({ "sub": "alice\n", "exp": exp }),
            IdError::BadChar('\n'),
        ),
    ] {
        let token = sign(Algorithm::HS256, &key, &claims);
        match hs().verify(&token) {
            Err(AuthError::BadSubject(e)) => assert_eq!(e, want, "{claims}"),
            other => panic!("{claims}: {other:?}"),
        }
    }
    // jsonwebtoken's own claim reader stumbles on a non-string `sub` that
    // is not a scalar: refused all the same.
    let token = sign(Algorithm::HS256, &key, &json!({ "sub": ["a"], "exp": exp }));
    assert_eq!(reason(&hs(), &token), "malformed");
}

#[test]
fn an_audience_is_refused_since_none_is_configured() {
    let claims = json!({ "sub": "alice", "exp": now() + 60, "aud": "another-service" });
    let token = sign(Algorithm::HS256, &hs_key(SECRET), &claims);
    assert_eq!(reason(&hs(), &token), "malformed");
}

#[test]
fn garbage_is_malformed_and_nothing_is_missing() {
    assert!(matches!(hs().verify(""), Err(AuthError::MissingToken)));
    let valid = hs()
        .mint("alice", std::time::Duration::from_secs(60))
        .expect("mint");
    let header = valid.split('.').next().expect("header");
    let garbage = [
        "x".to_owned(),
        "a.b".to_owned(),
        "a.b.c".to_owned(),
        "..".to_owned(),
        "...".to_owned(),
        "Bearer x.y.z".to_owned(),
        " ".to_owned(),
        "ä.ö.ü".to_owned(),
        format!("{header}.!!!.sig"),
        format!("{header}.{}.sig", b64(&json!("a string"))),
        format!("{header}.{}.sig", b64(&json!([1, 2]))),
        format!("{}.e30.sig", b64(&json!({ "typ": "JWT" }))),
        format!("{valid}.extra"),
        "x".repeat(MAX_TOKEN_LEN + 1),
    ];
    for token in &garbage {
        for auth in [hs(), rs256(), es256()] {
            let why = reason(&auth, token);
            assert!(
                matches!(why, "malformed" | "bad_signature" | "wrong_algorithm"),
                "{token}: {why}"
            );
        }
    }
    assert_eq!(reason(&hs(), "a.b.c"), "malformed");
    // Over the length limit, even a well-formed token is refused unread.
    let padded = json!({ "sub": "alice", "exp": now() + 60, "pad": "p".repeat(MAX_TOKEN_LEN) });
    let long = sign(Algorithm::HS256, &hs_key(SECRET), &padded);
    match hs().verify(&long) {
        Err(AuthError::Malformed(m)) => assert!(m.contains("longer than 8192 bytes"), "{m}"),
        other => panic!("{other:?}"),
    }
    // At exactly the limit it is read (and refused for what it holds).
    match hs().verify(&"x".repeat(MAX_TOKEN_LEN)) {
        Err(AuthError::Malformed(m)) => assert!(!m.contains("longer than"), "{m}"),
        other => panic!("{other:?}"),
    }
}
