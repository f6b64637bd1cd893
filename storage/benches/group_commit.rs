//! Durable, acknowledged writes per second on sled: each write is a `set`
//! followed by a flush, and counts once the flush returned. Two ways to
//! flush: the group commit (`RawMap::flush`, shared by every writer waiting
//! at the time) and one flush per write (each writer flushes the database
//! itself: `SledStoreFactory::flush_unshared`), with 1 and 64 concurrent
//! writers.
//!
//! `cargo bench -p edgeio-storage --bench group_commit` (add `-- --test` to
//! run each case once as a smoke test; `cargo test --benches` does that).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use edgeio_storage::{LocalEventStore, Map, SledStoreFactory, StoreFactory};

/// How a writer makes its write durable.
#[derive(Clone, Copy)]
enum Flush {
    /// `Map::flush`: the group commit.
    Group,
    /// The writer's own flush of the database, shared with nobody.
    OnePerWrite,
}

impl Flush {
    fn name(self) -> &'static str {
        match self {
            Flush::Group => "group_commit",
            Flush::OnePerWrite => "one_flush_per_write",
        }
    }
}

/// A 64-byte value, like a small session record.
const VALUE: [u8; 64] = [7; 64];

/// `writes` durable writes from `writers` concurrent tasks; the time they
/// took.
async fn run(
    factory: &Arc<SledStoreFactory>,
    map: &Map,
    next_key: &Arc<AtomicU64>,
    flush: Flush,
    writers: u64,
    writes: u64,
) -> Duration {
    let start = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let share = writes / writers + u64::from(w < writes % writers);
            let (factory, map, next_key) = (factory.clone(), map.clone(), next_key.clone());
            tokio::spawn(async move {
                for _ in 0..share {
                    let key = next_key.fetch_add(1, Ordering::Relaxed).to_be_bytes();
                    map.set(key, &VALUE[..]).await.expect("set");
                    match flush {
                        Flush::Group => map.flush().await.expect("flush"),
                        Flush::OnePerWrite => factory.flush_unshared().await.expect("flush"),
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("writer");
    }
    start.elapsed()
}

fn durable_writes(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("durable_writes");
    group
        .throughput(Throughput::Elements(1))
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for flush in [Flush::Group, Flush::OnePerWrite] {
        for writers in [1u64, 64] {
            let dir = tempfile::tempdir().expect("tempdir");
            let factory = Arc::new(
                SledStoreFactory::open(dir.path(), LocalEventStore::new("bench")).expect("opens"),
            );
            let map = factory.create_map("bench").expect("map");
            let next_key = Arc::new(AtomicU64::new(0));
            group.bench_function(BenchmarkId::new(flush.name(), writers), |b| {
                b.iter_custom(|iters| {
                    runtime.block_on(run(&factory, &map, &next_key, flush, writers, iters))
                });
            });
            let flushes = factory.flush_count();
            runtime.block_on(factory.shutdown()).expect("shuts down");
            eprintln!(
                "{}/{writers}: {} writes, {flushes} group-commit flushes",
                flush.name(),
                next_key.load(Ordering::Relaxed)
            );
        }
    }
    group.finish();
}

criterion_group!(benches, durable_writes);
criterion_main!(benches);
