//! Idle: opens C handshaken clients (Socket.IO: Engine.IO open and `40`
//! answered; raw: the WebSocket upgrade), times it, and reads the server's
//! RSS before (after a settle) and after (after another settle) to report
//! memory per connection. The clients keep answering pings while held, then
//! are all closed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::{json, Value};

use super::{stop_all, Errors, Launch};
use crate::cli::Cli;
use crate::procfs;
use crate::stats::{round, CpuMark};

pub async fn run(cli: &Cli) -> Result<Value> {
    let clients = cli.clients as usize;
    let settle = Duration::from_secs_f64(cli.settle);
    let rss = |pid: Option<u32>| pid.and_then(|pid| procfs::rss_kib(pid).ok());
    tokio::time::sleep(settle).await;
    let rss_before = rss(cli.server_pid);
    let before = CpuMark::now(cli.server_pid);
    let errors = Arc::new(Errors::default());
    let mut launch = Launch::new(cli);
    let mut handles = Vec::with_capacity(clients);
    for _ in 0..clients {
        let gate = launch.gate();
        let errors = errors.clone();
        handles.push(tokio::spawn(async move {
            let Some(mut client) = gate.open(None).await else {
                return;
            };
            // Hold: answer pings until aborted.
            let mut buf = Vec::new();
            loop {
                if let Err(e) = client.recv(&mut buf).await {
                    errors.note(&e.context("idle connection dropped"));
                    return;
                }
                buf.clear();
            }
        }));
    }
    let open = match launch.wait_ready(clients).await {
        Ok(open) => open,
        Err(e) => {
            stop_all(handles, Instant::now()).await;
            return Err(e);
        }
    };
    eprintln!(
        "loadgen: {clients} clients open in {:.2} s",
        open.as_secs_f64()
    );
    tokio::time::sleep(settle).await;
    let rss_after = rss(cli.server_pid);
    tokio::time::sleep(cli.duration()).await;
    let after = CpuMark::now(cli.server_pid);
    let (server_cpu, own_cpu) = before.until(&after);
    let dropped = errors.count();
    stop_all(handles, Instant::now()).await;
    let per_conn = match (rss_before, rss_after) {
        (Some(b), Some(a)) => Some(round((a as f64 - b as f64) / clients as f64, 3)),
        _ => None,
    };
    let (scenario, proto, transport) = cli.names();
    Ok(json!({
        "scenario": scenario,
        "proto": proto,
        "transport": transport,
        "clients": clients,
        "connections": clients as u64 - dropped,
        "open_s": round(open.as_secs_f64(), 4),
        "opens_per_s": round(clients as f64 / open.as_secs_f64(), 1),
        "held_s": (settle + cli.duration()).as_secs_f64(),
        "rss_before_kib": rss_before,
        "rss_after_kib": rss_after,
        "rss_per_conn_kib": per_conn,
        "errors": dropped,
        "server_cpu_s": server_cpu,
        "loadgen_cpu_s": own_cpu,
    }))
}
