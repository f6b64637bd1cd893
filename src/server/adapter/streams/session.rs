//! A kept session as Node's `@socket.io/redis-streams-adapter` stores it —
//! the value of key `sio:session:<pid>`: base64 of the MessagePack map
//! `{sid, pid, rooms, data}` (`rooms` with the socket's own id) — and which
//! missed broadcasts reach it (the package's `shouldIncludePacket`).

use base64::Engine as _;
use rmpv::Value;

use super::wire::body::field;
use super::wire::{decode_msgpack, encode_msgpack, Filter, MAX_MESSAGE_BYTES};
use crate::server::adapter::redis::wire::{from_json, to_json};
use crate::server::adapter::Session;
use crate::server::socket::Sid;

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Why a kept session could not be read.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SessionError {
    /// Over [`MAX_MESSAGE_BYTES`].
    #[error("session value of {0} bytes is too large")]
    TooLarge(usize),
    /// Not base64, not MessagePack, or not a session's map.
    #[error("malformed session value: {0}")]
    Malformed(String),
}

/// `session` as the value Node's adapter keeps. Its own id comes first in
/// its rooms, as in a Node socket's; data not set is `{}`, a Node socket's
/// default.
pub fn encode(session: &Session) -> String {
    let mut rooms = vec![Value::from(session.sid.as_str())];
    rooms.extend(
        session
            .rooms
            .iter()
            .filter(|r| *r != session.sid.as_str())
            .map(|r| Value::from(r.as_str())),
    );
    let data = session
        .data
        .clone()
        .map_or(Value::Map(Vec::new()), from_json);
    let map = Value::Map(vec![
        (Value::from("sid"), Value::from(session.sid.as_str())),
        (Value::from("pid"), Value::from(session.pid.as_str())),
        (Value::from("rooms"), Value::Array(rooms)),
        (Value::from("data"), data),
    ]);
    BASE64.encode(encode_msgpack(&map))
}

/// The session kept as `raw`; its rooms are as kept (its own id included).
pub fn decode(raw: &[u8]) -> Result<Session, SessionError> {
    if raw.len() > MAX_MESSAGE_BYTES {
        return Err(SessionError::TooLarge(raw.len()));
    }
    let malformed = |why: &str| SessionError::Malformed(why.to_owned());
    let bytes = BASE64.decode(raw).map_err(|_| malformed("not base64"))?;
    let map = decode_msgpack(&bytes).map_err(|e| SessionError::Malformed(e.to_string()))?;
    let text = |name: &str| {
        field(&map, name)
            .and_then(Value::as_str)
            .map(Sid::from)
            .ok_or_else(|| SessionError::Malformed(format!("no {name}")))
    };
    let (sid, pid) = (text("sid")?, text("pid")?);
    let rooms = match field(&map, "rooms") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|r| r.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| malformed("a room is not a string"))?,
        _ => return Err(malformed("no rooms")),
    };
    let data = match field(&map, "data") {
        None | Some(Value::Nil) => None,
        Some(value) => Some(to_json(value).map_err(|e| SessionError::Malformed(e.to_string()))?),
    };
    Ok(Session {
        sid,
        pid,
        rooms,
        data,
    })
}

/// Whether a broadcast sent with `filter` reaches a socket in `rooms`
/// (its own id among them): any room when the broadcast names none, and
/// none of its rooms left out.
pub fn reaches(rooms: &[String], filter: &Filter) -> bool {
    let included = filter.rooms.is_empty() || rooms.iter().any(|r| filter.rooms.contains(r));
    included && !rooms.iter().any(|r| filter.except.contains(r))
}

#[cfg(test)]
mod tests;
