//! The process's stop signal, Ctrl-C or SIGTERM, and the bound of the stop
//! that follows it.

use std::time::Duration;

/// Resolves on Ctrl-C, or on SIGTERM where there is one.
pub async fn signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("Ctrl-C received"),
        _ = term => tracing::info!("SIGTERM received"),
    }
}

/// Exits the process with status 1 if it is still running `timeout` from
/// now: the bound of a shutdown (`--shutdown-timeout`), kept by a thread of
/// its own so that nothing the runtime waits on can hold it past it.
pub fn exit_after(timeout: Duration) {
    let watchdog = std::thread::Builder::new()
        .name("shutdown-bound".into())
        .spawn(move || {
            std::thread::sleep(timeout);
            tracing::error!(
                ?timeout,
                "the shutdown took longer than --shutdown-timeout: exiting now"
            );
            std::process::exit(1);
        });
    if let Err(e) = watchdog {
        tracing::warn!(error = %e, "the shutdown is not bounded: no thread for its timer");
    }
}
