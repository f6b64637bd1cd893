//! The generated HS256 secret: made on the first start without a configured
//! key, kept in `DATA_DIR/jwt-secret` (mode 0600) so that tokens outlive a
//! restart and `edgeio token` signs with what the server verifies.
//!
//! The file holds 64 hex characters (32 random bytes) and a newline; the
//! HMAC key is that text without the newline, so
//! `--jwt-secret "$(cat DATA_DIR/jwt-secret)"` is the same key.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rand::TryRngCore;

use super::error::AuthError;

/// The file's name in the data directory.
pub const SECRET_FILE: &str = "jwt-secret";

/// Random bytes in a generated secret.
const SECRET_BYTES: usize = 32;

/// The secret kept in `dir`, made first if there is none. A file that
/// other users may read or write is refused: anyone who reads it can sign
/// tokens for any user.
pub(super) fn load_or_create(dir: &Path) -> Result<String, AuthError> {
    let path = dir.join(SECRET_FILE);
    match read(&path) {
        Err(AuthError::KeyFile { error, .. }) if error.kind() == io::ErrorKind::NotFound => {
            create(dir, path)
        }
        other => other,
    }
}

/// Reads an existing secret file.
fn read(path: &Path) -> Result<String, AuthError> {
    let io_err = |error| AuthError::KeyFile {
        path: path.to_owned(),
        error,
    };
    let meta = fs::metadata(path).map_err(io_err)?;
    if !meta.is_file() {
        return Err(bad(path, "is not a regular file"));
    }
    if let Some(mode) = shared_mode(&meta) {
        return Err(AuthError::InsecureKeyFile {
            path: path.to_owned(),
            mode,
        });
    }
    let bytes = fs::read(path).map_err(io_err)?;
    let text = String::from_utf8(bytes).map_err(|_| bad(path, "is not text"))?;
    let secret = text.trim();
    if secret.is_empty() {
        return Err(bad(path, "is empty"));
    }
    Ok(secret.to_owned())
}

/// Writes a new secret where none exists. The secret is written whole to a
/// private temporary file, then linked in place: the link fails if another
/// process (a server, an `edgeio token`) made the file first, and then its
/// secret is the one used, never overwritten.
fn create(dir: &Path, path: PathBuf) -> Result<String, AuthError> {
    let io_err = |p: &Path| {
        let p = p.to_owned();
        move |error| AuthError::KeyFile { path: p, error }
    };
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let secret = generate().map_err(io_err(&path))?;
    let tmp = dir.join(format!(
        ".{SECRET_FILE}.{}.{}.tmp",
        std::process::id(),
        &generate().map_err(io_err(&path))?[..8]
    ));
    let linked = write_private(&tmp, &secret).and_then(|()| fs::hard_link(&tmp, &path));
    // The temporary name goes whether or not the link was made.
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            // Make the new name durable; the secret's bytes already are.
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
            tracing::info!(path = %path.display(), "generated a JWT secret for the chat service");
            Ok(secret)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => read(&path),
        Err(error) => Err(AuthError::KeyFile { path, error }),
    }
}

/// A new secret: 32 bytes from the operating system, in hex.
fn generate() -> io::Result<String> {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(io::Error::other)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Creates `path` (which must not exist) readable and writable by its
/// owner only, writes the secret and a newline, and syncs it.
fn write_private(path: &Path, secret: &str) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(secret.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

/// The permission bits of a file that users other than its owner may read
/// or write; `None` when only the owner may.
fn shared_mode(meta: &fs::Metadata) -> Option<u32> {
    #[cfg(unix)]
    let mode = std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777;
    // No Unix permission bits to check elsewhere. (One function with a
    // cfg'd line, not two cfg'd functions: mutation testing would change
    // the one not compiled here and report it as untested.)
    #[cfg(not(unix))]
    let mode = {
        let _ = meta;
        0
    };
    (mode & 0o066 != 0).then_some(mode)
}

fn bad(path: &Path, reason: &str) -> AuthError {
    AuthError::BadKey {
        path: path.to_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).expect("metadata").permissions().mode() & 0o777
    }

    #[test]
    fn made_once_private_then_reused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("nested").join("data");
        let first = load_or_create(&dir).expect("created");
        assert_eq!(first.len(), 2 * SECRET_BYTES);
        assert!(first.bytes().all(|b| b.is_ascii_hexdigit()), "{first}");
        let path = dir.join(SECRET_FILE);
        assert_eq!(mode(&path), 0o600);
        assert_eq!(
            fs::read_to_string(&path).expect("read"),
            format!("{first}\n")
        );
        assert_eq!(load_or_create(&dir).expect("reused"), first);
        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(&dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(SECRET_FILE)]);
        // Two directories, two secrets.
        let other = load_or_create(&tmp.path().join("other")).expect("created");
        assert_ne!(other, first);
    }

    #[test]
    fn losing_the_race_to_create_keeps_the_winners_secret() {
        // Another process made the file between our look and our link.
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join(SECRET_FILE);
        write_private(&path, "the winner's secret").expect("write");
        let got = create(tmp.path(), path.clone()).expect("the winner's");
        assert_eq!(got, "the winner's secret");
        assert_eq!(
            fs::read_to_string(&path).expect("read"),
            "the winner's secret\n"
        );
        assert_eq!(
            fs::read_dir(tmp.path()).expect("list").count(),
            1,
            "no temporary left"
        );
    }

    #[test]
    fn an_existing_secret_is_trimmed_and_kept() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join(SECRET_FILE);
        write_private(&path, "  my own secret ").expect("write");
        assert_eq!(load_or_create(tmp.path()).expect("read"), "my own secret");
        assert_eq!(
            fs::read_to_string(&path).expect("read"),
            "  my own secret \n"
        );
    }

    #[test]
    fn a_file_others_may_read_or_write_is_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join(SECRET_FILE);
        load_or_create(tmp.path()).expect("created");
        for loose in [0o644, 0o640, 0o604, 0o620, 0o602, 0o666] {
            fs::set_permissions(&path, fs::Permissions::from_mode(loose)).expect("chmod");
            match load_or_create(tmp.path()) {
                Err(AuthError::InsecureKeyFile { path: p, mode }) => {
                    assert_eq!(p, path);
                    assert_eq!(mode, loose);
                }
                other => panic!("mode {loose:o}: {other:?}"),
            }
        }
        for fine in [0o600, 0o400, 0o700] {
            fs::set_permissions(&path, fs::Permissions::from_mode(fine)).expect("chmod");
            assert!(load_or_create(tmp.path()).is_ok(), "mode {fine:o}");
        }
    }

    #[test]
    fn unusable_files_name_their_path() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join(SECRET_FILE);
        write_private(&path, " \n ").expect("write");
        let err = load_or_create(tmp.path()).expect_err("empty");
        assert_eq!(err.reason(), "bad_key");
        assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
        assert!(err.to_string().contains("is empty"), "{err}");

        fs::remove_file(&path).expect("rm");
        fs::create_dir(&path).expect("a directory in its place");
        let err = load_or_create(tmp.path()).expect_err("a directory");
        assert!(err.to_string().contains("not a regular file"), "{err}");

        fs::remove_dir(&path).expect("rmdir");
        fs::write(&path, [0xff, 0xfe]).expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
        let err = load_or_create(tmp.path()).expect_err("not text");
        assert!(err.to_string().contains("is not text"), "{err}");
    }

    #[test]
    fn a_secret_that_cannot_be_read_is_not_replaced() {
        // The data directory is a file: looking for the secret fails with
        // "not a directory", which is reported as it is, for the secret's
        // path, rather than taken for "absent" and a new one made.
        let tmp = tempfile::tempdir().expect("tempdir");
        let file = tmp.path().join("not-a-dir");
        fs::write(&file, "x").expect("write");
        match load_or_create(&file) {
            Err(AuthError::KeyFile { path, error }) => {
                assert_eq!(path, file.join(SECRET_FILE));
                assert_eq!(error.kind(), io::ErrorKind::NotADirectory);
            }
            other => panic!("{other:?}"),
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_failed_write_is_reported_as_it_is() {
        // A directory whose path leaves room for `jwt-secret` but not for
        // the longer temporary name: writing fails (ENAMETOOLONG), and that
        // is the error, not the "no such file" that reading again would give.
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut dir = tmp.path().to_path_buf();
        while dir.as_os_str().len() < 4080 - 201 {
            dir.push("d".repeat(200));
        }
        let room = 4080 - dir.as_os_str().len() - 1;
        dir.push("e".repeat(room));
        assert_eq!(dir.as_os_str().len(), 4080);
        fs::create_dir_all(&dir).expect("a deep directory");
        match load_or_create(&dir) {
            Err(AuthError::KeyFile { path, error }) => {
                assert_eq!(path, dir.join(SECRET_FILE));
                assert_eq!(error.kind(), io::ErrorKind::InvalidFilename, "{error}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_data_dir_that_cannot_be_made_is_an_error_naming_it() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let file = tmp.path().join("a-file");
        fs::write(&file, "x").expect("write");
        let err = load_or_create(&file.join("data")).expect_err("under a file");
        assert_eq!(err.reason(), "key_file");
        assert!(err.to_string().contains("a-file"), "{err}");
    }
}
