//! Idempotency keys on every backend: one winner among concurrent claimers,
//! every other claimer told the winner's value, claims free again once
//! expired or released. [`idempotency_survives_reopen`] is for durable
//! backends, which know how to reopen themselves.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use edgeio_storage::{open, Backend, Claim, StorageConfig, StoreFactory};

use crate::backends;

const TTL: Duration = Duration::from_millis(80);
const LONG: Duration = Duration::from_secs(600);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_of_32_concurrent_claimers_wins() {
    for b in backends().await {
        let idem = b.factory.idempotency("requests", LONG).expect("store");
        let claims: Vec<_> = (0..32u32)
            .map(|i| {
                let idem = idem.clone();
                tokio::spawn(async move { (i, idem.claim("req-1", &i).await.expect("claim")) })
            })
            .collect();
        let (mut first, mut taken) = (Vec::new(), Vec::new());
        for claim in claims {
            match claim.await.expect("task") {
                (i, Claim::First) => first.push(i),
                (_, Claim::Taken(v)) => taken.push(v),
            }
        }
        assert_eq!(first.len(), 1, "{}: winners {first:?}", b.name);
        assert_eq!(taken.len(), 31, "{}", b.name);
        assert!(
            taken.iter().all(|&v| v == first[0]),
            "{}: {taken:?}",
            b.name
        );
        assert_eq!(
            idem.get::<u32>("req-1").await.expect("get"),
            Some(first[0]),
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn a_claim_is_free_again_after_expiry_or_release() {
    for b in backends().await {
        let idem = b.factory.idempotency("short", TTL).expect("store");
        assert_eq!(
            idem.claim("k", &1u8).await.expect("claim"),
            Claim::First,
            "{}",
            b.name
        );
        assert_eq!(
            idem.claim("k", &2u8).await.expect("claim"),
            Claim::Taken(1),
            "{}",
            b.name
        );
        tokio::time::sleep(TTL * 3).await;
        assert_eq!(idem.get::<u8>("k").await.expect("get"), None, "{}", b.name);
        assert_eq!(
            idem.claim("k", &3u8).await.expect("claim"),
            Claim::First,
            "{}",
            b.name
        );
        assert_eq!(
            idem.claim("k", &4u8).await.expect("claim"),
            Claim::Taken(3),
            "{}",
            b.name
        );
        assert!(idem.release("k").await.expect("release"), "{}", b.name);
        assert!(!idem.release("k").await.expect("release"), "{}", b.name);
        assert_eq!(
            idem.claim("k", &5u8).await.expect("claim"),
            Claim::First,
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn stores_of_different_names_are_apart() {
    for b in backends().await {
        let one = b.factory.idempotency("one", LONG).expect("store");
        let two = b.factory.idempotency("two", LONG).expect("store");
        let one_again = b.factory.idempotency("one", LONG).expect("store");
        assert_eq!(
            one.claim("k", &1u8).await.expect("claim"),
            Claim::First,
            "{}",
            b.name
        );
        assert_eq!(
            two.claim("k", &2u8).await.expect("claim"),
            Claim::First,
            "{}",
            b.name
        );
        assert_eq!(
            one_again.claim("k", &3u8).await.expect("claim"),
            Claim::Taken(1),
            "{}",
            b.name
        );
    }
}

/// For a durable backend: a claim acknowledged as [`Claim::First`] is
/// still taken after the factory is shut down and reopened on the same
/// directory. `open` opens the backend's factory on a directory.
pub async fn idempotency_survives_reopen<F, Fut>(name: &str, open: F)
where
    F: Fn(PathBuf) -> Fut,
    Fut: Future<Output = Arc<dyn StoreFactory>>,
{
    let dir = tempfile::tempdir().expect("tempdir");
    let factory = open(dir.path().to_owned()).await;
    let idem = factory.idempotency("durable", LONG).expect("store");
    assert_eq!(
        idem.claim("k", &7u32).await.expect("claim"),
        Claim::First,
        "{name}"
    );
    drop(idem);
    factory.shutdown().await.expect("shutdown");
    drop(factory);
    let reopened = open(dir.path().to_owned()).await;
    let idem = reopened.idempotency("durable", LONG).expect("store");
    assert_eq!(
        idem.claim("k", &8u32).await.expect("claim"),
        Claim::Taken(7),
        "{name}"
    );
    reopened.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_on_sled_survives_a_restart() {
    idempotency_survives_reopen("sled", |dir| async move {
        open(StorageConfig {
            backend: Backend::Sled { dir },
            node_id: None,
            events: Default::default(),
        })
        .await
        .expect("sled opens")
    })
    .await;
}
