//! Durable, acknowledged writes per second on sled: each write is a `set`
//! followed by a flush, and counts once the flush returned. Three ways to
//! flush, each with 1 and 64 concurrent writers:
//!
//! - `group_commit`: `Map::flush`, one flush shared by every writer waiting
//!   at the time.
//! - `one_flush_per_write`: the baseline. Each write and its flush run
//!   under one mutex, so flushes never overlap and sled cannot merge them:
//!   every flush covers exactly one write. Checked: every one of these
//!   flushes made log bytes stable, and there are as many as writes.
//! - `sled_merged_flush`: every writer calls sled's flush itself, with no
//!   mutex, so sled merges concurrent flushes (a flush whose log position
//!   another one made stable returns without syncing). Not one flush per
//!   write; shown so that sled's own sharing is visible.
//!
//! `cargo bench -p edgeio-storage --bench group_commit` (add `-- --test` to
//! run each case once as a smoke test; `cargo test --benches` does that).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use edgeio_storage::{LocalEventStore, Map, SledStoreFactory, StoreFactory};
use tokio::sync::Mutex;

/// How a writer makes its write durable.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flush {
    /// `Map::flush`: the group commit.
    Group,
    /// The write and sled's flush under one mutex: a flush per write, shared
    /// with no other write.
    OnePerWrite,
    /// sled's flush called by every writer at once, merged by sled.
    SledMerged,
}

impl Flush {
    fn name(self) -> &'static str {
        match self {
            Flush::Group => "group_commit",
            Flush::OnePerWrite => "one_flush_per_write",
            Flush::SledMerged => "sled_merged_flush",
        }
    }
}

/// What one case did, over all its runs.
#[derive(Default)]
struct Counts {
    /// Keys written (also the next key).
    writes: AtomicU64,
    /// Direct calls of sled's flush (`flush_unshared`).
    sled_flushes: AtomicU64,
    /// Of those, the calls during which sled made log bytes stable.
    sled_flushes_with_bytes: AtomicU64,
}

/// A 64-byte value, like a small session record.
const VALUE: [u8; 64] = [7; 64];

/// `writes` durable writes from `writers` concurrent tasks; the time they
/// took.
async fn run(
    factory: &Arc<SledStoreFactory>,
    map: &Map,
    counts: &Arc<Counts>,
    flush: Flush,
    writers: u64,
    writes: u64,
) -> Duration {
    let turn = Arc::new(Mutex::new(()));
    let start = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let share = writes / writers + u64::from(w < writes % writers);
            let (factory, map, counts, turn) =
                (factory.clone(), map.clone(), counts.clone(), turn.clone());
            tokio::spawn(async move {
                for _ in 0..share {
                    // Held from the write to the end of its flush in the
                    // one-flush-per-write case only.
                    let _turn = match flush {
                        Flush::OnePerWrite => Some(turn.lock().await),
                        Flush::Group | Flush::SledMerged => None,
                    };
                    let key = counts.writes.fetch_add(1, Ordering::Relaxed).to_be_bytes();
                    map.set(key, &VALUE[..]).await.expect("set");
                    if flush == Flush::Group {
                        map.flush().await.expect("flush");
                    } else {
                        let bytes = factory.flush_unshared().await.expect("flush");
                        counts.sled_flushes.fetch_add(1, Ordering::Relaxed);
                        if bytes > 0 {
                            counts
                                .sled_flushes_with_bytes
                                .fetch_add(1, Ordering::Relaxed);
                        }
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
    for flush in [Flush::Group, Flush::OnePerWrite, Flush::SledMerged] {
        for writers in [1u64, 64] {
            let dir = tempfile::tempdir().expect("tempdir");
            // Opened outside the runtime: no periodic flush runs, so every
            // flush counted below is one a writer asked for.
            let factory = Arc::new(
                SledStoreFactory::open(dir.path(), LocalEventStore::new("bench")).expect("opens"),
            );
            let map = factory.create_map("bench").expect("map");
            let counts = Arc::new(Counts::default());
            group.bench_function(BenchmarkId::new(flush.name(), writers), |b| {
                b.iter_custom(|iters| {
                    runtime.block_on(run(&factory, &map, &counts, flush, writers, iters))
                });
            });
            let group_flushes = factory.flush_count();
            runtime.block_on(factory.shutdown()).expect("shuts down");
            report(flush, writers, &counts, group_flushes);
        }
    }
    group.finish();
}

/// Prints what a case did, and checks that one flush per write was that.
fn report(flush: Flush, writers: u64, counts: &Counts, group_flushes: u64) {
    let writes = counts.writes.load(Ordering::Relaxed);
    if writes == 0 {
        // Filtered out on the command line.
        return;
    }
    let sled = counts.sled_flushes.load(Ordering::Relaxed);
    let with_bytes = counts.sled_flushes_with_bytes.load(Ordering::Relaxed);
    let name = flush.name();
    match flush {
        Flush::Group => eprintln!(
            "{name}/{writers}: {writes} writes, {group_flushes} group-commit flushes \
             ({:.1} writes per flush)",
            writes as f64 / group_flushes.max(1) as f64
        ),
        Flush::OnePerWrite => {
            eprintln!(
                "{name}/{writers}: {writes} writes, {sled} flushes, never overlapping, \
                 {with_bytes} of them made log bytes stable"
            );
            assert_eq!(group_flushes, 0, "{name}: the group commit is not used");
            assert_eq!(sled, writes, "{name}: one flush per write");
            assert_eq!(with_bytes, writes, "{name}: every flush synced its write");
        }
        // A call that waited for another's sync also sees bytes become
        // stable, so `with_bytes` does not count syncs here (strace does).
        Flush::SledMerged => eprintln!(
            "{name}/{writers}: {writes} writes, {sled} overlapping sled flush calls \
             (sled merges them; count its syncs with strace)"
        ),
    }
}

criterion_group!(benches, durable_writes);
criterion_main!(benches);
