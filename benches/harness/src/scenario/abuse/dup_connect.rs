//! Duplicate CONNECTs: clients each send many CONNECTs to `/` in one write,
//! then, once the first is answered, one acknowledged `echo`; what each got back (CONNECT answers and how
//! many distinct socket ids, refusals, the ack, the end of its connection)
//! is tallied per client. Half the clients send plain CONNECTs; the other
//! half claim a session to recover (a made-up `pid` in the auth payload),
//! which sends each CONNECT through the server's asynchronous path (the
//! storage is asked first), as a namespace with middlewares does.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use super::wire::Tally;
use super::wsconn::{Read, WsConn};
use super::Outcome;

/// Connections being opened at once.
const OPENING: usize = 128;
/// Once the ack is in, how long without a frame ends the reading.
const QUIET: Duration = Duration::from_secs(1);
/// Longest a client reads answers.
const READ_FOR: Duration = Duration::from_secs(10);

pub async fn run(addr: SocketAddr, clients: u32, connects: u32) -> Outcome {
    let tally = Arc::new(Tally::default());
    let opening = Arc::new(Semaphore::new(OPENING));
    let mut tasks = Vec::new();
    for i in 0..clients {
        let (tally, opening) = (tally.clone(), opening.clone());
        let connect = if i % 2 == 0 {
            "40".to_owned()
        } else {
            format!(r#"40{{"pid":"abuse-{i}","offset":"0-0"}}"#)
        };
        tasks.push(tokio::spawn(async move {
            let conn = {
                let _permit = opening.acquire().await;
                WsConn::open(addr).await
            };
            let kind = if i % 2 == 0 { "plain" } else { "with a pid" };
            match conn {
                Ok(c) => tally.add(format!("{kind}: {}", burst(c, &connect, connects).await)),
                Err(e) => tally.add(format!("{kind}: {e}")),
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    Outcome {
        did: format!("{clients} clients × {connects} CONNECTs to / in one write"),
        answered: tally.summary(),
        answers: tally.json(),
    }
}

/// One client's burst; what it got, as a tally label.
async fn burst(mut conn: WsConn, connect: &str, connects: u32) -> String {
    let frames = (0..connects).map(|_| connect.to_owned());
    if let Err(e) = conn.send_all(frames).await {
        return format!("send failed: {e}");
    }
    let (mut answers, mut refusals, mut acked, mut probed) = (0, 0, false, false);
    let mut sids = HashSet::new();
    let mut ended = None;
    let until = Instant::now() + READ_FOR;
    while Instant::now() < until {
        let wait = if acked { QUIET } else { until - Instant::now() };
        match conn.read(wait).await {
            Read::Quiet => break,
            Read::Ended(why) => {
                ended = Some(why);
                break;
            }
            Read::Frames(frames) => {
                for f in frames {
                    if f.starts_with(b"40{") {
                        answers += 1;
                        sids.insert(f);
                    } else if f.starts_with(b"44") {
                        refusals += 1;
                    } else if f.starts_with(b"431[") {
                        acked = true;
                    }
                }
                if answers > 0 && !probed {
                    probed = true;
                    if let Err(e) = conn.send_all([r#"421["echo","probe"]"#.to_owned()]).await {
                        ended = Some(format!("send failed: {e}"));
                        break;
                    }
                }
            }
        }
    }
    let mut label = format!("{answers} CONNECT answers ({} sockets)", sids.len());
    if refusals > 0 {
        label.push_str(&format!(", {refusals} refusals"));
    }
    label.push_str(if acked {
        ", echo acked"
    } else {
        ", no echo ack"
    });
    if let Some(why) = ended {
        label.push_str(&format!(", then {why}"));
    }
    label
}
