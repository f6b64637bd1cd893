//! [`Event`]: an event a client emitted, with its arguments, binary
//! attachments and, when the client asked for one, the means to acknowledge it.

use std::sync::Arc;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::error::EmitError;
use super::socket::Socket;
use crate::protocol::Packet;

/// An event received from a client.
#[derive(Debug)]
pub struct Event {
    /// The event name.
    pub name: String,
    /// The arguments after the name. Binary arguments appear as
    /// `{"_placeholder":true,"num":N}` and their bytes are `bins[N]`.
    pub args: Vec<Value>,
    /// The binary attachments, in placeholder order.
    pub bins: Vec<Bytes>,
    /// Present when the client waits for an acknowledgement.
    pub ack: Option<AckSender>,
}

impl Event {
    /// Argument `i` as a `T` (for typed handlers).
    pub fn arg<T: DeserializeOwned>(&self, i: usize) -> Result<T, serde_json::Error> {
        T::deserialize(self.args.get(i).unwrap_or(&Value::Null))
    }

    /// Every argument as one `T`, typically a tuple or a `Vec`.
    pub fn args_as<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(Value::Array(self.args.clone()))
    }
}

/// Answers one event's acknowledgement; consumed by answering.
#[derive(Debug)]
pub struct AckSender {
    pub(crate) socket: Arc<Socket>,
    pub(crate) id: u64,
}

impl AckSender {
    /// Acknowledges with one argument.
    pub fn send<T: Serialize>(self, data: T) -> Result<(), EmitError> {
        let value = serde_json::to_value(data).map_err(|e| EmitError::Serialize(e.to_string()))?;
        self.send_args(vec![value], Vec::new())
    }

    /// Acknowledges with these arguments and attachments.
    ///
    /// With durable recovery storage, an acknowledgement leaves only once
    /// every recovery write made before it is on disk (a broadcast the
    /// handler sent, the rooms it joined): a client told "done" never loses
    /// it to a crash. It then goes out as soon as the group commit in flight
    /// completes, with every other acknowledgement that waited on it;
    /// otherwise at once.
    pub fn send_args(self, args: Vec<Value>, bins: Vec<Bytes>) -> Result<(), EmitError> {
        let packet = Packet::ack(self.socket.ns(), self.id, args, bins);
        let store = self.socket.ns_inner().recovery();
        let Some((store, writes)) = store.and_then(|s| Some((s, s.pending_writes()?))) else {
            return self.socket.send_packet(&packet);
        };
        let socket = self.socket.clone();
        store.after_durable(
            writes,
            Box::new(move || {
                let _ = socket.send_packet(&packet);
            }),
        );
        Ok(())
    }
}

/// What a client answered to an `emit_with_ack`.
#[derive(Debug, Clone, PartialEq)]
pub struct AckResponse {
    /// The arguments of the acknowledgement.
    pub args: Vec<Value>,
    /// Its binary attachments.
    pub bins: Vec<Bytes>,
}

impl AckResponse {
    /// Argument `i` as a `T`.
    pub fn arg<T: DeserializeOwned>(&self, i: usize) -> Result<T, serde_json::Error> {
        T::deserialize(self.args.get(i).unwrap_or(&Value::Null))
    }
}
