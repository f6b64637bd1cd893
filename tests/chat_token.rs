//! `edgeio token` as an operator runs it: one line on stdout, a token that
//! the chat service's authenticator accepts with the same configuration —
//! the secret generated in the data directory, or `--jwt-secret` — and
//! clear refusals of a bad lifetime or user id.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use edgeio::apps::chat::auth::{AuthConfig, Authenticator, SECRET_FILE};

const BIN: &str = env!("CARGO_BIN_EXE_edgeio");

/// Runs `edgeio ARGS` with no `EDGEIO_*` or `PORT` variables of the
/// caller's environment.
fn edgeio(args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env("RUST_BACKTRACE", "0");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("EDGEIO_") || name == "PORT" {
            cmd.env_remove(name);
        }
    }
    cmd.output().expect("run edgeio")
}

/// The token printed by a successful run: stdout is exactly one line.
fn token(out: &Output) -> String {
    assert!(
        out.status.success(),
        "edgeio failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout.clone()).expect("utf-8");
    let line = stdout.strip_suffix('\n').expect("a line");
    assert!(!line.contains('\n'), "one line only: {stdout:?}");
    assert_eq!(line.split('.').count(), 3, "a JWT: {line}");
    line.to_owned()
}

fn data_dir_auth(dir: &Path) -> Authenticator {
    Authenticator::load(&AuthConfig {
        data_dir: dir.to_owned(),
        ..AuthConfig::default()
    })
    .expect("the data directory's key")
}

fn path_arg(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn a_token_signed_with_the_generated_secret() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir: PathBuf = tmp.path().join("data");
    let first = token(&edgeio(&[
        "token",
        "--user",
        "alice",
        "--data-dir",
        path_arg(&dir),
    ]));

    let auth = data_dir_auth(&dir);
    assert!(auth.generated_key());
    let id = auth.verify(&first).expect("verifies");
    assert_eq!(id.user_id, "alice");
    let exp = id.expires_at.expect("exp");
    let now = jsonwebtoken::get_current_timestamp();
    assert!((now + 3590..=now + 3600).contains(&exp), "1h by default");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(dir.join(SECRET_FILE)).expect("the secret file");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }
    // The storage was not opened: the secret is all there is.
    let names: Vec<_> = std::fs::read_dir(&dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from(SECRET_FILE)]);

    // A second run reuses the key; the flags may also come first.
    let secret = std::fs::read(dir.join(SECRET_FILE)).expect("read");
    let second = token(&edgeio(&[
        "--data-dir",
        path_arg(&dir),
        "token",
        "--user",
        "bob",
        "--ttl",
        "15m",
    ]));
    assert_eq!(std::fs::read(dir.join(SECRET_FILE)).expect("read"), secret);
    let id = data_dir_auth(&dir).verify(&second).expect("same key");
    assert_eq!(id.user_id, "bob");
    assert!(id.expires_at.expect("exp") <= jsonwebtoken::get_current_timestamp() + 900);

    // Another data directory has another key.
    let other = data_dir_auth(&tmp.path().join("other"));
    assert_eq!(
        other.verify(&first).expect_err("other key").reason(),
        "bad_signature"
    );
}

#[test]
fn a_token_signed_with_a_configured_secret() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("data");
    let t = token(&edgeio(&[
        "token",
        "--user",
        "alice",
        "--jwt-secret",
        "s3cr3t",
        "--data-dir",
        path_arg(&dir),
    ]));
    let auth = Authenticator::load(&AuthConfig {
        secret: Some("s3cr3t".into()),
        ..AuthConfig::default()
    })
    .expect("secret");
    assert_eq!(auth.verify(&t).expect("verifies").user_id, "alice");
    assert!(!dir.exists(), "nothing generated when a secret is given");

    // The same through the environment.
    let mut cmd = Command::new(BIN);
    cmd.args(["token", "--user", "carol"])
        .env("EDGEIO_JWT_SECRET", "s3cr3t")
        .env("EDGEIO_DATA_DIR", &dir);
    let t = token(&cmd.output().expect("run"));
    assert_eq!(auth.verify(&t).expect("verifies").user_id, "carol");
    assert!(!dir.exists());
}

#[test]
fn a_token_signed_with_a_private_key() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/jwt");
    let public = fixtures.join("es256-public.pem");
    let t = token(&edgeio(&[
        "token",
        "--user",
        "alice",
        "--jwt-public-key",
        path_arg(&public),
        "--jwt-private-key",
        path_arg(&fixtures.join("es256-private.pem")),
    ]));
    let auth = Authenticator::load(&AuthConfig {
        public_key: Some(public.clone()),
        ..AuthConfig::default()
    })
    .expect("public key");
    assert_eq!(auth.verify(&t).expect("verifies").user_id, "alice");

    // With the public key alone there is nothing to sign with.
    let out = edgeio(&[
        "token",
        "--user",
        "alice",
        "--jwt-public-key",
        path_arg(&public),
    ]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--jwt-private-key"), "{stderr}");
}

#[test]
fn bad_lifetimes_and_user_ids_are_refused_clearly() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("data");
    for (args, says) in [
        (
            &["--ttl", "nonsense"][..],
            "write 30s, 15m, 1h, 7d or plain seconds",
        ),
        (&["--ttl", "400d"], "longer than the limit of 365d"),
        (&["--ttl", "0"], "at least 1 second"),
    ] {
        let mut all = vec!["token", "--user", "alice", "--data-dir", path_arg(&dir)];
        all.extend_from_slice(args);
        let out = edgeio(&all);
        assert!(!out.status.success(), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(stderr.contains("--ttl"), "{args:?}: {stderr}");
    }
    for user in ["a:b", "", "a b"] {
        let out = edgeio(&["token", "--user", user, "--data-dir", path_arg(&dir)]);
        assert!(!out.status.success(), "{user:?}");
        assert!(out.stdout.is_empty(), "{user:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("the user id"), "{user:?}: {stderr}");
    }
    assert!(!dir.exists(), "a refused command makes no key");
}

#[test]
fn conflicting_key_flags_are_refused() {
    let out = edgeio(&[
        "token",
        "--user",
        "alice",
        "--jwt-secret",
        "s3cr3t",
        "--jwt-alg",
        "RS256",
    ]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--jwt-alg RS256 needs --jwt-public-key"),
        "{stderr}"
    );
}
