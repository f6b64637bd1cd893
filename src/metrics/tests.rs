//! The handle's encoding and the namespace gauge's cap.

use super::*;

/// The value of the series `series` (name and labels as printed).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn recorded_values_show_in_the_text_under_their_names() {
    let m = Metrics::new();
    m.engine().session_opened(Transport::Polling);
    m.engine().session_opened(Transport::Polling);
    m.engine().session_upgraded();
    m.engine().received(Transport::WebSocket, 3, 120);
    m.engine().sent(Transport::Polling, 2, 50);
    m.engine().dropped(Dropped::Volatile);
    m.engine().handshake_refused(Refusal::Draining);
    m.engine()
        .session_closed(Transport::WebSocket, "transport close");
    m.socketio().recovery(false);
    m.socketio().handler_error(HandlerError::Panic);
    m.observe_storage_flush(Duration::from_millis(3));
    let text = m.encode();
    let expect = [
        (r#"edgeio_sessions{transport="polling"}"#, 1.0),
        (r#"edgeio_sessions{transport="websocket"}"#, 0.0),
        (r#"edgeio_handshakes_total{transport="polling"}"#, 2.0),
        ("edgeio_upgrades_total", 1.0),
        (
            r#"edgeio_packets_received_total{transport="websocket"}"#,
            3.0,
        ),
        (
            r#"edgeio_received_bytes_total{transport="websocket"}"#,
            120.0,
        ),
        (r#"edgeio_packets_sent_total{transport="polling"}"#, 2.0),
        (r#"edgeio_sent_bytes_total{transport="polling"}"#, 50.0),
        (r#"edgeio_packets_dropped_total{reason="volatile"}"#, 1.0),
        (r#"edgeio_packets_dropped_total{reason="parse_error"}"#, 0.0),
        (r#"edgeio_handshakes_refused_total{reason="draining"}"#, 1.0),
        (
            r#"edgeio_session_closes_total{reason="transport close"}"#,
            1.0,
        ),
        (r#"edgeio_recoveries_total{result="miss"}"#, 1.0),
        (r#"edgeio_recoveries_total{result="hit"}"#, 0.0),
        (r#"edgeio_handler_errors_total{kind="panic"}"#, 1.0),
        ("edgeio_storage_flush_seconds_count", 1.0),
    ];
    for (series, want) in expect {
        assert_eq!(value(&text, series), Some(want), "{series} in\n{text}");
    }
    assert!(text.ends_with("# EOF\n"));
}

#[test]
fn two_handles_count_apart() {
    let (a, b) = (Metrics::new(), Metrics::new());
    a.socketio().broadcast();
    assert_eq!(value(&a.encode(), "edgeio_broadcasts_total"), Some(1.0));
    assert_eq!(value(&b.encode(), "edgeio_broadcasts_total"), Some(0.0));
}

#[test]
fn a_namespace_series_goes_when_its_last_socket_leaves() {
    let m = Metrics::new();
    let s = m.socketio();
    s.socket_joined("/chat");
    s.socket_joined("/chat");
    s.socket_left("/chat");
    let series = r#"edgeio_sockets{namespace="/chat"}"#;
    assert_eq!(value(&m.encode(), series), Some(1.0));
    s.socket_left("/chat");
    assert_eq!(value(&m.encode(), series), None);
    s.socket_left("/never");
}

#[test]
fn namespaces_past_the_cap_are_summed_under_other() {
    let m = Metrics::new();
    let s = m.socketio();
    let cap = namespaces::MAX_NAMESPACE_LABELS;
    for i in 0..cap + 2 {
        s.socket_joined(&format!("/dyn-{i}"));
    }
    s.socket_joined(&format!("/dyn-{}", cap + 1));
    let text = m.encode();
    assert_eq!(text.matches("edgeio_sockets{").count(), cap + 1);
    let other = r#"edgeio_sockets{namespace="_other"}"#;
    assert_eq!(value(&text, other), Some(3.0));
    // A labelled namespace gone makes room for the next new one; the ones
    // already under "_other" stay there until they empty.
    s.socket_left("/dyn-0");
    s.socket_joined("/new");
    s.socket_left(&format!("/dyn-{cap}"));
    let text = m.encode();
    assert_eq!(
        value(&text, r#"edgeio_sockets{namespace="/new"}"#),
        Some(1.0)
    );
    assert_eq!(value(&text, other), Some(2.0));
    s.socket_left(&format!("/dyn-{}", cap + 1));
    s.socket_left(&format!("/dyn-{}", cap + 1));
    assert_eq!(value(&m.encode(), other), None);
}

#[test]
fn redis_components_show_up_errors_and_reconnects_only_when_watched() {
    let m = Metrics::new();
    assert!(!m.encode().contains("edgeio_redis_"), "no Redis, no series");
    let health = edgeio_storage::Health::new();
    let events = edgeio_storage::ComponentHealth::new("events");
    health.add(events.clone());
    m.watch_redis(health);
    let up = r#"edgeio_redis_up{component="events"}"#;
    let errors = r#"edgeio_redis_errors_total{component="events"}"#;
    let reconnects = r#"edgeio_redis_reconnects_total{component="events"}"#;
    assert_eq!(value(&m.encode(), up), Some(0.0));
    events.connected();
    assert_eq!(value(&m.encode(), up), Some(1.0));
    events.lost(&"connection refused");
    let text = m.encode();
    assert_eq!(value(&text, up), Some(0.0));
    assert_eq!(value(&text, errors), Some(1.0));
    events.connected();
    let text = m.encode();
    assert_eq!(value(&text, up), Some(1.0));
    assert_eq!(value(&text, reconnects), Some(1.0));
}

#[test]
fn refused_messages_and_unknown_answers_show_under_one_family() {
    let m = Metrics::new();
    let health = edgeio_storage::Health::new();
    let adapter = edgeio_storage::ComponentHealth::new("adapter");
    health.add(adapter.clone());
    m.watch_redis(health);
    let malformed =
        r#"edgeio_redis_messages_refused_total{component="adapter",reason="malformed"}"#;
    let unknown =
        r#"edgeio_redis_messages_refused_total{component="adapter",reason="unknown_answer"}"#;
    let text = m.encode();
    assert_eq!(value(&text, malformed), Some(0.0), "{text}");
    assert_eq!(value(&text, unknown), Some(0.0));
    adapter.refused();
    adapter.refused();
    adapter.unknown_answer();
    let text = m.encode();
    assert_eq!(value(&text, malformed), Some(2.0), "{text}");
    assert_eq!(value(&text, unknown), Some(1.0));
}

#[test]
fn the_outbox_shows_what_waits_for_redis_and_what_was_dropped() {
    let m = Metrics::new();
    let health = edgeio_storage::Health::new();
    let adapter = edgeio_storage::ComponentHealth::new("adapter");
    health.add(adapter.clone());
    m.watch_redis(health);
    let waiting = r#"edgeio_redis_outbox_entries{component="adapter"}"#;
    let dropped = r#"edgeio_redis_outbox_dropped_total{component="adapter"}"#;
    assert_eq!(value(&m.encode(), waiting), Some(0.0));
    adapter.outbox(3);
    adapter.outbox_dropped();
    let text = m.encode();
    assert_eq!(value(&text, waiting), Some(3.0));
    assert_eq!(value(&text, dropped), Some(1.0));
    adapter.outbox(0);
    assert_eq!(value(&m.encode(), waiting), Some(0.0));
}
