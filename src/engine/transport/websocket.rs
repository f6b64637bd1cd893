//! The WebSocket transport over hyper's upgrade: a direct WebSocket session,
//! or the upgrade of a polling session (`2probe` → `3probe`, then `5`).
//!
//! During an upgrade, packets the server sends stay in the session's queue:
//! the pending polling GET is released with a noop, and once the client sends
//! `5` this task takes the queue and writes what it holds, in order.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::{header, HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message as WsMessage};
use tokio_tungstenite::WebSocketStream;
use tracing::Instrument;

use crate::engine::config::TransportKind;
use crate::engine::error::{DisconnectReason, ErrorCode, RequestError};
use crate::engine::packet::{Frame, Packet};
use crate::engine::session::Session;
use crate::engine::text::Text;
use crate::metrics::{Dropped, Transport};

/// What a WebSocket runs over: the plain TCP stream when the connection came
/// from our own accept loop, or hyper's upgraded connection otherwise.
trait WsIo: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static {}

impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static> WsIo for T {}

/// How the WebSocket joins its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The session was opened on this WebSocket.
    Direct,
    /// The session was opened on polling and moves to this WebSocket.
    Upgrade,
}

/// True when the request asks for a WebSocket.
pub fn is_upgrade_request<B>(req: &Request<B>) -> bool {
    let has = |name: header::HeaderName, token: &str| {
        req.headers().get_all(name).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    has(header::UPGRADE, "websocket") && req.headers().contains_key(header::SEC_WEBSOCKET_KEY)
}

/// Answers a WebSocket request with `101 Switching Protocols` and runs the
/// session on the upgraded connection in its own task.
pub fn accept<B>(
    mut req: Request<B>,
    socket: Arc<Session>,
    mode: Mode,
) -> Result<Response<Full<Bytes>>, RequestError> {
    let Some(key) = req.headers().get(header::SEC_WEBSOCKET_KEY) else {
        return Err(RequestError::code(ErrorCode::BadRequest));
    };
    let version_ok = req
        .headers()
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_some_and(|v| v == "13");
    if !version_ok {
        return Err(RequestError::code(ErrorCode::BadRequest));
    }
    // Like the reference server, a second upgrade of a session (already
    // upgraded, or upgrading) gets its WebSocket and sees it closed at once.
    let refused = mode == Mode::Upgrade
        && (socket.transport() != TransportKind::Polling
            || socket.upgrading.swap(true, Ordering::AcqRel));
    let accept_key = derive_accept_key(key.as_bytes());
    let on_upgrade = hyper::upgrade::on(&mut req);
    let config = WebSocketConfig::default()
        .read_buffer_size(socket.engine.config.ws_read_buffer_size)
        // Frames of one batch are gathered and written together at the flush
        // that ends it; the buffer grows only as a batch needs.
        .write_buffer_size(WRITE_BUFFER)
        .max_message_size(Some(socket.engine.config.max_payload))
        .max_frame_size(Some(socket.engine.config.max_payload));
    let span = tracing::debug_span!("session", sid = %socket.id(), transport = "websocket");
    let task = async move {
        let upgraded = match on_upgrade.await {
            Ok(u) => u,
            Err(e) => {
                if !socket.engine.upgrades.failed(&e) {
                    tracing::debug!(sid = %socket.id(), error = %e, "WebSocket upgrade failed");
                }
                match mode {
                    _ if refused => {}
                    Mode::Direct => socket.close_with(DisconnectReason::TransportError),
                    Mode::Upgrade => socket.upgrading.store(false, Ordering::Release),
                }
                return;
            }
        };
        // Served by our accept loop, the connection is a TCP stream: take it
        // back from hyper, with the few bytes hyper read ahead, so that
        // hyper's 8 KiB read buffer is freed and no dynamic IO sits between
        // the socket and tungstenite.
        match upgraded.downcast::<TokioIo<tokio::net::TcpStream>>() {
            Ok(hyper::upgrade::Parts { io, read_buf, .. }) => {
                let io = io.into_inner();
                let ws = if read_buf.is_empty() {
                    drop(read_buf);
                    WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await
                } else {
                    let ahead = read_buf.to_vec();
                    drop(read_buf);
                    WebSocketStream::from_partially_read(io, ahead, Role::Server, Some(config))
                        .await
                };
                carry(ws, socket, mode, refused).await;
            }
            Err(upgraded) => {
                let io = TokioIo::new(upgraded);
                let ws = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
                carry(ws, socket, mode, refused).await;
            }
        }
    };
    tokio::spawn(task.instrument(span));
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(v) = HeaderValue::from_str(&accept_key) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, v);
    }
    Ok(response)
}

/// Carries the session on a new WebSocket as `mode` says.
async fn carry<S: WsIo>(
    mut ws: WebSocketStream<S>,
    socket: Arc<Session>,
    mode: Mode,
    refused: bool,
) {
    match mode {
        _ if refused => {
            tracing::debug!(sid = %socket.id(), "second upgrade refused");
            let _ = ws.close(None).await;
        }
        Mode::Direct => run(ws, socket).await,
        Mode::Upgrade => upgrade(ws, socket).await,
    }
}

/// Runs the probe exchange of an upgrade, then the session on this WebSocket.
/// A failed upgrade leaves the session on polling.
async fn upgrade<S: WsIo>(mut ws: WebSocketStream<S>, socket: Arc<Session>) {
    let timeout = socket.engine.config.upgrade_timeout;
    let outcome = tokio::select! {
        r = tokio::time::timeout(timeout, probe(&mut ws, &socket)) => r.unwrap_or(Err("upgrade timed out")),
        _ = socket.closed.cancelled() => Err("session closed"),
    };
    socket.upgrading.store(false, Ordering::Release);
    match outcome {
        Ok(()) => {
            socket.set_upgraded();
            tracing::debug!(sid = %socket.id(), "upgraded to WebSocket");
            run(ws, socket).await;
        }
        Err(why) => {
            tracing::debug!(sid = %socket.id(), why, "upgrade abandoned");
            let _ = ws.close(None).await;
        }
    }
}

/// `2probe` → `3probe`, release the pending GET, then wait for `5`.
async fn probe<S: WsIo>(
    ws: &mut WebSocketStream<S>,
    socket: &Arc<Session>,
) -> Result<(), &'static str> {
    match next_packet(ws).await? {
        Packet::Ping(data) if data == "probe" => {}
        _ => return Err("expected a probe"),
    }
    ws.send(WsMessage::Text("3probe".into()))
        .await
        .map_err(|_| "probe answer not sent")?;
    socket.release_poll.notify_one();
    loop {
        match next_packet(ws).await? {
            Packet::Upgrade => return Ok(()),
            Packet::Noop => {}
            _ => return Err("expected the upgrade packet"),
        }
    }
}

/// The next Engine.IO packet on the WebSocket, skipping control frames.
async fn next_packet<S: WsIo>(ws: &mut WebSocketStream<S>) -> Result<Packet, &'static str> {
    loop {
        match ws.next().await {
            Some(Ok(WsMessage::Text(t))) => {
                return Packet::decode_text(Text::new(t)).map_err(|_| "invalid packet")
            }
            Some(Ok(WsMessage::Binary(_))) => return Err("binary frame during upgrade"),
            Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_))) => {}
            Some(Ok(WsMessage::Close(_))) | None => return Err("closed during upgrade"),
            Some(Err(_)) => return Err("transport error during upgrade"),
        }
    }
}

/// The bytes of a frame as the WebSocket carries it (its message's payload).
fn frame_len(frame: &Frame) -> usize {
    match frame {
        Frame::Text(t) => t.len(),
        Frame::Binary(b) => b.len(),
    }
}

fn to_ws(frame: Frame) -> WsMessage {
    match frame {
        Frame::Text(t) => WsMessage::Text(t),
        Frame::Binary(b) => WsMessage::Binary(b),
    }
}

/// Most frames written before one flush.
const MAX_BATCH: usize = 64;

/// Bytes gathered before tungstenite writes to the socket without waiting
/// for the flush.
const WRITE_BUFFER: usize = 16 * 1024;

/// Most client messages handled in a row before queued frames are written:
/// reading what has arrived first lets the answers to it leave in one write,
/// and this bound keeps a flooding client from starving its own writes.
const MAX_READS_IN_A_ROW: usize = 32;

/// Carries the session on `ws` until it closes: writes queued frames, reads
/// client packets.
async fn run<S: WsIo>(ws: WebSocketStream<S>, socket: Arc<Session>) {
    let (mut sink, mut stream) = ws.split();
    let writer = tokio::select! {
        writer = socket.outbox.writer.lock() => writer,
        _ = socket.closed.cancelled() => {
            let _ = sink.send(WsMessage::Close(None)).await;
            return;
        }
    };
    // One wait on the close signal for the whole loop (registering a new one
    // on every turn costs a lock).
    let closed = socket.closed.cancelled();
    tokio::pin!(closed);
    let mut batch = Vec::with_capacity(8);
    let mut reads_in_a_row = 0;
    loop {
        if reads_in_a_row >= MAX_READS_IN_A_ROW && socket.outbox.is_empty() {
            // Nothing to write after all: back to reading.
            reads_in_a_row = 0;
        }
        tokio::select! {
            biased;
            _ = &mut closed => break,
            msg = stream.next(), if reads_in_a_row < MAX_READS_IN_A_ROW => {
                reads_in_a_row += 1;
                if let Err(reason) = on_ws_message(&socket, msg) {
                    socket.close_with(reason);
                    break;
                }
            }
            _ = socket.outbox.ready() => {
                reads_in_a_row = 0;
                socket.outbox.take(&mut batch, MAX_BATCH);
                let bytes: usize = batch.iter().map(frame_len).sum();
                socket
                    .metrics()
                    .engine()
                    .sent(Transport::WebSocket, batch.len() as u64, bytes as u64);
                let write = async {
                    for f in batch.drain(..) {
                        sink.feed(to_ws(f)).await?;
                    }
                    sink.flush().await
                };
                let written = tokio::select! {
                    r = write => r,
                    _ = &mut closed => break,
                };
                if let Err(e) = written {
                    tracing::debug!(sid = %socket.id(), error = %e, "WebSocket write failed");
                    socket.close_with(DisconnectReason::TransportError);
                    break;
                }
            }
        }
    }
    if matches!(
        socket.close_reason(),
        Some(DisconnectReason::TransportClose | DisconnectReason::TransportError)
    ) {
        // The connection is gone or closing from the client's side.
        return;
    }
    // The server closed the session: deliver what is still queued, then close.
    let mut rest = Vec::new();
    socket.outbox.take(&mut rest, usize::MAX);
    drop(writer);
    let bytes: usize = rest.iter().map(frame_len).sum();
    socket
        .metrics()
        .engine()
        .sent(Transport::WebSocket, rest.len() as u64, bytes as u64);
    let farewell = async {
        for f in rest {
            sink.feed(to_ws(f)).await?;
        }
        sink.send(WsMessage::Close(None)).await
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), farewell).await;
}

/// Handles one WebSocket message; `Err` carries why the session must end.
fn on_ws_message(
    socket: &Arc<Session>,
    msg: Option<Result<WsMessage, WsError>>,
) -> Result<(), DisconnectReason> {
    let metrics = socket.metrics().engine();
    match msg {
        Some(Ok(WsMessage::Text(t))) => {
            metrics.received(Transport::WebSocket, 1, t.len() as u64);
            match Packet::decode_text(Text::new(t)) {
                Ok(packet) => {
                    socket.on_packet(packet);
                    Ok(())
                }
                Err(e) => {
                    tracing::debug!(sid = %socket.id(), error = %e, "invalid packet");
                    metrics.dropped(Dropped::ParseError);
                    Err(DisconnectReason::ParseError)
                }
            }
        }
        Some(Ok(WsMessage::Binary(b))) => {
            metrics.received(Transport::WebSocket, 1, b.len() as u64);
            socket.on_packet(Packet::Binary(b));
            Ok(())
        }
        Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_))) => Ok(()),
        Some(Ok(WsMessage::Close(_))) | None => Err(DisconnectReason::TransportClose),
        Some(Err(e)) => {
            tracing::debug!(sid = %socket.id(), error = %e, "WebSocket read failed");
            if matches!(e, WsError::Capacity(_)) {
                metrics.dropped(Dropped::PayloadTooLarge);
            }
            Err(read_error_reason(&e))
        }
    }
}

/// A connection the client dropped (no close handshake, reset, end of
/// stream) is a transport close, as the reference server reports it; what
/// else fails reading (oversized or malformed frames) is a transport error.
fn read_error_reason(e: &WsError) -> DisconnectReason {
    use std::io::ErrorKind;
    use tokio_tungstenite::tungstenite::error::ProtocolError;
    match e {
        WsError::ConnectionClosed
        | WsError::AlreadyClosed
        | WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
            DisconnectReason::TransportClose
        }
        WsError::Io(io)
            if matches!(
                io.kind(),
                ErrorKind::ConnectionReset | ErrorKind::BrokenPipe | ErrorKind::UnexpectedEof
            ) =>
        {
            DisconnectReason::TransportClose
        }
        _ => DisconnectReason::TransportError,
    }
}
