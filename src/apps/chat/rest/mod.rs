//! The chat's REST API (being written).

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::Request;

use super::identity::Verifier;
use super::service::ChatService;
use crate::http::{HttpFuture, HttpHandler};

/// The REST API.
pub struct Rest {
    _service: ChatService,
    _verifier: Arc<dyn Verifier>,
}

impl Rest {
    /// The API over `service`, checking bearer tokens with `verifier`.
    pub fn new(service: ChatService, verifier: Arc<dyn Verifier>) -> Self {
        Self {
            _service: service,
            _verifier: verifier,
        }
    }
}

impl HttpHandler for Rest {
    fn handle(&self, _req: Request<Bytes>, _remote_addr: Option<SocketAddr>) -> HttpFuture {
        Box::pin(async { http::Response::new(http_body_util::Full::new(Bytes::new())) })
    }
}
