//! [`Reader`]: what both Redis event stores keep beside their publishing
//! connection — the node's listeners, the task that reads Redis and hands
//! them events, and whether the store was shut down.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::{Subscribers, COMMAND_TIMEOUT};
use crate::error::{Result, StorageError};
use crate::event::{EventListener, EventType, SubscriptionId};

/// A store's listeners and its reading task.
pub(super) struct Reader {
    subscribers: Arc<Subscribers>,
    task: Mutex<Option<JoinHandle<()>>>,
    shut: AtomicBool,
}

impl Reader {
    /// Spawns `read_loop` with the listeners and a `ready` sender, and
    /// returns once the loop says it is ready (it hears what is published
    /// from then on); after [`COMMAND_TIMEOUT`] without it, stops the loop
    /// and fails with `Unavailable(what)`.
    pub(super) async fn start<F, Fut>(read_loop: F, what: impl FnOnce() -> String) -> Result<Self>
    where
        F: FnOnce(Arc<Subscribers>, oneshot::Sender<()>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let subscribers = Arc::new(Subscribers::default());
        let (ready_tx, ready_rx) = oneshot::channel();
        let task = tokio::spawn(read_loop(subscribers.clone(), ready_tx));
        if !matches!(
            tokio::time::timeout(COMMAND_TIMEOUT, ready_rx).await,
            Ok(Ok(()))
        ) {
            task.abort();
            return Err(StorageError::Unavailable(what()));
        }
        Ok(Self {
            subscribers,
            task: Mutex::new(Some(task)),
            shut: AtomicBool::new(false),
        })
    }

    /// `Err(ShutDown)` once [`Reader::shutdown`] ran.
    pub(super) fn check_open(&self) -> Result<()> {
        if self.shut.load(Ordering::Acquire) {
            Err(StorageError::ShutDown)
        } else {
            Ok(())
        }
    }

    /// Adds a listener of `event_type`.
    pub(super) fn subscribe(
        &self,
        event_type: EventType,
        listener: EventListener,
    ) -> Result<SubscriptionId> {
        self.check_open()?;
        Ok(self.subscribers.add(event_type, listener))
    }

    /// Removes listener `id`; false when it was not there.
    pub(super) fn unsubscribe(&self, id: SubscriptionId) -> bool {
        self.subscribers.remove(id)
    }

    /// Refuses further use and stops the reading task.
    pub(super) async fn shutdown(&self) {
        self.shut.store(true, Ordering::Release);
        let task = self
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(task) = task {
            task.abort();
            let _ = task.await;
        }
    }
}
