//! Handshakes that never join a namespace: Engine.IO sessions opened over
//! polling (`GET ?EIO=4&transport=polling`) on a few kept-alive connections,
//! no CONNECT ever sent, then the connections closed; the sessions are left
//! for the server to time out.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use super::wire::{handshake, Conn, Tally};
use super::Outcome;

/// Connections the handshakes are made on, each one after the other.
const CONNECTIONS: u32 = 64;

pub async fn run(addr: SocketAddr, count: u32) -> Outcome {
    let tally = Arc::new(Tally::default());
    let next = Arc::new(AtomicU32::new(0));
    let mut workers = Vec::new();
    for _ in 0..CONNECTIONS.min(count) {
        let (tally, next) = (tally.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut conn = None;
            while next.fetch_add(1, Ordering::Relaxed) < count {
                if conn.is_none() {
                    match Conn::open(addr).await {
                        Ok(c) => conn = Some(c),
                        Err(e) => {
                            tally.add(e);
                            continue;
                        }
                    }
                }
                let Some(c) = conn.as_mut() else { continue };
                match handshake(c).await {
                    Ok(_) => tally.add("200 open packet"),
                    Err(label) => {
                        tally.add(label);
                        conn = None;
                    }
                }
            }
        }));
    }
    for w in workers {
        let _ = w.await;
    }
    Outcome {
        did: format!("{count} polling handshakes, no CONNECT, then gone"),
        answered: tally.summary(),
        answers: tally.json(),
    }
}
