//! The server's heartbeat: a ping every `pingInterval`, and the session closed
//! with "ping timeout" when its pong does not come within `pingTimeout`.

use std::sync::Arc;

use tokio::time::Instant;

use super::error::DisconnectReason;
use super::packet::Packet;
use super::session::Session;
use super::text::Text;

/// Runs until the session closes.
///
/// Deadlines are absolute, so that delays in sending a ping never stretch the
/// time a client is given.
pub async fn run(socket: Arc<Session>) {
    let interval = socket.engine.config.ping_interval;
    let timeout = socket.engine.config.ping_timeout;
    let mut next_ping = Instant::now() + interval;
    loop {
        tokio::select! {
            _ = socket.closed.cancelled() => return,
            _ = tokio::time::sleep_until(next_ping) => {}
        }
        let deadline = next_ping + timeout;
        socket.expect_pong_by(deadline);
        if socket
            .send_frame(Packet::Ping(Text::default()).encode())
            .is_err()
        {
            return;
        }
        tokio::select! {
            _ = socket.closed.cancelled() => return,
            _ = socket.pong.notified() => {}
            _ = tokio::time::sleep_until(deadline) => {
                socket.close_with(DisconnectReason::PingTimeout);
                return;
            }
        }
        next_ping = Instant::now() + interval;
    }
}
