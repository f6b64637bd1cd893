//! Server-side emits: events a namespace sends to its handlers on the other
//! nodes of a cluster (socket.io's `serverSideEmit`), with or without an
//! acknowledgement from each node, and the handlers that receive them.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tokio::sync::oneshot;

use super::adapter::LocalNamespace;
use super::drive::drive;
use super::error::{AckError, EmitError};
use super::handlers::panic_message;
use super::namespace::{Namespace, NsInner};
use super::socket::to_value;
use crate::metrics::HandlerError;

/// A server-side handler: the arguments, and the acknowledgement when the
/// sender asked for one.
pub(crate) type ServerSideHandler = Arc<dyn Fn(&[Value], Option<ServerSideAck>) + Send + Sync>;

/// The acknowledgement another node asked for with
/// [`Namespace::server_side_emit_with_ack`]: send it once. Dropping it
/// sends nothing (the asker counts this node as not answering).
#[derive(Debug)]
pub struct ServerSideAck(oneshot::Sender<Value>);

impl ServerSideAck {
    /// An acknowledgement, and where its answer arrives.
    pub(crate) fn channel() -> (Self, oneshot::Receiver<Value>) {
        let (tx, rx) = oneshot::channel();
        (Self(tx), rx)
    }

    /// Answers with `answer` (socket.io passes on only the first argument
    /// of a server-side acknowledgement, so there is one).
    pub fn send<T: Serialize>(self, answer: T) -> Result<(), EmitError> {
        self.0
            .send(to_value(answer)?)
            .map_err(|_| EmitError::Disconnected)
    }
}

/// A server-side emit whose acknowledgements did not all come: the answers
/// that did, and how many nodes did not answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{cause}: {missing} of {total} nodes did not answer", total = .missing + .received.len())]
pub struct ServerSideAckError {
    /// The answers that came in time, one per node.
    pub received: Vec<Value>,
    /// Nodes that did not answer in time.
    pub missing: usize,
    /// Why: [`AckError::Timeout`], or the adapter's failure to reach the
    /// other nodes.
    pub cause: AckError,
}

impl Namespace {
    /// Sends event `name` to this namespace's server-side handlers on the
    /// other nodes of a cluster (never to this one), as socket.io's
    /// `serverSideEmit`. Done now when the adapter can; otherwise in the
    /// background, its error logged.
    pub fn server_side_emit(&self, name: &str, args: &[Value]) -> Result<(), EmitError> {
        let nsp = LocalNamespace { inner: &self.inner };
        let future = self.inner.adapter().server_side_emit(&nsp, name, args);
        match drive("server-side emit", future) {
            Some(Err(e)) => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// Sends event `name` to this namespace's server-side handlers on the
    /// other nodes, each asked to acknowledge, and waits at most `timeout`:
    /// one answer per other node (none at once on a node alone), or a
    /// [`ServerSideAckError`] with those that came and how many did not.
    pub async fn server_side_emit_with_ack(
        &self,
        name: &str,
        args: &[Value],
        timeout: Duration,
    ) -> Result<Vec<Value>, ServerSideAckError> {
        let nsp = LocalNamespace { inner: &self.inner };
        let future = self
            .inner
            .adapter()
            .server_side_emit_with_ack(&nsp, name, args, timeout);
        match future.await {
            Ok(got) if got.missing == 0 => Ok(got.answers),
            Ok(got) => Err(ServerSideAckError {
                received: got.answers,
                missing: got.missing,
                cause: AckError::Timeout,
            }),
            Err(e) => Err(ServerSideAckError {
                received: Vec::new(),
                missing: 0,
                cause: e.into(),
            }),
        }
    }

    /// Sets the handler of event `name` sent by other nodes with
    /// [`Namespace::server_side_emit`] (or with an acknowledgement, which
    /// this handler does not send).
    pub fn on_server_side_emit<F>(&self, name: &str, handler: F) -> &Self
    where
        F: Fn(&[Value]) + Send + Sync + 'static,
    {
        self.inner
            .set_server_side_handler(name, Arc::new(move |args, _ack| handler(args)));
        self
    }

    /// Sets the handler of event `name` sent by other nodes, with the
    /// acknowledgement to send when the sender asked for one
    /// ([`Namespace::server_side_emit_with_ack`]).
    pub fn on_server_side_emit_with_ack<F>(&self, name: &str, handler: F) -> &Self
    where
        F: Fn(&[Value], Option<ServerSideAck>) + Send + Sync + 'static,
    {
        self.inner.set_server_side_handler(name, Arc::new(handler));
        self
    }
}

impl NsInner {
    /// Runs the handler of server-side event `name` (this namespace's, or
    /// its dynamic parent's); a panic in it is logged and counted.
    pub(crate) fn run_server_side_handler(
        &self,
        name: &str,
        args: &[Value],
        ack: Option<ServerSideAck>,
    ) {
        match (self.server_side_handler(name), self.parent()) {
            (Some(h), _) => {
                if let Err(panic) = std::panic::catch_unwind(AssertUnwindSafe(|| h(args, ack))) {
                    self.metrics().socketio().handler_error(HandlerError::Panic);
                    tracing::error!(
                        ns = %self.name(),
                        event = name,
                        panic = panic_message(&*panic),
                        "server-side handler panicked"
                    );
                }
            }
            (None, Some(parent)) => parent.run_server_side_handler(name, args, ack),
            (None, None) => tracing::debug!(ns = %self.name(), name, "no server-side handler"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::{Io, IoConfig};
    use serde_json::json;

    #[tokio::test]
    async fn a_node_alone_gets_no_answer_at_once() {
        let io = Io::new(IoConfig::default());
        let got = io
            .main()
            .server_side_emit_with_ack("ping", &[json!(1)], Duration::from_secs(3600))
            .await;
        assert_eq!(got, Ok(vec![]));
    }

    #[tokio::test]
    async fn a_handler_answers_through_its_ack() {
        let io = Io::new(IoConfig::default());
        let main = io.main();
        main.on_server_side_emit_with_ack("sum", |args, ack| {
            let sum: i64 = args.iter().filter_map(Value::as_i64).sum();
            if let Some(ack) = ack {
                let _ = ack.send(sum);
            }
        });
        main.on_server_side_emit("plain", |_| {});
        let handle = crate::server::adapter::AdapterHandle::new(&main.inner);
        let answer = handle.server_side_emit_with_ack("sum", &[json!(2), json!(3)]);
        assert_eq!(answer.await, Some(json!(5)));
        // No handler, or one that cannot acknowledge: no answer.
        assert_eq!(handle.server_side_emit_with_ack("none", &[]).await, None);
        assert_eq!(handle.server_side_emit_with_ack("plain", &[]).await, None);
    }
}
