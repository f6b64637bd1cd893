//! The server's heartbeat: a ping every `pingInterval`, and the session closed
//! with "ping timeout" when its pong does not come within `pingTimeout`.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::error::DisconnectReason;
use super::packet::Packet;
use super::socket::Socket;
use super::text::Text;

/// Runs until the session closes.
pub async fn run(socket: Arc<Socket>) {
    let interval = socket.engine.config.ping_interval;
    let timeout = socket.engine.config.ping_timeout;
    loop {
        tokio::select! {
            _ = socket.closed.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
        socket.awaiting_pong.store(true, Ordering::Release);
        if socket
            .send_frame(Packet::Ping(Text::default()).encode())
            .is_err()
        {
            return;
        }
        tokio::select! {
            _ = socket.closed.cancelled() => return,
            _ = socket.pong.notified() => {}
            _ = tokio::time::sleep(timeout) => {
                socket.close_with(DisconnectReason::PingTimeout);
                return;
            }
        }
    }
}
