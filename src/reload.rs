//! The process's reload signal: on SIGHUP the binary reads its TLS
//! certificate and key again ([`crate::http::TlsCerts::reload`]); open
//! connections keep theirs, new ones get the new pair, and a pair that
//! cannot be used is logged and the old one kept.

use std::future::Future;

use crate::http::ServeConfig;

/// Listens for SIGHUP from now on (so that one arriving during the start
/// does not end the process, SIGHUP's default), and runs `reload` at each
/// when the returned future is polled. Never resolves.
pub fn on_hangup(reload: impl Fn() + Send + 'static) -> std::io::Result<impl Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut hangups = signal(SignalKind::hangup())?;
        Ok(async move {
            while hangups.recv().await.is_some() {
                reload();
            }
        })
    }
    #[cfg(not(unix))]
    {
        let _ = reload;
        Ok(std::future::pending())
    }
}

/// What a SIGHUP does for a server of `config`: reload its certificate, or
/// say that there is nothing to reload.
pub fn tls_reloader(config: &ServeConfig) -> impl Fn() + Send + 'static {
    #[cfg(feature = "tls")]
    let certs = config.tls.clone();
    #[cfg(not(feature = "tls"))]
    let certs: Option<std::convert::Infallible> = {
        let _ = config;
        None
    };
    move || match &certs {
        #[cfg(feature = "tls")]
        Some(certs) => match certs.reload() {
            Ok(()) => {
                tracing::info!(cert = %certs.cert_path().display(), "SIGHUP: TLS certificate reloaded")
            }
            Err(e) => tracing::error!(
                error = %e,
                "SIGHUP: the new TLS certificate cannot be used; the previous one stays"
            ),
        },
        #[cfg(not(feature = "tls"))]
        Some(never) => match *never {},
        None => tracing::info!("SIGHUP: no TLS certificate to reload"),
    }
}
