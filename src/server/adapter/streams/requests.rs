//! The asking side's request table: each request this node sent
//! (`fetchSockets`, `serverSideEmitWithAck`) waits here, by request id, for
//! the answers other nodes publish on this node's private channel. The table
//! is bounded ([`MAX_PENDING`]); an answer to no open request is ignored
//! (the caller counts it).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rmpv::Value;
use tokio::sync::mpsc;

use super::wire::body::field;
use super::wire::{ClusterMessage, MessageType};
use crate::server::error::AdapterError;

/// The most requests a node waits on at once; one more is refused.
pub const MAX_PENDING: usize = 1024;

/// The open requests, by id.
#[derive(Default)]
pub(super) struct Requests {
    open: Mutex<HashMap<String, mpsc::UnboundedSender<Value>>>,
}

/// One open request: its id and the data of the answers to it. Closed
/// (removed from the table) when dropped.
pub(super) struct Pending {
    pub(super) id: String,
    answers: mpsc::UnboundedReceiver<Value>,
    requests: Arc<Requests>,
}

/// Whether `kind` is an answer to a request.
pub(super) fn is_answer(kind: MessageType) -> bool {
    matches!(
        kind,
        MessageType::FetchSocketsResponse
            | MessageType::ServerSideEmitResponse
            | MessageType::BroadcastClientCount
            | MessageType::BroadcastAck
    )
}

impl Requests {
    /// Opens a request with a fresh id; fails when [`MAX_PENDING`] are open.
    pub(super) fn open(self: &Arc<Self>) -> Result<Pending, AdapterError> {
        let id: String = (0..8)
            .map(|_| format!("{:02x}", rand::random::<u8>()))
            .collect();
        let (tx, rx) = mpsc::unbounded_channel();
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if open.len() >= MAX_PENDING {
            return Err(AdapterError::Message(format!(
                "more than {MAX_PENDING} cluster requests pending"
            )));
        }
        open.insert(id.clone(), tx);
        Ok(Pending {
            id,
            answers: rx,
            requests: self.clone(),
        })
    }

    /// Hands answer `message` to its open request; false when there is
    /// none (or it has no request id): it is ignored.
    pub(super) fn answer(&self, message: ClusterMessage) -> bool {
        let Some(data) = message.data else {
            return false;
        };
        let id = field(&data, "requestId").and_then(Value::as_str);
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        match id.and_then(|id| open.get(id)) {
            Some(tx) => {
                let _ = tx.send(data);
                true
            }
            None => {
                tracing::debug!(kind = ?message.kind, "answer to no open request ignored");
                false
            }
        }
    }

    /// How many requests are open.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl Pending {
    /// The data of up to `expected` answers, those that came within
    /// `timeout`.
    pub(super) async fn collect(mut self, expected: usize, timeout: Duration) -> Vec<Value> {
        let mut got = Vec::with_capacity(expected.min(MAX_PENDING));
        let deadline = tokio::time::Instant::now() + timeout;
        while got.len() < expected {
            match tokio::time::timeout_at(deadline, self.answers.recv()).await {
                Ok(Some(data)) => got.push(data),
                _ => break,
            }
        }
        got
    }
}

impl Pending {
    /// The data of the next answer, unless `deadline` passes first.
    pub(super) async fn next(&mut self, deadline: tokio::time::Instant) -> Option<Value> {
        tokio::time::timeout_at(deadline, self.answers.recv())
            .await
            .ok()
            .flatten()
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.requests
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(id: &str) -> ClusterMessage {
        ClusterMessage {
            uid: "other".into(),
            nsp: "/".into(),
            kind: MessageType::ServerSideEmitResponse,
            data: Some(Value::Map(vec![
                (Value::from("requestId"), Value::from(id)),
                (Value::from("packet"), Value::from(1)),
            ])),
        }
    }

    #[tokio::test]
    async fn answers_reach_their_request_and_unknown_ones_are_counted() {
        let requests = Arc::new(Requests::default());
        let pending = requests.open().expect("room");
        assert!(requests.answer(answer(&pending.id)));
        assert!(!requests.answer(answer("nobody")), "unknown");
        let got = pending.collect(2, Duration::from_millis(50)).await;
        assert_eq!(got.len(), 1, "one answer came, the other timed out");
        assert_eq!(requests.len(), 0, "a finished request leaves the table");
    }

    #[test]
    fn the_table_is_bounded() {
        let requests = Arc::new(Requests::default());
        let held: Vec<Pending> = (0..MAX_PENDING)
            .map(|_| requests.open().expect("room"))
            .collect();
        assert!(requests.open().is_err(), "one past the bound is refused");
        drop(held);
        assert!(requests.open().is_ok());
    }
}
