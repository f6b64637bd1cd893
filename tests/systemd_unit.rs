//! `deploy/edgeio.service`: it fits the binary's defaults (the stop timeout
//! above the shutdown timeout, enough file descriptors for the connection
//! cap, SIGHUP to reload, the state directory as the data directory), and
//! `systemd-analyze verify` accepts it without a warning — skipped, saying
//! so, where `systemd-analyze` is not installed (`apt-get install systemd`).

use std::process::Command;
use std::time::Duration;

use clap::Parser;
use edgeio::config::Cli;

const UNIT: &str = include_str!("../deploy/edgeio.service");

/// The values of `key=` in the unit, in order.
fn values(key: &str) -> Vec<&'static str> {
    UNIT.lines()
        .filter_map(|l| l.strip_prefix(key)?.strip_prefix('='))
        .collect()
}

/// The one value of `key=`.
fn value(key: &str) -> &'static str {
    match values(key)[..] {
        [v] => v,
        ref vs => panic!("{key}= is set {} times: {vs:?}", vs.len()),
    }
}

/// `20s`, `1min`, `90` (seconds) as systemd reads a time span.
fn span(v: &str) -> Duration {
    if let Some(min) = v.strip_suffix("min") {
        return Duration::from_secs(min.parse::<u64>().expect("minutes") * 60);
    }
    Duration::from_secs(v.trim_end_matches('s').parse().expect("seconds"))
}

#[test]
fn the_unit_fits_the_binary_s_defaults() {
    let cli = Cli::try_parse_from(["edgeio"]).expect("defaults");
    assert!(
        span(value("TimeoutStopSec")) > cli.shutdown.timeout(),
        "systemd must not SIGKILL a drain that keeps to --shutdown-timeout"
    );
    assert_eq!(value("KillSignal"), "SIGTERM");
    assert_eq!(value("ExecReload"), "/bin/kill -HUP $MAINPID");
    let nofile: u64 = value("LimitNOFILE").parse().expect("a number");
    assert!(nofile >= cli.net.max_connections as u64 + 64, "{nofile}");
    assert_eq!(value("StateDirectory"), "edgeio");
    assert!(values("Environment").contains(&"EDGEIO_DATA_DIR=%S/edgeio"));
    assert_eq!(value("EnvironmentFile"), "-/etc/edgeio/edgeio.env");
    assert_eq!(value("ExecStart"), "/usr/local/bin/edgeio");
    for (key, want) in [
        ("DynamicUser", "yes"),
        ("CapabilityBoundingSet", ""),
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("MemoryDenyWriteExecute", "yes"),
        ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
        ("UMask", "0077"),
        ("Restart", "on-failure"),
    ] {
        assert_eq!(value(key), want, "{key}");
    }
    assert!(values("SystemCallFilter").contains(&"@system-service"));
}

#[test]
fn systemd_analyze_verify_accepts_the_unit() {
    let runs = Command::new("systemd-analyze").arg("--version").output();
    if !runs.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: systemd-analyze is not installed (apt-get install systemd)");
        return;
    }
    // verify checks that ExecStart runs: the binary under test stands in.
    let dir = tempfile::tempdir().expect("tempdir");
    let unit = dir.path().join("edgeio.service");
    let text = UNIT.replace("/usr/local/bin/edgeio", env!("CARGO_BIN_EXE_edgeio"));
    std::fs::write(&unit, text).expect("write the unit");
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&unit)
        .output()
        .expect("run systemd-analyze");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // It exits 0 on a setting it ignores, and says so on stderr.
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "systemd-analyze verify: {}\n{stderr}",
        out.status
    );
}
