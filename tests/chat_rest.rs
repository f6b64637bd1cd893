//! The chat's REST API over real HTTP on a real TCP socket: the chat app
//! served in-process, requests written by the raw client of `tests/common`.
//!
//! - `conversations`: creating, reading one, the chat list.
//! - `history`: message pages, their cursors and time filters, reading.
//! - `moderation`: blocks and mutes.
//! - `access`: who may call what (401, 403).
//! - `protocol`: paths, methods, bodies, query values, limits, CORS.

mod chat_support;
mod common;

#[path = "chat_rest/access.rs"]
mod access;
#[path = "chat_rest/conversations.rs"]
mod conversations;
#[path = "chat_rest/history.rs"]
mod history;
#[path = "chat_rest/moderation.rs"]
mod moderation;
#[path = "chat_rest/protocol.rs"]
mod protocol;
