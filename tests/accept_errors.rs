//! Accept errors, on the binary: run with 64 file descriptors and more
//! connections than that, it backs off instead of spinning a core, warns
//! once for the run of failures, and serves again once descriptors are free.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_edgeio");

/// Kills the server if the test fails before it is done.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Lines the server wrote on stderr so far.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn count(&self, needle: &str) -> usize {
        let lines = self.0.lock().expect("log lock");
        lines.iter().filter(|l| l.contains(needle)).count()
    }

    fn wait_for(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.count(needle) == 0 {
            assert!(
                Instant::now() < deadline,
                "no {needle:?} in the log: {:?}",
                self.0.lock().expect("log lock")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// User plus system CPU time of process `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read stat");
    // Fields after the command name, which is in parentheses: state is
    // the first; utime and stime are the 12th and 13th.
    let after = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| fields[i].parse::<u64>().expect("a tick count");
    tick(11) + tick(12)
}

fn handshake(addr: SocketAddr) -> Option<String> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    Some(raw)
}

/// The process runs out of file descriptors: accepts fail, and it waits
/// between them (doubling to a second) instead of spinning a core, with
/// one warning for the whole run of failures; once descriptors are
/// free again, it serves.
#[test]
fn accept_errors_are_backed_off_without_spinning_and_serving_resumes() {
    if Command::new("prlimit").arg("--version").output().is_err() {
        eprintln!("prlimit (util-linux) is not installed: skipped");
        return;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut child = Command::new("prlimit")
        .args(["--nofile=64:64", BIN])
        .args([
            "--store",
            "memory",
            "--app",
            "echo",
            "--header-timeout",
            "120000",
        ])
        .args(["--listen", &addr.to_string()])
        .env("RUST_LOG", "info")
        .env_remove("EDGEIO_LISTEN")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start edgeio under prlimit");
    let log = Log::default();
    let stderr = child.stderr.take().expect("stderr");
    let lines = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            lines.0.lock().expect("log lock").push(line);
        }
    });
    let server = Server(child);
    let pid = server.0.id();
    log.wait_for("edgeio listening");

    // 80 idle connections for 64 descriptors: the server accepts until
    // it has none left; the rest wait in the listen backlog.
    let held: Vec<TcpStream> = (0..80)
        .map(|_| TcpStream::connect(addr).expect("connect"))
        .collect();
    log.wait_for("accept failed");

    let before = cpu_ticks(pid);
    std::thread::sleep(Duration::from_secs(3));
    let used = cpu_ticks(pid) - before;
    eprintln!("{used} ticks of CPU in 3 s out of descriptors");
    // A spinning accept loop burns a core (~300 ticks in 3 s at 100 Hz,
    // still ~80 on a busy 2-core box);
    // backing off, the process is idle.
    assert!(used < 30, "{used} ticks of CPU in 3 s out of descriptors");
    assert_eq!(
        log.count("accept failed"),
        1,
        "one warning for the run of failures"
    );

    drop(held);
    log.wait_for("accepting again");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match handshake(addr) {
            Some(r) if r.starts_with("HTTP/1.1 200") => break,
            other => assert!(Instant::now() < deadline, "not serving again: {other:?}"),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(server);
}
