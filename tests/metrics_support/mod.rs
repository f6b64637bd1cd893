//! Scraping `/metrics` over HTTP in tests, and a Socket.IO server started
//! with its metrics and the operational endpoints on its port.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use edgeio::engine::{Engine, EngineConfig};
use edgeio::http::{OpsHandler, ServeConfig};
use edgeio::metrics::Metrics;
use edgeio::server::{Io, IoConfig};

use crate::common::request;

/// Every series of one scrape: `name{labels}` as printed, and its value.
#[derive(Debug, Clone, Default)]
pub struct Scrape(pub BTreeMap<String, f64>);

impl Scrape {
    /// The value of `series`, 0 when absent (a family member not made yet).
    pub fn get(&self, series: &str) -> f64 {
        self.0.get(series).copied().unwrap_or(0.0)
    }

    /// True when the scrape holds `series`.
    pub fn has(&self, series: &str) -> bool {
        self.0.contains_key(series)
    }
}

/// Parses the OpenMetrics text: one `series value` per line that is not a
/// comment.
pub fn parse(text: &str) -> Scrape {
    let mut series = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (name, value) = line.rsplit_once(' ').expect("a series and a value");
        let value: f64 = value.parse().expect("a number");
        series.insert(name.to_owned(), value);
    }
    Scrape(series)
}

/// GETs `/metrics` from `addr` and parses it, checking the content type.
pub async fn scrape(addr: SocketAddr) -> Scrape {
    let r = request(addr, "GET", "/metrics", &[], b"").await;
    assert_eq!(r.status, 200, "GET /metrics: {}", r.text());
    let content_type = r.header("content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("application/openmetrics-text; version=1.0.0"),
        "content type {content_type:?}"
    );
    let text = r.text();
    assert!(text.ends_with("# EOF\n"), "a complete exposition");
    parse(&text)
}

/// Scrapes until `series` reaches `at_least` (within a generous bound) and
/// returns that scrape: what the server records after it answered may
/// land a moment after the client saw the answer.
pub async fn scrape_until(addr: SocketAddr, series: &str, at_least: f64) -> Scrape {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let s = scrape(addr).await;
        if s.get(series) >= at_least {
            return s;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{series} stayed at {} (waited for {at_least})",
            s.get(series)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A running server: its address, its engine (to drain it) and its stop.
pub struct Served {
    pub addr: SocketAddr,
    pub engine: Engine,
    pub metrics: Metrics,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Serves `io` (built with `io_config`'s metrics) on 127.0.0.1:0 with the
/// engine settings `config`, `/health`, `/ready` and `/metrics` in front of
/// nothing else. Both layers share `metrics`.
pub async fn serve(io: &Io, metrics: &Metrics, config: EngineConfig) -> Served {
    let engine = Engine::new(
        EngineConfig {
            metrics: metrics.clone(),
            ..config
        },
        io.engine_handler(),
    );
    let ops = OpsHandler::new(engine.clone()).with_metrics(Some(metrics.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(edgeio::http::serve_with(
        listener,
        engine.clone(),
        ops.into_fallback(),
        ServeConfig::default(),
        async {
            let _ = stopped.await;
        },
    ));
    Served {
        addr,
        engine,
        metrics: metrics.clone(),
        stop: Some(stop),
    }
}

/// Socket.IO settings recording into `metrics`.
pub fn io_config(metrics: &Metrics) -> IoConfig {
    IoConfig {
        metrics: metrics.clone(),
        ..IoConfig::default()
    }
}
