//! Acknowledgements on a [`Socket`]: emits that wait for the client's answer,
//! and the answers as they arrive.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::oneshot;

use super::error::{AckError, EmitError};
use super::event::AckResponse;
use super::socket::Socket;
use crate::protocol::Packet;

impl Socket {
    /// Emits event `name` and waits for the client's acknowledgement, for at
    /// most `timeout` (the configured `ack_timeout` when `None`).
    pub async fn emit_with_ack(
        self: &Arc<Self>,
        name: &str,
        args: Vec<Value>,
        bins: Vec<Bytes>,
        timeout: Option<Duration>,
    ) -> Result<AckResponse, AckError> {
        let timeout = timeout.unwrap_or(self.client.config().ack_timeout);
        let (id, rx) = self.register_ack()?;
        self.notify_outgoing(name, &args);
        let mut packet = Packet::event(self.ns(), name, args, bins);
        packet.id = Some(id);
        if let Err(e) = self.send_packet(&packet) {
            self.forget_ack(id);
            return Err(e.into());
        }
        self.await_ack(id, rx, timeout).await
    }

    pub(crate) fn register_ack(&self) -> Result<(u64, oneshot::Receiver<AckResponse>), EmitError> {
        if !self.connected() {
            return Err(EmitError::Disconnected);
        }
        let id = self.next_ack.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        if let Ok(mut acks) = self.acks.lock() {
            acks.insert(id, tx);
        }
        Ok((id, rx))
    }

    pub(crate) fn forget_ack(&self, id: u64) {
        if let Ok(mut acks) = self.acks.lock() {
            acks.remove(&id);
        }
    }

    pub(crate) async fn await_ack(
        &self,
        id: u64,
        rx: oneshot::Receiver<AckResponse>,
        timeout: Duration,
    ) -> Result<AckResponse, AckError> {
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(_)) => Err(AckError::Disconnected),
            Err(_) => {
                self.forget_ack(id);
                Err(AckError::Timeout)
            }
        }
    }

    pub(super) fn on_ack(&self, packet: Packet) {
        let Some(id) = packet.id else { return };
        let waiter = self.acks.lock().ok().and_then(|mut a| a.remove(&id));
        if let Some(tx) = waiter {
            let args = match packet.data {
                Some(Value::Array(a)) => a,
                Some(other) => vec![other],
                None => Vec::new(),
            };
            let _ = tx.send(AckResponse {
                args,
                bins: packet.attachments,
            });
        }
    }
}
