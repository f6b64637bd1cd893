//! HTTP itself: unknown paths, wrong methods, bodies that are not JSON or
//! too large, percent-encoded paths, rate limits, and CORS.

use edgeio::apps::chat::payload::MAX_ID_LEN;
use edgeio::engine::CorsConfig;
use serde_json::json;

use crate::chat_support::{assert_refused, token, unlimited, ChatServer};
use crate::common::{request, HttpResponse};

#[tokio::test]
async fn unknown_paths_are_not_found_before_any_token_check() {
    let s = ChatServer::start().await;
    // `/` is the demo page (tests/chat_page.rs); `/dev/token` exists only
    // with a generated key, and these servers have a configured secret.
    for path in [
        "/dev/token",
        "/dev/token?user=alice",
        "/nope",
        "/conversations",
        "/conversations/",
        "/conversations/chat-list/",
        "/conversations/x/delete",
        "/conversations/x/messages/1",
        "/conversations//messages",
        "/users/bob/blocks",
        "/users/me",
        "/users/me/friends",
    ] {
        for bearer in [None, Some(token("alice"))] {
            let r = s.call("GET", path, bearer.as_deref(), b"").await;
            let message = assert_refused(&r, 404, "not_found");
            assert_eq!(message, "no such path", "{path}");
        }
    }
    let r = s.get("alice", "/conversations/%zz").await;
    assert!(assert_refused(&r, 400, "invalid_payload").contains("path"));
}

#[tokio::test]
async fn a_known_path_with_another_method_is_405_with_allow() {
    let s = ChatServer::start().await;
    let cases = [
        ("POST", "/conversations/chat-list", "GET, OPTIONS"),
        ("POST", "/conversations/some-id", "GET, OPTIONS"),
        ("PUT", "/conversations/some-id/messages", "GET, OPTIONS"),
        ("DELETE", "/users/me/blocks", "GET, OPTIONS"),
        ("POST", "/users/me/mutes", "GET, OPTIONS"),
        ("GET", "/conversations/create/one-to-one", "POST, OPTIONS"),
        ("GET", "/conversations/create/group", "POST, OPTIONS"),
        ("GET", "/conversations/some-id/block", "POST, OPTIONS"),
        ("GET", "/conversations/some-id/unblock", "POST, OPTIONS"),
        ("GET", "/conversations/some-id/mute", "POST, OPTIONS"),
        ("GET", "/conversations/some-id/unmute", "POST, OPTIONS"),
        ("PATCH", "/conversations/some-id/read", "POST, OPTIONS"),
    ];
    for (method, path, allow) in cases {
        let r = s.call(method, path, None, b"").await;
        let message = assert_refused(&r, 405, "method_not_allowed");
        assert!(message.starts_with(method), "{message}");
        assert_eq!(r.header("allow"), Some(allow), "{method} {path}");
    }
}

#[tokio::test]
async fn bodies_must_be_json_when_read() {
    let s = ChatServer::start().await;
    let alice = token("alice");
    for body in [&b"{nope"[..], b"participantId=bob", b"\xff"] {
        let r = s
            .call(
                "POST",
                "/conversations/create/one-to-one",
                Some(&alice),
                body,
            )
            .await;
        let message = assert_refused(&r, 400, "invalid_payload");
        assert!(message.starts_with("the body is not JSON"), "{message}");
    }
    // An empty body is `{}`: here, a missing field.
    let r = s
        .call("POST", "/conversations/create/group", Some(&alice), b"")
        .await;
    assert!(assert_refused(&r, 400, "invalid_payload").contains("someone else"));
    // The Content-Type is not checked.
    let body = br#"{"participantId":"bob"}"#;
    let headers = [
        ("Authorization", format!("Bearer {alice}")),
        ("Content-Type", "text/plain".into()),
    ];
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = request(
        s.addr,
        "POST",
        "/conversations/create/one-to-one",
        &headers,
        body,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
}

#[tokio::test]
async fn the_body_cap_fits_the_longest_lists_and_no_more() {
    let s = ChatServer::start().await;
    let config = s.service.config();
    let ids = config.max_group_size.max(config.max_read_ids);
    assert_eq!(s.max_body, 64 * 1024 + ids * (MAX_ID_LEN + 4));
    let cid = s.one_to_one("alice", "bob").await;
    let path = format!("/conversations/{cid}/read");
    // The longest read: every id as long as may be.
    let message_ids: Vec<String> = (0..config.max_read_ids)
        .map(|i| format!("{i:0>width$}", width = MAX_ID_LEN))
        .collect();
    let at = edgeio::apps::chat::clock::iso(edgeio::apps::chat::clock::now_ms());
    let body = json!({ "messageIds": message_ids, "lastReadAt": at });
    let body = serde_json::to_string_pretty(&body).expect("JSON");
    assert!(body.len() > 64 * 1024, "{}", body.len());
    let r = s
        .call("POST", &path, Some(&token("bob")), body.as_bytes())
        .await;
    assert_refused(&r, 404, "not_found"); // read, and its ids looked up
    let over = vec![b' '; s.max_body + 1];
    let r = s.call("POST", &path, Some(&token("bob")), &over).await;
    assert_refused(&r, 413, "too_large");
}

#[tokio::test]
async fn path_segments_are_percent_decoded() {
    let s = ChatServer::start().await;
    let cid = s.one_to_one("alice", "bob").await;
    let encoded = cid.replace('-', "%2D");
    let r = s.get("alice", &format!("/conversations/{encoded}")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["conversationId"], cid);
    let r = s.get("alice", "/conversations/%63hat%2Dlist").await;
    assert!(r.json()["conversations"].is_array(), "{}", r.text());
    let r = s.get("alice", "/conversations/a%3Ab").await;
    assert_refused(&r, 400, "invalid_payload");
}

#[tokio::test]
async fn a_rate_limit_is_429_with_retry_after() {
    let mut config = unlimited();
    config
        .rate_limits
        .set("conversation:create=1")
        .expect("limit");
    config.rate_limits.set("message:read=1").expect("limit");
    let s = ChatServer::start_with(config, None).await;
    let cid = s.one_to_one("alice", "bob").await;
    let r = s
        .post(
            "alice",
            "/conversations/create/one-to-one",
            &json!({"participantId": "carol"}),
        )
        .await;
    assert_refused(&r, 429, "rate_limit_exceeded");
    let retry: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(r.json()["error"]["retryAfter"], retry);
    let read = format!("/conversations/{cid}/read");
    assert_eq!(s.post("alice", &read, &json!({})).await.status, 200);
    assert_refused(
        &s.post("alice", &read, &json!({})).await,
        429,
        "rate_limit_exceeded",
    );
}

const APP: &str = "https://app.example";

async fn preflight(s: &ChatServer, path: &str, origin: &str) -> HttpResponse {
    let headers = [
        ("Origin", origin),
        ("Access-Control-Request-Method", "POST"),
        (
            "Access-Control-Request-Headers",
            "authorization, content-type",
        ),
    ];
    request(s.addr, "OPTIONS", path, &headers, b"").await
}

async fn from_origin(s: &ChatServer, path: &str, origin: &str, bearer: &str) -> HttpResponse {
    let auth = format!("Bearer {bearer}");
    let headers = [("Origin", origin), ("Authorization", auth.as_str())];
    request(s.addr, "GET", path, &headers, b"").await
}

#[tokio::test]
async fn cors_answers_allowed_origins_only() {
    let cors = CorsConfig::from_origins(&[APP.to_owned()], false);
    let s = ChatServer::start_with(unlimited(), Some(cors)).await;
    let r = preflight(&s, "/conversations/create/group", APP).await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    assert_eq!(
        r.header("access-control-allow-methods"),
        Some("GET, POST, OPTIONS")
    );
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("authorization, content-type")
    );
    assert_eq!(r.header("access-control-max-age"), Some("600"));
    assert_eq!(r.header("allow"), Some("POST, OPTIONS"));
    assert_eq!(r.header("cache-control"), Some("no-store"));

    let r = from_origin(&s, "/users/me/mutes", APP, &token("alice")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    assert_eq!(
        r.header("access-control-allow-methods"),
        None,
        "not a preflight"
    );
    assert_eq!(
        r.header("access-control-expose-headers"),
        Some("Retry-After, WWW-Authenticate")
    );
    // Refusals are readable by the page too.
    let r = from_origin(&s, "/users/me/mutes", APP, "nonsense").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    // A preflight of an unknown path is a 404, not a preflight answer.
    let r = preflight(&s, "/nope", APP).await;
    assert_refused(&r, 404, "not_found");
    assert_eq!(r.header("access-control-allow-methods"), None);
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));

    for r in [
        preflight(&s, "/conversations/chat-list", "https://evil.example").await,
        from_origin(
            &s,
            "/users/me/mutes",
            "https://evil.example",
            &token("alice"),
        )
        .await,
    ] {
        assert_eq!(r.header("access-control-allow-origin"), None);
        assert_eq!(r.header("access-control-allow-methods"), None);
        assert_eq!(r.header("access-control-expose-headers"), None);
    }
}

#[tokio::test]
async fn without_cors_no_origin_is_answered() {
    let s = ChatServer::start().await;
    let r = preflight(&s, "/conversations/chat-list", APP).await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("allow"), Some("GET, OPTIONS"));
    assert_eq!(r.header("access-control-allow-origin"), None);
    let r = from_origin(&s, "/users/me/blocks", APP, &token("alice")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), None);
    assert_eq!(r.header("access-control-expose-headers"), None);
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
}
