//! Offsets on this node's own broadcasts, with connection-state recovery
//! on: a broadcast's offset is the id Redis gives its stream entry, so it is
//! delivered here once `XADD` answers (as Node's adapter does), with the id
//! as its last argument — or without one if `XADD` failed.
//!
//! Each broadcast waits for the one before it to be delivered here
//! ([`Chain`]): this node's clients get them in the order they were
//! emitted, whatever order the replies resolve in.

use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;
use tokio::sync::oneshot;

use super::adapter::filter_of;
use super::node::StreamsNode;
use super::packet::to_wire;
use super::wire::Body;
use crate::protocol::Packet;
use crate::server::adapter::{AdapterFuture, AdapterHandle, BroadcastOptions};
use crate::server::error::AdapterError;

/// The order this node's broadcasts are delivered here in.
#[derive(Default)]
pub(super) struct Chain {
    /// Resolves once the last broadcast asked for is delivered here.
    last: Mutex<Option<oneshot::Receiver<()>>>,
}

impl Chain {
    /// Broadcasts `packet` from namespace `ns` of `node`: appended to the
    /// stream (unless `local`), then delivered here (through `handle`)
    /// with its entry id as offset, in the order broadcasts were asked for.
    pub(super) fn broadcast(
        &self,
        node: &Arc<StreamsNode>,
        ns: &str,
        handle: Option<AdapterHandle>,
        packet: &Packet,
        opts: &BroadcastOptions,
    ) -> AdapterFuture<()> {
        let message = (!opts.local)
            .then(|| {
                Body::Broadcast {
                    packet: to_wire(packet),
                    filter: filter_of(opts),
                    request_id: None,
                }
                .into_message(&node.shared.uid, ns)
            })
            .flatten();
        let append = message.map(|message| {
            let node = node.clone();
            async move { node.shared.xadd(&message).await }
        });
        self.deliver(handle, packet.clone(), opts.clone(), append)
    }

    /// Delivers `packet` to this node's sockets `opts` selects once
    /// `append` (its XADD; `None` for a `local` broadcast) has answered and
    /// every broadcast before it is delivered. `append` must be polled when
    /// the returned future first is, so that entries go to the stream in the
    /// order asked too.
    pub(super) fn deliver<F>(
        &self,
        handle: Option<AdapterHandle>,
        mut packet: Packet,
        opts: BroadcastOptions,
        append: Option<F>,
    ) -> AdapterFuture<()>
    where
        F: std::future::Future<Output = Result<String, AdapterError>> + Send + 'static,
    {
        let (done, next) = oneshot::channel();
        let before = self
            .last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace(next);
        Box::pin(async move {
            let appended = match append {
                Some(append) => Some(append.await),
                None => None,
            };
            if let Some(before) = before {
                // Dropped unanswered (its task ended): nothing to wait for.
                let _ = before.await;
            }
            if let Some(Ok(id)) = &appended {
                if takes_offset(&packet, &opts) {
                    if let Some(Value::Array(data)) = &mut packet.data {
                        data.push(Value::String(id.clone()));
                    }
                }
            }
            if let Some(handle) = handle {
                handle.deliver(&packet, &opts);
            }
            let _ = done.send(());
            appended.map_or(Ok(()), |r| r.map(drop))
        })
    }
}

/// Whether a broadcast carries its offset (socket.io's
/// `addOffsetIfNecessary`): an event without acknowledgement, not volatile.
pub(super) fn takes_offset(packet: &Packet, opts: &BroadcastOptions) -> bool {
    packet.id.is_none() && !opts.volatile && packet.event_name().is_some()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// A later broadcast whose XADD answers first is still delivered after
    /// the earlier one (the order seen through what each appends to).
    #[tokio::test]
    async fn delivery_keeps_the_order_asked_whatever_order_replies_come_in() {
        let chain = Chain::default();
        let order = std::sync::Arc::new(Mutex::new(Vec::new()));
        let (tx1, rx1) = oneshot::channel::<()>();
        let o1 = order.clone();
        let first = chain.deliver(
            None,
            Packet::event("/", "a", vec![], vec![]),
            BroadcastOptions::default(),
            Some(async move {
                let _ = rx1.await;
                o1.lock().expect("lock").push("xadd 1");
                Ok("1-0".to_owned())
            }),
        );
        let o2 = order.clone();
        let second = chain.deliver(
            None,
            Packet::event("/", "b", vec![], vec![]),
            BroadcastOptions::default(),
            Some(async move {
                o2.lock().expect("lock").push("xadd 2");
                Ok("2-0".to_owned())
            }),
        );
        let second = tokio::spawn(second);
        // The second's XADD answered; it still waits for the first.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!second.is_finished(), "delivered before the first");
        let first = tokio::spawn(first);
        let _ = tx1.send(());
        first.await.expect("joins").expect("appended");
        second.await.expect("joins").expect("appended");
        let order = order.lock().expect("lock").clone();
        assert_eq!(order, ["xadd 2", "xadd 1"]);
    }

    #[test]
    fn only_plain_events_take_an_offset() {
        let event = Packet::event("/", "a", vec![], vec![]);
        assert!(takes_offset(&event, &BroadcastOptions::default()));
        let volatile = BroadcastOptions {
            volatile: true,
            ..Default::default()
        };
        assert!(!takes_offset(&event, &volatile));
        let mut acked = event.clone();
        acked.id = Some(1);
        assert!(!takes_offset(&acked, &BroadcastOptions::default()));
    }
}
