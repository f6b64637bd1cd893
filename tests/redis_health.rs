//! The binary reports Redis health: with `--events redis-pubsub` or
//! `--events redis-streams` (component `events`), or `--adapter redis` or
//! `--adapter redis-streams` (component `adapter`), and `--metrics`, `/ready`
//! answers 200 and `edgeio_redis_up{component="..."}` is 1 while Redis is
//! there; once the test's `redis-server` is killed, `/ready` answers 503
//! `redis unavailable: <component>` and the gauge is 0 with the loss counted in
//! `edgeio_redis_errors_total`; once it is restarted on the same port, 200
//! and 1 again, with one more `edgeio_redis_reconnects_total`. The process
//! answers `/health` throughout. A message the adapter cannot decode is
//! counted in `edgeio_redis_messages_refused_total`. Once Redis requires a
//! password the node lacks and drops its pub/sub connections, the component
//! is down (its subscriber cannot get back in) until the password goes.
//! Every wait is bounded and polls: no timing is asserted.

mod chat_support;
mod common;
mod metrics_support;
mod redis_support;

use std::net::SocketAddr;
use std::time::Duration;

use chat_support::binary::ChatBinary;
use common::request;
use metrics_support::scrape;
use redis_support::Redis;

const UP: &str = r#"edgeio_redis_up{component="events"}"#;

/// The series `metric` of `component`.
fn series(metric: &str, component: &str) -> String {
    format!(r#"{metric}{{component="{component}"}}"#)
}

/// Polls `/ready` until it answers `status` (at most 60 s: the store's
/// reconnection backoff tops out at 5 s) and returns the body.
async fn ready_becomes(server: &ChatBinary, status: u16) -> String {
    let addr: SocketAddr = server.addr;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let r = request(addr, "GET", "/ready", &[], b"").await;
        if r.status == status {
            return r.text();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "/ready stayed {} {:?} (waited for {status}); log:\n{}",
            r.status,
            r.text(),
            server.log_text()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// With `flag value` on a Redis of the test's own, `/ready` and the
/// metrics of `component` follow Redis going and coming back.
async fn ready_follows_redis(flag: &str, value: &str, component: &str) {
    let (up, errors, reconnects) = (
        series("edgeio_redis_up", component),
        series("edgeio_redis_errors_total", component),
        series("edgeio_redis_reconnects_total", component),
    );
    let mut redis = Redis::start();
    let url = redis.url();
    let server = node(&format!("redis-health-{value}"), flag, value, &url);
    assert_eq!(ready_becomes(&server, 200).await, "ready\n");
    let s = scrape(server.addr).await;
    assert_eq!(s.get(&up), 1.0, "{s:?}");
    assert_eq!(s.get(&reconnects), 0.0);

    redis.kill();
    let body = ready_becomes(&server, 503).await;
    assert_eq!(body, format!("redis unavailable: {component}\n"));
    let s = scrape(server.addr).await;
    assert!(s.has(&up), "{s:?}");
    assert_eq!(s.get(&up), 0.0);
    assert!(s.get(&errors) >= 1.0, "the loss is counted: {s:?}");
    let r = request(server.addr, "GET", "/health", &[], b"").await;
    assert_eq!(r.status, 200, "the process is up and answers");

    redis.restart();
    assert_eq!(ready_becomes(&server, 200).await, "ready\n");
    let s = scrape(server.addr).await;
    assert_eq!(s.get(&up), 1.0, "{s:?}");
    assert!(s.get(&reconnects) >= 1.0, "{s:?}");
}

/// A loadtest node with metrics on, `flag value` choosing its Redis-backed
/// component, on Redis `url`.
fn node(name: &str, flag: &str, value: &str, url: &str) -> ChatBinary {
    ChatBinary::start(
        name,
        &[
            "--app",
            "loadtest",
            "--store",
            "memory",
            "--metrics",
            flag,
            value,
            "--redis-url",
            url,
        ],
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn ready_and_metrics_follow_redis_with_pubsub() {
    ready_follows_redis("--events", "redis-pubsub", "events").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ready_and_metrics_follow_redis_with_streams() {
    ready_follows_redis("--events", "redis-streams", "events").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ready_and_metrics_follow_redis_with_the_redis_adapter() {
    ready_follows_redis("--adapter", "redis", "adapter").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ready_and_metrics_follow_redis_with_the_streams_adapter() {
    ready_follows_redis("--adapter", "redis-streams", "adapter").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_redis_there_is_no_redis_metric_and_ready_is_200() {
    let server = ChatBinary::start(
        "redis-health-local",
        &["--app", "loadtest", "--store", "memory", "--metrics"],
    );
    assert_eq!(ready_becomes(&server, 200).await, "ready\n");
    let s = scrape(server.addr).await;
    assert!(!s.has(UP), "{s:?}");
}

/// With `--adapter value`, a message on the adapter's Redis that it cannot
/// decode, sent by `junk`, is refused and counted in
/// `edgeio_redis_messages_refused_total{component="adapter",reason="malformed"}`;
/// the node stays ready.
async fn refused_messages_are_counted(value: &str, junk: redis::Cmd) {
    let redis = Redis::start();
    let url = redis.url();
    let server = node(&format!("redis-refused-{value}"), "--adapter", value, &url);
    assert_eq!(ready_becomes(&server, 200).await, "ready\n");
    let refused = r#"edgeio_redis_messages_refused_total{component="adapter",reason="malformed"}"#;
    assert_eq!(scrape(server.addr).await.get(refused), 0.0);
    let client = redis::Client::open(url.as_str()).expect("redis url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect to redis");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    // Sent again on every turn: the first may come before the node listens.
    loop {
        let _: redis::Value = junk.query_async(&mut conn).await.expect("sent");
        let s = scrape(server.addr).await;
        if s.get(refused) >= 1.0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never counted: {s:?}; log:\n{}",
            server.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(ready_becomes(&server, 200).await, "ready\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_redis_adapter_counts_the_messages_it_refuses() {
    // Not MessagePack: 0xc1 is a byte the format never uses.
    let mut junk = redis::cmd("PUBLISH");
    junk.arg("socket.io-request#/#").arg(&[0xc1u8, 0x00][..]);
    refused_messages_are_counted("redis", junk).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_streams_adapter_counts_the_entries_it_refuses() {
    // An entry without the fields of a cluster message.
    let mut junk = redis::cmd("XADD");
    junk.arg("socket.io").arg("*").arg("junk").arg("1");
    refused_messages_are_counted("redis-streams", junk).await;
}

/// With `flag value`, once Redis requires a password the node's URL lacks
/// and drops its pub/sub connections, the node's subscriber cannot get back
/// in: `component` is reported down (`/ready` 503, the gauge 0, each failed
/// attempt counted) rather than up and deaf; once the password goes, it
/// is up again.
async fn a_subscriber_refused_by_redis_is_down(flag: &str, value: &str, component: &str) {
    let (up, errors) = (
        series("edgeio_redis_up", component),
        series("edgeio_redis_errors_total", component),
    );
    let redis = Redis::start();
    let url = redis.url();
    let server = node(&format!("redis-password-{value}"), flag, value, &url);
    assert_eq!(ready_becomes(&server, 200).await, "ready\n");
    let before = scrape(server.addr).await.get(&errors);
    // This connection stays in: it was made before the password.
    let client = redis::Client::open(url.as_str()).expect("redis url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect to redis");
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg("s3cret")
        .query_async(&mut conn)
        .await
        .expect("password set");
    let _: u64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("pubsub")
        .query_async(&mut conn)
        .await
        .expect("pub/sub connections killed");

    // The loss, then at least one refused attempt to subscribe again.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let s = scrape(server.addr).await;
        if s.get(&errors) >= before + 2.0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no refused attempt counted: {s:?}; log:\n{}",
            server.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let body = ready_becomes(&server, 503).await;
    assert_eq!(body, format!("redis unavailable: {component}\n"));
    assert_eq!(scrape(server.addr).await.get(&up), 0.0);
    assert!(
        server.log_text().contains("NOAUTH"),
        "the reason is logged:\n{}",
        server.log_text()
    );

    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg("")
        .query_async(&mut conn)
        .await
        .expect("password removed");
    assert_eq!(ready_becomes(&server, 200).await, "ready\n");
    assert_eq!(scrape(server.addr).await.get(&up), 1.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pubsub_event_store_refused_by_redis_is_down() {
    a_subscriber_refused_by_redis_is_down("--events", "redis-pubsub", "events").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redis_adapter_refused_by_redis_is_down() {
    a_subscriber_refused_by_redis_is_down("--adapter", "redis", "adapter").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_streams_adapter_whose_subscriber_is_refused_by_redis_is_down() {
    a_subscriber_refused_by_redis_is_down("--adapter", "redis-streams", "adapter").await;
}

/// An answer on a Streams node's private channel that matches no request
/// it waits on (a late one) is ignored and counted: `unknown_answers()`,
/// which the metrics export as `reason="unknown_answer"`.
#[tokio::test(flavor = "multi_thread")]
async fn the_streams_adapter_counts_answers_to_no_request() {
    use edgeio::server::adapter::streams::wire::pubsub::{encode, private_channel};
    use edgeio::server::adapter::streams::wire::{ClusterMessage, MessageType};
    use edgeio::server::adapter::streams::{StreamsAdapterConfig, StreamsNode};
    use edgeio::server::{Io, IoConfig};

    let redis = Redis::start();
    let url = redis.url();
    let node = StreamsNode::start(StreamsAdapterConfig {
        url: url.clone(),
        ..StreamsAdapterConfig::default()
    })
    .expect("a valid url");
    node.ready(Duration::from_secs(30))
        .await
        .expect("reads the stream");
    let _io = Io::new(IoConfig {
        adapter: node.factory(),
        ..IoConfig::default()
    });
    let late = encode(&ClusterMessage {
        uid: "another-node".into(),
        nsp: "/".into(),
        kind: MessageType::ServerSideEmitResponse,
        data: Some(rmpv::Value::Map(vec![
            (
                rmpv::Value::from("requestId"),
                rmpv::Value::from("long-gone"),
            ),
            (rmpv::Value::from("packet"), rmpv::Value::from(1)),
        ])),
    });
    let client = redis::Client::open(url.as_str()).expect("redis url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect to redis");
    let channel = private_channel("socket.io", "/", node.uid());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    // Sent again on every turn: the first may come before the node listens.
    while node.unknown_answers() == 0 {
        let _: u64 = redis::cmd("PUBLISH")
            .arg(&channel)
            .arg(&late[..])
            .query_async(&mut conn)
            .await
            .expect("published");
        assert!(
            tokio::time::Instant::now() < deadline,
            "the late answer was never counted"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(node.health().status().refused, 0, "not a malformed one");
}
