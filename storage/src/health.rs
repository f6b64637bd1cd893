//! Whether the components that depend on an outside service can reach it:
//! each such component (a Redis event store today, a Redis adapter later)
//! keeps a [`ComponentHealth`] up to date — up when connected, down with the
//! error when it lost the service — and [`Health`] gathers them so that
//! whoever reports readiness or metrics reads them all in one place.
//!
//! Nothing here knows of HTTP or Socket.IO: the server decides what "not
//! ready" means, and how to show it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// One component's connection state. Cheap to clone; clones share it. A new
/// one is down until [`ComponentHealth::connected`] is first called.
#[derive(Clone)]
pub struct ComponentHealth {
    inner: Arc<State>,
}

struct State {
    name: String,
    up: AtomicBool,
    /// True once it was up at least once (a later `connected` is a reconnect).
    ever_up: AtomicBool,
    errors: AtomicU64,
    reconnects: AtomicU64,
    refused: AtomicU64,
    unknown_answers: AtomicU64,
    outbox_entries: AtomicU64,
    outbox_dropped: AtomicU64,
    last_error: Mutex<Option<String>>,
}

/// A snapshot of one component's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentStatus {
    /// The component's name (say `events`), as metrics label it.
    pub name: String,
    /// True while it can reach its service.
    pub up: bool,
    /// Errors seen so far: lost connections, failed attempts, failed commands.
    pub errors: u64,
    /// How many times it got its service back after losing it.
    pub reconnects: u64,
    /// Messages from the service it refused: undecodable or oversized.
    pub refused: u64,
    /// Answers that matched no request waiting here (late ones).
    pub unknown_answers: u64,
    /// Entries waiting, while the service is away, to be sent once it is
    /// back.
    pub outbox_entries: u64,
    /// Entries dropped because too many waited.
    pub outbox_dropped: u64,
    /// The last error seen, if any.
    pub last_error: Option<String>,
}

impl ComponentHealth {
    /// A component named `name`, down until it connects.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            inner: Arc::new(State {
                name: name.into(),
                up: AtomicBool::new(false),
                ever_up: AtomicBool::new(false),
                errors: AtomicU64::new(0),
                reconnects: AtomicU64::new(0),
                refused: AtomicU64::new(0),
                unknown_answers: AtomicU64::new(0),
                outbox_entries: AtomicU64::new(0),
                outbox_dropped: AtomicU64::new(0),
                last_error: Mutex::new(None),
            }),
        }
    }

    /// The component's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// True while it can reach its service.
    pub fn is_up(&self) -> bool {
        self.inner.up.load(Ordering::Acquire)
    }

    /// It reached its service; a reconnect when it had lost it after being up.
    pub fn connected(&self) {
        let was_up = self.inner.up.swap(true, Ordering::AcqRel);
        let ever_up = self.inner.ever_up.swap(true, Ordering::AcqRel);
        if ever_up && !was_up {
            self.inner.reconnects.fetch_add(1, Ordering::Relaxed);
            tracing::info!(component = %self.name(), "redis reachable again");
        }
    }

    /// It lost its service (or failed to reach it) with `error`: down, and
    /// the error counted.
    pub fn lost(&self, error: &dyn std::fmt::Display) {
        if self.inner.up.swap(false, Ordering::AcqRel) {
            tracing::warn!(component = %self.name(), %error, "redis unreachable");
        }
        self.error(error);
    }

    /// One command failed with `error`: counted and kept, the state unchanged
    /// (the connection's own loss is reported by [`ComponentHealth::lost`]).
    pub fn error(&self, error: &dyn std::fmt::Display) {
        self.inner.errors.fetch_add(1, Ordering::Relaxed);
        *self.last_error() = Some(error.to_string());
    }

    /// It refused a message from its service (undecodable or oversized):
    /// counted, the state unchanged.
    pub fn refused(&self) {
        self.inner.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// An answer came that matched no request waiting here: counted, the
    /// state unchanged.
    pub fn unknown_answer(&self) {
        self.inner.unknown_answers.fetch_add(1, Ordering::Relaxed);
    }

    /// `entries` wait to be sent once the service is back.
    pub fn outbox(&self, entries: usize) {
        self.inner
            .outbox_entries
            .store(entries as u64, Ordering::Relaxed);
    }

    /// An entry was dropped because too many waited; the count so far.
    pub fn outbox_dropped(&self) -> u64 {
        self.inner.outbox_dropped.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// A snapshot of the state.
    pub fn status(&self) -> ComponentStatus {
        ComponentStatus {
            name: self.inner.name.clone(),
            up: self.is_up(),
            errors: self.inner.errors.load(Ordering::Relaxed),
            reconnects: self.inner.reconnects.load(Ordering::Relaxed),
            refused: self.inner.refused.load(Ordering::Relaxed),
            unknown_answers: self.inner.unknown_answers.load(Ordering::Relaxed),
            outbox_entries: self.inner.outbox_entries.load(Ordering::Relaxed),
            outbox_dropped: self.inner.outbox_dropped.load(Ordering::Relaxed),
            last_error: self.last_error().clone(),
        }
    }

    fn last_error(&self) -> MutexGuard<'_, Option<String>> {
        self.inner
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for ComponentHealth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.status().fmt(f)
    }
}

/// The components of one process that depend on Redis. Cheap to clone;
/// clones share the list. Components are added once, when they are built.
#[derive(Clone, Default, Debug)]
pub struct Health {
    components: Arc<Mutex<Vec<ComponentHealth>>>,
}

impl Health {
    /// No components yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Watches `component` from now on.
    pub fn add(&self, component: ComponentHealth) {
        self.lock().push(component);
    }

    /// Every component's state, in the order they were added.
    pub fn statuses(&self) -> Vec<ComponentStatus> {
        self.lock().iter().map(ComponentHealth::status).collect()
    }

    /// The names of the components that are down now (empty when all are up).
    pub fn down(&self) -> Vec<String> {
        self.lock()
            .iter()
            .filter(|c| !c.is_up())
            .map(|c| c.name().to_owned())
            .collect()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<ComponentHealth>> {
        self.components
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_component_goes_down_and_back_counting_errors_and_reconnects() {
        let events = ComponentHealth::new("events");
        let health = Health::new();
        health.add(events.clone());
        assert_eq!(health.down(), ["events"], "down until first connected");

        events.connected();
        events.connected();
        assert!(health.down().is_empty());
        assert_eq!(events.status().reconnects, 0, "connected, never lost");
        assert!(format!("{events:?}").contains("\"events\""));

        events.error(&"publish: timed out");
        assert!(events.is_up(), "a failed command leaves the state");
        events.lost(&"connection refused");
        events.lost(&"connection refused again");
        assert_eq!(health.down(), ["events"]);
        events.connected();
        events.connected();
        events.refused();
        events.refused();
        events.unknown_answer();
        let status = &health.statuses()[0];
        assert!(status.up);
        assert_eq!(status.errors, 3);
        assert_eq!(status.reconnects, 1);
        assert_eq!((status.refused, status.unknown_answers), (2, 1));
        assert_eq!(
            status.last_error.as_deref(),
            Some("connection refused again")
        );
    }
}
