//! What a [`Socket`] sends: emits, encoded packets and shared frames, all
//! through one queueing step — which, while a restored socket is being sent
//! the broadcasts it missed, holds new frames back behind them so that
//! order is kept and nothing is dropped however many it missed.
//!
//! A client whose queue is full is disconnected (`send buffer full`),
//! except by a volatile packet: that one is dropped for it instead.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;

use super::Socket;
use crate::engine::{self, Frame};
use crate::metrics::Dropped;
use crate::protocol::Packet;
use crate::server::error::EmitError;

/// Frames a socket may queue behind a replay, beyond those replayed, before
/// it counts as a client that does not read.
const HELD_BACK_LIMIT: usize = 4096;

/// The replay of missed broadcasts to a restored socket.
#[derive(Default)]
pub(crate) struct Replay {
    /// True while frames wait in `backlog` (read on every send: one load).
    active: AtomicBool,
    /// Missed frames, then frames sent meanwhile, in order.
    backlog: Mutex<VecDeque<Frame>>,
    /// How many frames `backlog` may hold.
    limit: std::sync::atomic::AtomicUsize,
}

impl Socket {
    /// Emits event `name` with one argument.
    pub fn emit<T: Serialize>(self: &Arc<Self>, name: &str, data: T) -> Result<(), EmitError> {
        self.emit_args(name, vec![to_value(data)?], Vec::new())
    }

    /// Emits event `name` with these arguments and binary attachments
    /// (referenced by placeholders in `args`).
    pub fn emit_args(
        self: &Arc<Self>,
        name: &str,
        args: Vec<Value>,
        bins: Vec<Bytes>,
    ) -> Result<(), EmitError> {
        self.notify_outgoing(name, &args);
        self.send_packet(&Packet::event(self.ns(), name, args, bins))
    }

    /// Sends an encoded packet.
    pub(crate) fn send_packet(&self, packet: &Packet) -> Result<(), EmitError> {
        // Frames moved in, not cloned: a frame used once is never shared.
        let engine = self.client.engine().ok_or(EmitError::Disconnected)?;
        self.queue(&engine, text_frame(packet), false)?;
        for data in &packet.attachments {
            self.queue(&engine, Frame::binary(data.clone()), false)?;
        }
        Ok(())
    }

    /// Sends frames encoded once (a broadcast shares them). A `volatile`
    /// packet the queue has no room for is dropped whole, with
    /// [`EmitError::QueueFull`], and the socket stays connected. Only its
    /// first frame may be dropped so: once it is queued, its attachments
    /// must follow (half a packet would garble what comes after it).
    pub(crate) fn send_frames(&self, frames: &[Frame], volatile: bool) -> Result<(), EmitError> {
        let engine = self.client.engine().ok_or(EmitError::Disconnected)?;
        let Some((first, attachments)) = frames.split_first() else {
            return Ok(());
        };
        self.queue(&engine, first.clone(), volatile)?;
        for frame in attachments {
            self.queue(&engine, frame.clone(), false)?;
        }
        Ok(())
    }

    pub(crate) fn notify_outgoing(self: &Arc<Self>, name: &str, args: &[Value]) {
        self.handlers.outgoing(self, name, args);
    }

    /// Queues one frame on the session, or behind a replay in progress.
    /// No room: a `volatile` frame is dropped, any other closes the session.
    fn queue(
        &self,
        engine: &Arc<engine::Session>,
        frame: Frame,
        volatile: bool,
    ) -> Result<(), EmitError> {
        let replay = &self.replay;
        if replay.active.load(Ordering::Acquire) {
            if let Ok(mut backlog) = replay.backlog.lock() {
                // Checked again under the lock: the replay ends under it.
                if replay.active.load(Ordering::Acquire) {
                    if backlog.len() >= replay.limit.load(Ordering::Relaxed) {
                        let metrics = self.metrics().engine();
                        if volatile {
                            metrics.dropped(Dropped::Volatile);
                        } else {
                            metrics.dropped(Dropped::SendBufferFull);
                            engine.close_with(engine::DisconnectReason::SendBufferFull);
                        }
                        return Err(EmitError::QueueFull);
                    }
                    backlog.push_back(frame);
                    return Ok(());
                }
            }
        }
        let sent = match volatile {
            true => engine.send_frame_volatile(frame),
            false => engine.send_frame(frame),
        };
        sent.map_err(|e| match e {
            engine::SendError::Closed => EmitError::Disconnected,
            engine::SendError::QueueFull => EmitError::QueueFull,
        })
    }

    /// Sends `missed` ahead of anything sent from now on, waiting for the
    /// client to read rather than dropping it when the queue is full.
    pub(super) fn replay(self: &Arc<Self>, missed: Vec<Frame>) {
        if missed.is_empty() {
            return;
        }
        let Some(engine) = self.client.engine() else {
            return;
        };
        let replay = &self.replay;
        replay
            .limit
            .store(missed.len() + HELD_BACK_LIMIT, Ordering::Relaxed);
        if let Ok(mut backlog) = replay.backlog.lock() {
            backlog.extend(missed);
            replay.active.store(true, Ordering::Release);
        }
        let socket = self.clone();
        tokio::spawn(async move {
            loop {
                let next = match socket.replay.backlog.lock() {
                    Ok(mut backlog) => {
                        let next = backlog.pop_front();
                        if next.is_none() {
                            socket.replay.active.store(false, Ordering::Release);
                        }
                        next
                    }
                    Err(_) => None,
                };
                let Some(frame) = next else { return };
                if engine.send_frame_when_room(frame).await.is_err() {
                    if let Ok(mut backlog) = socket.replay.backlog.lock() {
                        backlog.clear();
                        socket.replay.active.store(false, Ordering::Release);
                    }
                    return;
                }
            }
        });
    }
}

/// The frames of a packet: its text, then its attachments.
pub(crate) fn encode_frames(packet: &Packet) -> Vec<Frame> {
    let mut frames = Vec::with_capacity(1 + packet.attachments.len());
    frames.push(text_frame(packet));
    frames.extend(packet.attachments.iter().cloned().map(Frame::binary));
    frames
}

/// The text frame of a packet, built in one buffer.
fn text_frame(packet: &Packet) -> Frame {
    Frame::message_with(64, |out| packet.encode_into(out))
}

pub(crate) fn to_value<T: Serialize>(data: T) -> Result<Value, EmitError> {
    serde_json::to_value(data).map_err(|e| EmitError::Serialize(e.to_string()))
}
