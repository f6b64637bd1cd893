//! The chat's Socket.IO events (being written).

use std::sync::Arc;

use super::identity::Verifier;
use super::service::ChatService;
use crate::server::Namespace;

/// Serves the chat's events on `ns`.
pub fn serve(_ns: &Namespace, _service: ChatService, _verifier: Arc<dyn Verifier>) {}
