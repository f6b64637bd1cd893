//! Slowloris: connections that send a request's headers one byte a second,
//! never finishing them, for a while; what each got from the server (an
//! answer, its connection closed, nothing) is tallied with when.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use super::wire::{Conn, Tally, PATH};
use super::Outcome;

/// Connections being opened at once (no SYN dropped by a full backlog).
const OPENING: usize = 128;

pub async fn run(addr: SocketAddr, conns: u32, secs: u32) -> Outcome {
    let tally = Arc::new(Tally::default());
    let ended_after = Arc::new(Mutex::new(Vec::<f64>::new()));
    let opening = Arc::new(Semaphore::new(OPENING));
    let hold = Duration::from_secs(secs.into());
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (tally, ended_after, opening) = (tally.clone(), ended_after.clone(), opening.clone());
        tasks.push(tokio::spawn(async move {
            let conn = {
                let _permit = opening.acquire().await;
                Conn::open(addr).await
            };
            let mut conn = match conn {
                Ok(c) => c,
                Err(e) => return tally.add(e),
            };
            let opened = Instant::now();
            let head = format!(
                "GET {PATH}?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
            );
            let mut bytes = head.bytes().chain(std::iter::repeat(b'a'));
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            let label = loop {
                if opened.elapsed() >= hold {
                    break "still open at the end".to_owned();
                }
                tokio::select! {
                    _ = tick.tick() => {
                        let b = bytes.next().unwrap_or(b'a');
                        if let Err(e) = conn.write(&[b]).await {
                            break format!("write failed: {e}");
                        }
                    }
                    ev = conn.next_event() => break match ev {
                        Ok(answer) => format!("answered {answer}"),
                        Err(ended) => ended,
                    },
                }
            };
            if label != "still open at the end" {
                if let Ok(mut v) = ended_after.lock() {
                    v.push(opened.elapsed().as_secs_f64());
                }
            }
            tally.add(label);
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let mut answered = tally.summary();
    if let Ok(mut v) = ended_after.lock() {
        if !v.is_empty() {
            v.sort_by(f64::total_cmp);
            answered.push_str(&format!(
                " (ended after {:.0}–{:.0} s)",
                v[0],
                v[v.len() - 1]
            ));
        }
    }
    Outcome {
        did: format!("{conns} connections sending headers 1 byte/s for {secs} s"),
        answered,
        answers: tally.json(),
    }
}
