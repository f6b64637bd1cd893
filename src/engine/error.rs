//! Errors of the Engine.IO layer: packet decoding, and the request errors that
//! Engine.IO reports to clients as HTTP 400/403 with `{"code":N,"message":"..."}`.

use std::fmt;

/// A packet or payload that could not be decoded. Closes the session that
/// sent it with a parse error, never the process.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PacketError {
    /// The packet has no bytes.
    #[error("empty packet")]
    Empty,
    /// The first byte is no Engine.IO packet type.
    #[error("unknown packet type {:?}", *.0 as char)]
    UnknownType(u8),
    /// A packet type that carries no data came with some.
    #[error("packet type {0} carries no data")]
    UnexpectedData(char),
    /// A `b`-prefixed packet is not valid base64.
    #[error("invalid base64 in a binary packet")]
    BadBase64,
    /// A polling payload is not UTF-8.
    #[error("payload is not valid UTF-8")]
    NotUtf8,
}

/// The error codes of the Engine.IO protocol, sent in HTTP error bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// `0` "Transport unknown": a transport the server does not offer.
    UnknownTransport = 0,
    /// `1` "Session ID unknown".
    UnknownSid = 1,
    /// `2` "Bad handshake method": a handshake that is not a GET.
    BadHandshakeMethod = 2,
    /// `3` "Bad request".
    BadRequest = 3,
    /// `4` "Forbidden": refused by the `allow_request` hook.
    Forbidden = 4,
    /// `5` "Unsupported protocol version": `EIO` is not 4.
    UnsupportedProtocolVersion = 5,
}

impl ErrorCode {
    /// The message Engine.IO servers send with the code.
    pub fn message(self) -> &'static str {
        match self {
            ErrorCode::UnknownTransport => "Transport unknown",
            ErrorCode::UnknownSid => "Session ID unknown",
            ErrorCode::BadHandshakeMethod => "Bad handshake method",
            ErrorCode::BadRequest => "Bad request",
            ErrorCode::Forbidden => "Forbidden",
            ErrorCode::UnsupportedProtocolVersion => "Unsupported protocol version",
        }
    }
}

/// A request the engine refuses. Carries its HTTP status and protocol code;
/// the service turns it into a response in one place
/// ([`RequestError::status`], [`RequestError::body`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RequestError {
    /// The Engine.IO code, or `None` for HTTP-level refusals (413, 404).
    pub code: Option<ErrorCode>,
    /// The HTTP status sent.
    pub status: http::StatusCode,
    /// Sent in the body; never echoes the client's input.
    pub message: String,
}

impl RequestError {
    /// An Engine.IO protocol error with its standard status and message.
    pub fn code(code: ErrorCode) -> Self {
        let status = match code {
            ErrorCode::Forbidden => http::StatusCode::FORBIDDEN,
            _ => http::StatusCode::BAD_REQUEST,
        };
        Self {
            code: Some(code),
            status,
            message: code.message().to_owned(),
        }
    }

    /// A protocol error with a message of the server's (or of an
    /// `allow_request` hook).
    pub fn with_message(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            ..Self::code(code)
        }
    }

    /// The server already holds its maximum of sessions.
    pub fn too_many_sessions() -> Self {
        Self {
            code: None,
            status: http::StatusCode::SERVICE_UNAVAILABLE,
            message: "Too many sessions".to_owned(),
        }
    }

    /// The server is draining for a shutdown and opens no new session.
    pub fn shutting_down() -> Self {
        Self {
            code: None,
            status: http::StatusCode::SERVICE_UNAVAILABLE,
            message: "Server shutting down".to_owned(),
        }
    }

    /// A body larger than `maxHttpBufferSize`.
    pub fn payload_too_large() -> Self {
        Self {
            code: None,
            status: http::StatusCode::PAYLOAD_TOO_LARGE,
            message: "Payload too large".to_owned(),
        }
    }

    /// The JSON body: `{"code":N,"message":"..."}` (or just the message for
    /// HTTP-level refusals).
    pub fn body(&self) -> String {
        match self.code {
            Some(code) => {
                serde_json::json!({"code": code as u8, "message": self.message}).to_string()
            }
            None => serde_json::json!({"message": self.message}).to_string(),
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.status)
    }
}

/// Why a session ended. Every close carries one, and the handler is told it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisconnectReason {
    /// The client did not answer a ping within `pingTimeout`.
    PingTimeout,
    /// The client closed the connection or sent a close packet.
    TransportClose,
    /// The transport failed (I/O error, oversized frame, overlapping requests).
    TransportError,
    /// The client sent something that could not be decoded.
    ParseError,
    /// The server closed the session on purpose.
    ForcedClose,
    /// The server is shutting down.
    ServerShuttingDown,
    /// The client stopped reading and its outgoing queue filled up.
    SendBufferFull,
}

impl DisconnectReason {
    /// The reason as the Engine.IO / Socket.IO servers name it.
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::PingTimeout => "ping timeout",
            DisconnectReason::TransportClose => "transport close",
            DisconnectReason::TransportError => "transport error",
            DisconnectReason::ParseError => "parse error",
            DisconnectReason::ForcedClose => "forced close",
            DisconnectReason::ServerShuttingDown => "server shutting down",
            DisconnectReason::SendBufferFull => "send buffer full",
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A message could not be queued for a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The session is closed.
    #[error("session closed")]
    Closed,
    /// The session's outgoing queue is full; the session is closed with
    /// [`DisconnectReason::SendBufferFull`].
    #[error("outgoing queue full")]
    QueueFull,
}
