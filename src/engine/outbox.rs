//! [`Outbox`]: the frames waiting for a session's transport, and the token
//! that lets one transport at a time write them.
//!
//! A queue bounded twice, by frames and by bytes (a client that stops
//! reading must not grow server memory, and a few large frames hold as much
//! as many small ones), that costs nothing while empty: the deque allocates
//! on the first frame and gives back what a burst grew once it is drained.
//! The bytes are a running total kept with the frames, so checking the
//! budget never walks the queue. The transport takes everything queued in
//! one lock, so a burst leaves in one write.

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::Notify;

use super::packet::Frame;

/// Capacity kept after a drain; more than this is given back.
const KEEP: usize = 16;

/// The queue was full (by frames or by bytes). Queuing had no effect: what
/// to do about it (close the session, or drop the frame) is the caller's.
#[derive(Debug)]
pub(crate) struct Full;

/// How much may wait in one outbox.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    /// At most this many frames.
    pub(crate) frames: usize,
    /// At most this many bytes of frames ([`size`]); one frame always
    /// fits in an empty queue, whatever its size.
    pub(crate) bytes: usize,
}

/// The bytes a queued frame holds: its text or its binary data. Frames of a
/// broadcast share their bytes; each queue counts them all the same, so a
/// budget bounds a session whatever the others hold.
fn size(frame: &Frame) -> usize {
    match frame {
        Frame::Text(t) => t.len(),
        Frame::Binary(b) => b.len(),
    }
}

/// The queued frames and their bytes, under one lock.
#[derive(Default)]
struct Queue {
    /// Frames in sending order.
    frames: VecDeque<Frame>,
    /// The sum of the frames' [`size`].
    bytes: usize,
}

impl Queue {
    /// True when `frame` may join the queue within `budget`.
    fn has_room(&self, frame: &Frame, budget: Budget) -> bool {
        self.frames.is_empty()
            || (self.frames.len() < budget.frames
                && self.bytes.saturating_add(size(frame)) <= budget.bytes)
    }
}

/// The frames waiting for a session's transport.
pub(crate) struct Outbox {
    /// Frames in sending order, and their bytes.
    queue: Mutex<Queue>,
    /// What may wait at most.
    budget: Budget,
    /// Signalled when a frame is queued.
    ready: Notify,
    /// Signalled when the transport took frames (room was made).
    room: Notify,
    /// Held by the transport writing (a polling GET, or the WebSocket task).
    pub(crate) writer: tokio::sync::Mutex<()>,
}

impl Outbox {
    pub(crate) fn new(budget: Budget) -> Self {
        Self {
            queue: Mutex::new(Queue::default()),
            budget,
            ready: Notify::new(),
            room: Notify::new(),
            writer: tokio::sync::Mutex::new(()),
        }
    }

    /// Queues a frame, unless the queue is full; then nothing changes.
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
            let Ok(mut queue) = self.queue.lock() else {
                return 0;
            };
            let n = queue.frames.len().min(max);
            let mut taken = 0;
            into.reserve(n);
            for frame in queue.frames.drain(..n) {
                taken += size(&frame);
                into.push(frame);
            }
            queue.bytes = queue.bytes.saturating_sub(taken);
            if queue.frames.is_empty() && queue.frames.capacity() > KEEP {
                queue.frames.shrink_to(KEEP);
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
            let Ok(mut queue) = self.queue.lock() else {
                return Err(frame);
            };
            if !queue.has_room(&frame, self.budget) {
                return Err(frame);
            }
            queue.bytes = queue.bytes.saturating_add(size(&frame));
            queue.frames.push_back(frame);
        }
        self.ready.notify_one();
        Ok(())
    }

    /// True when no frame waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.queue
            .lock()
            .map(|q| q.frames.is_empty())
            .unwrap_or(true)
    }

    /// The bytes of the frames waiting ([`size`] summed).
    pub(crate) fn bytes(&self) -> usize {
        self.queue.lock().map(|q| q.bytes).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A budget of `n` frames, bytes unbounded.
    fn frames(n: usize) -> Budget {
        Budget {
            frames: n,
            bytes: usize::MAX,
        }
    }

    #[test]
    fn bounded_ordered_and_drained_in_batches() {
        let outbox = Outbox::new(frames(3));
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
        let outbox = std::sync::Arc::new(Outbox::new(frames(1)));
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
        let outbox = std::sync::Arc::new(Outbox::new(frames(8)));
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

    /// A budget of `n` bytes, frames unbounded.
    fn bytes(n: usize) -> Budget {
        Budget {
            frames: usize::MAX,
            bytes: n,
        }
    }

    #[test]
    fn bytes_are_counted_on_push_and_given_back_on_take() {
        let outbox = Outbox::new(bytes(100));
        outbox.push(Frame::message("abc")).expect("room");
        outbox
            .push(Frame::binary(bytes::Bytes::from_static(&[1, 2, 3, 4, 5])))
            .expect("room");
        assert_eq!(
            outbox.bytes(),
            4 + 5,
            "the text with its type digit, the raw binary"
        );
        let mut got = Vec::new();
        outbox.take(&mut got, 1);
        assert_eq!(outbox.bytes(), 5, "what is still queued");
        outbox.take(&mut got, 8);
        assert_eq!(outbox.bytes(), 0, "drained");
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn full_by_bytes_long_before_the_frame_count() {
        let outbox = Outbox::new(Budget {
            frames: 4096,
            bytes: 10,
        });
        outbox.push(Frame::message("12345")).expect("6 bytes fit");
        outbox
            .push(Frame::message("123"))
            .expect("10 bytes fit exactly");
        assert!(outbox.push(Frame::message("")).is_err(), "11 bytes do not");
        assert_eq!(outbox.bytes(), 10, "a refused frame leaves no trace");
        let mut got = Vec::new();
        outbox.take(&mut got, 1);
        outbox
            .push(Frame::message("1234"))
            .expect("room made by the take");
        assert_eq!(outbox.bytes(), 4 + 5);
    }

    #[test]
    fn one_frame_over_the_budget_fits_an_empty_queue_only() {
        let outbox = Outbox::new(bytes(10));
        let big = Frame::message(&"x".repeat(100));
        outbox
            .push(big.clone())
            .expect("an empty queue takes any frame");
        assert_eq!(outbox.bytes(), 101);
        assert!(outbox.push(Frame::message("")).is_err(), "over budget now");
        let mut got = Vec::new();
        outbox.take(&mut got, 8);
        assert_eq!(got, vec![big.clone()]);
        outbox.push(big).expect("empty again");
    }

    #[tokio::test]
    async fn push_when_room_waits_for_bytes_to_be_taken() {
        let outbox = std::sync::Arc::new(Outbox::new(bytes(4)));
        outbox.push(Frame::message("abc")).expect("room");
        let pusher = tokio::spawn({
            let outbox = outbox.clone();
            async move { outbox.push_when_room(Frame::message("d")).await }
        });
        tokio::task::yield_now().await;
        assert!(!pusher.is_finished(), "waits while over budget");
        let mut got = Vec::new();
        outbox.take(&mut got, 8);
        tokio::time::timeout(std::time::Duration::from_secs(5), pusher)
            .await
            .expect("woken by the take")
            .expect("task");
        assert_eq!(outbox.bytes(), 2);
    }
}
