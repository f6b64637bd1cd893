//! [`TlsCerts`] reads a pair, refuses a bad one naming the file, and swaps
//! the pair on reload only when the new one is good.

use super::*;

/// A self-signed certificate for `localhost` and its key, in PEM.
fn pair() -> (String, String) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("rcgen");
    (made.cert.pem(), made.signing_key.serialize_pem())
}

fn write(dir: &Path, cert: &str, key: &str) -> (PathBuf, PathBuf) {
    let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&c, cert).expect("write cert");
    std::fs::write(&k, key).expect("write key");
    (c, k)
}

fn der(pem: &str) -> CertificateDer<'static> {
    CertificateDer::from_pem_slice(pem.as_bytes()).expect("a PEM certificate")
}

#[test]
fn a_reload_presents_the_new_pair_and_a_bad_one_keeps_the_old() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert1, key1) = pair();
    let (c, k) = write(dir.path(), &cert1, &key1);
    let certs = TlsCerts::from_pem_files(&c, &k).expect("a good pair");
    assert_eq!(certs.leaf(), Some(der(&cert1)));
    assert_eq!(
        (certs.cert_path(), certs.key_path()),
        (c.as_path(), k.as_path())
    );

    let (cert2, key2) = pair();
    write(dir.path(), &cert2, &key2);
    let same_slot = certs.clone();
    certs.reload().expect("a good new pair");
    assert_eq!(same_slot.leaf(), Some(der(&cert2)), "every clone sees it");

    write(dir.path(), "garbage", &key2);
    let err = certs.reload().expect_err("garbage is refused");
    assert!(err.to_string().contains("cert.pem"), "{err}");
    assert_eq!(certs.leaf(), Some(der(&cert2)), "the old pair is kept");

    let (cert3, _) = pair();
    write(dir.path(), &cert3, &key2);
    let err = certs.reload().expect_err("a key of another certificate");
    assert!(matches!(err, TlsError::Refused { .. }), "{err}");
    assert_eq!(certs.leaf(), Some(der(&cert2)));
}

#[test]
fn missing_and_empty_files_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = pair();
    let (c, k) = write(dir.path(), &cert, &key);
    let missing = dir.path().join("nope.pem");
    let err = TlsCerts::from_pem_files(&missing, &k).expect_err("no cert file");
    assert!(
        matches!(&err, TlsError::Read { path, .. } if *path == missing),
        "{err}"
    );
    std::fs::write(&k, "").expect("empty the key");
    let err = TlsCerts::from_pem_files(&c, &k).expect_err("no key in it");
    assert!(
        matches!(&err, TlsError::Pem { path, what: "private key", .. } if *path == k),
        "{err}"
    );
}
