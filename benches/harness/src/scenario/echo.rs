//! Echo: C clients each keep K acked `echo` emits in flight. Counts the acks
//! that arrive inside the measured window and their round-trip latency;
//! every reply must carry the payload back unchanged.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Result};
use serde_json::{json, Value};

use super::{measure, micros, Errors, Launch, Measured, Timeline};
use crate::cli::Cli;
use crate::client::{Client, Frames, Incoming};
use crate::stats::{round, Recorder, SharedHistogram};

#[derive(Default)]
struct Counts {
    acked: AtomicU64,
    unacked: AtomicU64,
    errors: Errors,
}

pub async fn run(cli: &Cli) -> Result<Value> {
    let clients = cli.clients as usize;
    let k = cli.inflight as usize;
    let frames = Arc::new(Frames::new(cli.proto, cli.payload as usize));
    let expect: Arc<[u8]> = frames.echo_reply().into();
    let hist = SharedHistogram::new();
    let counts = Arc::new(Counts::default());
    let mut launch = Launch::new(cli);
    let mut handles = Vec::with_capacity(clients);
    for _ in 0..clients {
        let mut gate = launch.gate();
        let (frames, expect, counts) = (frames.clone(), expect.clone(), counts.clone());
        let mut rec = hist.recorder();
        handles.push(tokio::spawn(async move {
            let Some(mut client) = gate.open(None).await else {
                return;
            };
            let mut inflight = VecDeque::with_capacity(k);
            let result = async {
                let Some(tl) = gate.wait_go(&mut client).await? else {
                    return Ok(());
                };
                drive(
                    &mut client,
                    &frames,
                    &expect,
                    k,
                    tl,
                    &mut inflight,
                    &mut rec,
                    &counts,
                )
                .await
            }
            .await;
            counts
                .unacked
                .fetch_add(inflight.len() as u64, Ordering::Relaxed);
            if let Err(e) = result {
                counts.errors.note(&e);
            }
        }));
    }
    let open = launch.wait_ready(clients).await?;
    eprintln!(
        "loadgen: {clients} clients open in {:.2} s",
        open.as_secs_f64()
    );
    let Measured {
        server_cpu,
        own_cpu,
        aborted,
    } = measure(cli, &launch, handles).await;
    let (samples, p50, p99, p999) = hist.summary();
    let acked = counts.acked.load(Ordering::Relaxed);
    let secs = cli.duration().as_secs_f64();
    let (scenario, proto, transport) = cli.names();
    Ok(json!({
        "scenario": scenario,
        "proto": proto,
        "transport": transport,
        "clients": clients,
        "inflight": k,
        "payload": cli.payload,
        "warmup_s": cli.warmup,
        "duration_s": secs,
        "open_s": round(open.as_secs_f64(), 4),
        "acked": acked,
        "rate_per_s": round(acked as f64 / secs, 1),
        "latency_samples": samples,
        "p50_us": p50,
        "p99_us": p99,
        "p999_us": p999,
        "errors": counts.errors.count() + aborted as u64,
        "unacked": counts.unacked.load(Ordering::Relaxed),
        "server_cpu_s": server_cpu,
        "loadgen_cpu_s": own_cpu,
    }))
}

/// Keeps `k` echoes in flight until the window ends, then waits for the
/// outstanding ones until the drain ends.
#[allow(clippy::too_many_arguments)]
async fn drive(
    client: &mut Client,
    frames: &Frames,
    expect: &[u8],
    k: usize,
    tl: Timeline,
    inflight: &mut VecDeque<(u64, Instant)>,
    rec: &mut Recorder,
    counts: &Counts,
) -> Result<()> {
    let mut next_id = 0u64;
    for _ in 0..k {
        client.send(frames.echo(next_id)).await?;
        inflight.push_back((next_id, Instant::now()));
        next_id += 1;
    }
    client.flush().await?;
    let mut buf = Vec::new();
    loop {
        let Ok(r) = tokio::time::timeout_at(tl.drain_end.into(), client.recv(&mut buf)).await
        else {
            return Ok(());
        };
        r?;
        let now = Instant::now();
        let mut acked = 0;
        for p in buf.drain(..) {
            let Incoming::Reply { id, body } = client.sort(&p)? else {
                continue;
            };
            let pos = match id {
                Some(id) => inflight.iter().position(|(i, _)| *i == id),
                None if inflight.is_empty() => None,
                None => Some(0),
            };
            let Some((_, sent)) = pos.and_then(|pos| inflight.remove(pos)) else {
                bail!("reply {id:?} to no echo in flight");
            };
            if body != expect {
                bail!("echo reply differs: {:?}", String::from_utf8_lossy(body));
            }
            if tl.in_window(now) {
                acked += 1;
                rec.record(micros(sent, now));
            }
            if now < tl.end {
                client.send(frames.echo(next_id)).await?;
                inflight.push_back((next_id, Instant::now()));
                next_id += 1;
            }
        }
        counts.acked.fetch_add(acked, Ordering::Relaxed);
        client.flush().await?;
        if now >= tl.end && inflight.is_empty() {
            return Ok(());
        }
    }
}
