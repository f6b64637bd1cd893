//! [`LocalAdapter`]: room membership in memory, and the cluster-wide
//! operations published through the storage's [`EventStore`] — so that
//! nodes sharing an event store (in one process with the local store, or
//! across processes with a Redis one) hear each other's broadcasts, joins,
//! leaves, disconnections and server-side emits. A node alone publishes
//! nothing (nothing is encoded when the store has no peers).

use std::sync::{Arc, Mutex};

use edgeio_storage::{EventListener, EventMessage, EventStore, EventType, SubscriptionId};
use serde_json::Value;

use super::cluster::{decode_args, decode_packet, ClusterMessage};
use super::rooms::RoomIndex;
use super::{ready, Adapter, AdapterFuture, AdapterHandle, BroadcastOptions, LocalNamespace, Room};
use crate::engine::Frame;
use crate::protocol::Packet;
use crate::server::error::AdapterError;

/// The in-memory adapter of one namespace.
pub struct LocalAdapter {
    /// The namespace's name (messages of other namespaces are ignored).
    ns: String,
    /// This node's room membership.
    rooms: RoomIndex,
    /// Where cluster-wide operations are published.
    events: Arc<dyn EventStore>,
    /// Subscriptions taken by `init`, dropped with the adapter.
    subscriptions: Mutex<Vec<SubscriptionId>>,
}

impl LocalAdapter {
    /// The adapter of namespace `ns`, publishing through `events`.
    pub fn new(ns: &str, events: Arc<dyn EventStore>) -> Self {
        Self {
            ns: ns.to_owned(),
            rooms: RoomIndex::new(),
            events,
            subscriptions: Mutex::default(),
        }
    }

    /// Publishes `message` to the other nodes, when there are any and the
    /// operation is not `local`.
    fn publish(&self, local: bool, message: impl FnOnce() -> ClusterMessage) -> AdapterFuture<()> {
        if local || !self.events.has_peers() {
            return ready(Ok(()));
        }
        let message = message();
        let events = self.events.clone();
        Box::pin(async move {
            let payload = message.encode()?;
            events
                .publish(message.event_type(), payload)
                .await
                .map_err(|e| AdapterError::Storage(e.to_string()))
        })
    }
}

/// Applies a message from another node to this node's namespace.
fn apply(handle: &AdapterHandle, message: ClusterMessage) -> Result<(), AdapterError> {
    match message {
        ClusterMessage::Broadcast {
            text,
            attachments,
            opts,
            ..
        } => handle.deliver(&decode_packet(&text, attachments)?, &opts),
        ClusterMessage::Join { opts, rooms, .. } => handle.join(&opts, &rooms),
        ClusterMessage::Leave { opts, rooms, .. } => handle.leave(&opts, &rooms),
        ClusterMessage::Disconnect { opts, .. } => handle.disconnect(&opts, false),
        ClusterMessage::DisconnectClosing { opts, .. } => handle.disconnect(&opts, true),
        ClusterMessage::ServerSideEmit { name, args, .. } => {
            handle.server_side_emit(&name, &decode_args(&args)?)
        }
    }
    Ok(())
}

impl Adapter for LocalAdapter {
    fn room_index(&self) -> &RoomIndex {
        &self.rooms
    }

    fn init(&self, handle: AdapterHandle) -> AdapterFuture<()> {
        let ns = self.ns.clone();
        let listener: EventListener = Arc::new(move |event: &EventMessage| {
            let applied = ClusterMessage::decode(&event.payload).and_then(|message| {
                if message.ns() == ns {
                    apply(&handle, message)
                } else {
                    Ok(())
                }
            });
            if let Err(e) = applied {
                tracing::warn!(node = %event.node_id, error = %e, "cluster message refused");
            }
        });
        let events = self.events.clone();
        let types = [
            EventType::Broadcast,
            EventType::Join,
            EventType::Leave,
            EventType::Disconnect,
            EventType::ServerSideEmit,
        ];
        let mut taken = Vec::with_capacity(types.len());
        let subscribe = async move {
            for event_type in types {
                let id = events
                    .subscribe(event_type, listener.clone())
                    .await
                    .map_err(|e| AdapterError::Storage(e.to_string()))?;
                taken.push(id);
            }
            Ok::<_, AdapterError>(taken)
        };
        // The local store subscribes at once; a remote one in the background.
        match crate::server::drive::drive("adapter subscription", Box::pin(subscribe)) {
            Some(Ok(ids)) => {
                if let Ok(mut s) = self.subscriptions.lock() {
                    s.extend(ids);
                }
                ready(Ok(()))
            }
            Some(Err(e)) => ready(Err(e)),
            None => ready(Ok(())),
        }
    }

    fn broadcast(
        &self,
        nsp: &LocalNamespace<'_>,
        packet: &Packet,
        frames: &[Frame],
        opts: &BroadcastOptions,
    ) -> AdapterFuture<()> {
        nsp.deliver(&self.local_targets(opts), packet, frames, opts.volatile);
        self.publish(opts.local, || ClusterMessage::broadcast(packet, opts))
    }

    fn add_sockets(
        &self,
        nsp: &LocalNamespace<'_>,
        opts: &BroadcastOptions,
        rooms: &[Room],
    ) -> AdapterFuture<()> {
        nsp.join(&self.local_targets(opts), rooms);
        self.publish(opts.local, || ClusterMessage::Join {
            ns: self.ns.clone(),
            opts: opts.clone(),
            rooms: rooms.to_vec(),
        })
    }

    fn del_sockets(
        &self,
        nsp: &LocalNamespace<'_>,
        opts: &BroadcastOptions,
        rooms: &[Room],
    ) -> AdapterFuture<()> {
        nsp.leave(&self.local_targets(opts), rooms);
        self.publish(opts.local, || ClusterMessage::Leave {
            ns: self.ns.clone(),
            opts: opts.clone(),
            rooms: rooms.to_vec(),
        })
    }

    fn disconnect_sockets(
        &self,
        nsp: &LocalNamespace<'_>,
        opts: &BroadcastOptions,
        close: bool,
    ) -> AdapterFuture<()> {
        nsp.disconnect(&self.local_targets(opts), close);
        self.publish(opts.local, || {
            let (ns, opts) = (self.ns.clone(), opts.clone());
            if close {
                ClusterMessage::DisconnectClosing { ns, opts }
            } else {
                ClusterMessage::Disconnect { ns, opts }
            }
        })
    }

    fn server_side_emit(
        &self,
        _nsp: &LocalNamespace<'_>,
        name: &str,
        args: &[Value],
    ) -> AdapterFuture<()> {
        self.publish(false, || {
            ClusterMessage::server_side_emit(&self.ns, name, args)
        })
    }
}

impl Drop for LocalAdapter {
    fn drop(&mut self) {
        let ids = self
            .subscriptions
            .lock()
            .map(|mut s| std::mem::take(&mut *s));
        let Ok(ids) = ids else { return };
        if ids.is_empty() {
            return;
        }
        let events = self.events.clone();
        let unsubscribe = async move {
            for id in ids {
                events
                    .unsubscribe(id)
                    .await
                    .map_err(|e| AdapterError::Storage(e.to_string()))?;
            }
            Ok::<(), AdapterError>(())
        };
        let _ = crate::server::drive::drive("adapter unsubscription", Box::pin(unsubscribe));
    }
}
