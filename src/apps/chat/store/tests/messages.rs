//! Numbering, idempotency, unread counts, history pages and the repair of
//! a head a crash left behind.

use std::sync::Arc;

use edgeio_storage::{LocalEventStore, MemoryStoreFactory, StoreFactory};

use super::super::conversations::messages_key;
use super::super::*;
use super::{message, pair, store};
use crate::apps::chat::model::MessageRef;

#[tokio::test]
async fn the_same_pair_gets_the_same_conversation_either_way_round() {
    let store = store();
    let (a, created) = store.one_to_one("alice", "bob").await.expect("create");
    assert!(created);
    let (b, again) = store.one_to_one("bob", "alice").await.expect("again");
    assert!(!again);
    assert_eq!(a, b);
    assert_eq!(a.participants, vec!["alice", "bob"]);
    let (c, _) = store.one_to_one("alice", "carol").await.expect("other");
    assert_ne!(a.id, c.id);
    assert_eq!(
        store
            .one_to_one("alice", "alice")
            .await
            .expect_err("self")
            .code(),
        "invalid_payload"
    );
    let mut mine = store.conversations_of("alice").await.expect("list");
    mine.sort();
    let mut expected = vec![a.id.clone(), c.id.clone()];
    expected.sort();
    assert_eq!(mine, expected);
    assert_eq!(
        store.conversations_of("bob").await.expect("bob"),
        vec![a.id]
    );
    let group = store
        .group("alice", &["bob".into(), "carol".into(), "bob".into()], "g")
        .await
        .expect("group");
    assert_eq!(group.participants, vec!["alice", "bob", "carol"]);
    assert_eq!(group.name.as_deref(), Some("g"));
}

#[tokio::test]
async fn sends_are_numbered_without_gaps_and_a_resend_gets_the_original() {
    let store = store();
    let (cid, handle) = pair(&store).await;
    let first = store
        .append(&handle, message("m1", &cid, "alice"))
        .await
        .expect("m1");
    let Sent::New(first) = first else {
        panic!("new")
    };
    assert_eq!(first.seq, 1);
    let second = store
        .append(&handle, message("m2", &cid, "bob"))
        .await
        .expect("m2");
    assert_eq!(second.message().seq, 2);
    assert!(second.message().server_ts >= first.server_ts);
    let mut resend = message("m1", &cid, "alice");
    resend.content = "changed".into();
    let again = store.append(&handle, resend).await.expect("resend");
    assert_eq!(again, Sent::Again(first.clone()));
    assert_eq!(again.message().ack(), first.ack());
    assert_eq!(handle.lock().await.head.last_seq, 2, "no second copy");
    let stolen = store.append(&handle, message("m1", &cid, "bob")).await;
    assert_eq!(
        stolen.expect_err("another sender").code(),
        "invalid_payload"
    );
    let outsider = store.append(&handle, message("m9", &cid, "eve")).await;
    assert_eq!(outsider.expect_err("outsider").code(), "not_participant");
    let state = handle.lock().await;
    assert_eq!(state.unread("alice"), 1, "bob's reply is unread");
    assert_eq!(state.unread("bob"), 0, "sending reads everything before");
}

#[tokio::test]
async fn unread_counts_follow_sends_and_reads() {
    let store = store();
    let (cid, handle) = pair(&store).await;
    for i in 1..=3 {
        store
            .append(&handle, message(&format!("a{i}"), &cid, "alice"))
            .await
            .expect("send");
    }
    let mut state = handle.lock().await;
    assert_eq!(state.unread("bob"), 3);
    assert_eq!(state.unread("alice"), 0);
    assert!(state.read_by(1, "alice").is_empty());
    let (read, unread) = store
        .mark_read(&mut state, "bob", &["a2".into()], None)
        .await
        .expect("read");
    assert_eq!((read.seq, unread), (2, 1));
    assert_eq!(state.read_by(2, "alice"), vec!["bob"]);
    assert!(state.read_by(3, "alice").is_empty());
    let unknown = store
        .mark_read(&mut state, "bob", &["zz".into()], None)
        .await;
    assert_eq!(unknown.expect_err("unknown").code(), "not_found");
    let (read, unread) = store
        .mark_read(&mut state, "bob", &[], None)
        .await
        .expect("all");
    assert_eq!((read.seq, unread), (3, 0));
    let (read, _) = store
        .mark_read(&mut state, "bob", &["a1".into()], None)
        .await
        .expect("older");
    assert_eq!(read.seq, 3, "reading never goes back");
}

#[tokio::test]
async fn history_pages_both_ways_and_filters_by_time() {
    let store = store();
    let (cid, handle) = pair(&store).await;
    for i in 1..=7 {
        store
            .append(&handle, message(&format!("m{i}"), &cid, "alice"))
            .await
            .expect("send");
    }
    let state = handle.lock().await;
    let seqs = |page: &HistoryPage| -> Vec<u64> {
        page.messages
            .iter()
            .map(|m| m["serverSequence"].as_u64().unwrap_or(0))
            .collect()
    };
    let q = |after, before, limit| HistoryQuery {
        after,
        before,
        limit,
        ..HistoryQuery::default()
    };
    let page = store
        .history(&state, &q(None, None, 3))
        .await
        .expect("first");
    assert_eq!(seqs(&page), vec![1, 2, 3]);
    assert_eq!((page.next, page.prev), (Some(3), None));
    let page = store
        .history(&state, &q(Some(3), None, 3))
        .await
        .expect("next");
    assert_eq!(seqs(&page), vec![4, 5, 6]);
    let page = store
        .history(&state, &q(Some(6), None, 3))
        .await
        .expect("last");
    assert_eq!(seqs(&page), vec![7]);
    assert_eq!(page.next, None);
    let page = store
        .history(&state, &q(None, Some(8), 3))
        .await
        .expect("latest");
    assert_eq!(seqs(&page), vec![5, 6, 7]);
    assert_eq!(page.prev, Some(5));
    let page = store
        .history(&state, &q(None, Some(3), 5))
        .await
        .expect("earliest");
    assert_eq!(seqs(&page), vec![1, 2]);
    assert_eq!(page.prev, None);
    let page = store
        .history(&state, &q(Some(2), Some(5), 10))
        .await
        .expect("between");
    assert_eq!(seqs(&page), vec![3, 4]);
    let page = store
        .history(&state, &q(Some(7), None, 10))
        .await
        .expect("past");
    assert!(page.messages.is_empty());
    // Times: every message of one test is stored within a few ms; the
    // filter must cut exactly at the stored times.
    let m4 = store.message(&cid, 4).await.expect("get").expect("m4");
    let since = HistoryQuery {
        since: Some(m4.server_ts),
        limit: 100,
        ..HistoryQuery::default()
    };
    let page = store.history(&state, &since).await.expect("since");
    let first = seqs(&page)[0];
    let m_first = store
        .message(&cid, first)
        .await
        .expect("get")
        .expect("first");
    assert!(m_first.server_ts >= m4.server_ts);
    if first > 1 {
        let before = store
            .message(&cid, first - 1)
            .await
            .expect("get")
            .expect("m");
        assert!(before.server_ts < m4.server_ts);
    }
    let until = HistoryQuery {
        until: Some(m4.server_ts),
        limit: 100,
        ..HistoryQuery::default()
    };
    let page = store.history(&state, &until).await.expect("until");
    let last = *seqs(&page).last().expect("some");
    assert!(last >= 4);
    let m_last = store.message(&cid, last).await.expect("get").expect("last");
    assert!(m_last.server_ts <= m4.server_ts);
    let far = HistoryQuery {
        since: Some(u64::MAX / 2),
        limit: 100,
        ..HistoryQuery::default()
    };
    assert!(store
        .history(&state, &far)
        .await
        .expect("none")
        .messages
        .is_empty());
    assert_eq!(page.messages[0]["content"], "text of m1");
    assert_eq!(page.messages[0]["senderId"], "alice");
}

#[tokio::test]
async fn a_head_left_behind_by_a_crash_is_repaired_on_load() {
    let factory: Arc<dyn StoreFactory> =
        Arc::new(MemoryStoreFactory::new(LocalEventStore::new("n")));
    let store = ChatStore::open(factory.as_ref()).expect("open");
    let (cid, handle) = pair(&store).await;
    store
        .append(&handle, message("m1", &cid, "alice"))
        .await
        .expect("m1");
    // A crash after the message record, before its idempotency record and
    // head: write only the message.
    let mut lost = message("m2", &cid, "bob");
    lost.seq = 2;
    lost.server_ts = crate::apps::chat::clock::now_ms();
    store
        .messages
        .set(messages_key(&cid, 2), &lost)
        .await
        .expect("raw");
    let reopened = ChatStore::open(factory.as_ref()).expect("reopen");
    let handle = reopened.state(&cid).await.expect("load").expect("exists");
    assert_eq!(handle.lock().await.head.last_seq, 2, "head repaired");
    let reference: MessageRef = reopened
        .message_ids
        .get("m2")
        .await
        .expect("get")
        .expect("idempotency restored");
    assert_eq!(reference.seq, 2);
    let resend = reopened
        .append(&handle, message("m2", &cid, "bob"))
        .await
        .expect("resend");
    assert_eq!(resend, Sent::Again(lost));
    let next = reopened
        .append(&handle, message("m3", &cid, "bob"))
        .await
        .expect("m3");
    assert_eq!(next.message().seq, 3);
}
