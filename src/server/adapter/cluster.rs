//! What [`super::LocalAdapter`] tells other nodes through the event store:
//! one [`ClusterMessage`] per cluster-wide operation, as a versioned postcard
//! record. Packets travel in their Socket.IO encoding, so a node decodes
//! them with the same parser (and limits) as a client's.

use edgeio_storage::{codec, EventType};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{BroadcastOptions, Room};
use crate::protocol::{self, Limits, Packet};
use crate::server::error::AdapterError;

/// A cluster-wide operation, for the nodes that did not start it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum ClusterMessage {
    /// Deliver a packet to the selected sockets.
    Broadcast {
        ns: String,
        /// The packet's Socket.IO text encoding.
        text: String,
        /// Its binary attachments.
        attachments: Vec<Vec<u8>>,
        opts: BroadcastOptions,
    },
    /// The selected sockets join rooms.
    Join {
        ns: String,
        opts: BroadcastOptions,
        rooms: Vec<Room>,
    },
    /// The selected sockets leave rooms.
    Leave {
        ns: String,
        opts: BroadcastOptions,
        rooms: Vec<Room>,
    },
    /// The selected sockets are disconnected.
    Disconnect { ns: String, opts: BroadcastOptions },
    /// An event for the namespace's server-side handlers.
    ServerSideEmit {
        ns: String,
        name: String,
        /// The arguments as a JSON array (postcard cannot carry JSON values).
        args: String,
    },
    /// The selected sockets are disconnected and their clients' whole
    /// connections closed. A variant of its own, last, rather than a flag
    /// on `Disconnect`: the records of nodes that predate it still decode.
    DisconnectClosing { ns: String, opts: BroadcastOptions },
}

impl ClusterMessage {
    /// A broadcast of `packet`.
    pub(crate) fn broadcast(packet: &Packet, opts: &BroadcastOptions) -> Self {
        let mut text = Vec::with_capacity(64);
        packet.encode_into(&mut text);
        Self::Broadcast {
            ns: packet.ns.to_string(),
            text: String::from_utf8_lossy(&text).into_owned(),
            attachments: packet.attachments.iter().map(|b| b.to_vec()).collect(),
            opts: opts.clone(),
        }
    }

    /// A server-side emit of `name` with `args`.
    pub(crate) fn server_side_emit(ns: &str, name: &str, args: &[Value]) -> Self {
        Self::ServerSideEmit {
            ns: ns.to_owned(),
            name: name.to_owned(),
            args: Value::Array(args.to_vec()).to_string(),
        }
    }

    /// The event type it travels as.
    pub(crate) fn event_type(&self) -> EventType {
        match self {
            Self::Broadcast { .. } => EventType::Broadcast,
            Self::Join { .. } => EventType::Join,
            Self::Leave { .. } => EventType::Leave,
            Self::Disconnect { .. } | Self::DisconnectClosing { .. } => EventType::Disconnect,
            Self::ServerSideEmit { .. } => EventType::ServerSideEmit,
        }
    }

    /// The namespace it is for.
    pub(crate) fn ns(&self) -> &str {
        match self {
            Self::Broadcast { ns, .. }
            | Self::Join { ns, .. }
            | Self::Leave { ns, .. }
            | Self::Disconnect { ns, .. }
            | Self::DisconnectClosing { ns, .. }
            | Self::ServerSideEmit { ns, .. } => ns,
        }
    }

    pub(crate) fn encode(&self) -> Result<Vec<u8>, AdapterError> {
        codec::encode(self).map_err(|e| AdapterError::Message(e.to_string()))
    }

    pub(crate) fn decode(payload: &[u8]) -> Result<Self, AdapterError> {
        codec::decode(payload).map_err(|e| AdapterError::Message(e.to_string()))
    }
}

/// The packet of a broadcast message, decoded with the parser's limits.
pub(crate) fn decode_packet(text: &str, attachments: Vec<Vec<u8>>) -> Result<Packet, AdapterError> {
    let decoded = protocol::decode(text, &Limits::default())
        .map_err(|e| AdapterError::Message(e.to_string()))?;
    if decoded.attachments != attachments.len() {
        return Err(AdapterError::Message(format!(
            "broadcast announces {} attachments, carries {}",
            decoded.attachments,
            attachments.len()
        )));
    }
    let mut packet = decoded.packet;
    packet.attachments = attachments.into_iter().map(bytes::Bytes::from).collect();
    Ok(packet)
}

/// The server-side emit's arguments.
pub(crate) fn decode_args(args: &str) -> Result<Vec<Value>, AdapterError> {
    match serde_json::from_str(args) {
        Ok(Value::Array(a)) => Ok(a),
        Ok(_) => Err(AdapterError::Message(
            "server-side emit arguments are not an array".into(),
        )),
        Err(e) => Err(AdapterError::Message(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_broadcast_round_trips_with_its_attachments() {
        let packet = Packet::event(
            "/chat",
            "photo",
            vec![json!({"_placeholder": true, "num": 0}), json!("x")],
            vec![bytes::Bytes::from_static(b"\x01\x02")],
        );
        let opts = BroadcastOptions {
            rooms: ["r".to_owned()].into(),
            except: ["s1".to_owned()].into(),
            ..Default::default()
        };
        let message = ClusterMessage::broadcast(&packet, &opts);
        assert_eq!(message.event_type(), EventType::Broadcast);
        assert_eq!(message.ns(), "/chat");
        let back = ClusterMessage::decode(&message.encode().expect("encodes")).expect("decodes");
        assert_eq!(back, message);
        let ClusterMessage::Broadcast {
            text,
            attachments,
            opts: got,
            ..
        } = back
        else {
            panic!("not a broadcast");
        };
        assert_eq!(got, opts);
        let decoded = decode_packet(&text, attachments).expect("packet");
        assert_eq!(decoded.event_name(), Some("photo"));
        assert_eq!(decoded.attachments, packet.attachments);
        assert!(
            decode_packet(&text, Vec::new()).is_err(),
            "attachments missing"
        );
        assert!(ClusterMessage::decode(b"\x01garbage").is_err());
    }

    #[test]
    fn server_side_emit_arguments_round_trip() {
        let message = ClusterMessage::server_side_emit("/", "sync", &[json!(1), json!({"a": "b"})]);
        let ClusterMessage::ServerSideEmit { args, .. } = &message else {
            panic!("wrong kind");
        };
        assert_eq!(
            decode_args(args).expect("args"),
            vec![json!(1), json!({"a": "b"})]
        );
        assert!(decode_args("{}").is_err());
        assert!(decode_args("[").is_err());
    }
}
