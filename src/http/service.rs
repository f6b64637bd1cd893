//! [`EdgeService`]: a hyper `Service` answering the engine's path and `404`
//! everywhere else. Mount it in any hyper 1.x server.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;

use crate::engine::Engine;

/// The service for one connection (it knows the peer address).
#[derive(Clone, Debug)]
pub struct EdgeService {
    engine: Engine,
    remote_addr: Option<SocketAddr>,
}

impl EdgeService {
    /// A service routing to `engine`; `remote_addr` is the connection's peer.
    pub fn new(engine: Engine, remote_addr: Option<SocketAddr>) -> Self {
        Self {
            engine,
            remote_addr,
        }
    }
}

impl<B> hyper::service::Service<Request<B>> for EdgeService
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, req: Request<B>) -> Self::Future {
        let engine = self.engine.clone();
        let remote_addr = self.remote_addr;
        Box::pin(async move {
            if engine.matches(req.uri().path()) {
                Ok(engine.handle(req, remote_addr).await)
            } else {
                let mut r = Response::new(Full::new(Bytes::from_static(b"Not found")));
                *r.status_mut() = StatusCode::NOT_FOUND;
                Ok(r)
            }
        })
    }
}
