//! Blocks and mutes over REST, and what they do to sends and lists.

use serde_json::{json, Value};

use crate::chat_support::{assert_refused, token, ChatServer};

#[tokio::test]
async fn a_block_stops_the_blocked_user_until_it_is_lifted() {
    let s = ChatServer::start().await;
    let cid = s.one_to_one("alice", "bob").await;
    s.send("bob", &cid, "before").await;
    // No body: a one-to-one's other side.
    let path = format!("/conversations/{cid}/block");
    let r = s.call("POST", &path, Some(&token("alice")), b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let block = r.json();
    assert_eq!(block["success"], true);
    assert_eq!(block["blockerId"], "alice");
    assert_eq!(block["blockedUserId"], "bob");
    assert_eq!(block["conversationId"], cid);
    let refused = s.try_send("bob", &cid, "after").await.expect_err("blocked");
    assert_eq!(refused.code(), "blocked");

    let blocks = s.get("alice", "/users/me/blocks").await;
    assert_eq!(blocks.status, 200);
    let listed = &blocks.json()["blocks"];
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["blockedUserId"], "bob");
    assert_eq!(listed[0]["conversationId"], cid);
    assert_eq!(
        s.get("bob", "/users/me/blocks").await.json(),
        json!({"blocks": []})
    );

    let unblock = format!("/conversations/{cid}/unblock");
    let r = s
        .post("alice", &unblock, &json!({"blockedUserId": "bob"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["changed"], true);
    assert_eq!(r.json()["blockedUserId"], "bob");
    s.send("bob", &cid, "after the unblock").await;
    assert_eq!(
        s.get("alice", "/users/me/blocks").await.json(),
        json!({"blocks": []})
    );
    let again = s.post("alice", &unblock, &json!({})).await;
    assert_eq!(again.json()["changed"], false);
}

#[tokio::test]
async fn a_group_block_names_whom_it_blocks() {
    let s = ChatServer::start().await;
    let cid = s.group("alice", &["bob", "carol"], "Team").await;
    let path = format!("/conversations/{cid}/block");
    let r = s.post("alice", &path, &json!({})).await;
    assert!(assert_refused(&r, 400, "invalid_payload").contains("blockedUserId"));
    let r = s
        .post("alice", &path, &json!({"blockedUserId": "dave"}))
        .await;
    assert_refused(&r, 400, "invalid_payload");
    let r = s
        .post("alice", &path, &json!({"blockedUserId": "carol"}))
        .await;
    assert_eq!(r.json()["blockedUserId"], "carol");
    assert_eq!(
        s.try_send("carol", &cid, "x")
            .await
            .expect_err("blocked")
            .code(),
        "blocked"
    );
    s.send("bob", &cid, "bob still writes").await;
    let r = s
        .call("POST", &path, Some(&token("alice")), b"{\"blockedUserId\":")
        .await;
    assert!(assert_refused(&r, 400, "invalid_payload").contains("not JSON"));
}

#[tokio::test]
async fn mutes_are_set_listed_and_lifted() {
    let s = ChatServer::start().await;
    let cid = s.one_to_one("alice", "bob").await;
    let other = s.one_to_one("alice", "carol").await;
    // A body is not read: whatever it is.
    let mute = format!("/conversations/{cid}/mute");
    let r = s
        .call("POST", &mute, Some(&token("alice")), b"not json")
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["muted"], true);
    assert!(r.json()["mutedAt"].is_string());
    let conv = s
        .get("alice", &format!("/conversations/{cid}"))
        .await
        .json();
    assert_eq!(conv["muted"], true);
    let bobs = s.get("bob", &format!("/conversations/{cid}")).await.json();
    assert_eq!(bobs["muted"], false);

    let mutes = s.get("alice", "/users/me/mutes").await;
    assert_eq!(mutes.status, 200);
    let listed = mutes.json()["mutes"].clone();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["conversationId"], cid);
    assert_ne!(listed[0]["conversationId"], other);
    assert_eq!(
        s.get("bob", "/users/me/mutes").await.json(),
        json!({"mutes": []})
    );

    let r = s
        .post("alice", &format!("/conversations/{cid}/unmute"), &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["muted"], false);
    assert_eq!(r.json()["mutedAt"], Value::Null);
    assert_eq!(
        s.get("alice", "/users/me/mutes").await.json(),
        json!({"mutes": []})
    );
    let conv = s
        .get("alice", &format!("/conversations/{cid}"))
        .await
        .json();
    assert_eq!(conv["muted"], false);
}
