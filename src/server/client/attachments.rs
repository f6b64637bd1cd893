//! The reassembly of a binary packet: its text part announces N attachments,
//! which follow as binary messages. The packet is parked until they are all
//! in — within [`IoConfig::attachment_timeout`] and
//! [`Limits::max_attachment_bytes`] bytes; a client going over either is
//! closed as a parse error, so that what one client can park is bounded in
//! bytes and in time.
//!
//! [`IoConfig::attachment_timeout`]: crate::server::IoConfig
//! [`Limits::max_attachment_bytes`]: crate::protocol::Limits

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use bytes::Bytes;
use tokio::task::AbortHandle;

use super::Client;
use crate::protocol::{Packet, ProtocolError};

/// A binary packet waiting for its attachments.
pub(super) struct Parked {
    /// The packet, with the attachments received so far.
    packet: Packet,
    /// Attachments announced.
    expected: usize,
    /// Bytes of the attachments received so far.
    bytes: usize,
    /// Which parked packet of the client this is (for its timer).
    seq: u64,
    /// The timer that closes the client if the attachments are late.
    timer: Option<AbortHandle>,
}

impl Parked {
    /// The packet, its timer stopped.
    fn finish(self) -> Packet {
        if let Some(timer) = &self.timer {
            timer.abort();
        }
        self.packet
    }
}

/// Drops the parked packet in `slot`, if any, and its timer.
fn discard(slot: &mut Option<Parked>) {
    if let Some(parked) = slot.take() {
        parked.finish();
    }
}

/// What an attachment did to the parked packet.
pub(super) enum Received {
    /// The packet is complete.
    Complete(Packet),
    /// More are expected.
    Waiting,
}

impl Client {
    /// Parks `packet` until its `expected` attachments arrive, and starts the
    /// timer that gives up on them.
    pub(super) fn park(self: &Arc<Self>, packet: Packet, expected: usize) {
        let Ok(mut slot) = self.pending.lock() else {
            return;
        };
        let seq = self.parked.fetch_add(1, Ordering::Relaxed);
        let timer = tokio::runtime::Handle::try_current().ok().map(|rt| {
            let client: Weak<Client> = Arc::downgrade(self);
            let timeout = self.config().attachment_timeout;
            rt.spawn(async move {
                tokio::time::sleep(timeout).await;
                if let Some(client) = client.upgrade() {
                    client.attachments_overdue(seq);
                }
            })
            .abort_handle()
        });
        *slot = Some(Parked {
            packet,
            expected,
            bytes: 0,
            seq,
            timer,
        });
    }

    /// True while a packet waits for attachments.
    pub(super) fn is_parked(&self) -> bool {
        self.pending.lock().map(|p| p.is_some()).unwrap_or(false)
    }

    /// Adds `data` to the parked packet.
    pub(super) fn attach(&self, data: Bytes) -> Result<Received, ProtocolError> {
        let Ok(mut slot) = self.pending.lock() else {
            return Err(ProtocolError::UnexpectedAttachment);
        };
        let parked = slot.as_mut().ok_or(ProtocolError::UnexpectedAttachment)?;
        let max = self.config().limits.max_attachment_bytes;
        parked.bytes = parked.bytes.saturating_add(data.len());
        if parked.bytes > max {
            discard(&mut slot);
            return Err(ProtocolError::AttachmentsTooLarge(max));
        }
        parked.packet.attachments.push(data);
        if parked.packet.attachments.len() < parked.expected {
            return Ok(Received::Waiting);
        }
        match slot.take() {
            Some(done) => Ok(Received::Complete(done.finish())),
            None => Err(ProtocolError::UnexpectedAttachment),
        }
    }

    /// Forgets the parked packet (the client closed).
    pub(super) fn unpark(&self) {
        if let Ok(mut slot) = self.pending.lock() {
            discard(&mut slot);
        }
    }

    /// The timer of parked packet `seq` ran out: if it is still parked, the
    /// client is closed.
    fn attachments_overdue(&self, seq: u64) {
        let overdue = match self.pending.lock() {
            Ok(mut slot) if slot.as_ref().is_some_and(|p| p.seq == seq) => {
                *slot = None;
                true
            }
            _ => false,
        };
        if overdue {
            self.parse_error(ProtocolError::AttachmentsTimedOut);
        }
    }
}
