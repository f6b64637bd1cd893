//! HTTP long-polling: a GET waits for queued packets and returns them as one
//! payload; a POST carries the client's packets.
//!
//! One GET and one POST at a time per session: a second concurrent GET (or
//! POST) closes the session with a transport error, as the reference server
//! does. A GET abandoned by the client before it was answered closes the
//! session too, since the packets it would have carried cannot be delivered.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, Request, Response};
use http_body_util::{BodyExt, Full, Limited};
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::engine::config::TransportKind;
use crate::engine::error::{DisconnectReason, ErrorCode, RequestError};
use crate::engine::packet::Packet;
use crate::engine::payload;
use crate::engine::response;
use crate::engine::session::Session;
use crate::engine::text::Text;
use crate::metrics::{Dropped, Transport};

const PAYLOAD_CONTENT_TYPE: &str = "text/plain; charset=UTF-8";

/// Closes the session if dropped before [`Armed::disarm`]: the request was
/// abandoned half-way.
struct Armed<'a> {
    socket: &'a Arc<Session>,
    armed: bool,
}

impl<'a> Armed<'a> {
    fn new(socket: &'a Arc<Session>) -> Self {
        Self {
            socket,
            armed: true,
        }
    }

    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for Armed<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.socket.close_with(DisconnectReason::TransportClose);
        }
    }
}

/// Answers a long-poll GET: waits for the first queued frame (or a release
/// during an upgrade, or the session's close), then returns everything queued.
pub async fn get(socket: Arc<Session>) -> Result<Response<Full<Bytes>>, RequestError> {
    if socket.upgrading.load(Ordering::Acquire) {
        settle_upgrade(&socket).await;
    }
    if socket.transport() != TransportKind::Polling {
        return Err(RequestError::code(ErrorCode::BadRequest));
    }
    let Ok(writer) = socket.outbox.writer.try_lock() else {
        socket.close_with(DisconnectReason::TransportError);
        return Err(RequestError::code(ErrorCode::BadRequest));
    };
    let armed = Armed::new(&socket);
    let mut frames = Vec::new();
    tokio::select! {
        biased;
        _ = socket.outbox.ready() => {}
        _ = socket.release_poll.notified() => frames.push(Packet::Noop.encode()),
        _ = socket.closed.cancelled() => {}
    }
    socket.outbox.take(&mut frames, usize::MAX);
    drop(writer);
    if let Some(reason) = socket.close_reason() {
        // The client asked to close: a noop ends its pending request cleanly.
        // Otherwise it learns that the server closed the session.
        frames.push(match reason {
            DisconnectReason::TransportClose => Packet::Noop.encode(),
            _ => Packet::Close.encode(),
        });
        // A session closed with frames left waited for this GET.
        socket.forget();
    }
    armed.disarm();
    let body = payload::encode(&frames);
    socket
        .metrics()
        .engine()
        .sent(Transport::Polling, frames.len() as u64, body.len() as u64);
    Ok(response::ok(body, PAYLOAD_CONTENT_TYPE))
}

/// How long a GET that arrives during an upgrade, with nothing queued, waits
/// for the upgrade's last packet, which the client may have sent just before
/// it on the WebSocket (the reference server checks every 100 ms).
const UPGRADE_SETTLE: Duration = Duration::from_millis(100);

/// Waits (briefly) for an upgrade in flight to complete, so that a GET racing
/// the client's `5` on another connection is refused rather than answered.
///
/// Only while nothing is queued: a GET with packets waiting (a browser's poll
/// carrying the Socket.IO CONNECT answer while the probe is in flight) takes
/// them at once instead of holding them for the upgrade.
async fn settle_upgrade(socket: &Session) {
    let upgraded = socket.upgraded.notified();
    tokio::pin!(upgraded);
    upgraded.as_mut().enable();
    if socket.transport() == TransportKind::Polling {
        tokio::select! {
            biased;
            _ = &mut upgraded => {}
            _ = socket.outbox.ready() => {}
            _ = tokio::time::sleep(UPGRADE_SETTLE) => {}
        }
    }
}

/// Clears the "POST in progress" flag however the request ends.
struct Posting<'a>(&'a Session);

impl Drop for Posting<'_> {
    fn drop(&mut self) {
        self.0.posting.store(false, Ordering::Release);
    }
}

/// Receives a POST of client packets, handling each as it is decoded.
pub async fn post<B>(
    socket: Arc<Session>,
    req: Request<B>,
) -> Result<Response<Full<Bytes>>, RequestError>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    if socket.transport() != TransportKind::Polling {
        return Err(RequestError::code(ErrorCode::BadRequest));
    }
    if socket.posting.swap(true, Ordering::AcqRel) {
        socket.close_with(DisconnectReason::TransportError);
        return Err(RequestError::code(ErrorCode::BadRequest));
    }
    let _posting = Posting(&socket);
    let body = read_body(&socket, req).await?;
    let metrics = socket.metrics().engine();
    metrics.received(Transport::Polling, 0, body.len() as u64);
    let text = match Utf8Bytes::try_from(body) {
        Ok(t) => Text::new(t),
        Err(_) => return Err(parse_error(&socket)),
    };
    for packet in payload::decode(text) {
        match packet {
            Ok(packet) => {
                metrics.received(Transport::Polling, 1, 0);
                socket.on_packet(packet)
            }
            Err(_) => return Err(parse_error(&socket)),
        }
    }
    Ok(response::ok("ok", "text/html"))
}

/// Reads a POST body, never holding more than `maxHttpBufferSize` bytes; a
/// body that timed out is answered `408` and closes the session.
async fn read_body<B>(socket: &Arc<Session>, req: Request<B>) -> Result<Bytes, RequestError>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let limit = socket.engine.config.max_payload;
    let too_large = || {
        socket.metrics().engine().dropped(Dropped::PayloadTooLarge);
        socket.close_with(DisconnectReason::TransportError);
        RequestError::payload_too_large()
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    if req
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/octet-stream"))
    {
        // Protocol v4 sends binary base64-encoded inside text payloads.
        return Err(parse_error(socket));
    }
    let armed = Armed::new(socket);
    let collected = Limited::new(req.into_body(), limit).collect().await;
    armed.disarm();
    match collected {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(e) if timed_out(e.as_ref()) => {
            // As socket.io treats a POST aborted half-way: the session is
            // closed ("transport error"); the client reconnects.
            tracing::debug!(sid = %socket.id(), "POST body timed out");
            socket.close_with(DisconnectReason::TransportError);
            Err(RequestError {
                code: None,
                status: http::StatusCode::REQUEST_TIMEOUT,
                message: "Request body timed out".to_owned(),
            })
        }
        Err(e) => {
            tracing::debug!(sid = %socket.id(), error = %e, "POST body could not be read");
            socket.close_with(DisconnectReason::TransportError);
            Err(RequestError::code(ErrorCode::BadRequest))
        }
    }
}

/// True when the body failed because the server's body timeout passed
/// (the HTTP layer's deadline fails it with [`std::io::ErrorKind::TimedOut`]).
fn timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    error
        .downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::TimedOut)
}

fn parse_error(socket: &Arc<Session>) -> RequestError {
    socket.metrics().engine().dropped(Dropped::ParseError);
    socket.close_with(DisconnectReason::ParseError);
    RequestError::with_message(ErrorCode::BadRequest, "Invalid packet")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::handler::{EngineHandler, Message};
    use crate::engine::handshake::Handshake;
    use crate::engine::packet::Frame;
    use crate::engine::{Engine, EngineConfig};
    use tokio::time::Instant;

    struct Quiet;

    impl EngineHandler for Quiet {
        fn on_connect(&self, _: &Arc<Session>) {}
        fn on_message(&self, _: &Arc<Session>, _: Message) {}
        fn on_disconnect(&self, _: &Arc<Session>, _: DisconnectReason) {}
    }

    /// A polling session whose open packet was already taken, with an upgrade
    /// in flight (the probe arrived, the client's `5` has not).
    async fn upgrading_session() -> (Engine, Arc<Session>) {
        let engine = Engine::new(EngineConfig::default(), Arc::new(Quiet));
        let handshake =
            Handshake::copied_from(&http::Uri::default(), &http::HeaderMap::new(), None);
        let socket = engine.open(handshake, TransportKind::Polling);
        get(socket.clone())
            .await
            .expect("the open packet is served");
        socket.upgrading.store(true, Ordering::Release);
        (engine, socket)
    }

    async fn body(response: Response<Full<Bytes>>) -> Bytes {
        match response.into_body().collect().await {
            Ok(c) => c.to_bytes(),
            Err(never) => match never {},
        }
    }

    /// The connect stall: a GET during an upgrade with a packet queued is
    /// answered at once, without the clock moving (paused clock: any wait
    /// for the upgrade would advance it).
    #[tokio::test(start_paused = true)]
    async fn a_get_during_an_upgrade_returns_what_is_queued_at_once() {
        let (_engine, socket) = upgrading_session().await;
        socket
            .send_frame(Frame::message("40{\"sid\":\"x\"}"))
            .expect("queued");
        let start = Instant::now();
        let response = get(socket.clone()).await.expect("answered on polling");
        assert_eq!(start.elapsed(), Duration::ZERO, "the GET waited");
        assert_eq!(&body(response).await[..], b"440{\"sid\":\"x\"}");
    }

    /// With nothing queued the GET still waits for the upgrade in flight,
    /// and is refused as soon as it completes.
    #[tokio::test(start_paused = true)]
    async fn an_empty_get_during_an_upgrade_waits_for_it_and_is_refused() {
        let (_engine, socket) = upgrading_session().await;
        let start = Instant::now();
        let pending = tokio::spawn(get(socket.clone()));
        tokio::time::sleep(UPGRADE_SETTLE / 2).await;
        assert!(!pending.is_finished(), "an empty GET did not wait");
        socket.upgrading.store(false, Ordering::Release);
        socket.set_upgraded();
        let answer = pending.await.expect("the GET task ran");
        assert!(answer.is_err(), "a GET after the upgrade was answered");
        assert_eq!(
            start.elapsed(),
            UPGRADE_SETTLE / 2,
            "the GET outlived the upgrade"
        );
    }

    /// An empty GET gives up waiting for the upgrade after
    /// [`UPGRADE_SETTLE`] and long-polls as usual: the upgrade completing
    /// later releases it with a noop instead of refusing it.
    #[tokio::test(start_paused = true)]
    async fn an_empty_get_stops_waiting_for_the_upgrade_after_the_settle_time() {
        let (_engine, socket) = upgrading_session().await;
        let pending = tokio::spawn(get(socket.clone()));
        tokio::time::sleep(UPGRADE_SETTLE * 2).await;
        assert!(!pending.is_finished(), "answered with nothing queued");
        socket.upgrading.store(false, Ordering::Release);
        socket.set_upgraded();
        let response = pending.await.expect("the GET task ran").expect("answered");
        assert_eq!(&body(response).await[..], b"6");
    }
}
