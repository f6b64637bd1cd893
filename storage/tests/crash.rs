//! Acknowledged writes survive a crash. A child process (this test binary,
//! re-run with [`CHILD_ENV`] set, running only [`crash_child`]) writes from
//! many tasks as fast as it can, each `set` then `flush` (group commit), and
//! prints `ack <key>` only after the flush returned. The parent kills it with
//! SIGKILL at a random moment, reopens the database — the directory lock
//! died with the child — and checks that every acknowledged key holds its
//! exact value. Several rounds share one directory, so recovery after a
//! recovery is checked too.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use edgeio_storage::{LocalEventStore, SledStoreFactory, StoreFactory};

/// Set (to the data directory) in the child's environment.
const CHILD_ENV: &str = "EDGEIO_CRASH_CHILD";
/// The round number, which every key of the round carries.
const ROUND_ENV: &str = "EDGEIO_CRASH_ROUND";
/// Concurrent writers in the child.
const WRITERS: usize = 32;
/// Crash rounds in the test.
const ROUNDS: u32 = 3;
/// The map written to.
const MAP: &str = "crash";

/// The value written at `key`: derived from the key so the parent can check
/// it, and of varying length so records are not all alike.
fn value_for(key: &str) -> String {
    let pad = key.len() * 13 % 200;
    format!("value of {key} {}", "x".repeat(pad))
}

/// A random number from the OS's randomness (through a v4 UUID).
fn random() -> u64 {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    u64::from_le_bytes([
        bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the child process of crash_keeps_every_acknowledged_write"]
async fn crash_child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let round = std::env::var(ROUND_ENV).unwrap_or_default();
    let factory = SledStoreFactory::open(Path::new(&dir), LocalEventStore::new("crash-child"))
        .expect("child opens the database");
    factory.init().await.expect("init");
    let map = factory.create_map(MAP).expect("map");
    let writers: Vec<_> = (0..WRITERS)
        .map(|task| {
            let map = map.clone();
            let round = round.clone();
            tokio::spawn(async move {
                for i in 0u64.. {
                    let key = format!("r{round}-t{task}-{i}");
                    map.set(&key, &value_for(&key)).await.expect("set");
                    map.flush().await.expect("flush");
                    // One write(2) per line: a kill never leaves half a line.
                    let line = format!("ack {key}\n");
                    let mut out = std::io::stdout().lock();
                    if out
                        .write_all(line.as_bytes())
                        .and_then(|()| out.flush())
                        .is_err()
                    {
                        return; // the parent is gone
                    }
                }
            })
        })
        .collect();
    // Never reached in a normal run: the parent kills the child first.
    let _ = tokio::time::timeout(Duration::from_secs(30), futures_join(writers)).await;
}

async fn futures_join(tasks: Vec<tokio::task::JoinHandle<()>>) {
    for t in tasks {
        let _ = t.await;
    }
}

/// Runs one child in `dir` and kills it 150–700 ms after its first ack;
/// returns every key it acknowledged.
fn crash_round(dir: &Path, round: u32) -> Vec<String> {
    let exe = std::env::current_exe().expect("test binary path");
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "crash_child",
            "--nocapture",
            "--include-ignored",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir)
        .env(ROUND_ENV, round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawns the child");
    let stdout = child.stdout.take().expect("child stdout");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout);
        let mut line = String::new();
        while lines.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
            // Only whole lines: an ack is printed in one write, newline last.
            if let Some(key) = line.strip_prefix("ack ").and_then(|k| k.strip_suffix('\n')) {
                if tx.send(key.to_owned()).is_err() {
                    break;
                }
            }
            line.clear();
        }
    });
    let first = rx.recv_timeout(Duration::from_secs(10));
    let delay = Duration::from_millis(150 + random() % 551);
    if first.is_ok() {
        std::thread::sleep(delay);
    }
    child.kill().expect("kills the child");
    child.wait().expect("reaps the child");
    reader.join().expect("reader thread");
    let first = first.expect("the child acknowledged a write within 10 s");
    let mut acked = vec![first];
    acked.extend(rx.try_iter());
    eprintln!(
        "round {round}: killed {} ms after the first ack; {} writes acknowledged",
        delay.as_millis(),
        acked.len()
    );
    acked
}

#[test]
fn crash_keeps_every_acknowledged_write() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().expect("tempdir");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut acked = Vec::new();
    for round in 0..ROUNDS {
        acked.extend(crash_round(tmp.path(), round));
        let factory = SledStoreFactory::open(tmp.path(), LocalEventStore::new("parent"))
            .expect("the database reopens after the child was killed");
        let map = factory.create_map(MAP).expect("map");
        runtime.block_on(async {
            for key in &acked {
                let value = map.get::<String>(key).await.expect("reads");
                assert_eq!(
                    value.as_deref(),
                    Some(value_for(key).as_str()),
                    "round {round}: acknowledged key {key} lost or changed"
                );
            }
            factory.shutdown().await.expect("shuts down");
        });
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
}
