//! `local_frames`: which broadcasts get an offset and are kept, and that the
//! packet other nodes get carries none.

use super::*;
use crate::protocol::Packet;

fn text(frames: &[Frame]) -> String {
    match frames.first() {
        Some(Frame::Text(t)) => t.as_str().to_owned(),
        other => panic!("no text frame: {other:?}"),
    }
}

#[tokio::test]
async fn an_event_is_kept_under_a_new_offset_that_only_this_nodes_frames_carry() {
    let (_, storage) = storage().await;
    let store = RecoveryStore::open(config(60_000, 100), &storage, "/").expect("store");
    let since = store.next_offset();
    save(&store, "pid", "sid", &["r"], since, true);
    let mut packet = Packet::event("/", "news", vec![serde_json::json!(1)], Vec::new());
    let clean = packet.clone();
    let frames = local_frames(Some(&store), &mut packet, &to(&["r"], &[]));
    assert_eq!(text(&frames), format!(r#"42["news",1,"{since}"]"#));
    assert_eq!(packet, clean, "what other nodes get has no offset");
    let restored = store.restore("pid", None).await.expect("storage");
    let restored = restored.expect("kept");
    assert_eq!(restored.missed.len(), 1);
    assert_eq!(text(&restored.missed), text(&frames));
}

#[tokio::test]
async fn volatile_acked_and_unrecovered_broadcasts_get_no_offset_and_are_not_kept() {
    let (_, storage) = storage().await;
    let store = RecoveryStore::open(config(60_000, 100), &storage, "/").expect("store");
    let since = store.next_offset();
    save(&store, "pid", "sid", &["r"], since, true);
    let volatile = BroadcastOptions {
        volatile: true,
        ..to(&["r"], &[])
    };
    let mut packet = Packet::event("/", "news", Vec::new(), Vec::new());
    assert_eq!(
        text(&local_frames(Some(&store), &mut packet, &volatile)),
        r#"42["news"]"#
    );
    let mut acked = packet.clone();
    acked.id = Some(7);
    let frames = local_frames(Some(&store), &mut acked, &to(&["r"], &[]));
    assert_eq!(text(&frames), r#"427["news"]"#);
    let frames = local_frames(None, &mut packet, &to(&["r"], &[]));
    assert_eq!(text(&frames), r#"42["news"]"#, "recovery off");
    assert_eq!(store.next_offset(), since, "no offset issued");
    let restored = store.restore("pid", None).await.expect("storage");
    assert!(restored.expect("kept").missed.is_empty());
}
