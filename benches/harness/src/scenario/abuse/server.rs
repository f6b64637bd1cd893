//! The attacked server: `edgeio --listen TARGET --store memory --app APP`
//! started by the harness (its log in a file), watched for death, and its
//! resident memory read now and sampled for a peak while an attack runs.

use std::fs::File;
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::args::AbuseArgs;
use crate::procfs;

/// Longest a started server may take to listen.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the peak sampler reads the RSS.
const SAMPLE_EVERY: Duration = Duration::from_millis(20);

/// A running edgeio; killed when dropped.
pub struct Server {
    pub app: &'static str,
    pub pid: u32,
    /// Its stderr.
    pub log: PathBuf,
    child: Child,
}

impl Server {
    /// Starts edgeio with `app` on `addr` and waits until it accepts.
    pub fn start(args: &AbuseArgs, app: &'static str, addr: SocketAddr) -> Result<Self> {
        let bin = args.server_bin.as_ref().context("--server-bin")?;
        let log = std::env::temp_dir().join(format!("loadgen-abuse-{app}-{}.log", addr.port()));
        let stderr = File::create(&log).with_context(|| format!("create {}", log.display()))?;
        let mut cmd = match args.server_core {
            Some(core) => {
                let mut c = Command::new("taskset");
                c.args(["-c", &core.to_string()]).arg(bin);
                c
            }
            None => Command::new(bin),
        };
        cmd.args([
            "--listen",
            &addr.to_string(),
            "--store",
            "memory",
            "--app",
            app,
        ])
        .args(&args.server_arg)
        .env_remove("EDGEIO_LISTEN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);
        let mut child = cmd
            .spawn()
            .with_context(|| format!("start {}", bin.display()))?;
        let deadline = Instant::now() + LISTEN_TIMEOUT;
        while TcpStream::connect(addr).is_err() {
            if let Some(status) = child.try_wait()? {
                bail!(
                    "edgeio exited with {status} before listening; log: {}",
                    log.display()
                );
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                bail!("edgeio did not listen on {addr} within {LISTEN_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!(
            "loadgen: edgeio --app {app} started (pid {}), log {}",
            child.id(),
            log.display()
        );
        Ok(Self {
            app,
            pid: child.id(),
            log,
            child,
        })
    }

    /// `None` while it runs; how it ended once it has.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(None) => None,
            Ok(Some(status)) => Some(status.to_string()),
            Err(e) => Some(format!("cannot tell: {e}")),
        }
    }

    /// Resident memory now, in KiB (`None` once it is gone).
    pub fn rss_kib(&self) -> Option<u64> {
        procfs::rss_kib(self.pid).ok()
    }

    /// Lines of its log that report a panic.
    pub fn panics_logged(&self) -> usize {
        std::fs::read_to_string(&self.log)
            .map(|t| t.lines().filter(|l| l.contains("panicked")).count())
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads a process's RSS every [`SAMPLE_EVERY`] on a thread of its own and
/// keeps the highest.
pub struct PeakSampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl PeakSampler {
    pub fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let (s, p) = (stop.clone(), peak.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                if let Ok(kib) = procfs::rss_kib(pid) {
                    p.fetch_max(kib, Ordering::Relaxed);
                }
                std::thread::sleep(SAMPLE_EVERY);
            }
        });
        Self {
            stop,
            peak,
            thread: Some(thread),
        }
    }

    /// Stops sampling; the peak in KiB (`None` if nothing was read).
    pub fn finish(mut self) -> Option<u64> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        Some(self.peak.load(Ordering::Relaxed)).filter(|&k| k > 0)
    }
}
