//! Command-line options: every count and duration bounded, loopback targets
//! only (127.0.0.0/8, ::1 or `localhost`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};

use crate::scenario::abuse::AbuseArgs;

/// Most clients (or receivers + senders) one run may open.
pub const MAX_CLIENTS: u32 = 20_000;
/// Longest any single duration option may be, in seconds.
pub const MAX_SECS: f64 = 300.0;

/// Load generator for edgeio and its peers: speaks Engine.IO v4 / Socket.IO
/// v5 (or the raw peer's frame protocol) and prints one JSON object.
#[derive(Debug, Clone, Parser)]
#[command(name = "loadgen", version, about)]
pub struct Cli {
    /// Server address, HOST:PORT; loopback only.
    #[arg(long, value_parser = parse_target)]
    pub target: SocketAddr,

    /// Protocol spoken: Socket.IO, or the raw peer's frames.
    #[arg(long, value_enum, default_value_t = Proto::Sio)]
    pub proto: Proto,

    /// Transport (raw supports websocket only).
    #[arg(long, value_enum, default_value_t = Transport::Websocket)]
    pub transport: Transport,

    /// What to measure.
    #[arg(long, value_enum, default_value_t = Scenario::Echo)]
    pub scenario: Scenario,

    /// Clients (echo, idle, chat).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=MAX_CLIENTS as i64))]
    pub clients: u32,

    /// Acked emits kept in flight per client (echo, chat) or per sender
    /// (fanout).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub inflight: u32,

    /// Measured seconds [default: 10 for echo, fanout and chat; for idle, extra
    /// seconds to hold the connections open after the RSS reading, default 0].
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub duration: Option<f64>,

    /// Seconds of load before the measured window (echo, fanout, chat).
    #[arg(long, value_name = "SECS", default_value_t = 1.0, value_parser = parse_secs)]
    pub warmup: f64,

    /// Seconds after the window to wait for outstanding acks and deliveries.
    #[arg(long, value_name = "SECS", default_value_t = 2.0, value_parser = parse_secs)]
    pub drain: f64,

    /// Seconds to let the server settle before and after opening (idle).
    #[arg(long, value_name = "SECS", default_value_t = 1.0, value_parser = parse_secs)]
    pub settle: f64,

    /// Payload size in bytes.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub payload: u32,

    /// Receivers that join room `r` (fanout).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=MAX_CLIENTS as i64))]
    pub receivers: u32,

    /// Senders emitting `bcast` (fanout).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub senders: u32,

    /// The server's PID, to report its CPU seconds (and RSS for idle).
    #[arg(long, value_name = "PID")]
    pub server_pid: Option<u32>,

    /// Tokio worker threads.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub threads: u32,

    /// The HS256 secret the chat server checks tokens with (chat): the
    /// clients' tokens are minted with it.
    #[arg(long, value_name = "SECRET")]
    pub jwt_secret: Option<String>,

    /// Connections being opened at once (at most the usual listen backlog,
    /// 128, so that no SYN is dropped and retried a second later).
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub connect_concurrency: u32,

    /// Seconds allowed for opening (and joining) every client.
    #[arg(long, value_name = "SECS", default_value_t = 60.0, value_parser = parse_secs)]
    pub connect_timeout: f64,

    /// Another node of the same cluster, HOST:PORT, loopback only; may be
    /// given more than once (fanout). Receivers are dealt in turn over
    /// `--target` and every peer; senders stay on `--target`, so the peers'
    /// receivers get only what crossed between the nodes.
    #[arg(long = "peer-target", value_name = "HOST:PORT", value_parser = parse_target)]
    pub peer_targets: Vec<SocketAddr>,

    /// The PID of each `--peer-target`'s server, in the same order, to report
    /// its CPU seconds (`peer_cpu_s`).
    #[arg(long = "peer-pid", value_name = "PID")]
    pub peer_pids: Vec<u32>,

    /// Another process whose CPU seconds in the window to report
    /// (`watch_cpu_s`), not counted as a server node (say redis-server).
    #[arg(long = "watch-pid", value_name = "PID")]
    pub watch_pids: Vec<u32>,

    /// The abuse scenario's server and attacks.
    #[command(flatten)]
    pub abuse: AbuseArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Proto {
    Sio,
    Raw,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Transport {
    Websocket,
    Polling,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    Echo,
    Fanout,
    Idle,
    /// Durable `message:send`s on edgeio's chat app.
    Chat,
    /// Attacks on a server it starts itself (`--server-bin`), with a
    /// well-behaved client's latency and the server's memory throughout.
    Abuse,
}

impl Cli {
    /// Checks what clap cannot: combinations of options.
    pub fn validate(&self) -> Result<()> {
        if self.proto == Proto::Raw && self.transport == Transport::Polling {
            bail!("--proto raw supports --transport websocket only");
        }
        if self.scenario == Scenario::Fanout && self.receivers + self.senders > MAX_CLIENTS {
            bail!("--receivers + --senders must be at most {MAX_CLIENTS}");
        }
        if self.scenario == Scenario::Chat {
            if self.proto != Proto::Sio || self.jwt_secret.is_none() {
                bail!("chat needs --proto sio and --jwt-secret");
            }
            if !self.clients.is_multiple_of(2) {
                bail!("chat pairs its clients: --clients must be even");
            }
            if self.inflight > 64 {
                bail!("chat: the server refuses more than 64 events in progress per socket");
            }
        }
        if self.scenario == Scenario::Abuse {
            if self.abuse.server_bin.is_none() || self.server_pid.is_some() {
                bail!("abuse starts its own server: give --server-bin, not --server-pid");
            }
            if self.proto != Proto::Sio {
                bail!("abuse needs --proto sio");
            }
        }
        if !self.peer_targets.is_empty() && self.scenario != Scenario::Fanout {
            bail!("--peer-target splits fanout receivers: it needs --scenario fanout");
        }
        if self.peer_pids.len() > self.peer_targets.len() {
            bail!("more --peer-pid than --peer-target (one PID per peer, in order)");
        }
        if self.scenario == Scenario::Fanout && (self.receivers as usize) < self.targets().len() {
            bail!("--receivers must be at least the number of targets, so each node has one");
        }
        if self.scenario != Scenario::Idle && self.duration == Some(0.0) {
            bail!("--duration must be above 0 for {:?}", self.scenario);
        }
        Ok(())
    }

    /// The measured window (echo, fanout, chat) or the extra hold (idle).
    pub fn duration(&self) -> Duration {
        let default = if self.scenario == Scenario::Idle {
            0.0
        } else {
            10.0
        };
        Duration::from_secs_f64(self.duration.unwrap_or(default))
    }

    /// Every server node: `--target` first, then each `--peer-target`.
    pub fn targets(&self) -> Vec<SocketAddr> {
        std::iter::once(self.target)
            .chain(self.peer_targets.iter().copied())
            .collect()
    }

    pub fn names(&self) -> (&'static str, &'static str, &'static str) {
        let proto = match self.proto {
            Proto::Sio => "sio",
            Proto::Raw => "raw",
        };
        let transport = match self.transport {
            Transport::Websocket => "websocket",
            Transport::Polling => "polling",
        };
        let scenario = match self.scenario {
            Scenario::Echo => "echo",
            Scenario::Fanout => "fanout",
            Scenario::Idle => "idle",
            Scenario::Chat => "chat",
            Scenario::Abuse => "abuse",
        };
        (scenario, proto, transport)
    }
}

pub fn parse_secs(s: &str) -> Result<f64> {
    let v: f64 = s.parse().context("not a number of seconds")?;
    if !(0.0..=MAX_SECS).contains(&v) {
        bail!("must be between 0 and {MAX_SECS} seconds");
    }
    Ok(v)
}

/// HOST:PORT where HOST is a loopback address or `localhost`.
fn parse_target(s: &str) -> Result<SocketAddr> {
    let addr = match s.parse::<SocketAddr>() {
        Ok(addr) => addr,
        Err(_) => {
            let (host, port) = s.rsplit_once(':').context("expected HOST:PORT")?;
            if !host.eq_ignore_ascii_case("localhost") {
                bail!("host {host:?} is not a loopback address or localhost");
            }
            let port: u16 = port.parse().context("bad port")?;
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)
        }
    };
    if !addr.ip().is_loopback() {
        bail!(
            "{} is not loopback: only 127.0.0.0/8 and ::1 are allowed",
            addr.ip()
        );
    }
    if addr.port() == 0 {
        bail!("port 0");
    }
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use super::{parse_target, Cli, Parser};
    use crate::scenario::abuse::Attack;

    #[test]
    fn abuse_starts_its_own_server() {
        let parse = |extra: &[&str]| {
            let mut args = vec!["loadgen", "--target", "127.0.0.1:9", "--scenario", "abuse"];
            args.extend_from_slice(extra);
            Cli::try_parse_from(args).map_err(|e| e.to_string())
        };
        assert!(parse(&[]).unwrap().validate().is_err(), "no --server-bin");
        let pid = parse(&["--server-bin", "x", "--server-pid", "1"]).unwrap();
        assert!(pid.validate().is_err(), "--server-pid too");
        let cli = parse(&["--server-bin", "x", "--attacks", "random,flood,random"]).unwrap();
        cli.validate().unwrap();
        assert_eq!(cli.abuse.attacks(), vec![Attack::Flood, Attack::Random]);
        assert_eq!(cli.abuse.flood_posts, vec![300, 600]);
        let all = parse(&["--server-bin", "x", "--server-arg=--max-connections=9"]).unwrap();
        assert_eq!(all.abuse.attacks(), Attack::ALL.to_vec());
        assert_eq!(all.abuse.server_arg, vec!["--max-connections=9"]);
    }

    #[test]
    fn fanout_spreads_over_peer_targets() {
        let parse = |extra: &[&str]| {
            let mut args = vec!["loadgen", "--target", "127.0.0.1:9", "--receivers", "3"];
            args.extend_from_slice(extra);
            Cli::try_parse_from(args).map_err(|e| e.to_string())
        };
        let one = parse(&["--scenario", "fanout"]).unwrap();
        one.validate().unwrap();
        assert_eq!(one.targets(), vec!["127.0.0.1:9".parse().unwrap()]);
        let cli = parse(&[
            "--scenario",
            "fanout",
            "--peer-target",
            "127.0.0.1:10",
            "--peer-target=localhost:11",
            "--peer-pid",
            "7",
            "--watch-pid",
            "8",
        ])
        .unwrap();
        cli.validate().unwrap();
        let targets: Vec<String> = cli.targets().iter().map(|a| a.to_string()).collect();
        assert_eq!(targets, ["127.0.0.1:9", "127.0.0.1:10", "127.0.0.1:11"]);
        assert_eq!(
            (cli.peer_pids.clone(), cli.watch_pids.clone()),
            (vec![7], vec![8])
        );
        assert!(parse(&["--scenario", "fanout", "--peer-target", "10.0.0.1:10"]).is_err());
        let echo = parse(&["--scenario", "echo", "--peer-target", "127.0.0.1:10"]).unwrap();
        assert!(
            echo.validate().is_err(),
            "peers only split fanout receivers"
        );
        let pids = parse(&["--scenario", "fanout", "--peer-pid", "7"]).unwrap();
        assert!(pids.validate().is_err(), "a --peer-pid without its peer");
        let few = parse(&[
            "--scenario",
            "fanout",
            "--peer-target",
            "127.0.0.1:10",
            "--peer-target",
            "127.0.0.1:11",
            "--peer-target",
            "127.0.0.1:12",
        ])
        .unwrap();
        assert!(few.validate().is_err(), "3 receivers over 4 nodes");
    }

    #[test]
    fn only_loopback_targets() {
        assert!(parse_target("127.0.0.1:80").is_ok());
        assert!(parse_target("127.3.2.1:80").is_ok());
        assert!(parse_target("[::1]:80").is_ok());
        assert!(parse_target("localhost:80").is_ok());
        assert!(parse_target("10.0.0.1:80").is_err());
        assert!(parse_target("example.com:80").is_err());
        assert!(parse_target("[::2]:80").is_err());
        assert!(parse_target("127.0.0.1:0").is_err());
    }
}
