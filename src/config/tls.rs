//! The TLS flags: `--tls-cert` and `--tls-key`, both or neither.

use std::path::PathBuf;

use crate::http::ServeConfig;

/// Serve HTTPS and WSS instead of plain HTTP.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TlsArgs {
    /// The certificate chain, PEM, leaf first (with --tls-key: serve HTTPS
    /// and WSS). Re-read with the key on SIGHUP.
    #[arg(long, env = "EDGEIO_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,

    /// The certificate's private key, PEM (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "EDGEIO_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
}

impl TlsArgs {
    /// `config` serving TLS when both files are given (read and checked
    /// now); an error when only one is, or when they cannot be used.
    pub fn apply(&self, config: ServeConfig) -> Result<ServeConfig, String> {
        match (&self.tls_cert, &self.tls_key) {
            (None, None) => Ok(config),
            (Some(_), None) | (None, Some(_)) => {
                Err("--tls-cert and --tls-key go together: give both, or neither".into())
            }
            (Some(cert), Some(key)) => with_tls(config, cert, key),
        }
    }
}

#[cfg(feature = "tls")]
fn with_tls(config: ServeConfig, cert: &PathBuf, key: &PathBuf) -> Result<ServeConfig, String> {
    let certs = crate::http::TlsCerts::from_pem_files(cert, key).map_err(|e| e.to_string())?;
    Ok(ServeConfig {
        tls: Some(certs),
        ..config
    })
}

#[cfg(not(feature = "tls"))]
fn with_tls(_: ServeConfig, _: &PathBuf, _: &PathBuf) -> Result<ServeConfig, String> {
    Err("--tls-cert: this edgeio was built without the `tls` feature".into())
}

#[cfg(all(test, feature = "tls"))]
mod tests {
    use clap::Parser;

    use crate::config::Cli;

    #[test]
    fn the_tls_flags_reach_the_serve_config_both_or_neither() {
        let cli = Cli::try_parse_from(["edgeio"]).expect("valid");
        assert!(cli.serve_config().expect("defaults").tls.is_none());

        let dir = tempfile::tempdir().expect("tempdir");
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("rcgen");
        let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        std::fs::write(&cert, made.cert.pem()).expect("write");
        std::fs::write(&key, made.signing_key.serialize_pem()).expect("write");
        let (c, k) = (cert.to_str().expect("utf-8"), key.to_str().expect("utf-8"));

        let cli = Cli::try_parse_from(["edgeio", "--tls-cert", c, "--tls-key", k]).expect("valid");
        let tls = cli
            .serve_config()
            .expect("a good pair")
            .tls
            .expect("TLS on");
        assert_eq!(
            (tls.cert_path(), tls.key_path()),
            (cert.as_path(), key.as_path())
        );

        for half in [["--tls-cert", c], ["--tls-key", k]] {
            let cli = Cli::try_parse_from(["edgeio", half[0], half[1]]).expect("parses");
            let err = cli.serve_config().expect_err("one without the other");
            assert!(err.contains("go together"), "{err}");
        }
        let cli = Cli::try_parse_from(["edgeio", "--tls-cert", k, "--tls-key", k]).expect("parses");
        let err = cli.serve_config().expect_err("a key is no certificate");
        assert!(err.contains("k.pem"), "{err}");
    }
}
