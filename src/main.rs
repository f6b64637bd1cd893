//! The `edgeio` binary: parse the flags, set up logging, serve until Ctrl-C or
//! SIGTERM. `edgeio token` prints a chat token instead, and neither opens the
//! storage nor listens.

use anyhow::{anyhow, Context};
use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use std::sync::Arc;

use edgeio::apps::chat::auth::Authenticator;
use edgeio::apps::chat::Verifier;
use edgeio::config::{Cli, Command, ConfigError, TokenArgs};
use edgeio::engine::EngineConfig;
use edgeio::http::OpsHandler;
use edgeio::metrics::Metrics;
use edgeio::server::{IoConfig, ServerStorage};

/// The binary's allocator: jemalloc with its background threads on (the
/// `background_threads` feature), which hand freed memory back to the system
/// about ten seconds after it is freed (`dirty_decay_ms`) even while the
/// server is idle, so that the RSS comes back down after a burst of sessions:
/// 10,000 handshakes left 30 MB with glibc's malloc, 9 MB with this. The
/// library leaves the allocator to whoever mounts the handler. Tunable at run
/// time with `_RJEM_MALLOC_CONF` (e.g. `dirty_decay_ms:1000`).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // The flags, variables and config file, all checked before anything is
    // opened or bound.
    let loaded = match edgeio::config::load(std::env::args_os()) {
        Ok(loaded) => loaded,
        Err(ConfigError::Cli(e)) => e.exit(),
        Err(e) => {
            // As clap reports a bad flag: one line, exit status 2.
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    if let Some(Command::Config) = &loaded.cli.command {
        print!("{}", loaded.effective_toml());
        return Ok(());
    }
    let cli = loaded.cli;
    init_tracing(&cli.log_format);
    if let Some(Command::Token(args)) = &cli.command {
        return print_token(&cli, args);
    }

    let addr = cli
        .listen_addr(std::env::var("PORT").ok().as_deref())
        .map_err(|e| anyhow!(e))?;
    // One set of metrics, recorded by every layer and the storage.
    let metrics = Metrics::new();
    let config = EngineConfig {
        metrics: metrics.clone(),
        ..cli.engine_config().map_err(|e| anyhow!(e))?
    };
    let serve_config = cli.serve_config().map_err(|e| anyhow!(e))?;
    let plugins = cli.plugins().map_err(|e| anyhow!(e))?;
    let factory = edgeio_storage::open(cli.storage_config())
        .await
        .context("cannot open the storage")?;
    let observed = metrics.clone();
    factory.observe_flushes(Arc::new(move |took| observed.observe_storage_flush(took)));
    let storage = ServerStorage::open(factory.clone())
        .await
        .context("cannot read the server's state from the storage")?;
    tracing::info!(
        store = %cli.store,
        durable = factory.is_durable(),
        node_id = %factory.event_store().node_id(),
        boot = storage.boot(),
        "storage open"
    );
    // Whether each Redis-backed component reaches Redis, for /ready and
    // the metrics (the Redis adapters add theirs here too).
    let redis_health = edgeio_storage::Health::new();
    if let Some(events) = factory.event_store().health() {
        redis_health.add(events);
    }
    let adapter = cli.adapter_factory().map_err(|e| anyhow!(e))?;
    if let Some(health) = adapter.health() {
        redis_health.add(health);
    }
    metrics.watch_redis(redis_health.clone());
    let io_config = IoConfig {
        storage: Some(storage),
        metrics: metrics.clone(),
        adapter,
        plugins,
        ..cli.io_config()
    };
    let verifier: Option<Arc<dyn Verifier>> = if cli.app == "chat" {
        let auth = Authenticator::load(&cli.auth_config()).context("cannot load the token keys")?;
        tracing::info!(alg = ?auth.alg(), generated_key = auth.generated_key(), "chat tokens");
        Some(Arc::new(auth))
    } else {
        None
    };
    let app = edgeio::apps::build(
        &cli.app,
        edgeio::apps::AppContext {
            io_config,
            chat: edgeio::apps::chat::ChatConfig {
                cors: config.cors.clone(),
                ..cli.chat_config().map_err(|e| anyhow!(e))?
            },
            verifier,
        },
    )?;
    let engine = edgeio::engine::Engine::new(config, app.handler);
    #[cfg(feature = "tls")]
    let tls_on = serve_config.tls.is_some();
    #[cfg(not(feature = "tls"))]
    let tls_on = false;

    let ops = cli.ops_config();
    let usable = factory.clone();
    let ops_handler = OpsHandler::new(engine.clone())
        .with_storage_check(Arc::new(move || {
            usable.raw_map(edgeio_storage::factory::SESSIONS).is_ok()
        }))
        .with_redis_health(redis_health);
    let fallback = if ops.main_port_serves_health() {
        let metrics = ops.main_port_serves_metrics().then(|| metrics.clone());
        let main_port = ops_handler.clone().with_metrics(metrics);
        main_port.with_inner(app.http).into_fallback()
    } else {
        app.http
    };
    if let Some(ops_addr) = ops.metrics_listen {
        let listener = listen(ops_addr).with_context(|| format!("cannot listen on {ops_addr}"))?;
        tracing::info!(addr = %listener.local_addr()?, "metrics listening");
        let handler = Arc::new(ops_handler.with_metrics(Some(metrics)));
        // Serves until the process ends, so that /ready answers 503 while
        // the main port drains.
        tokio::spawn(edgeio::http::serve_ops(
            listener,
            handler,
            std::future::pending(),
        ));
    }

    // SIGHUP is caught before the port opens (its default ends the process).
    let hangups = edgeio::reload::on_hangup(edgeio::reload::tls_reloader(&serve_config))
        .context("cannot listen for SIGHUP")?;
    tokio::spawn(hangups);
    let listener = listen(addr).with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!(
        addr = %listener.local_addr()?,
        app = %cli.app,
        path = %engine.config().path,
        tls = tls_on,
        "edgeio listening"
    );
    let drained = edgeio::http::serve_with(
        listener,
        engine,
        fallback,
        serve_config,
        stop_signal(cli.shutdown.timeout()),
    )
    .await;
    tracing::debug!(aborted = drained.aborted, "connections drained");
    // Everything written is flushed and the data directory released.
    factory.shutdown().await.context("storage shutdown")?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM, and from then on the process exits within
/// `bound` whatever happens (the drain and the storage's flush included).
async fn stop_signal(bound: std::time::Duration) {
    edgeio::shutdown::signal().await;
    edgeio::shutdown::exit_after(bound);
}

/// `edgeio token`: one line on stdout, the token, signed with the key the
/// server would use (the generated secret is made now if absent, and the
/// server started later finds it).
fn print_token(cli: &Cli, args: &TokenArgs) -> anyhow::Result<()> {
    let auth = Authenticator::load(&cli.auth_config()).context("cannot load the token key")?;
    let token = auth
        .mint(&args.user, args.ttl)
        .with_context(|| format!("cannot make a token for user {:?}", args.user))?;
    println!("{token}");
    Ok(())
}

/// Pending connections the kernel may hold before edgeio accepts them: std's
/// 128 drops connection bursts that real-time clients make on a reconnect.
const LISTEN_BACKLOG: u32 = 1024;

fn listen(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

fn init_tracing(format: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[cfg(test)]
mod tests {
    /// Freed memory goes back to the system without waiting for the next
    /// allocation: jemalloc's background purging threads are on from the start.
    #[test]
    fn allocator_purges_in_the_background() {
        assert_eq!(tikv_jemalloc_ctl::opt::background_thread::read(), Ok(true));
        assert_eq!(tikv_jemalloc_ctl::background_thread::read(), Ok(true));
    }
}
