//! `max_sessions`: handshakes beyond the limit are refused with 503, and a
//! place freed by a closing session can be taken again.

mod common;

use common::TestServer;

#[tokio::test(flavor = "multi_thread")]
async fn handshakes_beyond_the_limit_are_refused_until_a_session_closes() {
    let server = TestServer::start(edgeio::engine::EngineConfig {
        max_sessions: 2,
        ..common::config()
    })
    .await;
    let first = server.handshake_polling().await;
    server.handshake_polling().await;

    let refused = server.get(&TestServer::polling(None)).await;
    assert_eq!(refused.status, 503);
    assert_eq!(refused.text(), r#"{"message":"Too many sessions"}"#);
    assert_eq!(server.engine.session_count(), 2);

    server.socket(&first).close();
    server.handshake_polling().await;
    assert_eq!(server.engine.session_count(), 2);
}
