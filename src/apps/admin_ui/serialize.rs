//! Sockets and times as the Admin UI reads them: a socket as the Node
//! module's `serialize` writes it (`{id, clientId, transport, nsp, data,
//! handshake, rooms}`, the handshake without its `auth`), a time as
//! JavaScript's `Date` goes into JSON.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::server::{Io, RemoteSocketData, Socket};

/// Every socket of every namespace on this node.
pub(super) fn all_sockets(io: &Io) -> Vec<Value> {
    io.namespaces()
        .iter()
        .flat_map(|ns| ns.broadcast().sockets())
        .map(|socket| socket_json(&socket))
        .collect()
}

/// `socket` as the UI reads it.
pub(super) fn socket_json(socket: &Arc<Socket>) -> Value {
    let session = socket.session();
    let client_id: String = session
        .as_ref()
        .map(|s| s.id().as_str().chars().take(12).collect())
        .unwrap_or_default();
    let transport = session.as_ref().map(|s| s.transport().as_str());
    let known = RemoteSocketData::of(socket);
    let h = &known.handshake;
    // The address as the Node module picks it: a proxy's word first.
    let header = |name: &str| h.headers.get(name).and_then(Value::as_str);
    let address = header("cf-connecting-ip")
        .or_else(|| header("x-forwarded-for"))
        .unwrap_or(&h.address);
    let data = match known.data {
        Value::Null => Value::Object(Map::new()),
        other => other,
    };
    json!({
        "id": known.id,
        "clientId": client_id,
        "transport": transport,
        "nsp": socket.ns(),
        "data": data,
        "handshake": {
            "address": address,
            "headers": h.headers,
            "query": h.query,
            "issued": h.issued,
            "secure": h.secure,
            "time": h.time,
            "url": h.url,
            "xdomain": h.xdomain,
        },
        "rooms": known.rooms,
    })
}

/// Now, as `JSON.stringify(new Date())` writes it
/// (`2026-11-30T10:35:00.123Z`).
pub(super) fn now() -> String {
    let now = time::OffsetDateTime::now_utc();
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    now.format(&format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_written_as_javascript_dates() {
        let now = super::now();
        assert_eq!(now.len(), "2026-11-30T10:35:00.123Z".len(), "{now}");
        assert!(now.ends_with('Z') && now.as_bytes()[10] == b'T', "{now}");
    }
}
