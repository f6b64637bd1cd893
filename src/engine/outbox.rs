//! [`Outbox`]: the frames waiting for a session's transport, and the token
//! that lets one transport at a time write them.
//!
//! A bounded queue (a client that stops reading must not grow server
//! memory) that costs nothing while empty: the deque allocates on the first
//! frame and gives back what a burst grew once it is drained. The transport
//! takes everything queued in one lock, so a burst leaves in one write.

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::Notify;

use super::packet::Frame;

/// Capacity kept after a drain; more than this is given back.
const KEEP: usize = 16;

/// The queue was full.
#[derive(Debug)]
pub(crate) struct Full;

/// The frames waiting for a session's transport.
pub(crate) struct Outbox {
    /// Frames in sending order.
    frames: Mutex<VecDeque<Frame>>,
    /// At most this many frames wait.
    capacity: usize,
    /// Signalled when a frame is queued.
    ready: Notify,
    /// Signalled when the transport took frames (room was made).
    room: Notify,
    /// Held by the transport writing (a polling GET, or the WebSocket task).
    pub(crate) writer: tokio::sync::Mutex<()>,
}

impl Outbox {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            frames: Mutex::new(VecDeque::new()),
            capacity: capacity.max(1),
            ready: Notify::new(),
            room: Notify::new(),
            writer: tokio::sync::Mutex::new(()),
        }
    }

    /// Queues a frame, unless the queue is full.
    pub(crate) fn push(&self, frame: Frame) -> Result<(), Full> {
        self.try_push(frame).map_err(|_| Full)
    }

    /// Resolves once a frame is waiting. Cancel-safe.
    pub(crate) async fn ready(&self) {
        loop {
            let notified = self.ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if !self.is_empty() {
                return;
            }
            notified.await;
        }
    }

    /// Moves up to `max` waiting frames into `into`; returns how many.
    pub(crate) fn take(&self, into: &mut Vec<Frame>, max: usize) -> usize {
        let n = {
            let Ok(mut frames) = self.frames.lock() else {
                return 0;
            };
            let n = frames.len().min(max);
            into.extend(frames.drain(..n));
            if frames.is_empty() && frames.capacity() > KEEP {
                frames.shrink_to(KEEP);
            }
            n
        };
        if n > 0 {
            self.room.notify_waiters();
        }
        n
    }

    /// Queues a frame, waiting while the queue is full (for senders that
    /// must not drop and can wait, such as a recovery replay). Cancel-safe.
    pub(crate) async fn push_when_room(&self, frame: Frame) {
        let mut frame = Some(frame);
        loop {
            let room = self.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            if let Some(f) = frame.take() {
                match self.try_push(f) {
                    Ok(()) => return,
                    Err(f) => frame = Some(f),
                }
            }
            room.await;
        }
    }

    /// Queues a frame unless the queue is full, handing it back then.
    fn try_push(&self, frame: Frame) -> Result<(), Frame> {
        {
            let Ok(mut frames) = self.frames.lock() else {
                return Err(frame);
            };
            if frames.len() >= self.capacity {
                return Err(frame);
            }
            frames.push_back(frame);
        }
        self.ready.notify_one();
        Ok(())
    }

    /// True when no frame waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.frames.lock().map(|f| f.is_empty()).unwrap_or(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_ordered_and_drained_in_batches() {
        let outbox = Outbox::new(3);
        for text in ["a", "b", "c"] {
            outbox.push(Frame::message(text)).expect("room left");
        }
        assert!(outbox.push(Frame::message("d")).is_err(), "full at 3");
        let mut got = Vec::new();
        assert_eq!(outbox.take(&mut got, 2), 2);
        assert_eq!(got, vec![Frame::message("a"), Frame::message("b")]);
        assert_eq!(outbox.take(&mut got, 10), 1);
        assert!(outbox.is_empty());
    }

    #[tokio::test]
    async fn push_when_room_waits_for_the_transport_to_take() {
        let outbox = std::sync::Arc::new(Outbox::new(1));
        outbox.push(Frame::message("a")).expect("room");
        let pusher = tokio::spawn({
            let outbox = outbox.clone();
            async move { outbox.push_when_room(Frame::message("b")).await }
        });
        tokio::task::yield_now().await;
        assert!(!pusher.is_finished(), "waits while full");
        let mut got = Vec::new();
        assert_eq!(outbox.take(&mut got, 8), 1);
        tokio::time::timeout(std::time::Duration::from_secs(5), pusher)
            .await
            .expect("woken by the take")
            .expect("task");
        outbox.take(&mut got, 8);
        assert_eq!(got, vec![Frame::message("a"), Frame::message("b")]);
    }

    #[tokio::test]
    async fn ready_wakes_on_a_push_made_before_or_after_waiting() {
        let outbox = std::sync::Arc::new(Outbox::new(8));
        outbox.push(Frame::message("early")).expect("room");
        outbox.ready().await;
        let mut got = Vec::new();
        outbox.take(&mut got, 8);
        let waiter = tokio::spawn({
            let outbox = outbox.clone();
            async move { outbox.ready().await }
        });
        tokio::task::yield_now().await;
        outbox.push(Frame::message("late")).expect("room");
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .expect("task");
    }
}
