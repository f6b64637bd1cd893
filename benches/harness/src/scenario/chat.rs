//! Chat: durable sends on edgeio's chat service (`--app chat`). C clients,
//! users `bench-0`.. with tokens minted from `--jwt-secret`, are paired in
//! C/2 one-to-one conversations created over REST before anyone connects;
//! each client then keeps K `message:send` in flight, every one with a fresh
//! messageId. The chat acknowledges a send once the message is stored (on a
//! durable store: flushed to disk), so the rate of acks is the rate of
//! durable sends. Counts the acks inside the measured window and their
//! latency; an error ack (`{"error": ...}`) is counted as rejected and
//! invalidates the run. The `message:received` and `unread_count:updated`
//! events every send causes are read and dropped.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::{measure, micros, Errors, Launch, Measured, Timeline};
use crate::chat_api::{self, Rest};
use crate::cli::Cli;
use crate::client::{Client, Incoming};
use crate::stats::{round, Recorder, SharedHistogram};

#[derive(Default)]
struct Counts {
    acked: AtomicU64,
    unacked: AtomicU64,
    rejected: AtomicU64,
    errors: Errors,
}

/// One client's sends: `42<n>["message:send",{...,"messageId":"<prefix><n>"}]`.
struct Sends {
    /// From the event name to the messageId's varying end.
    body: String,
}

impl Sends {
    fn new(cid: &str, content: &str, id_prefix: &str) -> Self {
        let body = format!(
            r#"["message:send",{{"conversationId":"{cid}","content":"{content}","messageId":"{id_prefix}"#
        );
        Self { body }
    }

    /// Send `n`: ack id `n`, messageId `<prefix><n>`.
    fn frame(&self, n: u64) -> Utf8Bytes {
        format!(r#"42{n}{}{n}"}}]"#, self.body).into()
    }
}

pub async fn run(cli: &Cli) -> Result<Value> {
    let secret = cli
        .jwt_secret
        .as_deref()
        .context("chat needs --jwt-secret")?;
    let clients = cli.clients as usize;
    let k = cli.inflight as usize;
    let users: Vec<String> = (0..clients).map(|i| format!("bench-{i}")).collect();
    let tokens = users
        .iter()
        .map(|u| chat_api::token(secret, u))
        .collect::<Result<Vec<_>>>()?;

    let setup = Instant::now();
    let mut rest = Rest::connect(cli.target).await?;
    let mut convs = Vec::with_capacity(clients / 2);
    for pair in 0..clients / 2 {
        let cid = rest
            .one_to_one(&tokens[2 * pair], &users[2 * pair + 1])
            .await?;
        convs.push(cid);
    }
    let setup = setup.elapsed();
    eprintln!(
        "loadgen: {} conversations created in {:.2} s",
        convs.len(),
        setup.as_secs_f64()
    );

    // Unique across runs on the same data directory.
    let run_id = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis();
    let content = "x".repeat(cli.payload as usize);
    let hist = SharedHistogram::new();
    let counts = Arc::new(Counts::default());
    let mut launch = Launch::new(cli);
    let mut handles = Vec::with_capacity(clients);
    for (i, token) in tokens.iter().enumerate() {
        let mut gate = launch.gate();
        let auth = chat_api::auth(token, "bench");
        let sends = Sends::new(&convs[i / 2], &content, &format!("b{run_id}-{i}-"));
        let counts = counts.clone();
        let mut rec = hist.recorder();
        handles.push(tokio::spawn(async move {
            let Some(mut client) = gate.open_with(None, Some(&auth)).await else {
                return;
            };
            let mut inflight = VecDeque::with_capacity(k);
            let result = async {
                let Some(tl) = gate.wait_go(&mut client).await? else {
                    return Ok(());
                };
                drive(&mut client, &sends, k, tl, &mut inflight, &mut rec, &counts).await
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
        "loadgen: {clients} chat clients open in {:.2} s",
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
        "conversations": convs.len(),
        "inflight": k,
        "payload": cli.payload,
        "warmup_s": cli.warmup,
        "duration_s": secs,
        "setup_s": round(setup.as_secs_f64(), 4),
        "open_s": round(open.as_secs_f64(), 4),
        "acked": acked,
        "rate_per_s": round(acked as f64 / secs, 1),
        "latency_samples": samples,
        "p50_us": p50,
        "p99_us": p99,
        "p999_us": p999,
        "rejected": counts.rejected.load(Ordering::Relaxed),
        "errors": counts.errors.count() + aborted as u64,
        "unacked": counts.unacked.load(Ordering::Relaxed),
        "server_cpu_s": server_cpu,
        "loadgen_cpu_s": own_cpu,
    }))
}

/// Keeps `k` sends in flight until the window ends, then waits for the
/// outstanding ones until the drain ends.
async fn drive(
    client: &mut Client,
    sends: &Sends,
    k: usize,
    tl: Timeline,
    inflight: &mut VecDeque<(u64, Instant)>,
    rec: &mut Recorder,
    counts: &Counts,
) -> Result<()> {
    let mut next = 0u64;
    for _ in 0..k {
        client.send(sends.frame(next)).await?;
        inflight.push_back((next, Instant::now()));
        next += 1;
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
            let pos = id.and_then(|id| inflight.iter().position(|(i, _)| *i == id));
            let Some((_, sent)) = pos.and_then(|pos| inflight.remove(pos)) else {
                bail!("ack {id:?} to no send in flight");
            };
            if !body.starts_with(br#"[{"messageId""#) {
                let n = counts.rejected.fetch_add(1, Ordering::Relaxed);
                if n < 5 {
                    eprintln!(
                        "loadgen: send refused: {}",
                        String::from_utf8_lossy(&body[..body.len().min(300)])
                    );
                }
            } else if tl.in_window(now) {
                acked += 1;
                rec.record(micros(sent, now));
            }
            if now < tl.end {
                client.send(sends.frame(next)).await?;
                inflight.push_back((next, Instant::now()));
                next += 1;
            }
        }
        counts.acked.fetch_add(acked, Ordering::Relaxed);
        client.flush().await?;
        if now >= tl.end && inflight.is_empty() {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_frames_carry_their_ack_id_in_the_message_id() {
        let s = Sends::new("c1", "xx", "b7-3-");
        let frame = s.frame(42);
        assert_eq!(
            frame.as_str(),
            r#"4242["message:send",{"conversationId":"c1","content":"xx","messageId":"b7-3-42"}]"#
        );
        let json: Value = serde_json::from_str(&frame.as_str()[4..]).unwrap();
        assert_eq!(json[1]["messageId"], "b7-3-42");
    }
}
