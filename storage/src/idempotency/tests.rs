//! Unit tests of [`IdempotencyStore`] over the memory map, with a map that
//! logs writes and flushes to check that every outcome is durable first.

use std::sync::Mutex;

use async_trait::async_trait;

use super::*;
use crate::cache::expiry::RECLAIM_EVERY;
use crate::kv::{Entry, RawMap, UpdateFn};
use crate::memory::MemoryMap;

const SHORT: Duration = Duration::from_millis(30);

/// A memory map that logs what changes it and when it flushes.
struct Logged {
    map: MemoryMap,
    log: Mutex<Vec<&'static str>>,
    /// A record another claimer writes at the key just before the next
    /// `update` runs (a lost race for an expired claim).
    race: Mutex<Option<Vec<u8>>>,
}

impl Logged {
    fn note(&self, what: &'static str) {
        self.log.lock().expect("log").push(what);
    }

    fn take(&self) -> Vec<&'static str> {
        std::mem::take(&mut *self.log.lock().expect("log"))
    }
}

#[async_trait]
impl RawMap for Logged {
    fn name(&self) -> &str {
        self.map.name()
    }
    async fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.map.get(key).await
    }
    async fn contains(&self, key: &[u8]) -> Result<bool> {
        self.map.contains(key).await
    }
    async fn insert(&self, key: &[u8], value: Vec<u8>) -> Result<Option<Vec<u8>>> {
        self.note("insert");
        self.map.insert(key, value).await
    }
    async fn remove(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.note("remove");
        self.map.remove(key).await
    }
    async fn insert_if_absent(&self, key: &[u8], value: Vec<u8>) -> Result<Option<Vec<u8>>> {
        self.note("insert_if_absent");
        let existing = self.map.insert_if_absent(key, value).await;
        // Let other claimers run here, as a backend awaiting I/O would:
        // they all see the same existing claim before any replaces it.
        tokio::task::yield_now().await;
        existing
    }
    async fn update(&self, key: &[u8], f: UpdateFn<'_>) -> Result<Option<Vec<u8>>> {
        self.note("update");
        let race = self.race.lock().expect("race").take();
        if let Some(record) = race {
            self.map.insert(key, record).await?;
        }
        self.map.update(key, f).await
    }
    async fn range_from(&self, start: &[u8], limit: usize) -> Result<Vec<Entry>> {
        self.map.range_from(start, limit).await
    }
    async fn scan_prefix(&self, prefix: &[u8], limit: usize) -> Result<Vec<Entry>> {
        self.map.scan_prefix(prefix, limit).await
    }
    async fn remove_prefix(&self, prefix: &[u8]) -> Result<usize> {
        self.map.remove_prefix(prefix).await
    }
    async fn len(&self) -> Result<usize> {
        self.map.len().await
    }
    async fn clear(&self) -> Result<()> {
        self.map.clear().await
    }
    async fn flush(&self) -> Result<()> {
        self.note("flush");
        Ok(())
    }
    fn is_durable(&self) -> bool {
        true
    }
}

fn store(ttl: Duration) -> (Arc<Logged>, IdempotencyStore) {
    let raw = Arc::new(Logged {
        map: MemoryMap::new("idem"),
        log: Mutex::default(),
        race: Mutex::default(),
    });
    (raw.clone(), IdempotencyStore::new(Map::new(raw), ttl))
}

#[tokio::test]
async fn the_first_claim_wins_durably_and_later_ones_get_its_value() {
    let (raw, idem) = store(Duration::from_secs(60));
    assert_eq!(idem.claim("k", &1u32).await.expect("claim"), Claim::First);
    assert_eq!(raw.take(), ["insert_if_absent", "flush"]);
    assert_eq!(
        idem.claim("k", &2u32).await.expect("claim"),
        Claim::Taken(1)
    );
    assert_eq!(raw.take(), ["insert_if_absent", "flush"]);
    assert_eq!(idem.get::<u32>("k").await.expect("get"), Some(1));
    assert_eq!(
        idem.claim("other", &3u32).await.expect("claim"),
        Claim::First
    );
    assert_eq!(idem.ttl(), Duration::from_secs(60));
}

#[tokio::test]
async fn an_expired_claim_is_taken_over_durably() {
    let (raw, idem) = store(SHORT);
    assert_eq!(
        idem.claim("k", &"a".to_owned()).await.expect("claim"),
        Claim::First
    );
    tokio::time::sleep(SHORT * 3).await;
    assert_eq!(idem.get::<String>("k").await.expect("get"), None);
    assert_eq!(raw.map.len().await.expect("len"), 0, "get removed it");
    assert_eq!(
        idem.claim("k", &"b".to_owned()).await.expect("claim"),
        Claim::First
    );
    tokio::time::sleep(SHORT * 3).await;
    raw.take();
    assert_eq!(
        idem.claim("k", &"c".to_owned()).await.expect("claim"),
        Claim::First
    );
    assert_eq!(raw.take(), ["insert_if_absent", "update", "flush"]);
    assert_eq!(
        idem.claim("k", &"d".to_owned()).await.expect("claim"),
        Claim::Taken("c".to_owned())
    );
}

#[tokio::test]
async fn losing_the_race_for_an_expired_claim_gets_the_winners_value() {
    let (raw, idem) = store(SHORT);
    idem.claim("k", &"a".to_owned()).await.expect("claim");
    tokio::time::sleep(SHORT * 3).await;
    // Another claimer takes the expired key over between our look and our
    // update.
    let winner = encode(&Record {
        expires_at_ms: deadline(now_ms(), Duration::from_secs(60)),
        value: "b".to_owned(),
    })
    .expect("encode");
    *raw.race.lock().expect("race") = Some(winner);
    raw.take();
    assert_eq!(
        idem.claim("k", &"c".to_owned()).await.expect("claim"),
        Claim::Taken("b".to_owned())
    );
    assert_eq!(raw.take(), ["insert_if_absent", "update", "flush"]);
    assert_eq!(
        idem.get::<String>("k").await.expect("get").as_deref(),
        Some("b")
    );
}

#[tokio::test]
async fn release_frees_a_live_claim_durably() {
    let (raw, idem) = store(Duration::from_secs(60));
    assert!(!idem.release("k").await.expect("release"));
    idem.claim("k", &1u8).await.expect("claim");
    raw.take();
    assert!(idem.release("k").await.expect("release"));
    assert_eq!(raw.take(), ["remove", "flush"]);
    assert_eq!(idem.get::<u8>("k").await.expect("get"), None);
    assert_eq!(idem.claim("k", &2u8).await.expect("claim"), Claim::First);

    let (_, short) = store(SHORT);
    short.claim("k", &1u8).await.expect("claim");
    tokio::time::sleep(SHORT * 3).await;
    assert!(
        !short.release("k").await.expect("release"),
        "it had expired"
    );
}

#[tokio::test]
async fn reclaims_only_expired_claims() {
    let (raw, idem) = store(SHORT);
    for i in 0..300 {
        idem.claim(&format!("k{i}"), &i).await.expect("claim");
    }
    raw.map
        .insert(b"unreadable", vec![0xff])
        .await
        .expect("insert");
    assert_eq!(idem.reclaim_expired().await.expect("reclaim"), 0);
    tokio::time::sleep(SHORT * 3).await;
    let live = IdempotencyStore::new(Map::new(raw.clone()), Duration::from_secs(60));
    live.claim("live", &1).await.expect("claim");
    assert_eq!(idem.reclaim_expired().await.expect("reclaim"), 300);
    assert_eq!(raw.map.len().await.expect("len"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claimers_agree_on_one_winner() {
    let (_, idem) = store(Duration::from_secs(60));
    concurrent_claims(&idem).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claimers_of_an_expired_key_agree_on_one_winner() {
    let (raw, idem) = store(Duration::from_secs(60));
    let expired = encode(&Record {
        expires_at_ms: now_ms() - 1000,
        value: u32::MAX,
    })
    .expect("encode");
    raw.map.insert(b"k", expired).await.expect("insert");
    concurrent_claims(&idem).await;
}

/// 32 tasks claim "k": exactly one wins, every other gets its value.
async fn concurrent_claims(idem: &IdempotencyStore) {
    // Collected, so every task is spawned before the first is awaited.
    let claims: Vec<_> = (0..32u32)
        .map(|i| {
            let idem = idem.clone();
            tokio::spawn(async move { (i, idem.claim("k", &i).await.expect("claim")) })
        })
        .collect();
    let mut winners = Vec::new();
    let mut taken = Vec::new();
    for claim in claims {
        match claim.await.expect("task") {
            (i, Claim::First) => winners.push(i),
            (_, Claim::Taken(v)) => taken.push(v),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    assert_eq!(taken.len(), 31);
    assert!(taken.iter().all(|&v| v == winners[0]), "{taken:?}");
}

#[tokio::test]
async fn refuses_long_keys_and_misread_values() {
    let (_, idem) = store(Duration::from_secs(60));
    let long = "k".repeat(MAX_IDEMPOTENCY_KEY_LEN + 1);
    let too_large = |r: Result<()>| matches!(r, Err(StorageError::TooLarge { .. }));
    assert!(too_large(idem.claim(&long, &1u8).await.map(drop)));
    assert!(too_large(idem.get::<u8>(&long).await.map(drop)));
    assert!(too_large(idem.release(&long).await.map(drop)));
    let fits = "k".repeat(MAX_IDEMPOTENCY_KEY_LEN);
    assert_eq!(idem.claim(&fits, &1u8).await.expect("claim"), Claim::First);
    idem.claim("k", &300u32).await.expect("claim");
    assert!(matches!(
        idem.claim("k", &true).await,
        Err(StorageError::Decode(_))
    ));
}

#[tokio::test(start_paused = true)]
async fn the_background_task_ends_with_the_last_clone() {
    let metrics = tokio::runtime::Handle::current().metrics();
    let (_, idem) = store(SHORT);
    let clone = idem.clone();
    assert_eq!(metrics.num_alive_tasks(), 1);
    drop(idem);
    tokio::time::sleep(RECLAIM_EVERY * 2).await;
    assert_eq!(metrics.num_alive_tasks(), 1, "a clone still holds it");
    assert!(format!("{clone:?}").contains("\"idem\""));
    // The reclaim task names the map in its warnings.
    assert_eq!(clone.inner.map_name(), "idem");
    drop(clone);
    tokio::time::sleep(RECLAIM_EVERY * 2).await;
    assert_eq!(metrics.num_alive_tasks(), 0);
}
