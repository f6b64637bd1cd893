//! The README's Rust example is `examples/hello.rs`, word for word; this test
//! checks that, and runs the example's application against a real client.

#[allow(dead_code)]
#[path = "../examples/hello.rs"]
mod hello;

mod sio_client;

use sio_client::{join, next_text, send, serve};

#[test]
fn the_readme_shows_the_example_word_for_word() {
    let readme = include_str!("../README.md");
    let example = include_str!("../examples/hello.rs");
    assert!(
        readme.contains(example.trim_end()),
        "README.md must contain examples/hello.rs verbatim"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_example_refuses_bad_tokens_and_delivers_chat_with_an_ack() {
    let (addr, stop) = serve(&hello::app()).await;

    let (_, refused) = join(addr, "", r#"{"token":"wrong"}"#).await;
    assert_eq!(
        refused,
        r#"44{"message":"not authorized","data":{"code":401}}"#
    );

    let (mut alice, ok) = join(addr, "", r#"{"token":"let-me-in"}"#).await;
    assert!(ok.starts_with("40{\"sid\":"), "{ok}");
    assert!(next_text(&mut alice).await.starts_with("42[\"welcome\""));
    let (mut bob, _) = join(addr, "", r#"{"token":"let-me-in"}"#).await;
    assert!(next_text(&mut bob).await.starts_with("42[\"welcome\""));

    send(&mut alice, r#"421["chat","hi bob"]"#).await;
    assert_eq!(next_text(&mut alice).await, r#"431[{"delivered":true}]"#);
    assert_eq!(next_text(&mut bob).await, r#"42["chat","hi bob"]"#);

    let _ = stop.send(());
}
