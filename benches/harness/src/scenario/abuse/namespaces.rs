//! Dynamic namespaces: one client joins `/`, then `/dyn-1`…`/dyn-N` (served
//! by the loadtest app's dynamic namespace), in batches written at once,
//! tallies each answer, leaves every namespace it joined, and checks that
//! its session on `/` still answers an acknowledged `echo`.

use std::net::SocketAddr;
use std::time::Duration;

use super::wire::Tally;
use super::wsconn::{Read, WsConn};
use super::Outcome;

/// CONNECTs written at once.
const BATCH: u32 = 100;
/// Longest wait for a batch's answers.
const BATCH_WAIT: Duration = Duration::from_secs(10);

pub async fn run(addr: SocketAddr, count: u32) -> Outcome {
    let tally = Tally::default();
    let answered = match join_leave(addr, count, &tally).await {
        Ok(end) => format!("{}; {end}", tally.summary()),
        Err(e) => format!("{}; stopped: {e}", tally.summary()),
    };
    Outcome {
        did: format!("1 client joins /dyn-1…/dyn-{count}, then leaves them"),
        answered,
        answers: tally.json(),
    }
}

async fn join_leave(addr: SocketAddr, count: u32, tally: &Tally) -> Result<String, String> {
    let mut conn = WsConn::open(addr).await?;
    conn.send_all(["40".to_owned()]).await?;
    match conn.read(BATCH_WAIT).await {
        Read::Frames(f) if f.iter().any(|p| p.starts_with(b"40{")) => {}
        _ => return Err("no answer to the CONNECT to /".into()),
    }
    let mut joined = Vec::new();
    let mut first = 1;
    while first <= count {
        let last = (first + BATCH - 1).min(count);
        conn.send_all((first..=last).map(|i| format!("40/dyn-{i},")))
            .await?;
        let mut pending = (last - first + 1) as usize;
        while pending > 0 {
            let frames = match conn.read(BATCH_WAIT).await {
                Read::Frames(f) => f,
                Read::Quiet => {
                    tally.add("no answer");
                    return Err(format!("{pending} CONNECTs unanswered"));
                }
                Read::Ended(why) => {
                    tally.add(format!("connection ended: {why}"));
                    return Err(format!("connection ended at /dyn-{first}…"));
                }
            };
            for f in frames {
                let text = String::from_utf8_lossy(&f);
                let Some(rest) = text
                    .strip_prefix("40/dyn-")
                    .or(text.strip_prefix("44/dyn-"))
                else {
                    continue;
                };
                pending = pending.saturating_sub(1);
                if text.starts_with("40") {
                    tally.add("40 joined");
                    if let Some((n, _)) = rest.split_once(',') {
                        joined.push(n.to_owned());
                    }
                } else {
                    let why = rest.split_once(',').map_or("", |(_, m)| m);
                    tally.add(format!("44 {}", why.chars().take(60).collect::<String>()));
                }
            }
        }
        first = last + 1;
    }
    for chunk in joined.chunks(BATCH as usize) {
        conn.send_all(chunk.iter().map(|n| format!("41/dyn-{n},")))
            .await?;
    }
    conn.send_all([r#"421["echo","probe"]"#.to_owned()]).await?;
    loop {
        match conn.read(BATCH_WAIT).await {
            Read::Frames(f) if f.iter().any(|p| p.starts_with(b"431[")) => {
                return Ok(format!("left {} namespaces, / still acks", joined.len()));
            }
            Read::Frames(_) => {}
            Read::Quiet => return Ok("no ack on / afterwards".into()),
            Read::Ended(why) => return Ok(format!("connection ended afterwards: {why}")),
        }
    }
}
