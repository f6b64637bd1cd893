//! The handshake query: `EngineQuery::parse` and `query::param`, on query
//! strings as hyper's `Uri` hands them over.

use edgeio::engine::query::{param, EngineQuery};
use edgeio::engine::{ErrorCode, TransportKind};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use super::holds;
use super::invariants::check_query;

/// One `key=value` pair (or a bare `key`), with the keys Engine.IO reads
/// and others, the values it understands and others (`=` included, which
/// belongs to the value).
fn pair() -> impl Strategy<Value = (String, Option<String>)> {
    let key = prop_oneof![
        select(vec!["EIO", "transport", "sid", "t", "eio", ""]).prop_map(str::to_owned),
        "[A-Za-z0-9_.~-]{1,6}",
    ];
    let value = prop_oneof![
        select(vec![
            "4",
            "3",
            "255",
            "256",
            "04",
            "polling",
            "websocket",
            "",
            "abc"
        ])
        .prop_map(str::to_owned),
        "[A-Za-z0-9_.~=%-]{0,10}",
    ];
    (key, proptest::option::weighted(0.9, value))
}

/// Pairs as clients send them: often EIO=4, a transport and a sid (so that
/// a query gets past the version and transport checks), with other pairs,
/// in any order.
fn pairs() -> impl Strategy<Value = Vec<(String, Option<String>)>> {
    let routing = (
        proptest::option::weighted(0.8, Just("4")),
        proptest::option::weighted(0.8, select(vec!["polling", "websocket"])),
        proptest::option::weighted(0.8, "[A-Za-z0-9_-]{0,20}"),
    );
    (routing, vec(pair(), 0..6)).prop_flat_map(|((eio, transport, sid), mut pairs)| {
        let given = [
            ("EIO", eio.map(str::to_owned)),
            ("transport", transport.map(str::to_owned)),
            ("sid", sid),
        ];
        for (k, v) in given {
            if let Some(v) = v {
                pairs.push((k.to_owned(), Some(v)));
            }
        }
        Just(pairs).prop_shuffle()
    })
}

/// The pairs as a query string.
fn query_string(pairs: &[(String, Option<String>)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .map(|(k, v)| match v {
            Some(v) => format!("{k}={v}"),
            None => k.clone(),
        })
        .collect();
    parts.join("&")
}

/// The first value given for `name`, a bare key counting as empty.
fn first<'p>(pairs: &'p [(String, Option<String>)], name: &str) -> Option<&'p str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_deref().unwrap_or(""))
}

proptest! {
    #![proptest_config(super::config())]

    /// `param` finds the first value of a key; `parse` accepts exactly EIO=4
    /// with a known transport, refuses other numeric versions as
    /// unsupported and anything else as a bad request, and takes the sid
    /// when it is not empty. The request URI carries the query unchanged,
    /// and so does the handshake's copy of it.
    #[test]
    fn the_routing_parameters_are_the_first_of_each_key(pairs in pairs()) {
        let q = query_string(&pairs);
        for name in ["EIO", "transport", "sid", "t"] {
            prop_assert_eq!(param(Some(&q), name), first(&pairs, name), "{} in {:?}", name, q);
        }
        let expected = match first(&pairs, "EIO") {
            Some("4") => match first(&pairs, "transport").and_then(TransportKind::parse) {
                Some(transport) => {
                    Ok((transport, first(&pairs, "sid").filter(|s| !s.is_empty())))
                }
                None => Err(ErrorCode::UnknownTransport),
            },
            Some(v) if v.parse::<u8>().is_ok() => Err(ErrorCode::UnsupportedProtocolVersion),
            _ => Err(ErrorCode::BadRequest),
        };
        let parsed = EngineQuery::parse(Some(&q))
            .map(|p| (p.transport, p.sid))
            .map_err(|e| e.code.expect("an Engine.IO error code"));
        prop_assert_eq!(parsed, expected);

        holds(check_query(&q))?;
    }

    /// Any string: parse never panics, every value is one of the query's
    /// pairs, and the code of a refusal is the one the input deserves.
    #[test]
    fn any_query_parses_or_is_refused_with_a_code(q in any::<String>()) {
        holds(check_query(&q))?;
    }
}
