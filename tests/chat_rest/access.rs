//! Who may call what: every route wants a valid, unexpired bearer token
//! (401 otherwise), and every conversation route refuses a non-participant
//! the same way whether the conversation exists or not (403).

use serde_json::json;

use crate::chat_support::{assert_refused, expired_token, signed, token, ChatServer};
use crate::common::request;

/// Every route: method, path (`{cid}` replaced), body.
const ROUTES: [(&str, &str, &str); 12] = [
    (
        "POST",
        "/conversations/create/one-to-one",
        r#"{"participantId":"bob"}"#,
    ),
    (
        "POST",
        "/conversations/create/group",
        r#"{"participantIds":["bob"],"name":"g"}"#,
    ),
    ("GET", "/conversations/chat-list", ""),
    ("GET", "/conversations/{cid}", ""),
    ("GET", "/conversations/{cid}/messages", ""),
    ("POST", "/conversations/{cid}/block", "{}"),
    ("POST", "/conversations/{cid}/unblock", "{}"),
    ("POST", "/conversations/{cid}/mute", ""),
    ("POST", "/conversations/{cid}/unmute", ""),
    ("POST", "/conversations/{cid}/read", "{}"),
    ("GET", "/users/me/blocks", ""),
    ("GET", "/users/me/mutes", ""),
];

#[tokio::test]
async fn every_route_needs_a_valid_unexpired_bearer_token() {
    let s = ChatServer::start().await;
    let cid = s.one_to_one("alice", "bob").await;
    let expired = format!("Bearer {}", expired_token());
    let exp = edgeio::apps::chat::clock::now_ms() / 1000 + 3600;
    let bad_user = format!("Bearer {}", signed(&json!({ "sub": "a:b", "exp": exp })));
    let basic = format!("Basic {}", token("alice"));
    let refusals: [(Option<&str>, &str); 6] = [
        (None, "Authorization: Bearer"),
        (Some("Bearer nonsense"), "malformed"),
        (Some(&expired), "expired"),
        (Some(&basic), "Authorization: Bearer"),
        (Some("Bearer "), "Authorization: Bearer"),
        (Some(&bad_user), "contains ':'"),
    ];
    for (method, path, body) in ROUTES {
        let path = path.replace("{cid}", &cid);
        for (auth, message) in refusals {
            let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", *a)).collect();
            let r = request(s.addr, method, &path, &headers, body.as_bytes()).await;
            let got = assert_refused(&r, 401, "unauthorized");
            assert!(got.contains(message), "{method} {path} {auth:?}: {got}");
            assert_eq!(
                r.header("www-authenticate"),
                Some("Bearer"),
                "{method} {path}"
            );
        }
        // The scheme in any case, and the caller is the token's user.
        let lower = format!("bearer  {}", token("alice"));
        let r = request(
            s.addr,
            method,
            &path,
            &[("Authorization", &lower)],
            body.as_bytes(),
        )
        .await;
        assert!(r.status < 300, "{method} {path}: {} {}", r.status, r.text());
        assert_eq!(r.header("www-authenticate"), None);
    }
}

#[tokio::test]
async fn every_conversation_route_refuses_outsiders_alike() {
    let s = ChatServer::start().await;
    let cid = s.one_to_one("alice", "bob").await;
    s.send("alice", &cid, "private").await;
    let missing = "0190a5c4-0000-7000-8000-000000000000";
    for (method, path, body) in ROUTES.iter().filter(|(_, p, _)| p.contains("{cid}")) {
        let mut answers = Vec::new();
        for id in [cid.as_str(), missing] {
            let path = path.replace("{cid}", id);
            let auth = format!("Bearer {}", token("carol"));
            let r = request(
                s.addr,
                method,
                &path,
                &[("Authorization", &auth)],
                body.as_bytes(),
            )
            .await;
            assert_refused(&r, 403, "not_participant");
            answers.push(r.json());
        }
        assert_eq!(
            answers[0], answers[1],
            "{method} {path}: an outsider learns nothing"
        );
        assert_eq!(
            answers[0],
            json!({"error": {"code": "not_participant", "message": "not a participant of this conversation"}})
        );
    }
    // Nothing changed for the participants.
    let conv = s
        .get("alice", &format!("/conversations/{cid}"))
        .await
        .json();
    assert_eq!(
        (conv["muted"].clone(), conv["lastSequence"].clone()),
        (json!(false), json!(1))
    );
    assert_eq!(
        s.get("carol", "/users/me/blocks").await.json(),
        json!({"blocks": []})
    );
}

#[tokio::test]
async fn the_user_is_the_tokens_never_the_bodys() {
    let s = ChatServer::start().await;
    let body = json!({"participantId": "carol", "userId": "bob", "senderId": "bob"});
    let r = s
        .post("alice", "/conversations/create/one-to-one", &body)
        .await;
    assert_eq!(r.json()["participants"], json!(["alice", "carol"]));
    assert_eq!(r.json()["createdBy"], "alice");
    let bobs = s.get("bob", "/conversations/chat-list").await.json();
    assert_eq!(bobs["conversations"], json!([]));
}
