//! What the scenarios share: the clock and the run's timeline, opening many
//! clients with bounded concurrency (each reports when it is ready, then
//! waits for the start signal while answering pings), error counting, and
//! stopping every client task at the end.

pub mod abuse;
pub mod chat;
pub mod echo;
pub mod fanout;
pub mod idle;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinHandle;

use crate::cli::{Cli, Proto, Transport};
use crate::client::{Client, Frames, Incoming};
use crate::stats::CpuMark;

/// The process's clock origin: broadcast payloads carry nanoseconds since it.
static BASE: OnceLock<Instant> = OnceLock::new();

/// Nanoseconds from the clock origin to `t` (0 if `t` is before it).
pub fn ns_of(t: Instant) -> u64 {
    let base = *BASE.get_or_init(Instant::now);
    t.saturating_duration_since(base).as_nanos() as u64
}

/// Microseconds from `earlier` to `later`.
pub fn micros(earlier: Instant, later: Instant) -> u64 {
    later.saturating_duration_since(earlier).as_micros() as u64
}

/// When load starts counting, stops, and when clients give up waiting.
#[derive(Debug, Clone, Copy)]
pub struct Timeline {
    /// The measured window is `start..end`; warmup is before it.
    pub start: Instant,
    pub end: Instant,
    /// After `end`, outstanding acks and deliveries are awaited until here.
    pub drain_end: Instant,
}

impl Timeline {
    pub fn in_window(&self, t: Instant) -> bool {
        t >= self.start && t < self.end
    }
}

/// Counts failures; prints the first few to stderr.
#[derive(Default)]
pub struct Errors(AtomicU64);

impl Errors {
    pub fn note(&self, e: &anyhow::Error) {
        let n = self.0.fetch_add(1, Ordering::Relaxed);
        if n < 5 {
            eprintln!("loadgen: client error: {e:#}");
        }
    }

    pub fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Opens clients and starts them together.
pub struct Launch {
    addr: SocketAddr,
    proto: Proto,
    transport: Transport,
    permits: Arc<Semaphore>,
    ready_tx: mpsc::UnboundedSender<Result<()>>,
    ready_rx: mpsc::UnboundedReceiver<Result<()>>,
    go_tx: watch::Sender<Option<Timeline>>,
    connect_timeout: Duration,
    stages: Arc<Stages>,
}

/// How many clients got past each step of opening, to tell where stragglers
/// are stuck.
#[derive(Default)]
struct Stages {
    /// Got a connect permit.
    started: AtomicU64,
    /// Transport and protocol handshakes done.
    connected: AtomicU64,
    /// `join` emits sent again for want of an ack.
    join_retries: AtomicU64,
}

/// A client task's handle on the launch.
pub struct Gate {
    addr: SocketAddr,
    proto: Proto,
    transport: Transport,
    permits: Arc<Semaphore>,
    ready_tx: mpsc::UnboundedSender<Result<()>>,
    go_rx: watch::Receiver<Option<Timeline>>,
    stages: Arc<Stages>,
}

impl Launch {
    pub fn new(cli: &Cli) -> Self {
        let (ready_tx, ready_rx) = mpsc::unbounded_channel();
        Self {
            addr: cli.target,
            proto: cli.proto,
            transport: cli.transport,
            permits: Arc::new(Semaphore::new(cli.connect_concurrency as usize)),
            ready_tx,
            ready_rx,
            go_tx: watch::channel(None).0,
            connect_timeout: Duration::from_secs_f64(cli.connect_timeout),
            stages: Arc::default(),
        }
    }

    pub fn gate(&self) -> Gate {
        self.gate_to(self.addr)
    }

    /// A gate whose client opens on `addr` (another node of the cluster)
    /// instead of `--target`.
    pub fn gate_to(&self, addr: SocketAddr) -> Gate {
        Gate {
            addr,
            proto: self.proto,
            transport: self.transport,
            permits: self.permits.clone(),
            ready_tx: self.ready_tx.clone(),
            go_rx: self.go_tx.subscribe(),
            stages: self.stages.clone(),
        }
    }

    /// Waits until `n` clients are ready; fails on the first that is not,
    /// or when the connect timeout passes. Returns the time it took.
    pub async fn wait_ready(&mut self, n: usize) -> Result<Duration> {
        let started = Instant::now();
        let deadline = tokio::time::Instant::from_std(started + self.connect_timeout);
        let mut last_report = started;
        for done in 0..n {
            let next = tokio::time::timeout_at(deadline, self.ready_rx.recv()).await;
            let result = next
                .map_err(|_| {
                    let started = self.stages.started.load(Ordering::Relaxed) as usize;
                    let connected = self.stages.connected.load(Ordering::Relaxed) as usize;
                    anyhow!(
                        "only {done} of {n} clients ready within the connect timeout: \
                         {} still connecting or handshaking, {} still joining, {} not started",
                        started - connected,
                        connected - done,
                        n - started
                    )
                })?
                .context("client tasks vanished")?;
            result.with_context(|| format!("client failed to open ({done} of {n} ready)"))?;
            if last_report.elapsed() >= Duration::from_secs(1) {
                eprintln!("loadgen: {} of {n} clients ready", done + 1);
                last_report = Instant::now();
            }
        }
        Ok(started.elapsed())
    }

    /// How many `join` emits had to be sent again.
    pub fn join_retries(&self) -> u64 {
        self.stages.join_retries.load(Ordering::Relaxed)
    }

    /// Starts every waiting client: warmup, window, drain from now.
    pub fn go(&self, warmup: f64, duration: Duration, drain: f64) -> Timeline {
        let start = Instant::now() + Duration::from_secs_f64(warmup);
        let end = start + duration;
        let timeline = Timeline {
            start,
            end,
            drain_end: end + Duration::from_secs_f64(drain),
        };
        let _ = self.go_tx.send(Some(timeline));
        timeline
    }
}

impl Gate {
    /// Connects (at most `--connect-concurrency` at once), joins room `r`
    /// when `join` is given, and reports readiness. On failure the error is
    /// reported to the launch and `None` returned.
    pub async fn open(&self, join: Option<&Frames>) -> Option<Client> {
        self.open_with(join, None).await
    }

    /// [`Gate::open`] with `auth` (a JSON object) in the CONNECT packet.
    pub async fn open_with(&self, join: Option<&Frames>, auth: Option<&str>) -> Option<Client> {
        let result = async {
            let _permit = self.permits.acquire().await?;
            self.stages.started.fetch_add(1, Ordering::Relaxed);
            let mut client = Client::connect(self.addr, self.proto, self.transport, auth).await?;
            self.stages.connected.fetch_add(1, Ordering::Relaxed);
            if let Some(frames) = join {
                join_room(&mut client, frames, &self.stages.join_retries).await?;
            }
            Ok(client)
        }
        .await;
        match result {
            Ok(client) => {
                let _ = self.ready_tx.send(Ok(()));
                Some(client)
            }
            Err(e) => {
                let _ = self.ready_tx.send(Err(e));
                None
            }
        }
    }

    /// Waits for the start signal, answering pings meanwhile; `None` when
    /// the run was called off.
    pub async fn wait_go(&mut self, client: &mut Client) -> Result<Option<Timeline>> {
        let mut buf = Vec::new();
        loop {
            tokio::select! {
                go = self.go_rx.wait_for(Option::is_some) => {
                    return Ok(go.ok().and_then(|go| *go));
                }
                r = client.recv(&mut buf) => {
                    r?;
                    buf.clear();
                }
            }
        }
    }
}

/// Emits `join` and waits for its ack. A server may drop an event that
/// arrives right after its CONNECT, before its connection handler has
/// registered the event handlers (socketioxide with an async handler does),
/// so an unanswered `join` is sent again after a second; `retries` counts it.
async fn join_room(client: &mut Client, frames: &Frames, retries: &AtomicU64) -> Result<()> {
    const ATTEMPTS: u64 = 5;
    let mut buf = Vec::new();
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            retries.fetch_add(1, Ordering::Relaxed);
        }
        client.send(frames.join(attempt)).await?;
        client.flush().await?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
        while let Ok(r) = tokio::time::timeout_at(deadline, client.recv(&mut buf)).await {
            r?;
            for p in buf.drain(..) {
                match client.sort(&p)? {
                    Incoming::Reply { id: None, .. } => return Ok(()),
                    Incoming::Reply { id: Some(id), .. } if id <= attempt => return Ok(()),
                    Incoming::Reply { id, .. } => bail!("unexpected ack {id:?} to join"),
                    _ => {}
                }
            }
        }
    }
    bail!("join not acknowledged after {ATTEMPTS} attempts")
}

/// What a measured window cost, and how it ended.
pub struct Measured {
    /// The server's CPU seconds in the window (when its PID is known).
    pub server_cpu: Option<f64>,
    /// The load generator's own CPU seconds in the window.
    pub own_cpu: f64,
    /// Client tasks that had to be aborted after the drain.
    pub aborted: usize,
}

/// Starts every client (`launch.go`), reads both processes' CPU at the start
/// and end of the measured window, then stops the client tasks after the
/// drain.
pub async fn measure(cli: &Cli, launch: &Launch, handles: Vec<JoinHandle<()>>) -> Measured {
    measure_with(cli, launch, handles, &[]).await.0
}

/// [`measure`], also reading the CPU seconds `pids` used in the window (in
/// their order; `None` for a process that was gone).
pub async fn measure_with(
    cli: &Cli,
    launch: &Launch,
    handles: Vec<JoinHandle<()>>,
    pids: &[u32],
) -> (Measured, Vec<Option<f64>>) {
    let cpu_of = |pids: &[u32]| -> Vec<Option<f64>> {
        pids.iter()
            .map(|&pid| crate::procfs::cpu_seconds(Some(pid)).ok())
            .collect()
    };
    let tl = launch.go(cli.warmup, cli.duration(), cli.drain);
    tokio::time::sleep_until(tl.start.into()).await;
    let others_before = cpu_of(pids);
    let before = CpuMark::now(cli.server_pid);
    eprintln!(
        "loadgen: measuring for {:.1} s",
        cli.duration().as_secs_f64()
    );
    tokio::time::sleep_until(tl.end.into()).await;
    let after = CpuMark::now(cli.server_pid);
    let others_after = cpu_of(pids);
    let aborted = stop_all(handles, tl.drain_end + Duration::from_millis(500)).await;
    let (server_cpu, own_cpu) = before.until(&after);
    let others = others_before
        .iter()
        .zip(&others_after)
        .map(|(a, b)| Some(crate::stats::round((*b)? - (*a)?, 3)))
        .collect();
    let measured = Measured {
        server_cpu,
        own_cpu,
        aborted,
    };
    (measured, others)
}

/// Lets client tasks finish by `deadline`, then aborts the rest; returns how
/// many had to be aborted.
pub async fn stop_all(handles: Vec<JoinHandle<()>>, deadline: Instant) -> usize {
    let deadline = tokio::time::Instant::from_std(deadline);
    let mut aborted = 0;
    for mut h in handles {
        if tokio::time::timeout_at(deadline, &mut h).await.is_err() {
            h.abort();
            aborted += 1;
        }
    }
    aborted
}
