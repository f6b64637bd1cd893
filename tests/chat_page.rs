//! The chat demo page the binary serves with `--app chat`, over real sockets:
//! `/`, `/chat.js` and `/chat.css` with their types and headers; the
//! development `GET /dev/token?user=NAME`, which exists only when the server
//! generated its own key and whose token the chat namespace and the REST API
//! accept; and, in headless Chromium (`tests/interop/chat_page.mjs`), two
//! users chatting in two pages, with a screenshot of each kept in
//! `target/test-artifacts/chat_page/`, then the reconnect banner while the
//! server is down and the chat going on once it is back.
//!
//! The browser test needs Node.js, `npm ci --prefix tests/interop` and
//! Debian's `chromium` (`CHROMIUM` names another); without chromium it is
//! skipped with a message, except under `CI=true`, where it fails.

mod browser_support;
mod chat_support;
mod common;
mod node_support;
mod sio_client;

use std::time::Duration;

use browser_support::{artifacts_dir, browser_available};
use chat_support::binary::{ChatBinary, UNLIMITED};
use common::{request, HttpResponse};
use node_support::script::Script;

/// `GET path` on the server, no credentials.
async fn get(server: &ChatBinary, path: &str) -> HttpResponse {
    request(server.addr, "GET", path, &[], b"").await
}

#[tokio::test]
async fn the_page_and_its_files_are_served_with_their_types() {
    let server = ChatBinary::start("page-files", &[]);
    for (path, content_type, holds) in [
        (
            "/",
            "text/html; charset=utf-8",
            r#"<script src="https://cdn.socket.io/4.8.1/socket.io.min.js"></script>"#,
        ),
        ("/chat.js", "text/javascript; charset=utf-8", "message:send"),
        ("/chat.css", "text/css; charset=utf-8", ".messages"),
    ] {
        let res = get(&server, path).await;
        assert_eq!(res.status, 200, "{path}: {}", res.text());
        assert_eq!(res.header("content-type"), Some(content_type), "{path}");
        assert_eq!(res.header("cache-control"), Some("no-cache"), "{path}");
        assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
        let csp = res.header("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("script-src 'self' https://cdn.socket.io")
                && csp.contains("connect-src 'self'"),
            "{path}: {csp}"
        );
        assert!(res.text().contains(holds), "{path} holds {holds:?}");
    }
    let post = request(server.addr, "POST", "/", &[], b"").await;
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
    assert_eq!(get(&server, "/chat.jsx").await.status, 404, "nothing else");
}

#[tokio::test]
async fn a_dev_token_signs_in_to_the_chat_when_the_key_was_generated() {
    let server = ChatBinary::start("page-dev-token", &[]);
    let res = get(&server, "/dev/token?user=alice").await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let body = res.json();
    assert_eq!(
        (body["userId"].as_str(), body["expiresIn"].as_u64()),
        (Some("alice"), Some(3600))
    );
    let token = body["token"].as_str().expect("a token").to_owned();

    // The chat namespace admits it, as alice.
    let auth = serde_json::json!({ "token": token }).to_string();
    let (mut ws, answer) = sio_client::join(server.addr, "", &auth).await;
    assert!(answer.starts_with("40{\"sid\""), "admitted: {answer}");
    let welcome = sio_client::next_text(&mut ws).await;
    assert!(
        welcome.starts_with(r#"42["connected",{"#) && welcome.contains(r#""userId":"alice""#),
        "{welcome}"
    );
    // And so does the REST API.
    let bearer = format!("Bearer {token}");
    let list = request(
        server.addr,
        "GET",
        "/conversations/chat-list",
        &[("Authorization", &bearer)],
        b"",
    )
    .await;
    assert_eq!(list.status, 200, "{}", list.text());

    for bad in ["/dev/token", "/dev/token?user=", "/dev/token?user=a%3Ab"] {
        let res = get(&server, bad).await;
        assert_eq!(res.status, 400, "{bad}: {}", res.text());
        assert_eq!(res.json()["error"]["code"], "invalid_payload", "{bad}");
    }
    let post = request(server.addr, "POST", "/dev/token?user=alice", &[], b"").await;
    assert_eq!(post.status, 405, "{}", post.text());
}

#[tokio::test]
async fn there_is_no_dev_token_with_a_configured_secret() {
    let server = ChatBinary::start(
        "page-no-dev-token",
        &["--jwt-secret", "a configured secret"],
    );
    let res = get(&server, "/dev/token?user=alice").await;
    assert_eq!(res.status, 404, "{}", res.text());
    assert_eq!(res.json()["error"]["code"], "not_found");
    assert!(!res.text().contains("eyJ"), "no token in {}", res.text());
    assert_eq!(
        get(&server, "/").await.status,
        200,
        "the page is still there"
    );
}

#[test]
fn two_users_chat_in_two_browser_pages() {
    if !browser_available("chat_page") {
        return;
    }
    let mut server = ChatBinary::start("page-browser", &[UNLIMITED]);
    let artifacts = artifacts_dir("chat_page");
    let dir = artifacts.to_str().expect("a UTF-8 path");
    let mut script = Script::start("chat_page.mjs", "chat_page", &[dir, &server.url()]);
    let step = Duration::from_secs(150);
    script.expect(r#"{"chatted":true"#, step);
    server.kill();
    script.send("killed");
    script.expect(r#"{"banner":true"#, step);
    server
        .restart("the banner showed")
        .unwrap_or_else(|e| panic!("{e}; {}", server.log_text()));
    script.send("restarted");
    let done = script.expect(r#"{"done":true"#, step);
    assert!(
        script.wait(Duration::from_secs(30)).success(),
        "{done}; {}",
        script.report()
    );
    for who in ["alice", "bob"] {
        let png = artifacts.join(format!("{who}.png"));
        let bytes = std::fs::read(&png).unwrap_or_default();
        assert!(
            bytes.starts_with(b"\x89PNG"),
            "{} is a screenshot; server log:\n{}",
            png.display(),
            server.log_text()
        );
    }
}
