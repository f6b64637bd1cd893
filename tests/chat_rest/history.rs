//! History pages (order, `after`/`before` cursors, `since`/`until`
//! filters, limits, bad values) and reading (`newUnreadCount`, `readBy`).

use std::time::Duration;

use edgeio::apps::chat::model::Message;
use serde_json::{json, Value};

use crate::chat_support::{assert_refused, ChatServer};

/// A one-to-one of alice and bob where alice sent `n` messages, each at a
/// later millisecond than the one before.
async fn conversation_with(s: &ChatServer, n: usize) -> (String, Vec<Message>) {
    let cid = s.one_to_one("alice", "bob").await;
    let mut sent = Vec::new();
    for i in 1..=n {
        tokio::time::sleep(Duration::from_millis(3)).await;
        sent.push(s.send("alice", &cid, &format!("message {i}")).await);
    }
    (cid, sent)
}

/// The sequences of a history page, and its cursors.
async fn page(s: &ChatServer, cid: &str, query: &str) -> (Vec<u64>, Value, Value) {
    let r = s
        .get("bob", &format!("/conversations/{cid}/messages{query}"))
        .await;
    assert_eq!(r.status, 200, "{query}: {}", r.text());
    let body = r.json();
    assert_eq!(body["conversationId"], cid);
    let seqs = body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["serverSequence"].as_u64().expect("serverSequence"))
        .collect();
    (seqs, body["nextCursor"].clone(), body["prevCursor"].clone())
}

#[tokio::test]
async fn history_is_oldest_first_and_pages_both_ways() {
    let s = ChatServer::start().await;
    let (cid, _) = conversation_with(&s, 5).await;
    let r = s
        .get("bob", &format!("/conversations/{cid}/messages"))
        .await;
    let body = r.json();
    assert_eq!(body["lastSequence"], 5);
    assert_eq!(body["messages"][0]["content"], "message 1");
    assert_eq!(body["messages"][0]["senderId"], "alice");
    assert_eq!(
        page(&s, &cid, "").await,
        (vec![1, 2, 3, 4, 5], Value::Null, Value::Null)
    );
    assert_eq!(
        page(&s, &cid, "?limit=2").await,
        (vec![1, 2], json!("2"), Value::Null)
    );
    assert_eq!(
        page(&s, &cid, "?after=2&limit=2").await,
        (vec![3, 4], json!("4"), Value::Null)
    );
    assert_eq!(
        page(&s, &cid, "?after=4&limit=2").await,
        (vec![5], Value::Null, Value::Null)
    );
    assert_eq!(page(&s, &cid, "?before=4").await.0, vec![1, 2, 3]);
    assert_eq!(
        page(&s, &cid, "?before=5&limit=2").await,
        (vec![3, 4], Value::Null, json!("3"))
    );
    assert_eq!(page(&s, &cid, "?after=1&before=5").await.0, vec![2, 3, 4]);
    assert_eq!(page(&s, &cid, "?after=5").await.0, Vec::<u64>::new());
}

#[tokio::test]
async fn since_and_until_filter_by_time_in_ms_or_rfc_3339() {
    let s = ChatServer::start().await;
    let (cid, sent) = conversation_with(&s, 5).await;
    let ms = |i: usize| sent[i].server_ts;
    let iso = |i: usize| edgeio::apps::chat::clock::iso(ms(i));
    let since = format!("?since={}", ms(2));
    assert_eq!(page(&s, &cid, &since).await.0, vec![3, 4, 5]);
    let until = format!("?until={}", iso(1));
    assert_eq!(page(&s, &cid, &until).await.0, vec![1, 2]);
    let both = format!("?since={}&until={}", iso(1), ms(3));
    assert_eq!(page(&s, &cid, &both).await.0, vec![2, 3, 4]);
    // Percent-encoded, and an offset whose `+` was not encoded.
    let encoded = format!("?since={}", iso(3).replace(':', "%3A"));
    assert_eq!(page(&s, &cid, &encoded).await.0, vec![4, 5]);
    let offset = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms(3)) * 1_000_000)
        .expect("a time")
        .to_offset(time::macros::offset!(+1))
        .format(&time::format_description::well_known::Rfc3339)
        .expect("RFC 3339");
    assert!(offset.contains("+01:00"), "{offset}");
    assert_eq!(
        page(&s, &cid, &format!("?until={offset}")).await.0,
        vec![1, 2, 3, 4]
    );
    let narrow = format!("?since={}&limit=1", ms(1));
    assert_eq!(
        page(&s, &cid, &narrow).await,
        (vec![2], json!("2"), Value::Null)
    );
}

#[tokio::test]
async fn history_limits_default_to_fifty() {
    let s = ChatServer::start().await;
    let cid = s.one_to_one("alice", "bob").await;
    for i in 0..51 {
        s.send("alice", &cid, &format!("m{i}")).await;
    }
    let (seqs, next, _) = page(&s, &cid, "").await;
    assert_eq!((seqs.len(), next), (50, json!("50")));
    assert_eq!(page(&s, &cid, "?limit=100").await.0.len(), 51);
    assert_eq!(page(&s, &cid, "?limit=1").await.0, vec![1]);
}

#[tokio::test]
async fn bad_history_parameters_are_refused_by_name() {
    let s = ChatServer::start().await;
    let (cid, _) = conversation_with(&s, 1).await;
    let cases = [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("after=x", "after"),
        ("after=-1", "after"),
        ("before=1.5", "before"),
        ("before=", "before"),
        ("since=yesterday", "since"),
        ("since=%zz", "since"),
        ("until=2026-13-01T00:00:00Z", "until"),
        ("until=", "until"),
        ("after=1&after=2", "after"),
    ];
    for (query, name) in cases {
        let r = s
            .get("bob", &format!("/conversations/{cid}/messages?{query}"))
            .await;
        let message = assert_refused(&r, 400, "invalid_payload");
        assert!(message.starts_with(name), "{query}: {message}");
    }
    // Parameters this API does not read are ignored, broken or not.
    assert_eq!(page(&s, &cid, "?_=%zz&x").await.0, vec![1]);
}

#[tokio::test]
async fn reading_updates_unread_counts_and_read_by() {
    let s = ChatServer::start().await;
    let (cid, sent) = conversation_with(&s, 3).await;
    let read_by = |body: &Value, i: usize| body["messages"][i]["readBy"].clone();
    let path = format!("/conversations/{cid}/messages");
    let before = s.get("alice", &path).await.json();
    assert_eq!(read_by(&before, 0), json!([]));

    let ids = json!({ "messageIds": [sent[1].id] });
    let r = s
        .post("bob", &format!("/conversations/{cid}/read"), &ids)
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["newUnreadCount"], 1);
    assert_eq!(r.json()["lastReadSequence"], 2);
    let after = s.get("alice", &path).await.json();
    assert_eq!(read_by(&after, 1), json!(["bob"]));
    assert_eq!(read_by(&after, 2), json!([]));

    let at = json!({ "lastReadAt": sent[2].server_ts });
    let r = s
        .post("bob", &format!("/conversations/{cid}/read"), &at)
        .await;
    assert_eq!(r.json()["newUnreadCount"], 0);
    assert_eq!(
        read_by(&s.get("alice", &path).await.json(), 2),
        json!(["bob"])
    );

    let unknown = json!({ "messageIds": ["no-such-message"] });
    let r = s
        .post("bob", &format!("/conversations/{cid}/read"), &unknown)
        .await;
    assert_refused(&r, 404, "not_found");
    let bad = json!({ "lastReadAt": "soon" });
    let r = s
        .post("bob", &format!("/conversations/{cid}/read"), &bad)
        .await;
    assert_refused(&r, 400, "invalid_payload");
    // A read in the future is refused; a clock a few seconds ahead is not.
    let now = edgeio::apps::chat::clock::now_ms();
    let tomorrow = json!({ "lastReadAt": now + 86_400_000 });
    let r = s
        .post("bob", &format!("/conversations/{cid}/read"), &tomorrow)
        .await;
    let got = assert_refused(&r, 400, "invalid_payload");
    assert!(got.contains("future"), "{got}");
    let skewed = json!({ "lastReadAt": now + 5_000 });
    let r = s
        .post("bob", &format!("/conversations/{cid}/read"), &skewed)
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn an_empty_read_body_reads_everything() {
    let s = ChatServer::start().await;
    let (cid, _) = conversation_with(&s, 2).await;
    for body in [&b""[..], b"  \r\n"] {
        s.send("alice", &cid, "more").await;
        let path = format!("/conversations/{cid}/read");
        let token = crate::chat_support::token("bob");
        let r = s.call("POST", &path, Some(&token), body).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["newUnreadCount"], 0);
    }
}
