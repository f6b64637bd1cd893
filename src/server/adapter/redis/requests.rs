//! The requests this node is waiting on: each open request's id and type
//! (a response without `type` is read as the answer to its request), a
//! bound on how many may wait at once, and the collection of a broadcast's
//! acknowledgements from the other nodes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc;

use super::convert::ack_from_wire;
use super::wire::{RequestType, Response, ResponseBody};
use crate::server::adapter::Acks;

/// Why a request could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// As many requests as allowed are waiting already.
    #[error("too many pending adapter requests (at most {0})")]
    TooMany(usize),
}

/// A request waiting for its responses.
struct Pending {
    asked: RequestType,
    answers: mpsc::UnboundedSender<ResponseBody>,
}

/// The table of open requests, shared by the adapter and the reader.
#[derive(Clone)]
pub struct Requests {
    pending: Arc<Mutex<HashMap<String, Pending>>>,
    max: usize,
}

/// One open request: its responses arrive here; dropping it closes the
/// request (later responses are unknown ids).
pub struct Waiter {
    id: String,
    answers: mpsc::UnboundedReceiver<ResponseBody>,
    table: Requests,
}

impl Requests {
    /// A table holding at most `max` open requests.
    pub fn new(max: usize) -> Self {
        Self {
            pending: Arc::default(),
            max,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Opens request `id` of type `asked`.
    pub fn open(&self, id: &str, asked: RequestType) -> Result<Waiter, RequestError> {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut pending = self.lock();
        if pending.len() >= self.max {
            return Err(RequestError::TooMany(self.max));
        }
        pending.insert(id.to_owned(), Pending { asked, answers: tx });
        Ok(Waiter {
            id: id.to_owned(),
            answers: rx,
            table: self.clone(),
        })
    }

    /// The type of open request `id`; `None` when it is not ours (or closed).
    pub fn asked(&self, id: &str) -> Option<RequestType> {
        self.lock().get(id).map(|p| p.asked)
    }

    /// Hands `response` to its request; false when no open request has its id.
    pub fn answer(&self, response: Response) -> bool {
        match self.lock().get(&response.request_id) {
            Some(p) => p.answers.send(response.body).is_ok(),
            None => false,
        }
    }

    /// How many requests are open.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no request is open.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Waiter {
    /// The next answer to this request; `None` once the table is gone.
    pub async fn recv(&mut self) -> Option<ResponseBody> {
        self.answers.recv().await
    }

    /// Collects the answers to a `BROADCAST` from `nodes` other nodes: each
    /// says how many clients it asked, then sends one ack per client. Ends
    /// when every node answered and every ack came, or at `timeout`; the
    /// acks that did not come count as missing.
    pub async fn broadcast_acks(mut self, nodes: usize, timeout: Duration) -> Acks {
        let mut acks = Acks::default();
        let mut counted_nodes = 0usize;
        let mut expected = 0u64;
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        while counted_nodes < nodes || ((acks.responses.len() + acks.missing) as u64) < expected {
            let body = tokio::select! {
                body = self.answers.recv() => body,
                () = &mut deadline => break,
            };
            match body {
                Some(ResponseBody::BroadcastClientCount(n)) => {
                    counted_nodes += 1;
                    expected = expected.saturating_add(n);
                }
                Some(ResponseBody::BroadcastAck(args)) => match ack_from_wire(&args) {
                    Ok(ack) => acks.responses.push(ack),
                    Err(e) => {
                        tracing::warn!(error = %e, "redis adapter: unreadable broadcast ack");
                        acks.missing += 1;
                    }
                },
                Some(other) => {
                    tracing::warn!(?other, "redis adapter: unexpected answer to a broadcast")
                }
                None => break,
            }
        }
        let got = (acks.responses.len() + acks.missing) as u64;
        let unanswered = usize::try_from(expected.saturating_sub(got)).unwrap_or(usize::MAX);
        acks.missing = acks.missing.saturating_add(unanswered);
        acks
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        self.table.lock().remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::wire::Value;
    use super::*;

    fn response(id: &str, body: ResponseBody) -> Response {
        Response {
            request_id: id.into(),
            body,
        }
    }

    #[test]
    fn the_table_is_bounded_and_forgets_closed_requests() {
        let table = Requests::new(2);
        let a = table.open("a", RequestType::Broadcast).expect("opens");
        let _b = table.open("b", RequestType::AllRooms).expect("opens");
        assert_eq!(
            table.open("c", RequestType::AllRooms).err(),
            Some(RequestError::TooMany(2))
        );
        assert_eq!(table.asked("b"), Some(RequestType::AllRooms));
        assert_eq!(table.asked("zz"), None);
        assert!(!table.answer(response("zz", ResponseBody::Done)));
        drop(a);
        assert_eq!(table.asked("a"), None);
        assert!(!table.answer(response("a", ResponseBody::BroadcastClientCount(1))));
        assert_eq!(table.len(), 1);
        assert!(table.open("c", RequestType::AllRooms).is_ok());
    }

    #[tokio::test]
    async fn broadcast_acks_end_when_every_node_and_client_answered() {
        let table = Requests::new(8);
        let waiter = table.open("r", RequestType::Broadcast).expect("opens");
        let ack = |s: &str| ResponseBody::BroadcastAck(Value::from(s));
        assert!(table.answer(response("r", ResponseBody::BroadcastClientCount(2))));
        assert!(table.answer(response("r", ack("x"))));
        assert!(table.answer(response("r", ResponseBody::BroadcastClientCount(1))));
        assert!(table.answer(response("r", ack("y"))));
        assert!(table.answer(response("r", ack("z"))));
        // A generous timeout: it must end on the answers, not on the clock.
        let acks = tokio::time::timeout(
            Duration::from_secs(30),
            waiter.broadcast_acks(2, Duration::from_secs(60)),
        )
        .await
        .expect("ends when all answered");
        assert_eq!(acks.missing, 0);
        let mut got: Vec<_> = acks.responses.iter().map(|a| a.args.clone()).collect();
        got.sort_by_key(|a| a[0].as_str().map(str::to_owned));
        assert_eq!(
            got,
            vec![vec![json!("x")], vec![json!("y")], vec![json!("z")]]
        );
        assert!(table.is_empty(), "the request closes when collected");
    }

    #[tokio::test(start_paused = true)]
    async fn broadcast_acks_count_what_did_not_come_by_the_timeout() {
        let table = Requests::new(8);
        let waiter = table.open("r", RequestType::Broadcast).expect("opens");
        table.answer(response("r", ResponseBody::BroadcastClientCount(3)));
        table.answer(response(
            "r",
            ResponseBody::BroadcastAck(Value::Array(vec![Value::from(1)])),
        ));
        // Two nodes expected, one answered: 2 acks missing from it.
        let acks = waiter.broadcast_acks(2, Duration::from_millis(500)).await;
        assert_eq!(acks.responses.len(), 1);
        assert_eq!(acks.missing, 2);
    }

    #[tokio::test]
    async fn an_unreadable_ack_counts_as_missing_and_still_ends_the_wait() {
        let table = Requests::new(8);
        let waiter = table.open("r", RequestType::Broadcast).expect("opens");
        table.answer(response("r", ResponseBody::BroadcastClientCount(3)));
        table.answer(response("r", ResponseBody::BroadcastAck(Value::from("ok"))));
        table.answer(response(
            "r",
            ResponseBody::BroadcastAck(Value::Ext(1, vec![])),
        ));
        table.answer(response(
            "r",
            ResponseBody::BroadcastAck(Value::Ext(2, vec![])),
        ));
        let acks = tokio::time::timeout(
            Duration::from_secs(30),
            waiter.broadcast_acks(1, Duration::from_secs(60)),
        )
        .await
        .expect("ends when every ack came, readable or not");
        assert_eq!(acks.responses.len(), 1);
        assert_eq!(acks.missing, 2);
    }
}
