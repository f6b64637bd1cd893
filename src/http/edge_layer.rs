//! [`EdgeLayer`]: a tower [`Layer`] that mounts the engine in a server the
//! user already has (axum, or hyper with a tower service): requests for the
//! engine's path are answered by [`Engine::handle`], every other request goes
//! to the inner service unchanged.
//!
//! What the host must do:
//! - **serve HTTP/1.1 with upgrades on** (`hyper::server::conn::http1`'s
//!   `.with_upgrades()`; `axum::serve` does it for you). Without them the
//!   engine logs an error naming the fix and stops offering WebSocket (see
//!   [`Engine::upgrades_unavailable`]);
//! - put the peer's address in the request's extensions as a [`PeerAddr`]
//!   (or a bare `SocketAddr`), or tell the layer where to find it with
//!   [`EdgeLayer::peer_addr`] (axum's `ConnectInfo<SocketAddr>`). Without it
//!   the per-address handshake limit counts every client as one unknown peer.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Extensions, Request, Response};
use http_body_util::{Either, Full};
use tower_layer::Layer;
use tower_service::Service;

use super::body::BoxError;
use super::limits::ServeConfig;
use super::service::answer_engine;
use crate::engine::Engine;

/// The peer's address, as the host server puts it in a request's extensions
/// for [`EdgeLayer`] to find (`req.extensions_mut().insert(PeerAddr(addr))`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerAddr(pub SocketAddr);

/// Where an [`EdgeLayer`] finds the peer's address in a request's extensions.
pub type PeerAddrFn = fn(&Extensions) -> Option<SocketAddr>;

/// The default [`PeerAddrFn`]: a [`PeerAddr`], else a bare `SocketAddr`.
fn default_peer_addr(extensions: &Extensions) -> Option<SocketAddr> {
    extensions
        .get::<PeerAddr>()
        .map(|p| p.0)
        .or_else(|| extensions.get::<SocketAddr>().copied())
}

/// A tower layer serving `engine`'s path in front of any service (see the
/// [module](self) for what the host must do).
///
/// ```
/// use std::convert::Infallible;
/// use bytes::Bytes;
/// use edgeio::engine::{Engine, EngineConfig};
/// use edgeio::{Io, IoConfig};
/// use http::{Request, Response};
/// use http_body_util::{Either, Empty, Full};
/// use tower::{Layer, ServiceExt};
///
/// # #[tokio::main] async fn main() {
/// let io = Io::new(IoConfig::default());
/// let engine = Engine::new(EngineConfig::default(), io.engine_handler());
/// // The app's own service (in axum: `Router::new().route(..).layer(edgeio::layer(engine))`).
/// let app = tower::service_fn(|_req: Request<Empty<Bytes>>| async {
///     Ok::<_, Infallible>(Response::new(Full::new(Bytes::from("my app"))))
/// });
/// let service = edgeio::layer(engine).layer(app);
///
/// let handshake = Request::get("/socket.io/?EIO=4&transport=polling").body(Empty::new()).unwrap();
/// let res = service.clone().oneshot(handshake).await.unwrap();
/// assert!(matches!(res.body(), Either::Left(_)), "answered by the engine");
///
/// let mine = Request::get("/hello").body(Empty::new()).unwrap();
/// let res = service.oneshot(mine).await.unwrap();
/// assert!(matches!(res.body(), Either::Right(_)), "answered by the app");
/// # }
/// ```
///
/// With axum, where `into_make_service_with_connect_info::<SocketAddr>()`
/// puts the peer's address in a `ConnectInfo`:
/// `edgeio::layer(engine).peer_addr(|ext| ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0))`.
#[derive(Clone)]
pub struct EdgeLayer {
    engine: Engine,
    peer_addr: PeerAddrFn,
    body_timeout: Duration,
}

/// A tower [`Layer`] serving `engine` in front of the inner service: the
/// same as [`EdgeLayer::new`].
pub fn layer(engine: Engine) -> EdgeLayer {
    EdgeLayer::new(engine)
}

impl EdgeLayer {
    /// A layer serving `engine`; the peer address is a [`PeerAddr`] (or a
    /// bare `SocketAddr`) in the request's extensions, and request bodies get
    /// [`ServeConfig`]'s default `body_timeout`.
    pub fn new(engine: Engine) -> Self {
        Self {
            engine,
            peer_addr: default_peer_addr,
            body_timeout: ServeConfig::default().body_timeout,
        }
    }

    /// Finds the peer's address with `find` instead, e.g.
    /// `|ext| ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0)` in axum.
    pub fn peer_addr(mut self, find: PeerAddrFn) -> Self {
        self.peer_addr = find;
        self
    }

    /// Answers `408` an engine request whose body is not whole `timeout`
    /// after it is first read (see [`ServeConfig::body_timeout`]).
    pub fn with_body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }
}

impl<S> Layer<S> for EdgeLayer {
    type Service = EdgeLayerService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        EdgeLayerService {
            layer: self.clone(),
            inner,
        }
    }
}

/// The service an [`EdgeLayer`] makes: the engine's path, else `inner`.
///
/// Its response body is an [`Either`]: the engine's [`Full`] on the left, the
/// inner service's body on the right, passed through untouched. Its
/// readiness is the inner service's: `poll_ready` asks `inner`, and an engine
/// request leaves that readiness for the next call.
#[derive(Clone)]
pub struct EdgeLayerService<S> {
    layer: EdgeLayer,
    inner: S,
}

/// The future of an [`EdgeLayerService`].
pub type EdgeLayerFuture<B, E> =
    Pin<Box<dyn Future<Output = Result<Response<Either<Full<Bytes>, B>>, E>> + Send>>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for EdgeLayerService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    ReqBody: http_body::Body<Data = Bytes> + Send + 'static,
    ReqBody::Error: Into<BoxError>,
{
    type Response = Response<Either<Full<Bytes>, ResBody>>;
    type Error = S::Error;
    type Future = EdgeLayerFuture<ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let layer = &self.layer;
        if !layer.engine.matches(req.uri().path()) {
            let inner = self.inner.call(req);
            return Box::pin(async move { Ok(inner.await?.map(Either::Right)) });
        }
        let remote_addr = (layer.peer_addr)(req.extensions());
        let answer = answer_engine(layer.engine.clone(), req, remote_addr, layer.body_timeout);
        Box::pin(async move { Ok(answer.await.map(Either::Left)) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    use http_body_util::BodyExt;

    use crate::engine::EngineConfig;
    use crate::server::{Io, IoConfig};

    /// An inner service answering `inner <path>`.
    #[derive(Clone)]
    struct Echo;
    impl Service<Request<Full<Bytes>>> for Echo {
        type Response = Response<Full<Bytes>>;
        type Error = Infallible;
        type Future = std::future::Ready<Result<Self::Response, Infallible>>;
        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }
        fn call(&mut self, req: Request<Full<Bytes>>) -> Self::Future {
            let text = format!("inner {}", req.uri());
            std::future::ready(Ok(Response::new(Full::new(Bytes::from(text)))))
        }
    }

    fn engine() -> Engine {
        Engine::new(
            EngineConfig::default(),
            Io::new(IoConfig::default()).engine_handler(),
        )
    }

    async fn text(res: Response<Either<Full<Bytes>, Full<Bytes>>>) -> String {
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn get(uri: &str) -> Request<Full<Bytes>> {
        Request::get(uri).body(Full::default()).expect("request")
    }

    #[tokio::test]
    async fn other_paths_reach_the_inner_service_unchanged() {
        let mut service = layer(engine()).layer(Echo);
        let res = service.call(get("/hello?x=1")).await.expect("infallible");
        assert!(matches!(res.body(), Either::Right(_)));
        assert_eq!(text(res).await, "inner /hello?x=1");
    }

    #[tokio::test]
    async fn the_engine_path_opens_a_session() {
        let mut service = layer(engine()).layer(Echo);
        let res = service
            .call(get("/socket.io/?EIO=4&transport=polling"))
            .await
            .expect("infallible");
        assert_eq!(res.status(), http::StatusCode::OK);
        let body = text(res).await;
        assert!(body.starts_with("0{\"sid\":"), "{body}");
    }

    /// The sid of the handshake `res` answers.
    async fn sid_of(res: Response<Either<Full<Bytes>, Full<Bytes>>>) -> String {
        let body = text(res).await;
        let open: serde_json::Value = serde_json::from_str(&body[1..]).expect("open packet");
        open["sid"].as_str().expect("sid").to_owned()
    }

    #[tokio::test]
    async fn the_engine_sees_the_peer_address_the_host_put_in_the_extensions() {
        let engine = engine();
        let addr: SocketAddr = "192.0.2.7:4000".parse().expect("addr");
        let mut req = get("/socket.io/?EIO=4&transport=polling");
        req.extensions_mut().insert(PeerAddr(addr));
        let res = layer(engine.clone()).layer(Echo).call(req).await;
        let sid = sid_of(res.expect("infallible")).await;
        let session = engine.socket(&sid).expect("the session");
        assert_eq!(session.handshake().remote_addr, Some(addr));
    }

    #[tokio::test]
    async fn a_custom_peer_address_finder_is_used() {
        #[derive(Clone)]
        struct Custom(SocketAddr);
        let engine = engine();
        let addr: SocketAddr = "192.0.2.9:5000".parse().expect("addr");
        let mut req = get("/socket.io/?EIO=4&transport=polling");
        req.extensions_mut().insert(Custom(addr));
        let mut service = layer(engine.clone())
            .peer_addr(|ext| ext.get::<Custom>().map(|c| c.0))
            .layer(Echo);
        let sid = sid_of(service.call(req).await.expect("infallible")).await;
        let session = engine.socket(&sid).expect("the session");
        assert_eq!(session.handshake().remote_addr, Some(addr));
    }

    /// An inner service never ready, or failing its readiness.
    #[derive(Clone)]
    struct NotReady(Poll<Result<(), &'static str>>);
    impl Service<Request<Full<Bytes>>> for NotReady {
        type Response = Response<Full<Bytes>>;
        type Error = &'static str;
        type Future = std::future::Ready<Result<Self::Response, &'static str>>;
        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), &'static str>> {
            self.0
        }
        fn call(&mut self, _: Request<Full<Bytes>>) -> Self::Future {
            std::future::ready(Err("not called"))
        }
    }

    #[test]
    fn readiness_is_the_inner_services() {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut pending = layer(engine()).layer(NotReady(Poll::Pending));
        assert_eq!(pending.poll_ready(&mut cx), Poll::Pending);
        let mut failing = layer(engine()).layer(NotReady(Poll::Ready(Err("down"))));
        assert_eq!(failing.poll_ready(&mut cx), Poll::Ready(Err("down")));
    }

    #[test]
    fn the_peer_address_comes_from_the_extensions() {
        let addr: SocketAddr = "192.0.2.7:4000".parse().expect("addr");
        let mut ext = Extensions::new();
        assert_eq!(default_peer_addr(&ext), None);
        ext.insert(addr);
        assert_eq!(default_peer_addr(&ext), Some(addr));
        let other: SocketAddr = "192.0.2.8:4000".parse().expect("addr");
        ext.insert(PeerAddr(other));
        assert_eq!(default_peer_addr(&ext), Some(other), "PeerAddr comes first");
    }
}
