//! The query parameters of an Engine.IO request (`EIO`, `transport`, `sid`).

use super::config::TransportKind;
use super::error::{ErrorCode, RequestError};

/// The value of parameter `name` in `query` (no percent-decoding: the
/// parameters Engine.IO reads are plain ASCII).
pub fn param<'q>(query: Option<&'q str>, name: &str) -> Option<&'q str> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The parameters that route an Engine.IO request.
#[derive(Debug, PartialEq, Eq)]
pub struct EngineQuery<'q> {
    /// The transport asked for.
    pub transport: TransportKind,
    /// The session, absent on a handshake.
    pub sid: Option<&'q str>,
}

impl<'q> EngineQuery<'q> {
    /// Reads and checks the parameters: protocol version 4 and a known
    /// transport.
    pub fn parse(query: Option<&'q str>) -> Result<Self, RequestError> {
        match param(query, "EIO") {
            Some("4") => {}
            Some(v) if v.parse::<u8>().is_ok() => {
                return Err(RequestError::code(ErrorCode::UnsupportedProtocolVersion))
            }
            _ => return Err(RequestError::code(ErrorCode::BadRequest)),
        }
        let transport = param(query, "transport")
            .and_then(TransportKind::parse)
            .ok_or_else(|| RequestError::code(ErrorCode::UnknownTransport))?;
        let sid = param(query, "sid").filter(|s| !s.is_empty());
        Ok(Self { transport, sid })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_routing_parameters() {
        let q = EngineQuery::parse(Some("EIO=4&transport=polling&t=x&sid=abc")).expect("valid");
        assert_eq!(q.transport, TransportKind::Polling);
        assert_eq!(q.sid, Some("abc"));
        let q = EngineQuery::parse(Some("EIO=4&transport=websocket")).expect("valid");
        assert_eq!(q.sid, None);
    }

    #[test]
    fn refuses_bad_versions_and_transports() {
        let code = |q: &str| EngineQuery::parse(Some(q)).err().and_then(|e| e.code);
        assert_eq!(code("transport=polling"), Some(ErrorCode::BadRequest));
        assert_eq!(
            code("EIO=abc&transport=polling"),
            Some(ErrorCode::BadRequest)
        );
        assert_eq!(
            code("EIO=3&transport=polling"),
            Some(ErrorCode::UnsupportedProtocolVersion)
        );
        assert_eq!(code("EIO=4"), Some(ErrorCode::UnknownTransport));
        assert_eq!(
            code("EIO=4&transport=abc"),
            Some(ErrorCode::UnknownTransport)
        );
        assert!(EngineQuery::parse(None).is_err());
    }
}
