//! `loadgen`: the load generator of the benchmark harness (issue 5). Parses
//! the options, runs one scenario on a small multi-threaded runtime, prints
//! one JSON object on stdout (progress goes to stderr) and exits non-zero
//! with a message on failure. Every client task is stopped at the end.

mod chat_api;
mod cli;
mod client;
mod polling;
mod procfs;
mod scenario;
mod sio;
mod stats;
mod ws;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;

use cli::{Cli, Scenario};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(report) => {
            println!("{report}");
            if let Some(why) = failed(&cli, &report) {
                eprintln!("loadgen: error: {why} (errors: {})", report["errors"]);
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("loadgen: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<serde_json::Value> {
    cli.validate()?;
    let needed = match cli.scenario {
        Scenario::Fanout => cli.receivers + cli.senders,
        _ => cli.clients,
    } as u64;
    let per_client = if cli.transport == cli::Transport::Polling {
        2
    } else {
        1
    };
    let limit = procfs::raise_nofile_limit();
    if limit > 0 && needed * per_client + 64 > limit {
        eprintln!(
            "loadgen: warning: {} sockets needed, open-file limit {limit}",
            needed * per_client
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cli.threads as usize)
        .enable_all()
        .build()
        .context("tokio runtime")?;
    let (scenario, proto, transport) = cli.names();
    eprintln!(
        "loadgen: {scenario} ({proto} over {transport}) against {}",
        cli.target
    );
    let report = runtime.block_on(async {
        match cli.scenario {
            Scenario::Echo => scenario::echo::run(cli).await,
            Scenario::Fanout => scenario::fanout::run(cli).await,
            Scenario::Idle => scenario::idle::run(cli).await,
            Scenario::Chat => scenario::chat::run(cli).await,
            Scenario::Abuse => scenario::abuse::run(cli).await,
        }
    });
    // Whatever is left (aborted clients, HTTP connection drivers) goes now.
    runtime.shutdown_timeout(Duration::from_secs(1));
    report
}

/// Why a finished run is not a valid measurement, if it is not: nothing
/// measured, every client failed, or the server vanished.
fn failed(cli: &Cli, report: &serde_json::Value) -> Option<&'static str> {
    if cli.scenario == Scenario::Abuse {
        // Its findings (a dead server included) are the report, not a failure.
        return None;
    }
    let num = |key: &str| report.get(key).and_then(|v| v.as_u64());
    let clients = match cli.scenario {
        Scenario::Fanout => cli.receivers + cli.senders,
        _ => cli.clients,
    } as u64;
    if cli.server_pid.is_some() && report["server_cpu_s"].is_null() {
        Some("the server process was gone by the end of the run")
    } else if report["peer_cpu_s"]
        .as_array()
        .is_some_and(|cpu| cpu.iter().any(|v| v.is_null()))
    {
        Some("a peer node's process was gone by the end of the run")
    } else if num("errors").unwrap_or(0) >= clients {
        Some("every client failed")
    } else if num("rejected").unwrap_or(0) > 0 {
        Some("the server refused sends (see above)")
    } else if num("acked") == Some(0) {
        Some("nothing was acknowledged in the window")
    } else if num("deliveries") == Some(0) {
        Some("no broadcast was delivered in the window")
    } else {
        None
    }
}
