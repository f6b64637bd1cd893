//! [`StreamWriter`]: the one task that adds a node's entries to a Redis
//! Stream, in the order they were asked for, and keeps them while Redis is
//! away (the Streams event store's and, in the server, the Streams
//! adapter's).
//!
//! Entries reach the task through a channel (the asking is synchronous, so
//! the order is the callers'); it adds what waits in batches (`MULTI` …
//! `XADD` … `EXEC`: one round trip for many under load). When Redis cannot
//! take them, they stay in the backlog — bounded by count and by bytes — and
//! are added, in order and before anything newer, once Redis is back: a
//! broadcast made while Redis was lost still reaches the other nodes. Its
//! caller hears at once that the entry waits (so that local delivery need
//! not). An entry past the backlog's bounds is dropped, logged and counted.
//!
//! An entry is added at least once: a batch whose answer was lost with the
//! connection is added again.

use std::collections::VecDeque;
use std::future::Future;

use redis::aio::ConnectionManager;
use tokio::sync::{mpsc, oneshot};

use super::{next_backoff, COMMAND_TIMEOUT, FIRST_BACKOFF};
use crate::error::StorageError;
use crate::health::ComponentHealth;

/// The most entries one batch adds.
const BATCH: usize = 256;

/// What the writer is asked to add: an `XADD` and its size in bytes.
struct Entry {
    cmd: redis::Cmd,
    size: usize,
    /// Told the entry's id, or that it waits or was dropped; taken once told.
    reply: Option<oneshot::Sender<Result<String, StorageError>>>,
}

/// The handle on a node's stream writer. Its task ends when it is dropped.
#[derive(Debug)]
pub struct StreamWriter {
    tx: mpsc::UnboundedSender<Entry>,
    health: ComponentHealth,
}

impl StreamWriter {
    /// Starts the writer on `client` (on `conn` when one is made already),
    /// keeping at most `max_entries` entries and `max_bytes` bytes while
    /// Redis is away; Redis errors go to `health`. Needs a tokio runtime.
    pub fn start(
        client: redis::Client,
        conn: Option<ConnectionManager>,
        health: ComponentHealth,
        max_entries: usize,
        max_bytes: usize,
    ) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let backlog = Backlog {
            entries: VecDeque::new(),
            bytes: 0,
            max_entries,
            max_bytes,
            down: None,
            health: health.clone(),
        };
        tokio::spawn(run(rx, client, conn, health.clone(), backlog));
        Self { tx, health }
    }

    /// Adds XADD `cmd` (`size` bytes of fields) after everything asked
    /// before; resolves to the entry's id, or to an error when Redis cannot
    /// take it now (it waits, and is added once Redis is back) or it was
    /// dropped.
    pub fn add(
        &self,
        cmd: redis::Cmd,
        size: usize,
    ) -> impl Future<Output = Result<String, StorageError>> + Send + 'static {
        let (reply, told) = oneshot::channel();
        let sent = self.tx.send(Entry {
            cmd,
            size,
            reply: Some(reply),
        });
        async move {
            if sent.is_err() {
                return Err(StorageError::ShutDown);
            }
            told.await.unwrap_or(Err(StorageError::ShutDown))
        }
    }

    /// How many entries were dropped because the backlog was full.
    pub fn dropped(&self) -> u64 {
        self.health.status().outbox_dropped
    }
}

/// What waits to be added, oldest first.
struct Backlog {
    entries: VecDeque<Entry>,
    bytes: usize,
    max_entries: usize,
    max_bytes: usize,
    /// Why Redis cannot take entries now (`None` while it can).
    down: Option<String>,
    /// Told how many wait, and each entry dropped.
    health: ComponentHealth,
}

impl Backlog {
    /// Takes `entry` behind the others, or drops it when full.
    fn push(&mut self, mut entry: Entry) {
        let full = self.entries.len() >= self.max_entries
            || self.bytes.saturating_add(entry.size) > self.max_bytes;
        if full {
            let n = self.health.outbox_dropped();
            tracing::warn!(dropped = n, "redis streams: backlog full, entry dropped");
            tell(
                &mut entry,
                Err(storage("backlog full while Redis is away: dropped")),
            );
            return;
        }
        if let Some(why) = &self.down {
            tell(&mut entry, Err(waits(why)));
        }
        self.bytes += entry.size;
        self.entries.push_back(entry);
        self.health.outbox(self.entries.len());
    }

    /// Redis is away: every entry still waiting for an answer hears it.
    fn lost(&mut self, why: String) {
        for entry in &mut self.entries {
            tell(entry, Err(waits(&why)));
        }
        self.down = Some(why);
    }

    /// The first `ids.len()` entries were added, with these ids.
    fn added(&mut self, ids: Vec<String>) {
        for id in ids {
            if let Some(mut entry) = self.entries.pop_front() {
                self.bytes -= entry.size;
                tell(&mut entry, Ok(id));
            }
        }
        self.health.outbox(self.entries.len());
        self.down = None;
    }
}

fn tell(entry: &mut Entry, result: Result<String, StorageError>) {
    if let Some(reply) = entry.reply.take() {
        let _ = reply.send(result);
    }
}

fn storage(what: &str) -> StorageError {
    StorageError::Unavailable(format!("redis streams: {what}"))
}

fn waits(why: &str) -> StorageError {
    storage(&format!("queued until Redis is back ({why})"))
}

/// The writer's task: adds what waits, batch by batch, retrying with
/// backoff while Redis is away; ends when the node's handle is dropped.
async fn run(
    mut rx: mpsc::UnboundedReceiver<Entry>,
    client: redis::Client,
    mut conn: Option<ConnectionManager>,
    health: ComponentHealth,
    mut backlog: Backlog,
) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        if backlog.entries.is_empty() {
            match rx.recv().await {
                Some(entry) => backlog.push(entry),
                None => return,
            }
        }
        while let Ok(entry) = rx.try_recv() {
            backlog.push(entry);
        }
        match add_batch(&client, &mut conn, &backlog.entries).await {
            Ok(ids) => {
                backlog.added(ids);
                backoff = FIRST_BACKOFF;
            }
            Err(e) => {
                health.error(&e);
                tracing::debug!(error = %e, waiting = backlog.entries.len(), "redis streams: entries wait");
                backlog.lost(e.to_string());
                // Still taking (and answering) new entries while waiting.
                let pause = tokio::time::sleep(backoff);
                tokio::pin!(pause);
                loop {
                    tokio::select! {
                        () = &mut pause => break,
                        entry = rx.recv() => match entry {
                            Some(entry) => backlog.push(entry),
                            None => return,
                        },
                    }
                }
                backoff = next_backoff(backoff);
            }
        }
    }
}

/// Adds the first [`BATCH`] entries in one `MULTI`/`EXEC`; their ids.
async fn add_batch(
    client: &redis::Client,
    conn: &mut Option<ConnectionManager>,
    entries: &VecDeque<Entry>,
) -> Result<Vec<String>, redis::RedisError> {
    let conn = match conn {
        Some(conn) => conn,
        None => {
            let config = redis::aio::ConnectionManagerConfig::new()
                .set_connection_timeout(COMMAND_TIMEOUT)
                .set_response_timeout(COMMAND_TIMEOUT);
            let made = ConnectionManager::new_with_config(client.clone(), config).await?;
            conn.insert(made)
        }
    };
    let mut pipe = redis::pipe();
    pipe.atomic();
    for entry in entries.iter().take(BATCH) {
        pipe.add_command(entry.cmd.clone());
    }
    pipe.query_async(conn).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backlog(max_entries: usize, max_bytes: usize) -> Backlog {
        Backlog {
            entries: VecDeque::new(),
            bytes: 0,
            max_entries,
            max_bytes,
            down: None,
            health: ComponentHealth::new("test"),
        }
    }

    fn entry(size: usize) -> (Entry, oneshot::Receiver<Result<String, StorageError>>) {
        let (reply, told) = oneshot::channel();
        let cmd = redis::cmd("XADD");
        let entry = Entry {
            cmd,
            size,
            reply: Some(reply),
        };
        (entry, told)
    }

    #[test]
    fn drops_past_its_count_or_bytes_and_tells_the_caller() {
        let mut b = backlog(2, 10);
        let (e1, mut t1) = entry(6);
        let (e2, mut t2) = entry(5);
        let (e3, _t3) = entry(4);
        let (e4, mut t4) = entry(0);
        b.push(e1);
        b.push(e2);
        b.push(e3);
        b.push(e4);
        assert_eq!((b.entries.len(), b.bytes), (2, 10), "6 and 4 kept");
        assert_eq!(b.health.status().outbox_dropped, 2);
        assert_eq!(b.health.status().outbox_entries, 2, "told how many wait");
        assert!(matches!(t2.try_recv(), Ok(Err(_))), "dropped: told at once");
        assert!(matches!(t4.try_recv(), Ok(Err(_))), "past the count");
        assert!(t1.try_recv().is_err(), "kept: still waiting for its id");
    }

    #[test]
    fn while_down_callers_hear_at_once_and_ids_come_in_order_once_added() {
        let mut b = backlog(10, 100);
        let (e1, mut t1) = entry(1);
        b.push(e1);
        b.lost("gone".into());
        assert!(matches!(t1.try_recv(), Ok(Err(e)) if e.to_string().contains("gone")));
        let (e2, mut t2) = entry(2);
        b.push(e2);
        assert!(
            matches!(t2.try_recv(), Ok(Err(_))),
            "told at once while down"
        );
        let (e3, mut t3) = entry(3);
        b.added(vec!["1-0".into(), "2-0".into()]);
        assert_eq!((b.entries.len(), b.bytes), (0, 0));
        assert_eq!(b.health.status().outbox_entries, 0);
        b.push(e3);
        assert!(t3.try_recv().is_err(), "up again: waits for its id");
        b.added(vec!["3-0".into()]);
        assert_eq!(t3.try_recv().expect("told").expect("an id"), "3-0");
    }
}
