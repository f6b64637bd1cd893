//! Stamping a broadcast this node delivers with the offset it is kept under.
//!
//! Offsets are assigned where a broadcast is delivered: each node keeps, in
//! its own store and under its own offsets, every broadcast it delivers —
//! those it sends and those that arrive from other nodes — so that a client
//! restored by the node it left misses none of them. What goes to the other
//! nodes carries no offset of this one.

use serde_json::Value;

use super::RecoveryStore;
use crate::engine::Frame;
use crate::protocol::{Packet, PacketKind};
use crate::server::adapter::BroadcastOptions;
use crate::server::socket::encode_frames;

/// The frames this node's sockets get for broadcast `packet`. With recovery
/// on (`store`) and a broadcast that may be recovered (an event without an
/// acknowledgement id, not volatile), it is kept under a new offset first,
/// which travels as its last argument, as socket.io does. `packet` is given
/// back as it came.
pub(crate) fn local_frames(
    store: Option<&RecoveryStore>,
    packet: &mut Packet,
    opts: &BroadcastOptions,
) -> Vec<Frame> {
    let recoverable = !opts.volatile && packet.kind == PacketKind::Event && packet.id.is_none();
    let store = store.filter(|_| recoverable);
    let Some((store, Some(Value::Array(data)))) = store.map(|s| (s, packet.data.as_mut())) else {
        return encode_frames(packet);
    };
    let offset = store.issue_offset();
    data.push(Value::String(offset.to_string()));
    let frames = encode_frames(packet);
    if let Some(Value::Array(data)) = packet.data.as_mut() {
        data.pop();
    }
    store.keep(offset, &frames, opts);
    frames
}
