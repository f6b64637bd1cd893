//! The abuse scenario's options (flattened into the command line): the
//! server binary it starts, which attacks to run and how big each is.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// One attack of the abuse scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Attack {
    /// One polling session POSTs 990 KB messages and never GETs (`--app echo`).
    Flood,
    /// Engine.IO handshakes over polling that never join a namespace.
    Handshakes,
    /// Connections sending their request headers one byte a second.
    Slowloris,
    /// Clients sending many CONNECTs to `/` in one write.
    DupConnect,
    /// One client joining thousands of dynamic namespaces, then leaving them.
    Namespaces,
    /// Random bytes: polling bodies, WebSocket frames, raw TCP.
    Random,
}

impl Attack {
    /// Every attack, in the order they run.
    pub const ALL: [Attack; 6] = [
        Attack::Flood,
        Attack::Handshakes,
        Attack::Slowloris,
        Attack::DupConnect,
        Attack::Namespaces,
        Attack::Random,
    ];

    /// The application the attacked server runs: the Engine.IO attack on the
    /// echo app, the Socket.IO ones on the loadtest app.
    pub fn app(self) -> &'static str {
        match self {
            Attack::Flood => "echo",
            _ => "loadtest",
        }
    }
}

/// Options of `--scenario abuse`.
#[derive(Debug, Clone, Args)]
pub struct AbuseArgs {
    /// The edgeio binary the abuse scenario starts (on --target's port, with
    /// `--store memory` and the app each attack needs).
    #[arg(long, value_name = "PATH")]
    pub server_bin: Option<PathBuf>,

    /// An extra flag for the started server (repeatable), e.g.
    /// `--server-arg=--max-connections=2000`.
    #[arg(long, value_name = "ARG", allow_hyphen_values = true)]
    pub server_arg: Vec<String>,

    /// Pin the started server to this CPU core (with `taskset`).
    #[arg(long, value_name = "CORE")]
    pub server_core: Option<u32>,

    /// Attacks to run, comma-separated [default: all].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub attacks: Vec<Attack>,

    /// POSTs of each flood run, comma-separated: one run per count, each on
    /// a new session.
    #[arg(long, value_delimiter = ',', default_value = "300,600",
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub flood_posts: Vec<u32>,

    /// Bytes of each flood POST (a single `4xxx…` message).
    #[arg(long, default_value_t = 990_000,
          value_parser = clap::value_parser!(u32).range(2..=100_000_000))]
    pub flood_bytes: u32,

    /// Handshakes that never join a namespace.
    #[arg(long, default_value_t = 10_000,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub handshakes: u32,

    /// Slowloris connections.
    #[arg(long, default_value_t = 1_000,
          value_parser = clap::value_parser!(u32).range(1..=20_000))]
    pub slowloris: u32,

    /// Seconds the slowloris connections are held, one byte a second.
    #[arg(long, default_value_t = 15,
          value_parser = clap::value_parser!(u32).range(1..=300))]
    pub slowloris_secs: u32,

    /// Clients of the duplicate-CONNECT burst.
    #[arg(long, default_value_t = 200,
          value_parser = clap::value_parser!(u32).range(1..=5_000))]
    pub dup_clients: u32,

    /// CONNECTs to `/` each of those clients sends in one write.
    #[arg(long, default_value_t = 50,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub dup_connects: u32,

    /// Dynamic namespaces (`/dyn-1`…) the namespace attack joins.
    #[arg(long, default_value_t = 5_000,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub namespaces: u32,

    /// Connections of each kind the random-bytes attack opens (polling
    /// sessions, WebSockets, raw TCP).
    #[arg(long, default_value_t = 200,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub random_conns: u32,

    /// Seconds after an attack before the "after" RSS reading.
    #[arg(long, value_name = "SECS", default_value_t = 5.0, value_parser = crate::cli::parse_secs)]
    pub after_secs: f64,

    /// Longest wait, in seconds, after the "after" reading for the RSS to
    /// come back within 10 % of the server's start before the next attack.
    #[arg(long, value_name = "SECS", default_value_t = 60.0, value_parser = crate::cli::parse_secs)]
    pub recover_secs: f64,

    /// Milliseconds between the well-behaved client's acked echoes.
    #[arg(long, value_name = "MS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub steady_ms: u64,
}

impl AbuseArgs {
    /// The attacks to run, in order (every one when none was named).
    pub fn attacks(&self) -> Vec<Attack> {
        if self.attacks.is_empty() {
            return Attack::ALL.to_vec();
        }
        let mut a = self.attacks.clone();
        a.sort();
        a.dedup();
        a
    }
}
