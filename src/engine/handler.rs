//! [`EngineHandler`]: what the layer above (Socket.IO, or an app speaking raw
//! Engine.IO) is told about sessions.

use std::sync::Arc;

use bytes::Bytes;

use super::error::DisconnectReason;
use super::session::Session;
use super::text::Text;

/// A message between client and server: text or binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message.
    Text(Text),
    /// A binary message.
    Binary(Bytes),
}

/// Receives the events of every session.
///
/// Calls for one session come in the order the client sent its packets, from
/// the task that reads that session's transport: keep them short, and spawn a
/// task for slow work.
pub trait EngineHandler: Send + Sync + 'static {
    /// A session completed its handshake.
    fn on_connect(&self, socket: &Arc<Session>);
    /// A session sent a message.
    fn on_message(&self, socket: &Arc<Session>, message: Message);
    /// A session ended; `reason` says why. Called once per session.
    fn on_disconnect(&self, socket: &Arc<Session>, reason: DisconnectReason);
}
