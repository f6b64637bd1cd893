//! [`EdgeService`]: a hyper `Service` answering the engine's path, handing
//! every other request to an application's [`HttpHandler`] when there is one,
//! and `404` otherwise. Mount it in any hyper 1.x server.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;

use super::body::{BoxError, DeadlineBody};
use super::fallback::{dispatch, plain, HttpHandler};
use super::limits::ServeConfig;
use crate::engine::Engine;

/// The service for one connection (it knows the peer address).
///
/// ```no_run
/// use edgeio::engine::{Engine, EngineConfig};
/// use edgeio::{EdgeService, Io, IoConfig};
/// use hyper_util::rt::TokioIo;
///
/// # async fn run() -> std::io::Result<()> {
/// let io = Io::new(IoConfig::default());
/// let engine = Engine::new(EngineConfig::default(), io.engine_handler());
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// loop {
///     let (stream, addr) = listener.accept().await?;
///     let service = EdgeService::new(engine.clone(), Some(addr));
///     tokio::spawn(
///         hyper::server::conn::http1::Builder::new()
///             .serve_connection(TokioIo::new(stream), service)
///             // WebSocket needs the connection upgraded.
///             .with_upgrades(),
///     );
/// }
/// # }
/// ```
#[derive(Clone)]
pub struct EdgeService {
    engine: Engine,
    remote_addr: Option<SocketAddr>,
    /// Answers what is not the engine's path.
    fallback: Option<Arc<dyn HttpHandler>>,
    /// How long a request body may take to arrive once it is read.
    body_timeout: Duration,
}

impl EdgeService {
    /// A service routing to `engine`; `remote_addr` is the connection's peer.
    /// Request bodies get [`ServeConfig`]'s default `body_timeout`.
    pub fn new(engine: Engine, remote_addr: Option<SocketAddr>) -> Self {
        Self {
            engine,
            remote_addr,
            fallback: None,
            body_timeout: ServeConfig::default().body_timeout,
        }
    }

    /// Hands every request that is not the engine's to `fallback`.
    pub fn with_fallback(mut self, fallback: Option<Arc<dyn HttpHandler>>) -> Self {
        self.fallback = fallback;
        self
    }

    /// Answers `408` a request whose body is not whole `timeout` after it is
    /// first read (see [`ServeConfig::body_timeout`]).
    pub fn with_body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }
}

impl<B> hyper::service::Service<Request<B>> for EdgeService
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, req: Request<B>) -> Self::Future {
        let engine = self.engine.clone();
        let remote_addr = self.remote_addr;
        let fallback = self.fallback.clone();
        let body_timeout = self.body_timeout;
        Box::pin(async move {
            if engine.matches(req.uri().path()) {
                Ok(answer_engine(engine, req, remote_addr, body_timeout).await)
            } else if let Some(fallback) = fallback {
                let req = req.map(|body| DeadlineBody::new(body, body_timeout));
                Ok(dispatch(fallback.as_ref(), req, remote_addr).await)
            } else {
                Ok(plain(StatusCode::NOT_FOUND, "Not found"))
            }
        })
    }
}

/// Answers a request for the engine's path, its body bounded by
/// `body_timeout`: what [`EdgeService`] and the tower layer share.
pub(crate) fn answer_engine<B>(
    engine: Engine,
    req: Request<B>,
    remote_addr: Option<SocketAddr>,
    body_timeout: Duration,
) -> impl Future<Output = Response<Full<Bytes>>> + Send
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let req = req.map(|body| DeadlineBody::new(body, body_timeout));
    async move { engine.handle(req, remote_addr).await }
}
