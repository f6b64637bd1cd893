//! Creating conversations, reading one, and the chat list: its order, its
//! pages and its unread counts.

use std::time::Duration;

use serde_json::{json, Value};

use crate::chat_support::{assert_refused, conversation_id, unlimited, ChatServer};

const ONE_TO_ONE: &str = "/conversations/create/one-to-one";
const GROUP: &str = "/conversations/create/group";

#[tokio::test]
async fn the_same_pair_gets_the_same_one_to_one_from_either_side() {
    let s = ChatServer::start().await;
    let first = s
        .post("alice", ONE_TO_ONE, &json!({"participantId": "bob"}))
        .await;
    assert_eq!(first.status, 201, "{}", first.text());
    assert_eq!(first.header("content-type"), Some("application/json"));
    assert_eq!(first.header("cache-control"), Some("no-store"));
    let conv = first.json();
    assert_eq!(conv["type"], "one-to-one");
    assert_eq!(conv["participants"], json!(["alice", "bob"]));
    assert_eq!(conv["createdBy"], "alice");
    assert_eq!(conv["unreadCount"], 0);
    assert_eq!(conv["lastMessage"], Value::Null);
    let again = s
        .post("alice", ONE_TO_ONE, &json!({"participantId": "bob"}))
        .await;
    assert_eq!(
        again.status,
        200,
        "creation is idempotent, the second call creates nothing: {}",
        again.text()
    );
    assert_eq!(conversation_id(&again), conversation_id(&first));
    let other_side = s
        .post("bob", ONE_TO_ONE, &json!({"participantId": "alice"}))
        .await;
    assert_eq!(conversation_id(&other_side), conversation_id(&first));
    assert_eq!(other_side.status, 200);
    let fetched = s
        .get(
            "bob",
            &format!("/conversations/{}", conversation_id(&first)),
        )
        .await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.json()["participants"], json!(["alice", "bob"]));
}

#[tokio::test]
async fn a_one_to_one_needs_another_valid_participant() {
    let s = ChatServer::start().await;
    let cases = [
        (json!({}), "participantId is required"),
        (json!({"participantId": "alice"}), "another participant"),
        (
            json!({"participantId": 7}),
            "participantId must be a string",
        ),
        (
            json!({"participantId": "a:b"}),
            "participantId contains ':'",
        ),
        (json!(["bob"]), "must be a JSON object"),
    ];
    for (body, message) in cases {
        let r = s.post("alice", ONE_TO_ONE, &body).await;
        let got = assert_refused(&r, 400, "invalid_payload");
        assert!(got.contains(message), "{body}: {got}");
    }
}

#[tokio::test]
async fn groups_are_created_and_checked() {
    let s = ChatServer::start().await;
    let body = json!({"participantIds": ["carol", "bob", "bob", "alice"], "name": "Team"});
    let r = s.post("alice", GROUP, &body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let group = r.json();
    assert_eq!(group["type"], "group");
    assert_eq!(group["name"], "Team");
    assert_eq!(group["participants"], json!(["alice", "bob", "carol"]));
    let cid = conversation_id(&r);
    assert_eq!(
        s.get("carol", &format!("/conversations/{cid}"))
            .await
            .status,
        200
    );

    let refused = [
        (
            json!({"name": "x"}),
            400,
            "invalid_payload",
            "must name someone else",
        ),
        (
            json!({"participantIds": [], "name": "x"}),
            400,
            "invalid_payload",
            "someone else",
        ),
        (
            json!({"participantIds": ["alice"], "name": "x"}),
            400,
            "invalid_payload",
            "someone else",
        ),
        (
            json!({"participantIds": ["bob"]}),
            400,
            "invalid_payload",
            "name is required",
        ),
        (
            json!({"participantIds": ["bob"], "name": ""}),
            400,
            "invalid_payload",
            "name must not be empty",
        ),
        (
            json!({"participantIds": "bob", "name": "x"}),
            400,
            "invalid_payload",
            "list of strings",
        ),
    ];
    for (body, status, code, message) in refused {
        let got = assert_refused(&s.post("alice", GROUP, &body).await, status, code);
        assert!(got.contains(message), "{body}: {got}");
    }
    let max = s.service.config().max_group_size;
    let others: Vec<String> = (0..max).map(|i| format!("u{i}")).collect();
    let r = s
        .post(
            "alice",
            GROUP,
            &json!({"participantIds": others, "name": "big"}),
        )
        .await;
    assert_refused(&r, 413, "too_large");
    let fits: Vec<String> = (1..max).map(|i| format!("u{i}")).collect();
    let r = s
        .post(
            "alice",
            GROUP,
            &json!({"participantIds": fits, "name": "big"}),
        )
        .await;
    assert_eq!(r.status, 201, "the creator and {} others fit", max - 1);
}

#[tokio::test]
async fn the_group_cap_counts_each_participant_once() {
    let mut config = unlimited();
    config.max_group_size = 3;
    let s = ChatServer::start_with(config, None).await;
    let body = json!({"participantIds": ["bob", "bob", "carol"], "name": "x"});
    let r = s.post("alice", GROUP, &body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let body = json!({"participantIds": ["bob", "carol", "dave"], "name": "x"});
    assert_refused(&s.post("alice", GROUP, &body).await, 413, "too_large");
}

/// The ids of a chat-list page and its cursor.
fn page(r: &crate::common::HttpResponse) -> (Vec<String>, Value) {
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    let ids = body["conversations"]
        .as_array()
        .expect("conversations")
        .iter()
        .map(|c| c["conversationId"].as_str().expect("id").to_owned())
        .collect();
    (ids, body["nextCursor"].clone())
}

#[tokio::test]
async fn the_chat_list_is_latest_activity_first_in_pages() {
    let s = ChatServer::start().await;
    let mut cids = Vec::new();
    for other in ["bob", "carol", "dave", "erin", "frank"] {
        cids.push(s.one_to_one("alice", other).await);
    }
    // Activity in this order: bob's, erin's, carol's conversation, each
    // at a later millisecond than the last; the latest first.
    for i in [0, 3, 1] {
        tokio::time::sleep(Duration::from_millis(3)).await;
        s.send("alice", &cids[i], "hi").await;
    }
    // Then the quiet ones by creation: frank's, dave's (ties would go by
    // id, and UUID v7 ids of one process are in creation order).
    let expected: Vec<String> = [1, 3, 0, 4, 2].iter().map(|&i| cids[i].clone()).collect();
    let (all, next) = page(&s.get("alice", "/conversations/chat-list").await);
    assert_eq!(next, Value::Null);
    assert_eq!(all, expected);

    let mut seen = Vec::new();
    let mut path = "/conversations/chat-list?limit=2".to_owned();
    for expected_len in [2, 2, 1] {
        let (ids, next) = page(&s.get("alice", &path).await);
        assert_eq!(ids.len(), expected_len, "{path}");
        seen.extend(ids);
        if let Some(cursor) = next.as_str() {
            path = format!("/conversations/chat-list?limit=2&cursor={cursor}");
        } else {
            assert_eq!(expected_len, 1, "only the last page has no cursor");
        }
    }
    assert_eq!(seen, all);
    let (bobs, _) = page(&s.get("bob", "/conversations/chat-list").await);
    assert_eq!(bobs, vec![cids[0].clone()]);
}

#[tokio::test]
async fn the_chat_list_shows_unread_counts_and_last_messages() {
    let s = ChatServer::start().await;
    let cid = s.one_to_one("alice", "bob").await;
    for text in ["one", "two", "three"] {
        s.send("bob", &cid, text).await;
    }
    let alice = s.get("alice", "/conversations/chat-list").await.json();
    let conv = &alice["conversations"][0];
    assert_eq!(conv["conversationId"], cid);
    assert_eq!(conv["unreadCount"], 3);
    assert_eq!(conv["lastMessage"]["content"], "three");
    assert_eq!(conv["lastSequence"], 3);
    let bob = s.get("bob", "/conversations/chat-list").await.json();
    assert_eq!(bob["conversations"][0]["unreadCount"], 0);
    let read = s
        .post("alice", &format!("/conversations/{cid}/read"), &json!({}))
        .await;
    assert_eq!(read.json()["newUnreadCount"], 0);
    let alice = s.get("alice", "/conversations/chat-list").await.json();
    assert_eq!(alice["conversations"][0]["unreadCount"], 0);
}

#[tokio::test]
async fn chat_list_limits_default_to_twenty_and_take_one_to_a_hundred() {
    let s = ChatServer::start().await;
    for i in 0..21 {
        s.one_to_one("alice", &format!("u{i}")).await;
    }
    let (ids, next) = page(&s.get("alice", "/conversations/chat-list").await);
    assert_eq!(ids.len(), 20);
    assert!(next.is_string());
    let (ids, _) = page(&s.get("alice", "/conversations/chat-list?limit=1").await);
    assert_eq!(ids.len(), 1);
    let (ids, next) = page(&s.get("alice", "/conversations/chat-list?limit=100").await);
    assert_eq!((ids.len(), next), (21, Value::Null));
    for bad in ["0", "101", "-1", "x", ""] {
        let r = s
            .get("alice", &format!("/conversations/chat-list?limit={bad}"))
            .await;
        let message = assert_refused(&r, 400, "invalid_payload");
        assert!(message.contains("limit"), "{bad}: {message}");
    }
    let r = s
        .get("alice", "/conversations/chat-list?cursor=nonsense")
        .await;
    assert!(assert_refused(&r, 400, "invalid_payload").contains("cursor"));
}
