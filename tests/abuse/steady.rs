//! The well-behaved client: a Socket.IO client over WebSocket that sends an
//! acknowledged `echo` every 10 ms (on `--app echo`, an ack-shaped packet
//! that the app bounces back as is) and counts the acks, so that a test can
//! check it is still served during and after an attack.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use crate::sio_client::join;

/// Acks a check waits for.
const FRESH_ACKS: u64 = 3;
/// Upper bound of every wait: only a server that stopped serving reaches it.
const WAIT: Duration = Duration::from_secs(15);

/// The running client.
pub struct Steady {
    acks: Arc<AtomicU64>,
    failed: Arc<Mutex<Option<String>>>,
    stop: Arc<AtomicBool>,
}

impl Steady {
    /// Connects to `/` and starts echoing; `bounced` for `--app echo`.
    pub async fn start(addr: SocketAddr, bounced: bool) -> Self {
        let (mut ws, answer) = join(addr, "", "").await;
        assert!(answer.starts_with("40"), "CONNECT answered {answer}");
        let acks = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(Mutex::new(None));
        let stop = Arc::new(AtomicBool::new(false));
        let (a, f, s) = (acks.clone(), failed.clone(), stop.clone());
        tokio::spawn(async move {
            let mut id = 0u64;
            while !s.load(Ordering::Relaxed) {
                id += 1;
                let packet = if bounced {
                    format!(r#"43{id}["ok"]"#)
                } else {
                    format!(r#"42{id}["echo","ok"]"#)
                };
                let want = format!("43{id}[");
                let result = tokio::time::timeout(WAIT, async {
                    ws.send(Message::text(packet))
                        .await
                        .map_err(|e| e.to_string())?;
                    loop {
                        match ws.next().await {
                            Some(Ok(Message::Text(t))) if t.starts_with(&want) => return Ok(()),
                            Some(Ok(Message::Text(t))) if t.as_str() == "2" => {
                                ws.send(Message::text("3"))
                                    .await
                                    .map_err(|e| e.to_string())?;
                            }
                            Some(Ok(_)) => {}
                            Some(Err(e)) => return Err(format!("WebSocket error: {e}")),
                            None => return Err("connection closed".to_owned()),
                        }
                    }
                })
                .await;
                match result {
                    Ok(Ok(())) => {
                        a.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(Err(e)) => return note(&f, e),
                    Err(_) => return note(&f, format!("no ack to echo {id} within {WAIT:?}")),
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        Self { acks, failed, stop }
    }

    /// Waits until a few more echoes are acknowledged; fails the test if the
    /// client lost its session or got no ack in time.
    pub async fn assert_acking(&self, after: &str) {
        let from = self.acks.load(Ordering::Relaxed);
        let waited = tokio::time::timeout(WAIT, async {
            while self.acks.load(Ordering::Relaxed) < from + FRESH_ACKS {
                if let Some(e) = self.failed.lock().ok().and_then(|f| f.clone()) {
                    return Err(e);
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Ok(())
        })
        .await;
        match waited {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("the well-behaved client failed after {after}: {e}"),
            Err(_) => panic!("the well-behaved client got no acks within {WAIT:?} after {after}"),
        }
    }
}

impl Drop for Steady {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn note(failed: &Mutex<Option<String>>, e: String) {
    if let Ok(mut f) = failed.lock() {
        *f = Some(e);
    }
}
