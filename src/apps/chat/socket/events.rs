//! The client's events: each checked (token still valid, payload, rights,
//! rate limit), run in a task of its own, and answered in its
//! acknowledgement — with the result, or `{"error": {code, message}}` and an
//! `error:<code>` event. A bad event never closes the connection.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{json, Value};

use super::presence::Status;
use super::{ChatSession, ChatSockets};
use crate::apps::chat::clock::{iso, now_ms};
use crate::apps::chat::error::{ChatError, ChatResult};
use crate::apps::chat::payload;
use crate::apps::chat::service::{conversation_room, user_room, SendRequest};
use crate::server::{Event, Socket};

/// Every event the chat answers.
pub const EVENTS: &[&str] = &[
    "message:send",
    "message:read",
    "typing:start",
    "typing:stop",
    "presence:update",
    "block:user",
    "unblock:user",
    "mute:conversation",
    "unmute:conversation",
    "auth",
    "socket:ping",
];

/// Registers the handlers of every event on `socket`.
pub fn register(socket: &Arc<Socket>, chat: &ChatSockets, session: &ChatSession) {
    for &name in EVENTS {
        let (chat, session) = (chat.clone(), session.clone());
        socket.on(name, move |socket, event| {
            run(socket, &chat, &session, name, event);
        });
    }
    // An unknown event is answered like a refused one: in its ack too, or
    // a client waiting for the ack would wait in vain.
    socket.use_middleware(|socket, event| {
        if EVENTS.contains(&event.name.as_str()) {
            return Ok(());
        }
        let err = ChatError::NotFound(format!("unknown event {:?}", event.name));
        let message = err.to_string();
        answer(socket, &event.name, event.ack.take(), Err(err));
        Err(message)
    });
}

fn run(
    socket: &Arc<Socket>,
    chat: &ChatSockets,
    session: &ChatSession,
    name: &'static str,
    event: Event,
) {
    let Event { args, ack, .. } = event;
    let payload = args.into_iter().next().unwrap_or(Value::Null);
    let permit = match session.admit() {
        Ok(p) => p,
        Err(e) => return answer(socket, name, ack, Err(e)),
    };
    let (socket, chat, session) = (socket.clone(), chat.clone(), session.clone());
    tokio::spawn(async move {
        let result = if name == "auth" {
            chat.refresh(&session, &payload)
        } else {
            match session.check() {
                Ok(()) => handle(&socket, &chat, &session, name, payload).await,
                Err(e) => Err(e),
            }
        };
        drop(permit);
        answer(&socket, name, ack, result);
    });
}

async fn handle(
    socket: &Arc<Socket>,
    chat: &ChatSockets,
    session: &ChatSession,
    name: &'static str,
    payload: Value,
) -> ChatResult<Value> {
    {
        let user = &*session.user;
        let service = &chat.service;
        match name {
            "message:send" => chat.send(session, &payload).await,
            "message:read" => {
                let cid = payload::id(&payload, "conversationId")?;
                service.limit(user, "message:read").await?;
                service.read(user, &cid, &payload).await
            }
            "typing:start" | "typing:stop" => {
                let cid = payload::id(&payload, "conversationId")?;
                if name == "typing:start" {
                    service.limit(user, "typing:start").await?;
                }
                service.conversation_for(&cid, user).await?;
                chat.typing(session, &cid, name == "typing:start");
                Ok(json!({ "conversationId": cid, "ok": true }))
            }
            "presence:update" => {
                let status = payload::string(&payload, "status", 16)?;
                let status = Status::parse(&status).ok_or_else(|| {
                    ChatError::InvalidPayload("status must be online or away".into())
                })?;
                chat.set_status(&session.user, status).await?;
                Ok(json!({ "userId": user, "status": status.as_str() }))
            }
            "block:user" | "unblock:user" => {
                let cid = payload::id(&payload, "conversationId")?;
                if name == "block:user" {
                    service.block(user, &cid, &payload).await
                } else {
                    service.unblock(user, &cid, &payload).await
                }
            }
            "mute:conversation" | "unmute:conversation" => {
                let cid = payload::id(&payload, "conversationId")?;
                service.mute(user, &cid, name == "mute:conversation").await
            }
            "socket:ping" => {
                let pong = json!({ "timestamp": now_ms() });
                let _ = socket.emit("socket:pong", &pong);
                Ok(pong)
            }
            other => Err(ChatError::NotFound(format!("unknown event {other:?}"))),
        }
    }
}

/// Sends the result: in the acknowledgement when the client asked for one;
/// an error also as `error:<code>`.
fn answer(
    socket: &Arc<Socket>,
    name: &str,
    ack: Option<crate::server::AckSender>,
    result: ChatResult<Value>,
) {
    match result {
        Ok(value) => {
            if let Some(ack) = ack {
                let _ = ack.send(value);
            }
        }
        Err(e) => {
            if let ChatError::Storage(inner) = &e {
                tracing::error!(error = %inner, event = name, "chat storage error");
            }
            if let Some(ack) = ack {
                let _ = ack.send(e.envelope());
            }
            tell_error(socket, name, &e);
        }
    }
}

/// `error:<code>` with the error, the event it answers and the time.
fn tell_error(socket: &Arc<Socket>, name: &str, e: &ChatError) {
    let mut body = e.body();
    body["event"] = json!(name);
    body["timestamp"] = json!(now_ms());
    let _ = socket.emit(&format!("error:{}", e.code()), &body);
}

impl ChatSockets {
    /// `message:send`: checked, rate limited, put in the sender's order,
    /// stored durably; the acknowledgement carries the stored message's
    /// sequence and time.
    async fn send(&self, session: &ChatSession, payload: &Value) -> ChatResult<Value> {
        let req = SendRequest::parse(payload, self.service.config().max_content_bytes)?;
        self.service.limit(&session.user, "message:send").await?;
        let turn = match req.client_sequence {
            Some(n) => Some(
                self.sequencer
                    .turn(&session.user, &session.device, &req.conversation_id, n)
                    .await,
            ),
            None => None,
        };
        let sent = self.service.send(&session.user, &session.device, req).await;
        if let Some(turn) = turn {
            self.sequencer.done(turn);
        }
        Ok(sent?.message().ack())
    }

    /// A typing start or stop from `session`'s user in `cid`.
    fn typing(&self, session: &ChatSession, cid: &str, start: bool) {
        let user = session.user.clone();
        if start {
            let started = self.typing.start(&user, cid, Instant::now());
            if started.announce {
                self.indicate(&user, cid, true);
            }
            let (chat, cid) = (self.clone(), cid.to_string());
            tokio::spawn(async move {
                tokio::time::sleep(chat.typing.timeout()).await;
                if chat.typing.expire(&user, &cid, started.generation) {
                    chat.indicate(&user, &cid, false);
                }
            });
        } else if self.typing.stop(&user, cid) {
            self.indicate(&user, cid, false);
        }
    }

    /// `typing:indicator` to the conversation, not back to the typist.
    pub(super) fn indicate(&self, user: &str, cid: &str, typing: bool) {
        let data = json!({
            "conversationId": cid,
            "userId": user,
            "isTyping": typing,
            "timestamp": iso(now_ms()),
        });
        let op = self
            .service
            .namespace()
            .to(conversation_room(cid))
            .except(user_room(user))
            .volatile();
        let _ = op.emit("typing:indicator", &data);
    }
}
