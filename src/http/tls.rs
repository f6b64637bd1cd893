//! TLS for the accept loop (the `tls` feature): [`TlsCerts`], a certificate
//! chain and its private key read from PEM files, presented to every new TLS
//! connection, and swapped in place by [`TlsCerts::reload`] (the binary does
//! it on SIGHUP) without touching the connections already open. HTTP/1.1
//! only (ALPN `http/1.1`), rustls with the ring provider.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// A certificate or key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid PEM, or holds no item of the kind expected.
    #[error("{path}: no valid PEM {what} in it ({source})")]
    Pem {
        /// The file.
        path: PathBuf,
        /// "certificate" or "private key".
        what: &'static str,
        /// Why.
        source: pem::Error,
    },
    /// rustls refused the pair: an unsupported key, a certificate it cannot
    /// parse, or a key that is not the certificate's.
    #[error("{cert} and {key} do not make a usable certificate and key: {source}")]
    Refused {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// What rustls said.
        source: rustls::Error,
    },
}

/// The server's certificate and key, from two PEM files: the certificate
/// chain (leaf first) and the private key (PKCS#8, PKCS#1 or SEC1). Cheap to
/// clone; every clone is the same certificate slot.
#[derive(Clone)]
pub struct TlsCerts {
    slot: Arc<Slot>,
    config: Arc<ServerConfig>,
}

/// The files and the pair read from them last.
struct Slot {
    cert_path: PathBuf,
    key_path: PathBuf,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
}

impl TlsCerts {
    /// Reads the certificate chain at `cert` and the key at `key`; an error
    /// names the file and what is wrong with it.
    pub fn from_pem_files(
        cert: impl Into<PathBuf>,
        key: impl Into<PathBuf>,
    ) -> Result<Self, TlsError> {
        let (cert_path, key_path) = (cert.into(), key.into());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let current = load(&cert_path, &key_path, &provider)?;
        let slot = Arc::new(Slot {
            cert_path,
            key_path,
            provider: provider.clone(),
            current: RwLock::new(Arc::new(current)),
        });
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|source| TlsError::Refused {
                cert: slot.cert_path.clone(),
                key: slot.key_path.clone(),
                source,
            })?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(Resolver(slot.clone())));
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            slot,
            config: Arc::new(config),
        })
    }

    /// Reads both files again and presents the new pair to the connections
    /// that start from now on. On an error the pair in use is kept.
    pub fn reload(&self) -> Result<(), TlsError> {
        let slot = &self.slot;
        let fresh = load(&slot.cert_path, &slot.key_path, &slot.provider)?;
        if let Ok(mut current) = slot.current.write() {
            *current = Arc::new(fresh);
        }
        Ok(())
    }

    /// The certificate file.
    pub fn cert_path(&self) -> &Path {
        &self.slot.cert_path
    }

    /// The key file.
    pub fn key_path(&self) -> &Path {
        &self.slot.key_path
    }

    /// The leaf certificate presented now (DER).
    pub fn leaf(&self) -> Option<CertificateDer<'static>> {
        let current = self.slot.current.read().ok()?;
        current.cert.first().cloned()
    }

    /// The acceptor of the accept loop.
    pub(crate) fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.config.clone())
    }
}

impl fmt::Debug for TlsCerts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsCerts")
            .field("cert", &self.slot.cert_path)
            .field("key", &self.slot.key_path)
            .finish()
    }
}

/// Hands rustls the pair of the moment, for each new connection.
struct Resolver(Arc<Slot>);

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Resolver").field(&self.0.cert_path).finish()
    }
}

impl ResolvesServerCert for Resolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.0.current.read().ok().map(|c| c.clone())
    }
}

/// Reads and checks a certificate chain and its key.
fn load(cert: &Path, key: &Path, provider: &CryptoProvider) -> Result<CertifiedKey, TlsError> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| TlsError::Read {
            path: path.to_owned(),
            source,
        })
    };
    let (cert_pem, key_pem) = (read(cert)?, read(key)?);
    let pem_error = |path: &Path, what, source| TlsError::Pem {
        path: path.to_owned(),
        what,
        source,
    };
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(cert, "certificate", e))?;
    if chain.is_empty() {
        return Err(pem_error(cert, "certificate", pem::Error::NoItemsFound));
    }
    let private_key =
        PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| pem_error(key, "private key", e))?;
    CertifiedKey::from_der(chain, private_key, provider).map_err(|source| TlsError::Refused {
        cert: cert.to_owned(),
        key: key.to_owned(),
        source,
    })
}

/// The TLS handshake of one accepted connection, at most `timeout` long; a
/// failure is a debug line and `None` (the connection is dropped).
pub(crate) async fn handshake<S>(
    acceptor: &TlsAcceptor,
    stream: S,
    timeout: Duration,
    addr: SocketAddr,
) -> Option<TlsStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => Some(tls),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, %addr, "TLS handshake failed");
            None
        }
        Err(_) => {
            tracing::debug!(%addr, ?timeout, "TLS handshake timed out");
            None
        }
    }
}

#[cfg(test)]
mod tests;
