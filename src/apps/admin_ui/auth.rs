//! The Admin UI's basic auth: the user name and password of the CONNECT's
//! auth payload, the password checked against the bcrypt hash on the
//! blocking pool (a few at a time: a flood of attempts queues rather than
//! takes every core). A wrong name costs the same check as a wrong
//! password. A refusal is the CONNECT_ERROR `invalid credentials`, as the
//! Node module sends. A client let in is given a session id (`session`)
//! it may connect with again instead (the UI does, on reconnect).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::Semaphore;

use super::AdminUiConfig;
use crate::engine::Sid;
use crate::server::{ConnectError, Namespace, Socket};

/// Password checks running at once, at most.
const CONCURRENT_CHECKS: usize = 2;

/// Session ids kept, at most (the oldest forgotten first).
const MAX_SESSIONS: usize = 1024;

/// A session id given to a socket as it was let in, to tell it once
/// connected.
#[derive(Clone)]
struct NewSession(String);

/// Refuses the namespace's clients without the right credentials or a
/// session id given before.
pub(super) fn guard(admin: &Namespace, config: Arc<AdminUiConfig>) {
    let checks = Arc::new(Semaphore::new(CONCURRENT_CHECKS));
    let sessions = Arc::new(Sessions::default());
    admin.use_middleware(move |socket| {
        let (config, checks, sessions) = (config.clone(), checks.clone(), sessions.clone());
        async move {
            let auth = socket.auth();
            if let Some(Value::String(id)) = auth.get("sessionId") {
                if sessions.contains(id) {
                    return Ok(());
                }
            }
            let text = |key| match auth.get(key) {
                Some(Value::String(s)) => s.clone(),
                _ => String::new(),
            };
            let (username, password) = (text("username"), text("password"));
            let name_ok = username == config.username;
            let hash = config.password_hash.clone();
            let password_ok = match checks.acquire().await {
                Ok(_permit) => tokio::task::spawn_blocking(move || {
                    bcrypt::verify(password.as_bytes(), &hash).unwrap_or(false)
                })
                .await
                .unwrap_or(false),
                Err(_) => false,
            };
            if name_ok && password_ok {
                let id = Sid::random().to_string();
                sessions.add(id.clone());
                socket.insert(NewSession(id));
                return Ok(());
            }
            tracing::info!(ns = socket.ns(), "Admin UI credentials refused");
            Err(ConnectError::new("invalid credentials"))
        }
    });
}

/// Tells a socket just let in with its credentials its session id.
pub(super) fn tell_session(socket: &Arc<Socket>) {
    if let Some(NewSession(id)) = socket.get::<NewSession>() {
        let _ = socket.emit("session", id);
    }
}

/// The session ids given, newest last.
#[derive(Default)]
struct Sessions(Mutex<VecDeque<String>>);

impl Sessions {
    fn add(&self, id: String) {
        if let Ok(mut ids) = self.0.lock() {
            if ids.len() >= MAX_SESSIONS {
                ids.pop_front();
            }
            ids.push_back(id);
        }
    }

    fn contains(&self, id: &str) -> bool {
        self.0.lock().is_ok_and(|ids| ids.iter().any(|i| i == id))
    }
}
