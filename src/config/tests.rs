//! Unit tests of the flags: each reaches the configuration it sets.

use super::*;

#[test]
fn flags_build_the_engine_config() {
    let cli = Cli::try_parse_from([
        "edgeio",
        "--path",
        "/engine.io",
        "--ping-interval",
        "300",
        "--transports",
        "websocket",
        "--cors-origin",
        "https://a.example",
        "--cors-origin",
        "https://b.example",
    ])
    .expect("valid flags");
    let config = cli.engine_config().expect("valid config");
    assert_eq!(config.path, "/engine.io/");
    assert_eq!(config.ping_interval, Duration::from_millis(300));
    assert_eq!(config.transports, vec![TransportKind::WebSocket]);
    assert_eq!(
        config.cors.origins,
        crate::engine::AllowedOrigins::List(vec![
            "https://a.example".into(),
            "https://b.example".into()
        ])
    );
}

#[test]
fn port_is_honoured_when_no_address_is_given() {
    let cli = Cli::try_parse_from(["edgeio"]).expect("valid");
    assert_eq!(
        cli.listen_addr(Some("4123")),
        Ok("127.0.0.1:4123".parse().expect("addr"))
    );
    assert_eq!(
        cli.listen_addr(None),
        Ok("127.0.0.1:3000".parse().expect("addr"))
    );
    assert!(cli.listen_addr(Some("x")).is_err());
    let cli = Cli::try_parse_from(["edgeio", "--listen", "127.0.0.1:9"]).expect("valid");
    assert_eq!(
        cli.listen_addr(Some("4123")),
        Ok("127.0.0.1:9".parse().expect("addr"))
    );
}

#[test]
fn storage_and_recovery_flags() {
    let cli = Cli::try_parse_from(["edgeio"]).expect("valid");
    assert!(matches!(
        cli.storage_config().backend,
        Backend::Sled { dir } if dir == std::path::Path::new("./data")
    ));
    let recovery = cli.io_config().recovery.expect("on by default");
    assert_eq!(
        recovery.max_disconnection_duration,
        Duration::from_secs(120)
    );
    let cli = Cli::try_parse_from([
        "edgeio",
        "--store",
        "memory",
        "--recovery-window",
        "0",
        "--node-id",
        "n1",
    ])
    .expect("valid");
    let storage = cli.storage_config();
    assert!(matches!(storage.backend, Backend::Memory));
    assert_eq!(storage.node_id.as_deref(), Some("n1"));
    assert!(cli.io_config().recovery.is_none(), "0 turns recovery off");
    let cli = Cli::try_parse_from(["edgeio", "--data-dir", "/tmp/x", "--recovery-window", "5"])
        .expect("valid");
    assert!(matches!(
        cli.storage_config().backend,
        Backend::Sled { dir } if dir == std::path::Path::new("/tmp/x")
    ));
    assert_eq!(
        cli.io_config()
            .recovery
            .map(|r| r.max_disconnection_duration),
        Some(Duration::from_secs(5))
    );
    assert!(Cli::try_parse_from(["edgeio", "--store", "redis"]).is_err());
}

#[test]
fn unknown_transport_and_app_are_refused() {
    assert!(Cli::try_parse_from(["edgeio", "--transports", "carrier-pigeon"]).is_err());
    assert!(Cli::try_parse_from(["edgeio", "--app", "nope"]).is_err());
}
