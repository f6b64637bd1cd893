//! The node's pub/sub task: subscribed to each namespace's public channel
//! `PREFIX#NSP#` (Node nodes count the cluster's nodes with `PUBSUB NUMSUB`
//! on it, and send serverSideEmit there) and to this node's private one
//! `PREFIX#NSP#UID#` (answers). Re-subscribes everything after a loss.

use std::sync::Arc;

use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::node::{next_backoff, redis_error, Shared, FIRST_BACKOFF};
use super::wire::pubsub::{self, private_channel, public_channel};
use crate::server::error::AdapterError;

/// The two channels of namespace `nsp` for this node.
fn channels(shared: &Shared, nsp: &str) -> [String; 2] {
    let prefix = &shared.config.channel_prefix;
    [
        public_channel(prefix, nsp),
        private_channel(prefix, nsp, &shared.uid),
    ]
}

/// Subscribes to every namespace known and to each new one `added`
/// announces; dispatches what arrives. Runs until aborted.
pub(super) async fn subscribe_loop(
    shared: Arc<Shared>,
    mut added: mpsc::UnboundedReceiver<String>,
) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        let result = async {
            let pubsub = shared
                .client
                .get_async_pubsub()
                .await
                .map_err(|e| redis_error("connect", &e))?;
            let (mut sink, mut stream) = pubsub.split();
            for nsp in shared.namespaces() {
                sink.subscribe(&channels(&shared, &nsp))
                    .await
                    .map_err(|e| redis_error("SUBSCRIBE", &e))?;
            }
            // Redis refuses a SUBSCRIBE with an error reply (say `NOAUTH`,
            // once it requires a password the URL lacks) that the client
            // takes for a success; a PING gets the same refusal.
            sink.ping::<redis::Value>()
                .await
                .and_then(redis::Value::extract_error)
                .map_err(|e| redis_error("SUBSCRIBE", &e))?;
            shared.health.connected();
            backoff = FIRST_BACKOFF;
            loop {
                tokio::select! {
                    nsp = added.recv() => {
                        let Some(nsp) = nsp else { return Ok(()) };
                        sink.subscribe(&channels(&shared, &nsp))
                            .await
                            .map_err(|e| redis_error("SUBSCRIBE", &e))?;
                    }
                    msg = stream.next() => {
                        let Some(msg) = msg else {
                            return Err(AdapterError::Storage("redis pub/sub connection lost".into()));
                        };
                        match pubsub::decode(msg.get_payload_bytes()) {
                            Ok(message) => shared.dispatch(message, None),
                            Err(e) => {
                                shared.health.refused();
                                tracing::warn!(
                                    channel = msg.get_channel_name(), error = %e,
                                    "ignoring a pub/sub message"
                                )
                            }
                        }
                    }
                }
            }
        }
        .await;
        match result {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = %e, "redis streams adapter lost pub/sub; reconnecting");
                shared.health.lost(&e);
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = next_backoff(backoff);
    }
}
