//! [`BroadcastOperator`]: `to` / `in` / `except` / `local` / `volatile` /
//! `timeout`, then an emit (encoded once for every receiver), an emit that
//! collects acknowledgements, or an action on the sockets it selects.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;

use super::adapter::{BroadcastOptions, LocalNamespace, Room};
use super::error::{AckError, EmitError};
use super::event::AckResponse;
use super::namespace::NsInner;
use super::socket::{encode_frames, to_value, Socket};
use crate::protocol::Packet;

/// A broadcast being described. Each method returns the operator, refined.
///
/// On the parent of dynamic namespaces, it reaches every namespace the parent
/// created.
#[derive(Clone)]
pub struct BroadcastOperator {
    /// The namespaces reached: one, or a dynamic parent's children.
    nss: Vec<Arc<NsInner>>,
    opts: BroadcastOptions,
    timeout: Option<Duration>,
}

impl BroadcastOperator {
    pub(crate) fn new(ns: Arc<NsInner>) -> Self {
        let mut nss = ns.children();
        nss.insert(0, ns);
        Self {
            nss,
            opts: BroadcastOptions::default(),
            timeout: None,
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

    /// Lets the packet be dropped for clients that cannot take it now.
    pub fn volatile(mut self) -> Self {
        self.opts.volatile = true;
        self
    }

    /// How long [`BroadcastOperator::emit_with_ack`] waits.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The sockets selected.
    pub fn sockets(&self) -> Vec<Arc<Socket>> {
        self.nss
            .iter()
            .flat_map(|ns| {
                ns.adapter()
                    .fetch_sockets(&LocalNamespace { inner: ns }, &self.opts)
            })
            .collect()
    }

    /// Same as [`BroadcastOperator::sockets`], under socket.io's name.
    pub fn fetch_sockets(&self) -> Vec<Arc<Socket>> {
        self.sockets()
    }

    /// Makes every selected socket join `room`.
    pub fn sockets_join(&self, room: impl Into<Room>) {
        let rooms = [room.into()];
        for ns in &self.nss {
            ns.adapter().add_sockets(&self.opts, &rooms);
        }
    }

    /// Makes every selected socket leave `room`.
    pub fn sockets_leave(&self, room: &str) {
        let rooms = [room.to_owned()];
        for ns in &self.nss {
            ns.adapter().del_sockets(&self.opts, &rooms);
        }
    }

    /// Disconnects every selected socket from its namespace.
    pub fn disconnect_sockets(&self) {
        for ns in &self.nss {
            ns.adapter()
                .disconnect_sockets(&LocalNamespace { inner: ns }, &self.opts);
        }
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
        for ns in &self.nss {
            let mut packet = Packet::event(ns.name(), name, args.clone(), bins.clone());
            if let Some(store) = ns.recovery().filter(|_| !self.opts.volatile) {
                // Kept for sockets that come back, even when no socket is here
                // to receive it now; the offset travels as the last argument,
                // as socket.io does.
                let offset = store.keep(&packet, &self.opts);
                if let Some(Value::Array(data)) = &mut packet.data {
                    data.push(Value::String(offset));
                }
            }
            let frames = encode_frames(&packet);
            ns.adapter()
                .broadcast(&LocalNamespace { inner: ns }, &packet, &frames, &self.opts);
        }
        Ok(())
    }

    /// Emits to every selected socket and collects their acknowledgements;
    /// fails with [`AckError::Timeout`] if any has not answered in time.
    pub async fn emit_with_ack(
        &self,
        name: &str,
        args: Vec<Value>,
        bins: Vec<Bytes>,
    ) -> Result<Vec<AckResponse>, AckError> {
        let targets = self.sockets();
        let mut waiting = Vec::with_capacity(targets.len());
        for socket in targets {
            let Ok((id, rx)) = socket.register_ack() else {
                continue;
            };
            let mut packet = Packet::event(socket.ns(), name, args.clone(), bins.clone());
            packet.id = Some(id);
            socket.notify_outgoing(name, &args);
            if socket.send_packet(&packet).is_ok() {
                waiting.push((socket, id, rx));
            }
        }
        let timeout = self.timeout.unwrap_or(Duration::from_secs(10));
        let answers = waiting
            .into_iter()
            .map(|(socket, id, rx)| async move { socket.await_ack(id, rx, timeout).await });
        let mut out = Vec::new();
        for result in futures_util::future::join_all(answers).await {
            out.push(result?);
        }
        Ok(out)
    }
}
