//! The Redis health metrics, read from the storage's [`Health`] at each
//! scrape (the components count for themselves; nothing is copied):
//!
//! - `edgeio_redis_up{component}`: 1 while the component reaches Redis.
//! - `edgeio_redis_errors_total{component}`: lost connections, failed
//!   attempts to reconnect and failed commands.
//! - `edgeio_redis_reconnects_total{component}`: times it got Redis back.
//! - `edgeio_redis_messages_refused_total{component,reason}`: messages from
//!   Redis not acted on: `malformed` (undecodable or oversized) and
//!   `unknown_answer` (an answer to no request waiting here: a late one).
//! - `edgeio_redis_outbox_entries{component}`: stream entries waiting for
//!   Redis to come back; `edgeio_redis_outbox_dropped_total{component}`:
//!   those dropped because too many waited.
//!
//! A process without Redis-backed components shows none of them.

use std::sync::{Mutex, PoisonError};

use edgeio_storage::{ComponentStatus, Health};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;

/// The [`Health`]s to report, registered once in the metrics' registry.
#[derive(Debug, Default)]
pub(super) struct RedisCollector {
    sources: Mutex<Vec<Health>>,
}

impl RedisCollector {
    /// Reports `health`'s components from now on.
    pub(super) fn watch(&self, health: Health) {
        self.sources
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(health);
    }

    fn statuses(&self) -> Vec<ComponentStatus> {
        self.sources
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .flat_map(Health::statuses)
            .collect()
    }
}

impl Collector for RedisCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let statuses = self.statuses();
        if statuses.is_empty() {
            return Ok(());
        }
        let label = |s: &ComponentStatus| [("component", s.name.clone())];

        let mut up = encoder.encode_descriptor(
            "redis_up",
            "1 while the component reaches Redis, 0 while it does not",
            None,
            MetricType::Gauge,
        )?;
        for s in &statuses {
            let labels = label(s);
            ConstGauge::new(i64::from(s.up)).encode(up.encode_family(&labels)?)?;
        }

        let mut errors = encoder.encode_descriptor(
            "redis_errors",
            "Redis errors: lost connections, failed reconnection attempts, failed commands",
            None,
            MetricType::Counter,
        )?;
        for s in &statuses {
            let labels = label(s);
            ConstCounter::new(s.errors).encode(errors.encode_family(&labels)?)?;
        }

        let mut reconnects = encoder.encode_descriptor(
            "redis_reconnects",
            "Times the component got Redis back after losing it",
            None,
            MetricType::Counter,
        )?;
        for s in &statuses {
            let labels = label(s);
            ConstCounter::new(s.reconnects).encode(reconnects.encode_family(&labels)?)?;
        }

        let mut refused = encoder.encode_descriptor(
            "redis_messages_refused",
            "Messages from Redis not acted on: malformed (undecodable or oversized), \
             unknown_answer (an answer to no request waiting here)",
            None,
            MetricType::Counter,
        )?;
        for s in &statuses {
            for (reason, count) in [
                ("malformed", s.refused),
                ("unknown_answer", s.unknown_answers),
            ] {
                let labels = [("component", s.name.clone()), ("reason", reason.to_owned())];
                ConstCounter::new(count).encode(refused.encode_family(&labels)?)?;
            }
        }

        let mut waiting = encoder.encode_descriptor(
            "redis_outbox_entries",
            "Stream entries waiting for Redis to come back",
            None,
            MetricType::Gauge,
        )?;
        for s in &statuses {
            let labels = label(s);
            let n = i64::try_from(s.outbox_entries).unwrap_or(i64::MAX);
            ConstGauge::new(n).encode(waiting.encode_family(&labels)?)?;
        }

        let mut dropped = encoder.encode_descriptor(
            "redis_outbox_dropped",
            "Stream entries dropped because too many waited for Redis",
            None,
            MetricType::Counter,
        )?;
        for s in &statuses {
            let labels = label(s);
            ConstCounter::new(s.outbox_dropped).encode(dropped.encode_family(&labels)?)?;
        }
        Ok(())
    }
}
