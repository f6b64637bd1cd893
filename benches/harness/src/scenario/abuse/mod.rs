//! Abuse: attacks from the hardening issue run one after the other against
//! an edgeio the harness starts itself (`--server-bin`, `--store memory`,
//! `--app echo` for the Engine.IO flood, `--app loadtest` for the rest),
//! while a well-behaved client keeps sending acknowledged echoes. For each
//! attack: the server's RSS before, at its peak and a few seconds after,
//! how long until it was back within 10 % of the start, whether the process
//! lived (a dead one is started again for the next attack), the
//! well-behaved client's latency during the attack, and what the attacker
//! was answered. Prints one JSON line per attack on stdout as it ends, the
//! Markdown table on stderr at the end; the summary is the last line.

mod args;
mod dup_connect;
mod flood;
mod handshakes;
mod namespaces;
mod random;
mod report;
mod server;
mod slowloris;
mod steady;
mod wire;
mod wsconn;

pub use args::{AbuseArgs, Attack};

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::{json, Value};

use crate::cli::Cli;
use report::Row;
use server::{PeakSampler, Server};
use steady::Steady;

/// What an attacker did and was answered.
pub struct Outcome {
    /// One line: what was sent.
    pub did: String,
    /// One line: what came back.
    pub answered: String,
    /// The answers counted by kind.
    pub answers: Value,
}

/// Seconds a fresh server and its well-behaved client settle before the
/// start RSS reading.
const SETTLE: Duration = Duration::from_secs(2);
/// How often the RSS is read while waiting for it to come back.
const RECOVER_POLL: Duration = Duration::from_millis(250);

/// One attack run: an attack and, for the flood, its POST count.
#[derive(Clone, Copy)]
struct Run {
    attack: Attack,
    size: u32,
}

impl Run {
    fn name(&self) -> String {
        match self.attack {
            Attack::Flood => format!("flood {}", self.size),
            Attack::Handshakes => "handshakes".into(),
            Attack::Slowloris => "slowloris".into(),
            Attack::DupConnect => "duplicate CONNECT".into(),
            Attack::Namespaces => "dynamic namespaces".into(),
            Attack::Random => "random bytes".into(),
        }
    }

    async fn attack(&self, a: &AbuseArgs, addr: SocketAddr) -> Outcome {
        match self.attack {
            Attack::Flood => flood::run(addr, self.size, a.flood_bytes).await,
            Attack::Handshakes => handshakes::run(addr, a.handshakes).await,
            Attack::Slowloris => slowloris::run(addr, a.slowloris, a.slowloris_secs).await,
            Attack::DupConnect => dup_connect::run(addr, a.dup_clients, a.dup_connects).await,
            Attack::Namespaces => namespaces::run(addr, a.namespaces).await,
            Attack::Random => random::run(addr, a.random_conns).await,
        }
    }
}

/// The server of one app and its well-behaved client.
struct Target {
    server: Server,
    steady: Steady,
    rss_start_kib: Option<u64>,
}

impl Target {
    async fn start(cli: &Cli, app: &'static str) -> Result<Self> {
        let a = cli.abuse.clone();
        let addr = cli.target;
        let server = tokio::task::spawn_blocking(move || Server::start(&a, app, addr)).await??;
        let every = Duration::from_millis(cli.abuse.steady_ms);
        let steady = tokio::task::block_in_place(|| Steady::start(addr, app, every))?;
        tokio::time::sleep(SETTLE).await;
        let rss_start_kib = server.rss_kib();
        Ok(Self {
            server,
            steady,
            rss_start_kib,
        })
    }
}

pub async fn run(cli: &Cli) -> Result<Value> {
    let a = &cli.abuse;
    let runs: Vec<Run> = a
        .attacks()
        .into_iter()
        .flat_map(|attack| match attack {
            Attack::Flood => a
                .flood_posts
                .iter()
                .map(|&size| Run { attack, size })
                .collect(),
            _ => vec![Run { attack, size: 0 }],
        })
        .collect();
    let mut rows = Vec::new();
    for app in ["echo", "loadtest"] {
        let group: Vec<Run> = runs
            .iter()
            .copied()
            .filter(|r| r.attack.app() == app)
            .collect();
        if group.is_empty() {
            continue;
        }
        let mut target = Target::start(cli, app).await?;
        for run in group {
            let row = attack(cli, &mut target, run).await;
            println!("{}", row.json());
            let died = row.exit.is_some();
            rows.push(row);
            if died {
                drop(target);
                target = Target::start(cli, app).await?;
            }
        }
    }
    eprintln!("\n{}", report::table(&rows, a.after_secs));
    Ok(json!({
        "scenario": "abuse",
        "attacks": rows.len(),
        "deaths": rows.iter().filter(|r| r.exit.is_some()).count(),
        "panics_logged": rows.iter().map(|r| r.panics_logged).sum::<usize>(),
        "flood_peak_kib": rows.iter().filter(|r| r.attack.starts_with("flood")).filter_map(|r| r.rss_peak_kib).max(),
        "steady_p99_us_max": rows.iter().filter_map(|r| r.steady.p99_us).max(),
    }))
}

/// Runs one attack against `t` and measures it.
async fn attack(cli: &Cli, t: &mut Target, run: Run) -> Row {
    let a = &cli.abuse;
    eprintln!("loadgen: abuse: {} on --app {}", run.name(), t.server.app);
    let rss_before_kib = t.server.rss_kib();
    let sampler = PeakSampler::start(t.server.pid);
    let started = Instant::now();
    let outcome = run.attack(a, cli.target).await;
    let ended = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(a.after_secs)).await;
    // Quick attacks leave their work to the server: the window takes in the
    // seconds after them too.
    let steady = t.steady.window(started, Instant::now());
    let rss_after_kib = t.server.rss_kib();
    let rss_peak_kib = sampler.finish();
    let (back_s, rss_settled_kib) = settle(t, ended, a.recover_secs).await;
    let row = Row {
        attack: run.name(),
        app: t.server.app,
        outcome,
        attack_s: (ended - started).as_secs_f64(),
        rss_start_kib: t.rss_start_kib,
        rss_before_kib,
        rss_peak_kib,
        rss_after_kib,
        rss_settled_kib,
        after_s: a.after_secs,
        back_s,
        recover_wait_s: a.recover_secs,
        exit: t.server.exited(),
        panics_logged: t.server.panics_logged(),
        steady,
    };
    eprintln!("loadgen: abuse: {}: {}", row.attack, row.outcome.answered);
    row
}

/// Waits (at most `wait` seconds) for the RSS to be back within 10 % of the
/// start: the seconds from `ended` until it was (`None` if it was not), and
/// the last reading.
async fn settle(t: &Target, ended: Instant, wait: f64) -> (Option<f64>, Option<u64>) {
    let deadline = Instant::now() + Duration::from_secs_f64(wait);
    loop {
        let now = t.server.rss_kib();
        match (now, t.rss_start_kib) {
            (Some(kib), Some(start)) if kib as f64 <= start as f64 * 1.10 => {
                return (Some(ended.elapsed().as_secs_f64()), now)
            }
            (Some(_), Some(_)) if Instant::now() < deadline => {
                tokio::time::sleep(RECOVER_POLL).await
            }
            _ => return (None, now),
        }
    }
}
