//! Fan-out: N receivers join room `r`; S senders emit `bcast` as fast as
//! their acks allow with K in flight, each payload stamped with its send
//! time (same process, same monotonic clock) and sequence number. Reports
//! deliveries received in the window, delivery lag, and loss: broadcasts
//! sent (and acked) in the window × N against those of them received by the
//! end of the drain.
//!
//! With `--peer-target`s the receivers are dealt in turn over every node
//! (`--target` first) while the senders stay on `--target`: what reaches
//! the other nodes' receivers crossed between the nodes (through Redis, say).
//! The totals are counted the same way; `nodes` breaks them down per node.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Result};
use serde_json::{json, Value};

use super::{measure_with, ns_of, Errors, Launch, Measured, Timeline};
use crate::cli::Cli;
use crate::client::{parse_stamp, Client, Frames, Incoming};
use crate::stats::{round, Recorder, SharedHistogram};

#[derive(Default)]
struct Counts {
    /// Broadcasts sent in the window and acked.
    sent: AtomicU64,
    /// Deliveries received in the window (whenever sent).
    deliveries: AtomicU64,
    /// Deliveries of broadcasts sent in the window (whenever received).
    received: AtomicU64,
    errors: Errors,
    /// The same two counts for each node's receivers, in `Cli::targets` order.
    nodes: Vec<NodeCounts>,
}

/// What one node's receivers got.
#[derive(Default)]
struct NodeCounts {
    deliveries: AtomicU64,
    received: AtomicU64,
}

impl Counts {
    fn new(nodes: usize) -> Self {
        Self {
            nodes: (0..nodes).map(|_| NodeCounts::default()).collect(),
            ..Self::default()
        }
    }
}

/// The node receiver `i` opens on: receivers are dealt in turn.
fn node_of(i: usize, nodes: usize) -> usize {
    i % nodes.max(1)
}

/// How many of `receivers` each of `nodes` gets when dealt in turn.
fn spread(receivers: usize, nodes: usize) -> Vec<usize> {
    let mut per = vec![0; nodes.max(1)];
    for i in 0..receivers {
        per[node_of(i, nodes)] += 1;
    }
    per
}

pub async fn run(cli: &Cli) -> Result<Value> {
    let (receivers, senders) = (cli.receivers as usize, cli.senders as usize);
    let k = cli.inflight as usize;
    let frames = Arc::new(Frames::new(cli.proto, cli.payload as usize));
    let lag = SharedHistogram::new();
    let targets: Vec<SocketAddr> = cli.targets();
    let counts = Arc::new(Counts::new(targets.len()));
    let mut launch = Launch::new(cli);
    let mut handles = Vec::with_capacity(receivers + senders);
    for i in 0..receivers {
        let node = node_of(i, targets.len());
        let mut gate = launch.gate_to(targets[node]);
        let (frames, counts) = (frames.clone(), counts.clone());
        let mut rec = lag.recorder();
        handles.push(tokio::spawn(async move {
            let Some(mut client) = gate.open(Some(&frames)).await else {
                return;
            };
            let result = async {
                let Some(tl) = gate.wait_go(&mut client).await? else {
                    return Ok(());
                };
                receive(&mut client, tl, &mut rec, &counts, node).await
            }
            .await;
            if let Err(e) = result {
                counts.errors.note(&e);
            }
        }));
    }
    for sender in 0..senders as u32 {
        let mut gate = launch.gate();
        let (frames, counts) = (frames.clone(), counts.clone());
        handles.push(tokio::spawn(async move {
            let Some(mut client) = gate.open(None).await else {
                return;
            };
            let result = async {
                let Some(tl) = gate.wait_go(&mut client).await? else {
                    return Ok(());
                };
                send(&mut client, &frames, sender, k, tl, &counts).await
            }
            .await;
            if let Err(e) = result {
                counts.errors.note(&e);
            }
        }));
    }
    let open = launch.wait_ready(receivers + senders).await?;
    eprintln!(
        "loadgen: {receivers} receivers joined, {senders} senders open in {:.2} s",
        open.as_secs_f64()
    );
    let pids: Vec<u32> = cli
        .peer_pids
        .iter()
        .chain(&cli.watch_pids)
        .copied()
        .collect();
    let (
        Measured {
            server_cpu,
            own_cpu,
            aborted,
        },
        mut others,
    ) = measure_with(cli, &launch, handles, &pids).await;
    let watch_cpu = others.split_off(cli.peer_pids.len());
    let peer_cpu = others;
    let (_, p50, p99, p999) = lag.summary();
    let secs = cli.duration().as_secs_f64();
    let sent = counts.sent.load(Ordering::Relaxed);
    let deliveries = counts.deliveries.load(Ordering::Relaxed);
    let received = counts.received.load(Ordering::Relaxed);
    let expected = sent * receivers as u64;
    let nodes: Vec<Value> = targets
        .iter()
        .zip(spread(receivers, targets.len()))
        .zip(&counts.nodes)
        .map(|((addr, n), node)| {
            let received = node.received.load(Ordering::Relaxed);
            json!({
                "target": addr.to_string(),
                "receivers": n,
                "deliveries": node.deliveries.load(Ordering::Relaxed),
                "expected": sent * n as u64,
                "received": received,
                "lost": (sent * n as u64) as i64 - received as i64,
            })
        })
        .collect();
    let (scenario, proto, transport) = cli.names();
    Ok(json!({
        "scenario": scenario,
        "proto": proto,
        "transport": transport,
        "receivers": receivers,
        "senders": senders,
        "inflight": k,
        "payload": cli.payload,
        "warmup_s": cli.warmup,
        "duration_s": secs,
        "open_s": round(open.as_secs_f64(), 4),
        "sent": sent,
        "sent_per_s": round(sent as f64 / secs, 1),
        "deliveries": deliveries,
        "deliveries_per_s": round(deliveries as f64 / secs, 1),
        "expected": expected,
        "received": received,
        "lost": expected as i64 - received as i64,
        "lag_p50_us": p50,
        "lag_p99_us": p99,
        "lag_p999_us": p999,
        "errors": counts.errors.count() + aborted as u64,
        "join_retries": launch.join_retries(),
        "server_cpu_s": server_cpu,
        "loadgen_cpu_s": own_cpu,
        "peer_cpu_s": peer_cpu,
        "watch_cpu_s": watch_cpu,
        "nodes": nodes,
    }))
}

/// A receiver: counts deliveries and their lag until the drain ends.
async fn receive(
    client: &mut Client,
    tl: Timeline,
    rec: &mut Recorder,
    counts: &Counts,
    node: usize,
) -> Result<()> {
    let (start_ns, end_ns) = (ns_of(tl.start), ns_of(tl.end));
    let mut buf = Vec::new();
    loop {
        let Ok(r) = tokio::time::timeout_at(tl.drain_end.into(), client.recv(&mut buf)).await
        else {
            return Ok(());
        };
        r?;
        let now = Instant::now();
        let now_ns = ns_of(now);
        let (mut deliveries, mut received) = (0, 0);
        for p in buf.drain(..) {
            let Incoming::Bcast(payload) = client.sort(&p)? else {
                continue;
            };
            let Some(ts) = parse_stamp(payload) else {
                bail!(
                    "broadcast without a stamp: {:?}",
                    String::from_utf8_lossy(payload)
                );
            };
            if tl.in_window(now) {
                deliveries += 1;
            }
            if (start_ns..end_ns).contains(&ts) {
                received += 1;
                rec.record(now_ns.saturating_sub(ts) / 1000);
            }
        }
        counts.deliveries.fetch_add(deliveries, Ordering::Relaxed);
        counts.received.fetch_add(received, Ordering::Relaxed);
        let node = &counts.nodes[node];
        node.deliveries.fetch_add(deliveries, Ordering::Relaxed);
        node.received.fetch_add(received, Ordering::Relaxed);
    }
}

/// A sender: keeps `k` broadcasts in flight until the window ends, then
/// waits for their acks until the drain ends.
async fn send(
    client: &mut Client,
    frames: &Frames,
    sender: u32,
    k: usize,
    tl: Timeline,
    counts: &Counts,
) -> Result<()> {
    let (start_ns, end_ns) = (ns_of(tl.start), ns_of(tl.end));
    let mut inflight: VecDeque<(u64, u64)> = VecDeque::with_capacity(k);
    let mut seq = 0u64;
    for _ in 0..k {
        emit(client, frames, sender, &mut seq, &mut inflight).await?;
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
        let mut sent = 0;
        for p in buf.drain(..) {
            let Incoming::Reply { id, .. } = client.sort(&p)? else {
                continue;
            };
            let pos = match id {
                Some(id) => inflight.iter().position(|(i, _)| *i == id),
                None if inflight.is_empty() => None,
                None => Some(0),
            };
            let Some((_, ts)) = pos.and_then(|pos| inflight.remove(pos)) else {
                bail!("ack {id:?} to no broadcast in flight");
            };
            if (start_ns..end_ns).contains(&ts) {
                sent += 1;
            }
            if now < tl.end {
                emit(client, frames, sender, &mut seq, &mut inflight).await?;
            }
        }
        counts.sent.fetch_add(sent, Ordering::Relaxed);
        client.flush().await?;
        if now >= tl.end && inflight.is_empty() {
            return Ok(());
        }
    }
}

/// Sends one stamped broadcast and notes it in flight.
async fn emit(
    client: &mut Client,
    frames: &Frames,
    sender: u32,
    seq: &mut u64,
    inflight: &mut VecDeque<(u64, u64)>,
) -> Result<()> {
    let ts = ns_of(Instant::now());
    inflight.push_back((*seq, ts));
    let frame = frames.bcast(*seq, ts, sender, *seq);
    *seq += 1;
    client.send(frame).await
}

#[cfg(test)]
mod tests {
    use super::{node_of, spread};

    #[test]
    fn receivers_are_dealt_over_the_nodes() {
        assert_eq!(spread(500, 1), vec![500]);
        assert_eq!(spread(500, 2), vec![250, 250]);
        assert_eq!(spread(5, 2), vec![3, 2]);
        assert_eq!(spread(7, 3), vec![3, 2, 2]);
        let firsts: Vec<usize> = (0..5).map(|i| node_of(i, 2)).collect();
        assert_eq!(firsts, [0, 1, 0, 1, 0], "alternating, first node first");
        assert_eq!(node_of(3, 1), 0);
    }
}
