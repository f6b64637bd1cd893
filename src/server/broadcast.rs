//! [`BroadcastOperator`]: `to` / `in` / `except` / `local` / `volatile` /
//! `timeout`, then an emit (encoded once for every receiver), an emit that
//! collects acknowledgements, or an action on the sockets it selects.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;

use super::adapter::{Acks, AdapterFuture, BroadcastOptions, LocalNamespace, RemoteSocket, Room};
use super::drive::drive;
use super::error::{AckError, AdapterError, BroadcastAckError, EmitError};
use super::event::AckResponse;
use super::namespace::NsInner;
use super::recovery::local_frames;
use super::socket::{to_value, Socket};
use crate::protocol::Packet;

/// A broadcast being described. Each method returns the operator, refined.
///
/// ```
/// use std::time::Duration;
/// use edgeio::{Io, IoConfig};
///
/// # #[tokio::main] async fn main() {
/// let io = Io::new(IoConfig::default());
/// let main = io.main();
/// // Rooms `a` and `b` but not `muted`, on this node only, droppable.
/// let op = main.to("a").to("b").except("muted").local().volatile();
/// let _ = op.emit("news", "hello");
/// // Collecting acks for at most five seconds.
/// let _ = main.broadcast().timeout(Duration::from_secs(5));
/// assert!(main.to("a").sockets().is_empty());
/// # }
/// ```
///
/// On the parent of dynamic namespaces, it reaches every namespace the parent
/// created.
#[derive(Clone)]
pub struct BroadcastOperator {
    /// The namespaces reached: one, or a dynamic parent's children.
    nss: Vec<Arc<NsInner>>,
    opts: BroadcastOptions,
    /// How long acknowledgements are waited for: the server's
    /// `IoConfig::ack_timeout` unless set.
    timeout: Duration,
}

impl BroadcastOperator {
    pub(crate) fn new(ns: Arc<NsInner>) -> Self {
        let timeout = ns.ack_timeout();
        let mut nss = ns.children();
        nss.insert(0, ns);
        Self {
            nss,
            opts: BroadcastOptions::default(),
            timeout,
        }
    }

    /// An operator reaching namespace `ns` alone (not the namespaces it
    /// created, if it is a dynamic parent).
    pub(crate) fn only(ns: Arc<NsInner>) -> Self {
        let timeout = ns.ack_timeout();
        Self {
            nss: vec![ns],
            opts: BroadcastOptions::default(),
            timeout,
        }
    }

    /// Adds `room` to the rooms reached.
    pub fn to(mut self, room: impl Into<Room>) -> Self {
        self.opts.rooms.insert(room.into());
        self
    }

    /// Same as [`BroadcastOperator::to`].
    pub fn in_(self, room: impl Into<Room>) -> Self {
        self.to(room)
    }

    /// Leaves out the sockets in `room` (a socket id leaves out that socket).
    pub fn except(mut self, room: impl Into<Room>) -> Self {
        self.opts.except.insert(room.into());
        self
    }

    /// Delivers on this node only.
    pub fn local(mut self) -> Self {
        self.opts.local = true;
        self
    }

    /// Lets the packet be dropped for clients that cannot take it now (whose
    /// outgoing queue is full): they stay connected and do without it,
    /// where any other packet disconnects them (`send buffer full`). Never
    /// kept for connection-state recovery.
    pub fn volatile(mut self) -> Self {
        self.opts.volatile = true;
        self
    }

    /// How long [`BroadcastOperator::emit_with_ack`] waits (the server's
    /// `IoConfig::ack_timeout` when not set).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The sockets selected on this node.
    pub fn sockets(&self) -> Vec<Arc<Socket>> {
        self.nss
            .iter()
            .flat_map(|ns| {
                let nsp = LocalNamespace { inner: ns };
                nsp.sockets(&ns.adapter().local_targets(&self.opts))
            })
            .collect()
    }

    /// The sockets selected on every node, through the adapter (socket.io's
    /// `fetchSockets`): what they were when fetched, and actions that reach
    /// them wherever they are.
    pub async fn fetch_sockets(&self) -> Result<Vec<RemoteSocket>, AdapterError> {
        let mut out = Vec::new();
        for ns in &self.nss {
            let fetch = ns
                .adapter()
                .fetch_sockets(&LocalNamespace { inner: ns }, &self.opts);
            out.extend(
                fetch
                    .await?
                    .into_iter()
                    .map(|data| RemoteSocket::new(ns.clone(), data)),
            );
        }
        Ok(out)
    }

    /// Makes every selected socket join `room`.
    pub fn sockets_join(&self, room: impl Into<Room>) -> Result<(), AdapterError> {
        let rooms = [room.into()];
        self.each("sockets join", |ns, nsp| {
            ns.adapter().add_sockets(nsp, &self.opts, &rooms)
        })
    }

    /// Makes every selected socket leave `room`.
    pub fn sockets_leave(&self, room: &str) -> Result<(), AdapterError> {
        let rooms = [room.to_owned()];
        self.each("sockets leave", |ns, nsp| {
            ns.adapter().del_sockets(nsp, &self.opts, &rooms)
        })
    }

    /// Disconnects every selected socket from its namespace.
    pub fn disconnect_sockets(&self) -> Result<(), AdapterError> {
        self.each("disconnect sockets", |ns, nsp| {
            ns.adapter().disconnect_sockets(nsp, &self.opts)
        })
    }

    /// Runs an adapter operation on every namespace reached: this node's
    /// part now, the rest now or in the background. The first error that
    /// is known now is returned (the others are logged).
    fn each(
        &self,
        what: &'static str,
        op: impl Fn(&NsInner, &LocalNamespace<'_>) -> AdapterFuture<()>,
    ) -> Result<(), AdapterError> {
        let mut result = Ok(());
        for ns in &self.nss {
            let future = op(ns, &LocalNamespace { inner: ns });
            if let Some(Err(e)) = drive(what, future) {
                result = result.and(Err(e));
            }
        }
        result
    }

    /// Emits event `name` with one argument.
    pub fn emit<T: Serialize>(&self, name: &str, data: T) -> Result<(), EmitError> {
        self.emit_args(name, vec![to_value(data)?], Vec::new())
    }

    /// Emits event `name` with these arguments and attachments, encoded once
    /// per namespace.
    pub fn emit_args(
        &self,
        name: &str,
        args: Vec<Value>,
        bins: Vec<Bytes>,
    ) -> Result<(), EmitError> {
        if let Some(ns) = self.nss.first() {
            ns.metrics().socketio().broadcast();
        }
        let mut result = Ok(());
        for ns in &self.nss {
            let mut packet = Packet::event(ns.name(), name, args.clone(), bins.clone());
            // Kept for sockets that come back, even when no socket is here to
            // receive it now, before anyone can see it; this node's offset
            // is for this node's sockets only (the others keep it under
            // theirs).
            let frames = local_frames(ns.recovery(), &mut packet, &self.opts);
            let nsp = LocalNamespace { inner: ns };
            let future = ns.adapter().broadcast(&nsp, &packet, &frames, &self.opts);
            if let Some(Err(e)) = drive("broadcast", future) {
                result = result.and(Err(e));
            }
        }
        result.map_err(EmitError::from)
    }

    /// Emits to every selected socket and collects their acknowledgements:
    /// every answer, once all have come; else, once the timeout has passed,
    /// a [`BroadcastAckError`] holding the answers that did come and how
    /// many did not.
    pub async fn emit_with_ack(
        &self,
        name: &str,
        args: Vec<Value>,
        bins: Vec<Bytes>,
    ) -> Result<Vec<AckResponse>, BroadcastAckError> {
        let mut collecting = Vec::with_capacity(self.nss.len());
        for ns in &self.nss {
            let packet = Packet::event(ns.name(), name, args.clone(), bins.clone());
            let nsp = LocalNamespace { inner: ns };
            collecting.push(ns.adapter().broadcast_with_ack(
                &nsp,
                &packet,
                &self.opts,
                self.timeout,
            ));
        }
        let mut all = Acks::default();
        let mut failed = None;
        for collected in futures_util::future::join_all(collecting).await {
            match collected {
                Ok(acks) => {
                    all.responses.extend(acks.responses);
                    all.missing += acks.missing;
                }
                Err(e) => failed = failed.or(Some(e)),
            }
        }
        let cause = match failed {
            Some(e) => AckError::from(e),
            None if all.missing == 0 => return Ok(all.responses),
            None => AckError::Timeout,
        };
        Err(BroadcastAckError {
            received: all.responses,
            missing: all.missing,
            cause,
        })
    }
}
