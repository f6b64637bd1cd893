//! [`HttpHandler`]: what answers the requests that are not the engine's — an
//! application's own endpoints (the chat service's REST API) on the same
//! port as Socket.IO.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};

use super::body::is_timeout;

/// The future an [`HttpHandler`] answers with.
pub type HttpFuture = Pin<Box<dyn Future<Output = Response<Full<Bytes>>> + Send>>;

/// Answers the requests whose path is not the engine's. The body is read
/// whole first, up to [`HttpHandler::max_body`] bytes (a longer one is
/// answered `413` without calling the handler, and one that does not arrive
/// within the server's body timeout `408`).
pub trait HttpHandler: Send + Sync + 'static {
    /// Answers `req`, which came from `remote_addr`.
    fn handle(&self, req: Request<Bytes>, remote_addr: Option<SocketAddr>) -> HttpFuture;

    /// The largest body read for this handler, in bytes.
    fn max_body(&self) -> usize {
        64 * 1024
    }

    /// The answer to a body over [`HttpHandler::max_body`] (`413`).
    fn too_large(&self) -> Response<Full<Bytes>> {
        plain(StatusCode::PAYLOAD_TOO_LARGE, "request body too large")
    }
}

/// Reads `req`'s body (at most `handler.max_body()` bytes) and hands the
/// request to `handler`.
pub(crate) async fn dispatch<B>(
    handler: &dyn HttpHandler,
    req: Request<B>,
    remote_addr: Option<SocketAddr>,
) -> Response<Full<Bytes>>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, handler.max_body()).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            let too_large = e
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some();
            return if too_large {
                handler.too_large()
            } else if is_timeout(e.as_ref()) {
                plain(StatusCode::REQUEST_TIMEOUT, "request body timed out")
            } else {
                plain(StatusCode::BAD_REQUEST, "cannot read the request body")
            };
        }
    };
    handler
        .handle(Request::from_parts(parts, body), remote_addr)
        .await
}

/// A plain-text answer.
pub(crate) fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *r.status_mut() = status;
    r
}
