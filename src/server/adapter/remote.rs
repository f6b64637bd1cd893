//! [`RemoteSocket`]: a socket `fetch_sockets` found, on this node or on
//! another one, and [`RemoteSocketData`], what an adapter learns of it.
//!
//! What it knows (id, handshake, rooms, data) is a snapshot taken when it
//! was fetched; what it does (emit, join, leave, disconnect) goes through
//! the adapter to the socket's id room, so it works wherever the socket
//! lives — as socket.io's `RemoteSocket` does.

mod handshake;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use handshake::SocketHandshake;

use super::Room;
use crate::server::broadcast::BroadcastOperator;
use crate::server::error::{AckError, AdapterError, EmitError};
use crate::server::event::AckResponse;
use crate::server::namespace::NsInner;
use crate::server::socket::Socket;

/// What a node tells of one of its sockets (`REMOTE_FETCH`'s answer in
/// Node's adapter): serializes to `{id, handshake, rooms, data}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RemoteSocketData {
    /// The socket id.
    pub id: String,
    /// Its handshake.
    #[serde(default)]
    pub handshake: SocketHandshake,
    /// The rooms it is in, its own id among them.
    #[serde(default)]
    pub rooms: Vec<Room>,
    /// Its `socket.data` (null when none was set).
    #[serde(default)]
    pub data: Value,
}

/// When a socket joined its namespace, kept among its extensions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectedAt(pub(crate) SystemTime);

impl RemoteSocketData {
    /// What this node tells of its socket `socket`.
    pub fn of(socket: &Socket) -> Self {
        let at = socket
            .get::<ConnectedAt>()
            .map(|c| c.0)
            .unwrap_or_else(SystemTime::now);
        let mut rooms: Vec<Room> = socket.rooms().into_iter().collect();
        rooms.sort();
        Self {
            id: socket.id().to_string(),
            handshake: SocketHandshake::new(socket.handshake().as_ref(), socket.auth(), at),
            rooms,
            data: socket.data::<Value>().unwrap_or(Value::Null),
        }
    }
}

/// A socket of the namespace, on this node or another.
///
/// ```no_run
/// use edgeio::{Io, IoConfig};
///
/// # async fn f(io: Io) -> Result<(), Box<dyn std::error::Error>> {
/// for socket in io.main().to("lobby").fetch_sockets().await? {
///     let name: Option<String> = socket.data();
///     socket.emit("hello", name)?;
///     socket.join("greeted")?;
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RemoteSocket {
    data: RemoteSocketData,
    /// The socket's namespace on this node, through whose adapter its
    /// actions go.
    ns: Arc<NsInner>,
}

impl RemoteSocket {
    pub(crate) fn new(ns: Arc<NsInner>, data: RemoteSocketData) -> Self {
        Self { data, ns }
    }

    /// The socket id.
    pub fn id(&self) -> &str {
        &self.data.id
    }

    /// The namespace's name.
    pub fn ns(&self) -> &str {
        self.ns.name()
    }

    /// Its handshake, as socket.io shapes it.
    pub fn handshake(&self) -> &SocketHandshake {
        &self.data.handshake
    }

    /// The rooms it was in when fetched (its own id among them).
    pub fn rooms(&self) -> &[Room] {
        &self.data.rooms
    }

    /// Its `socket.data` when fetched, as a `T`, when set and of that shape.
    pub fn data<T: DeserializeOwned>(&self) -> Option<T> {
        if self.data.data.is_null() {
            return None;
        }
        T::deserialize(&self.data.data).ok()
    }

    /// What was fetched of it.
    pub fn as_data(&self) -> &RemoteSocketData {
        &self.data
    }

    /// An operator reaching this socket alone, wherever it is.
    fn only(&self) -> BroadcastOperator {
        BroadcastOperator::only(self.ns.clone()).to(self.data.id.as_str())
    }

    /// Emits event `name` with one argument to the socket.
    pub fn emit<T: Serialize>(&self, name: &str, data: T) -> Result<(), EmitError> {
        self.only().emit(name, data)
    }

    /// Emits event `name` with these arguments to the socket and waits at
    /// most `timeout` for its acknowledgement.
    pub async fn emit_with_ack(
        &self,
        name: &str,
        args: Vec<Value>,
        timeout: Duration,
    ) -> Result<AckResponse, AckError> {
        let answers = self
            .only()
            .timeout(timeout)
            .emit_with_ack(name, args, Vec::new())
            .await
            .map_err(|e| e.cause)?;
        // No answer and nothing missing: nobody had the socket any more.
        answers.into_iter().next().ok_or(AckError::Disconnected)
    }

    /// Makes the socket join `room`.
    pub fn join(&self, room: impl Into<Room>) -> Result<(), AdapterError> {
        self.only().sockets_join(room)
    }

    /// Makes the socket leave `room`.
    pub fn leave(&self, room: &str) -> Result<(), AdapterError> {
        self.only().sockets_leave(room)
    }

    /// Disconnects the socket from its namespace.
    pub fn disconnect(&self) -> Result<(), AdapterError> {
        self.only().disconnect_sockets()
    }

    /// Disconnects the socket and closes its client's whole connection
    /// (socket.io's `remoteSocket.disconnect(true)`).
    pub fn disconnect_closing(&self) -> Result<(), AdapterError> {
        self.only().disconnect_sockets_closing()
    }
}

impl std::fmt::Debug for RemoteSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteSocket")
            .field("ns", &self.ns())
            .field("data", &self.data)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn data_serializes_as_node_answers_fetch() {
        let d = RemoteSocketData {
            id: "abc".into(),
            rooms: vec!["abc".into(), "lobby".into()],
            data: json!({"name": "ann"}),
            ..RemoteSocketData::default()
        };
        let v = serde_json::to_value(&d).expect("json");
        assert_eq!(v["id"], "abc");
        assert_eq!(v["rooms"], json!(["abc", "lobby"]));
        assert_eq!(v["data"], json!({"name": "ann"}));
        assert!(v["handshake"]["headers"].is_object());
        // A Node answer without data reads too.
        let back: RemoteSocketData =
            serde_json::from_value(json!({"id": "x", "handshake": {}, "rooms": ["x"]}))
                .expect("node shape");
        assert_eq!(back.data, Value::Null);
    }
}
