//! The two transports: HTTP long-polling and WebSocket.

pub mod polling;
pub mod websocket;
