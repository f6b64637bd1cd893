//! `NamespaceGauge`: connected sockets per namespace, with a cap on the
//! label values so that clients joining ever new dynamic namespaces cannot
//! grow the scrape (or the registry) without bound.

use std::collections::HashMap;
use std::sync::Mutex;

use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;

/// The label value of the namespaces past the cap.
pub const OTHER: &str = "_other";

/// The most namespaces shown under their own name; the rest are summed
/// under [`OTHER`].
pub const MAX_NAMESPACE_LABELS: usize = 100;

/// The `namespace` label.
pub(crate) type NsLabel = [(&'static str, String); 1];

/// Sockets per namespace. A namespace keeps the label it got when its first
/// socket joined until its last one leaves, when its series is removed.
#[derive(Debug)]
pub(crate) struct NamespaceGauge {
    family: Family<NsLabel, Gauge>,
    /// The namespaces with sockets: how many, and whether they are counted
    /// under their own name.
    live: Mutex<Live>,
    cap: usize,
}

#[derive(Debug, Default)]
struct Live {
    sockets: HashMap<String, (u64, bool)>,
    own_labels: usize,
}

impl NamespaceGauge {
    pub(crate) fn new(family: Family<NsLabel, Gauge>, cap: usize) -> Self {
        Self {
            family,
            live: Mutex::default(),
            cap,
        }
    }

    fn label(name: &str, own: bool) -> NsLabel {
        [("namespace", if own { name } else { OTHER }.to_owned())]
    }

    /// A socket joined namespace `name`.
    pub(crate) fn joined(&self, name: &str) {
        let Ok(mut live) = self.live.lock() else {
            return;
        };
        let own = match live.sockets.get_mut(name) {
            Some((n, own)) => {
                *n += 1;
                *own
            }
            None => {
                let own = live.own_labels < self.cap;
                live.own_labels += usize::from(own);
                live.sockets.insert(name.to_owned(), (1, own));
                own
            }
        };
        self.family.get_or_create(&Self::label(name, own)).inc();
    }

    /// A socket left namespace `name`.
    pub(crate) fn left(&self, name: &str) {
        let Ok(mut live) = self.live.lock() else {
            return;
        };
        let Some((n, own)) = live.sockets.get_mut(name) else {
            return;
        };
        *n -= 1;
        let (gone, own) = (*n == 0, *own);
        let label = Self::label(name, own);
        if gone {
            live.sockets.remove(name);
            live.own_labels -= usize::from(own);
        }
        if gone && own {
            self.family.remove(&label);
        } else {
            let remaining = self.family.get_or_create(&label).dec() - 1;
            if remaining == 0 && !own {
                self.family.remove(&label);
            }
        }
    }
}
