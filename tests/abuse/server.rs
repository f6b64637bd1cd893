//! The `edgeio` binary under attack: started on a free loopback port with
//! `--store memory` and the flags a test gives, its log (stderr) in
//! `CARGO_TARGET_TMPDIR/abuse-<name>.log`; its resident memory read from
//! `/proc`, now or sampled for a peak; killed when dropped.

use std::fs::File;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Upper bound for the server to listen.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(20);

/// A running edgeio.
pub struct Edgeio {
    pub addr: SocketAddr,
    log: PathBuf,
    child: Child,
}

impl Edgeio {
    /// Starts `edgeio --listen 127.0.0.1:PORT --store memory ARGS`.
    pub fn start(name: &str, args: &[&str]) -> Self {
        let log = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("abuse-{name}.log"));
        for _ in 0..5 {
            let addr = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free loopback port");
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_edgeio"));
            cmd.args(["--listen", &addr.to_string(), "--store", "memory"])
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(File::create(&log).expect("the server log"));
            for (var, _) in std::env::vars_os() {
                if var.to_string_lossy().starts_with("EDGEIO_") || var == "PORT" {
                    cmd.env_remove(var);
                }
            }
            let mut child = cmd.spawn().expect("start edgeio");
            let deadline = Instant::now() + LISTEN_TIMEOUT;
            loop {
                if TcpStream::connect(addr).is_ok() {
                    return Self { addr, log, child };
                }
                if child.try_wait().expect("poll edgeio").is_some() {
                    break; // most likely the port was taken meanwhile
                }
                if Instant::now() >= deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("edgeio did not start; its log:\n{}", read(&log));
    }

    /// Fails the test, with the log, if the process has ended.
    pub fn assert_alive(&mut self, after: &str) {
        if let Some(status) = self.child.try_wait().expect("poll edgeio") {
            panic!(
                "edgeio died ({status}) after {after}; its log:\n{}",
                read(&self.log)
            );
        }
    }

    /// Resident memory now, in KiB.
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.child.id()).expect("the server's VmRSS")
    }

    /// Starts sampling the resident memory for its peak.
    pub fn sample_peak(&self) -> PeakRss {
        PeakRss::start(self.child.id())
    }
}

impl Drop for Edgeio {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read(log: &Path) -> String {
    std::fs::read_to_string(log).unwrap_or_else(|e| format!("<cannot read {}: {e}>", log.display()))
}

/// `VmRSS` of `pid` in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The highest resident memory read every few milliseconds on a thread.
pub struct PeakRss {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl PeakRss {
    fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let (s, p) = (stop.clone(), peak.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                if let Some(kib) = rss_kib(pid) {
                    p.fetch_max(kib, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Self {
            stop,
            peak,
            thread: Some(thread),
        }
    }

    /// Stops sampling; the peak in KiB.
    pub fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.peak.load(Ordering::Relaxed)
    }
}
