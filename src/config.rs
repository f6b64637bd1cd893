//! The binary's settings: every flag also an `EDGEIO_*` variable and a key of
//! the `--config` file ([`load`]); `PORT` is honoured when no address is given.

mod adapter;
mod admin;
mod buffers;
mod chat;
mod command;
mod events;
mod file;
mod jwt;
mod metrics;
mod net;
mod recovery;
mod redis;
mod shutdown;
mod sio;
mod streams;
mod tls;

pub use adapter::AdapterArgs;
pub use admin::AdminArgs;
pub use buffers::BufferArgs;
pub use chat::ChatArgs;
pub use command::Command;
pub use events::EventArgs;
pub use file::{load, ConfigArgs, ConfigError, ConfigFile, Loaded, CONFIG_ENV};
pub use jwt::{JwtArgs, TokenArgs};
pub use metrics::MetricsArgs;
pub use net::NetArgs;
pub use recovery::RecoveryArgs;
pub use redis::RedisArgs;
pub use shutdown::ShutdownArgs;
pub use sio::SioArgs;
pub use streams::StreamsArgs;
pub use tls::TlsArgs;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use edgeio_storage::{Backend, StorageConfig};

use crate::engine::{CookieConfig, CorsConfig, EngineConfig, TransportKind};
use crate::protocol::Limits;
use crate::server::IoConfig;

/// edgeio: a Socket.IO-compatible real-time server.
#[derive(Debug, Clone, Parser)]
#[command(name = "edgeio", version, about)]
pub struct Cli {
    /// Address to listen on [default: 127.0.0.1:$PORT, or 127.0.0.1:3000].
    #[arg(long, env = "EDGEIO_LISTEN")]
    pub listen: Option<SocketAddr>,

    /// Path the server answers on.
    #[arg(long, env = "EDGEIO_PATH", default_value = "/socket.io/")]
    pub path: String,

    /// Milliseconds between the server's pings.
    #[arg(
        long,
        env = "EDGEIO_PING_INTERVAL",
        default_value_t = 25_000,
        value_name = "MS"
    )]
    pub ping_interval: u64,

    /// Milliseconds to wait for a pong before closing the session.
    #[arg(
        long,
        env = "EDGEIO_PING_TIMEOUT",
        default_value_t = 20_000,
        value_name = "MS"
    )]
    pub ping_timeout: u64,

    /// Largest POST body or WebSocket message accepted (maxHttpBufferSize).
    #[arg(
        long,
        env = "EDGEIO_MAX_PAYLOAD",
        default_value_t = 1_000_000,
        value_name = "BYTES"
    )]
    pub max_payload: usize,

    /// Transports accepted, comma-separated: polling, websocket.
    #[arg(
        long,
        env = "EDGEIO_TRANSPORTS",
        default_value = "polling,websocket",
        value_delimiter = ',',
        value_parser = parse_transport
    )]
    pub transports: Vec<TransportKind>,

    /// An origin allowed to make cross-origin requests (repeatable; `*` for any).
    #[arg(
        long = "cors-origin",
        env = "EDGEIO_CORS_ORIGIN",
        value_delimiter = ',',
        value_name = "ORIGIN"
    )]
    pub cors_origins: Vec<String>,

    /// Allow credentials (cookies) on cross-origin requests.
    #[arg(long, env = "EDGEIO_CORS_CREDENTIALS")]
    pub cors_credentials: bool,

    /// Send the session id in a cookie of this name with the handshake (for
    /// sticky load balancing).
    #[arg(long, env = "EDGEIO_COOKIE", value_name = "NAME")]
    pub cookie: Option<String>,

    /// Milliseconds an upgrade from polling to WebSocket may take.
    #[arg(
        long,
        env = "EDGEIO_UPGRADE_TIMEOUT",
        default_value_t = 10_000,
        value_name = "MS"
    )]
    pub upgrade_timeout: u64,

    /// Outgoing packets queued per session before a client that does not read
    /// is disconnected.
    #[arg(
        long,
        env = "EDGEIO_MAX_BUFFERED_PACKETS",
        default_value_t = 4096,
        value_name = "N"
    )]
    pub max_buffered_packets: usize,

    /// Open sessions at most; further handshakes are answered 503.
    #[arg(
        long,
        env = "EDGEIO_MAX_SESSIONS",
        default_value_t = 100_000,
        value_name = "N"
    )]
    pub max_sessions: usize,

    /// Milliseconds a client may take to join a namespace before it is closed.
    #[arg(
        long,
        env = "EDGEIO_CONNECT_TIMEOUT",
        default_value_t = 45_000,
        value_name = "MS"
    )]
    pub connect_timeout: u64,

    /// Milliseconds the server waits for a client's acknowledgement by default.
    #[arg(
        long,
        env = "EDGEIO_ACK_TIMEOUT",
        default_value_t = 10_000,
        value_name = "MS"
    )]
    pub ack_timeout: u64,

    /// Where sessions, kept broadcasts and application data live: sled (on
    /// disk, in --data-dir) or memory (gone with the process).
    #[arg(long, env = "EDGEIO_STORE", default_value = "sled", value_parser = ["sled", "memory"])]
    pub store: String,

    /// The data directory of --store sled (one edgeio process at a time),
    /// and of the chat service's generated token secret.
    #[arg(
        long,
        env = "EDGEIO_DATA_DIR",
        default_value = "./data",
        value_name = "DIR",
        global = true
    )]
    pub data_dir: PathBuf,

    /// Seconds a disconnected client may take to come back and recover its
    /// session, rooms and missed broadcasts; 0 turns recovery off.
    #[arg(
        long,
        env = "EDGEIO_RECOVERY_WINDOW",
        default_value_t = 120,
        value_name = "SECS"
    )]
    pub recovery_window: u64,

    /// What recovery keeps per namespace, at most.
    #[command(flatten)]
    pub recovery: RecoveryArgs,

    /// This node's id [default: generated once and kept in the data
    /// directory; with --store memory, new at every start].
    #[arg(long, env = "EDGEIO_NODE_ID", value_name = "ID")]
    pub node_id: Option<String>,

    /// The application to run.
    #[arg(long, env = "EDGEIO_APP", default_value = "chat", value_parser = clap::builder::PossibleValuesParser::new(crate::apps::NAMES))]
    pub app: String,

    /// Log format: text or json. Levels come from RUST_LOG (default info).
    #[arg(long, env = "EDGEIO_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,

    /// The byte budgets of a session.
    #[command(flatten)]
    pub buffers: BufferArgs,
    /// The Socket.IO layer's limits.
    #[command(flatten)]
    pub sio: SioArgs,

    /// Which event store carries events between nodes.
    #[command(flatten)]
    pub events: EventArgs,

    /// Which adapter links this node to others.
    #[command(flatten)]
    pub adapter: AdapterArgs,

    /// The Redis Streams adapter's stream.
    #[command(flatten)]
    pub streams: StreamsArgs,

    /// The chat service's token keys.
    #[command(flatten)]
    pub jwt: JwtArgs,

    /// The chat service's limits.
    #[command(flatten)]
    pub chat: ChatArgs,

    /// The connection-level timeouts and caps.
    #[command(flatten)]
    pub net: NetArgs,

    /// HTTPS and WSS.
    #[command(flatten)]
    pub tls: TlsArgs,

    /// How a stop goes.
    #[command(flatten)]
    pub shutdown: ShutdownArgs,

    /// The config file.
    #[command(flatten)]
    pub config_file: ConfigArgs,

    /// Where /health, /ready and /metrics are served.
    #[command(flatten)]
    pub metrics: MetricsArgs,

    /// How the node reaches its Redis (TLS trust).
    #[command(flatten)]
    pub redis: RedisArgs,

    /// The Socket.IO Admin UI.
    #[command(flatten)]
    pub admin: AdminArgs,

    /// A command to run instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
}

fn parse_transport(s: &str) -> Result<TransportKind, String> {
    TransportKind::parse(s.trim())
        .ok_or_else(|| format!("unknown transport {s:?} (polling, websocket)"))
}

impl Cli {
    /// The address to listen on: `--listen`, else `127.0.0.1:$PORT`, else
    /// `127.0.0.1:3000`.
    pub fn listen_addr(&self, port_env: Option<&str>) -> Result<SocketAddr, String> {
        if let Some(addr) = self.listen {
            return Ok(addr);
        }
        let port = match port_env {
            Some(p) => p
                .trim()
                .parse::<u16>()
                .map_err(|_| format!("PORT is not a port number: {p:?}"))?,
            None => 3000,
        };
        Ok(SocketAddr::from(([127, 0, 0, 1], port)))
    }

    /// The Socket.IO settings these flags describe (the storage is opened
    /// apart, and set by the caller).
    pub fn io_config(&self) -> IoConfig {
        self.sio.apply(IoConfig {
            connect_timeout: Duration::from_millis(self.connect_timeout),
            ack_timeout: Duration::from_millis(self.ack_timeout),
            limits: Limits {
                max_len: self.max_payload,
                ..Limits::default()
            },
            recovery: self.recovery_config(),
            ..IoConfig::default()
        })
    }

    /// The storage these flags describe.
    pub fn storage_config(&self) -> StorageConfig {
        let backend = match self.store.as_str() {
            "memory" => Backend::Memory,
            _ => Backend::Sled {
                dir: self.data_dir.clone(),
            },
        };
        StorageConfig {
            backend,
            node_id: self.node_id.clone(),
            events: self.event_store_config(),
        }
    }

    /// The engine settings these flags describe.
    pub fn engine_config(&self) -> Result<EngineConfig, String> {
        if self.transports.is_empty() {
            return Err("--transports needs at least one transport".into());
        }
        if self.ping_interval == 0 || self.ping_timeout == 0 {
            return Err("--ping-interval and --ping-timeout must be above 0".into());
        }
        let mut transports = Vec::new();
        for t in [TransportKind::Polling, TransportKind::WebSocket] {
            if self.transports.contains(&t) {
                transports.push(t);
            }
        }
        let config = EngineConfig {
            ping_interval: Duration::from_millis(self.ping_interval),
            ping_timeout: Duration::from_millis(self.ping_timeout),
            max_payload: self.max_payload,
            transports,
            upgrade_timeout: Duration::from_millis(self.upgrade_timeout),
            max_buffered_packets: self.max_buffered_packets,
            max_sessions: self.max_sessions,
            cors: CorsConfig::from_origins(&self.cors_origins, self.cors_credentials),
            cookie: self.cookie.as_ref().map(|name| CookieConfig {
                name: name.clone(),
                ..CookieConfig::default()
            }),
            handshake_rate: self.handshake_rate()?,
            ..EngineConfig::default()
        };
        Ok(self.buffers.apply(config).with_path(&self.path))
    }
}

#[cfg(test)]
mod tests;
