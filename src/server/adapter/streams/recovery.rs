//! [`StreamsSessions`]: connection-state recovery across the nodes of a
//! Redis Streams cluster, as Node's `@socket.io/redis-streams-adapter`
//! does it, so that edgeio and Node nodes restore each other's sessions.
//!
//! - A broadcast's offset is its stream entry id (see `offsets`).
//! - A socket that leaves for a reason it may come back from is kept as
//!   `SET <prefix><pid> <session> PX <window>` ([`session`](super::session)).
//! - A client that comes back with its `pid` and the offset of the last
//!   broadcast it saw gets its session (`MULTI GET DEL EXEC`: restored
//!   once) if that entry is still in the stream, and every broadcast of its
//!   namespace after it that reaches its rooms (`XRANGE` in batches) — or
//!   nothing, when what it missed is over the recovery budgets.

use std::sync::Arc;

use redis::streams::StreamRangeReply;
use serde_json::Value as Json;

use super::node::{redis_error, Shared};
use super::packet::from_wire;
use super::session::{self, reaches};
use super::wire::{entry, Body, MessageType};
use crate::server::adapter::{AdapterFuture, RecoveredSession, Session, SessionKeeper};
use crate::server::config::RecoveryConfig;
use crate::server::error::AdapterError;

/// How many stream entries one `XRANGE` of a restore reads.
const BATCH: usize = 100;

/// One namespace's sessions in a Redis Streams cluster.
pub struct StreamsSessions {
    shared: Arc<Shared>,
    ns: String,
    config: RecoveryConfig,
}

impl StreamsSessions {
    pub(super) fn new(shared: Arc<Shared>, ns: &str, config: RecoveryConfig) -> Self {
        Self {
            shared,
            ns: ns.to_owned(),
            config,
        }
    }

    fn key(&self, pid: &str) -> String {
        format!("{}{pid}", self.shared.config.session_prefix)
    }
}

/// Whether `offset` is a stream entry id (`ms-seq`), as Node checks it.
fn is_entry_id(offset: &str) -> bool {
    offset
        .split_once('-')
        .is_some_and(|(ms, seq)| digits(ms) && digits(seq))
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The smallest entry id after `id` (Node's `nextOffset`: exclusive ranges
/// need Redis 6.2).
fn next_id(id: &str) -> Option<String> {
    let (ms, seq) = id.split_once('-')?;
    Some(format!("{ms}-{}", seq.parse::<u64>().ok()?.checked_add(1)?))
}

impl SessionKeeper for StreamsSessions {
    fn persist(&self, session: Session) {
        let key = self.key(session.pid.as_str());
        let value = session::encode(&session);
        let window = u64::try_from(self.config.max_disconnection_duration.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let shared = self.shared.clone();
        tokio::spawn(async move {
            let result = async {
                let mut conn = shared.publisher().await?;
                redis::cmd("SET")
                    .arg(&key)
                    .arg(value)
                    .arg("PX")
                    .arg(window)
                    .query_async::<()>(&mut conn)
                    .await
                    .map_err(|e| {
                        shared.health.error(&e);
                        redis_error("SET", &e)
                    })
            }
            .await;
            if let Err(e) = result {
                tracing::warn!(%key, error = %e, "session not kept for recovery");
            }
        });
    }

    fn restore(&self, pid: &str, offset: &str) -> AdapterFuture<Option<RecoveredSession>> {
        let (shared, ns, config) = (self.shared.clone(), self.ns.clone(), self.config);
        let (key, offset) = (self.key(pid), offset.to_owned());
        Box::pin(async move { restore(&shared, &ns, config, &key, &offset).await })
    }
}

/// The session kept under `key` and what it missed after `offset`.
async fn restore(
    shared: &Shared,
    ns: &str,
    config: RecoveryConfig,
    key: &str,
    offset: &str,
) -> Result<Option<RecoveredSession>, AdapterError> {
    if !is_entry_id(offset) {
        return Ok(None);
    }
    let stream = &shared.config.stream_name;
    let mut conn = shared.publisher().await?;
    let (raw, seen): (Option<Vec<u8>>, StreamRangeReply) = redis::pipe()
        .atomic()
        .cmd("GET")
        .arg(key)
        .cmd("DEL")
        .arg(key)
        .ignore()
        .cmd("XRANGE")
        .arg(stream)
        .arg(offset)
        .arg(offset)
        .query_async(&mut conn)
        .await
        .map_err(|e| redis_error("GET DEL XRANGE", &e))?;
    let Some(raw) = raw else {
        return Ok(None);
    };
    if seen.ids.is_empty() {
        tracing::info!(%key, offset, "session not restored: its offset left the stream");
        return Ok(None);
    }
    let session = match session::decode(&raw) {
        Ok(session) => session,
        Err(e) => {
            tracing::warn!(%key, error = %e, "session not restored");
            return Ok(None);
        }
    };
    let mut missed = Vec::new();
    let mut bytes = 0usize;
    let mut from = offset.to_owned();
    // The stream holds about `maxlen` entries: more read means it grows as
    // fast as it is read.
    let most = usize::try_from(shared.config.maxlen)
        .unwrap_or(usize::MAX)
        .saturating_mul(2)
        .saturating_add(BATCH);
    let mut read = 0usize;
    loop {
        let Some(start) = next_id(&from) else {
            return Ok(None);
        };
        let batch: StreamRangeReply = redis::cmd("XRANGE")
            .arg(stream)
            .arg(start)
            .arg("+")
            .arg("COUNT")
            .arg(BATCH)
            .query_async(&mut conn)
            .await
            .map_err(|e| redis_error("XRANGE", &e))?;
        let count = batch.ids.len();
        for e in batch.ids {
            read += 1;
            let fields: Vec<(&str, &[u8])> = e
                .map
                .iter()
                .filter_map(|(name, value)| match value {
                    redis::Value::BulkString(b) => Some((name.as_str(), b.as_slice())),
                    redis::Value::SimpleString(s) => Some((name.as_str(), s.as_bytes())),
                    _ => None,
                })
                .collect();
            if let Some(packet) = missed_packet(ns, &session, &fields, &e.id) {
                bytes += fields.iter().map(|(_, v)| v.len()).sum::<usize>();
                missed.push(packet);
            }
            if missed.len() > config.max_buffered_packets || bytes > config.max_buffered_bytes {
                tracing::info!(%key, missed = missed.len(), bytes, "session not restored: it missed more than the recovery budgets");
                return Ok(None);
            }
            from = e.id;
        }
        if count < BATCH {
            break;
        }
        if read > most {
            tracing::warn!(%key, read, "session not restored: the stream grows faster than it is read");
            return Ok(None);
        }
    }
    Ok(Some(RecoveredSession { session, missed }))
}

/// The event of entry `id` (its `fields`) if it is a broadcast of namespace
/// `ns` that reaches `session`, with `id` as its last argument.
fn missed_packet(
    ns: &str,
    session: &Session,
    fields: &[(&str, &[u8])],
    id: &str,
) -> Option<crate::protocol::Packet> {
    let message = entry::decode(fields.iter().copied()).ok()?;
    if message.nsp != ns || message.kind != MessageType::Broadcast {
        return None;
    }
    let Ok(Body::Broadcast {
        packet,
        filter,
        request_id: None,
    }) = Body::of(&message)
    else {
        return None;
    };
    let mut rooms = vec![session.sid.to_string()];
    rooms.extend(session.rooms.iter().cloned());
    if filter.volatile || !reaches(&rooms, &filter) {
        return None;
    }
    let mut packet = from_wire(ns, &packet).ok()?;
    if let Some(Json::Array(data)) = &mut packet.data {
        data.push(Json::String(id.to_owned()));
    }
    Some(packet)
}

#[cfg(test)]
mod tests {
    use super::{is_entry_id, next_id};

    #[test]
    fn offsets_are_entry_ids() {
        assert!(is_entry_id("1700000000000-0"));
        assert!(!is_entry_id("1700000000000"));
        assert!(!is_entry_id("-1"));
        assert!(!is_entry_id("1-x"));
        assert!(!is_entry_id("MQ-1"));
        assert_eq!(next_id("5-9").as_deref(), Some("5-10"));
        assert_eq!(next_id("5-18446744073709551615"), None);
    }
}
