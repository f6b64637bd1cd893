//! The node's one reading task on the stream: `XREAD BLOCK` from the
//! stream's end at start, then from the last id read. When Redis is lost it
//! logs, reconnects with backoff and resumes from that id, so every entry
//! added meanwhile that `MAXLEN` has not trimmed is read, in order. If the
//! stream ends before that id (Redis restarted empty), it reads the new
//! stream from its start.

use std::sync::Arc;

use redis::aio::MultiplexedConnection;
use redis::streams::{StreamRangeReply, StreamReadReply};
use tokio::sync::oneshot;

use super::node::{next_backoff, redis_error, Shared, COMMAND_TIMEOUT, FIRST_BACKOFF};
use super::wire::entry;
use crate::server::error::AdapterError;

/// A stream id, `ms-seq`, as a comparable pair; `None` when malformed.
fn parse_id(id: &str) -> Option<(u64, u64)> {
    let (ms, seq) = id.split_once('-')?;
    Some((ms.parse().ok()?, seq.parse().ok()?))
}

/// A connection of its own for blocking reads (a blocked `XREAD` would
/// hold up other commands).
async fn connect(shared: &Shared) -> Result<MultiplexedConnection, AdapterError> {
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(COMMAND_TIMEOUT)
        .set_response_timeout(shared.config.block + COMMAND_TIMEOUT);
    shared
        .client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .map_err(|e| redis_error("connect", &e))
}

/// Where to read from after (re)connecting: `last`, unless the stream now
/// ends before it, then its start; the first time, its current end.
async fn resume_from(
    conn: &mut MultiplexedConnection,
    key: &str,
    last: Option<String>,
) -> Result<String, AdapterError> {
    let reply: StreamRangeReply = redis::cmd("XREVRANGE")
        .arg(key)
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async(conn)
        .await
        .map_err(|e| redis_error("XREVRANGE", &e))?;
    let newest = reply.ids.into_iter().next().map(|e| e.id);
    Ok(match (last, newest) {
        (None, newest) => newest.unwrap_or_else(|| "0-0".into()),
        (Some(last), Some(newest)) if parse_id(&newest) < parse_id(&last) => {
            tracing::warn!(%key, "redis stream was reset; reading it from the start");
            "0-0".into()
        }
        (Some(last), Some(_)) => last,
        (Some(_), None) => "0-0".into(),
    })
}

/// Reads and dispatches until aborted; tells `ready` once it has its
/// starting point.
pub(super) async fn read_loop(shared: Arc<Shared>, ready: oneshot::Sender<()>) {
    let key = shared.config.stream_name.clone();
    let mut ready = Some(ready);
    let mut last: Option<String> = None;
    let mut backoff = FIRST_BACKOFF;
    loop {
        let result = async {
            let mut conn = connect(&shared).await?;
            let mut from = resume_from(&mut conn, &key, last.clone()).await?;
            last = Some(from.clone());
            shared.health.connected();
            if let Some(tx) = ready.take() {
                let _ = tx.send(());
            }
            backoff = FIRST_BACKOFF;
            loop {
                let reply: Option<StreamReadReply> = redis::cmd("XREAD")
                    .arg("COUNT")
                    .arg(shared.config.read_count.max(1))
                    .arg("BLOCK")
                    .arg(shared.config.block.as_millis() as u64)
                    .arg("STREAMS")
                    .arg(&key)
                    .arg(&from)
                    .query_async(&mut conn)
                    .await
                    .map_err(|e| redis_error("XREAD", &e))?;
                for e in reply.into_iter().flat_map(|r| r.keys).flat_map(|k| k.ids) {
                    let fields = e.map.iter().filter_map(|(name, value)| match value {
                        redis::Value::BulkString(b) => Some((name.as_str(), b.as_slice())),
                        redis::Value::SimpleString(s) => Some((name.as_str(), s.as_bytes())),
                        _ => None,
                    });
                    match entry::decode(fields) {
                        Ok(message) => shared.dispatch(message, Some(&e.id)),
                        Err(err) => {
                            shared.health.refused();
                            tracing::warn!(id = %e.id, error = %err, "ignoring a stream entry")
                        }
                    }
                    from = e.id;
                    last = Some(from.clone());
                }
            }
            #[allow(unreachable_code)]
            Ok::<(), AdapterError>(())
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, %key, "redis streams adapter lost Redis; reconnecting");
            shared.health.lost(&e);
        }
        tokio::time::sleep(backoff).await;
        backoff = next_backoff(backoff);
    }
}

#[cfg(test)]
mod tests {
    use super::parse_id;

    #[test]
    fn stream_ids_compare_numerically() {
        assert!(parse_id("9-0") < parse_id("10-0"));
        assert!(parse_id("10-2") < parse_id("10-10"));
        assert_eq!(parse_id("junk"), None);
    }
}
