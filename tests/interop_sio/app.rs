//! The Rust test server app the socket.io-client scenarios talk to. It uses
//! only edgeio's public Socket.IO API, and answers questions about what the
//! server saw so that the Node script can assert the server side too.
//!
//! Namespaces: `/`, `/custom`, `/private` (a middleware wants
//! `auth.token == "secret"`), and the dynamic `/dyn-*` (a parent middleware
//! refuses `/dyn-refused`). Every socket gets a `welcome` on connection and
//! answers the same events (see [`App::setup`]).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use edgeio::server::{BroadcastOperator, ConnectError, Event, Io, Socket};
use serde_json::{json, Value};
use tokio::sync::Notify;

/// One socket leaving, as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// The `tag` of the socket's auth payload ("" when none).
    pub tag: String,
    pub ns: String,
    pub reason: String,
}

/// The app's state, shared by every handler.
#[derive(Clone)]
pub struct App {
    io: Io,
    observed: Arc<Mutex<Vec<Observation>>>,
    shutdown: Arc<Notify>,
}

/// Data a middleware attaches to the socket.
#[derive(Clone)]
struct User(String);

/// The names of the events that went in and out of a socket.
#[derive(Clone, Default)]
struct AnyLog(Arc<Mutex<Vec<String>>>);

impl AnyLog {
    fn push(&self, entry: String) {
        self.0.lock().unwrap().push(entry);
    }
}

fn placeholder(num: usize) -> Value {
    json!({ "_placeholder": true, "num": num })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn sorted_rooms(socket: &Socket) -> Vec<String> {
    let mut rooms: Vec<_> = socket.rooms().into_iter().collect();
    rooms.sort();
    rooms
}

fn sorted_ids(sockets: &[Arc<Socket>]) -> Vec<String> {
    let mut ids: Vec<_> = sockets.iter().map(|s| s.id().to_string()).collect();
    ids.sort();
    ids
}

impl App {
    /// Installs the app on `io`; `shutdown` is notified when a client asks
    /// the server to shut down.
    pub fn install(io: &Io, shutdown: Arc<Notify>) -> Self {
        let app = Self {
            io: io.clone(),
            observed: Arc::default(),
            shutdown,
        };
        for name in ["/", "/custom"] {
            let a = app.clone();
            io.of(name).on_connection(move |s| a.setup(s));
        }

        let private = io.of("/private");
        private.use_middleware(|socket: Arc<Socket>| async move {
            if socket.auth()["token"] != "secret" {
                return Err(ConnectError::new("not authorized")
                    .with_data(json!({ "code": 401, "hint": "send a token" })));
            }
            let user = socket.auth()["user"].as_str().unwrap_or("?").to_owned();
            socket.insert(User(user));
            Ok(())
        });
        let a = app.clone();
        private.on_connection(move |s| a.setup(s));

        let dynamic = io.of_dynamic(|name, _auth| name.starts_with("/dyn-"));
        dynamic.use_middleware(|socket: Arc<Socket>| async move {
            if socket.ns() == "/dyn-refused" {
                return Err(ConnectError::new("dynamic namespace refused")
                    .with_data(json!({ "ns": socket.ns() })));
            }
            socket.insert(User(format!("dyn:{}", socket.ns())));
            Ok(())
        });
        let a = app.clone();
        dynamic.on_connection(move |s| a.setup(s));
        app
    }

    /// Every disconnection seen so far.
    pub fn observed(&self) -> Vec<Observation> {
        self.observed.lock().unwrap().clone()
    }

    fn reasons_of(&self, tag: &str) -> Value {
        let observed = self.observed.lock().unwrap();
        let list: Vec<_> = observed
            .iter()
            .filter(|o| o.tag == tag)
            .map(|o| json!({ "ns": o.ns, "reason": o.reason }))
            .collect();
        Value::Array(list)
    }

    /// A broadcast operator built from a spec sent by the client:
    /// `{from: "ns"|"socket", to: [..], in: [..], except: [..], local,
    /// volatile, timeout_ms}`. The first `to` (or `except`) goes through the
    /// entry points `ns.to` / `ns.except` / `socket.to`, the rest through the
    /// operator's own methods.
    fn operator(&self, socket: &Arc<Socket>, spec: &Value) -> BroadcastOperator {
        let ns = self.io.of(socket.ns());
        let mut to = strings(&spec["to"]).into_iter();
        let mut except = strings(&spec["except"]).into_iter();
        let mut op = if spec["from"] == "socket" {
            match to.next() {
                Some(room) => socket.to(room),
                None => socket.broadcast(),
            }
        } else if let Some(room) = to.next() {
            ns.to(room)
        } else if let Some(room) = except.next() {
            ns.except(room)
        } else {
            ns.broadcast()
        };
        for room in to {
            op = op.to(room);
        }
        for room in strings(&spec["in"]) {
            op = op.in_(room);
        }
        for room in except {
            op = op.except(room);
        }
        if spec["local"] == true {
            op = op.local();
        }
        if spec["volatile"] == true {
            op = op.volatile();
        }
        if let Some(ms) = spec["timeout_ms"].as_u64() {
            op = op.timeout(Duration::from_millis(ms));
        }
        op
    }

    /// Registers every handler on a socket that just connected, then
    /// welcomes it.
    fn setup(&self, socket: &Arc<Socket>) {
        let tag = socket.auth()["tag"].as_str().unwrap_or_default().to_owned();
        let log = AnyLog::default();
        socket.insert(log.clone());
        let incoming = log.clone();
        socket.on_any(move |_, name, _| incoming.push(format!("in:{name}")));
        socket.on_any_outgoing(move |_, name, _| log.push(format!("out:{name}")));
        let app = self.clone();
        socket.on_disconnect(move |s, reason| {
            app.observed.lock().unwrap().push(Observation {
                tag,
                ns: s.ns().to_owned(),
                reason: reason.as_str().to_owned(),
            });
        });

        socket.on("echo", |s, ev: Event| match ev.ack {
            Some(ack) => drop(ack.send_args(ev.args, ev.bins)),
            None => drop(s.emit_args("echo", ev.args, ev.bins)),
        });
        socket.on("inspect", |_, ev: Event| {
            let bins: Vec<_> = ev.bins.iter().map(|b| hex(b)).collect();
            if let Some(ack) = ev.ack {
                let _ = ack.send(json!({ "args": ev.args, "bins": bins }));
            }
        });
        socket.on("bin-from-server", |s, ev: Event| {
            let args = vec![
                json!({ "a": placeholder(0), "list": [placeholder(1), { "deep": placeholder(2) }] }),
                placeholder(3),
                json!("text"),
            ];
            let bins = vec![
                Bytes::from_static(&[0, 1, 2, 3]),
                Bytes::from_static(&[255, 254]),
                Bytes::from((0..=255u8).collect::<Vec<_>>()),
                Bytes::new(),
            ];
            let _ = s.emit_args("bin", args, bins);
            if let Some(ack) = ev.ack {
                let _ = ack.send("sent");
            }
        });
        // ask: [{event, timeout_ms}, ...args]: the server emits `event` with
        // the args (and attachments) to this client, awaits its ack and
        // acknowledges `ask` with [{ok: true}, ...answer] or [{error}].
        socket.on("ask", |s, ev: Event| {
            let (mut args, bins, Some(ack)) = (ev.args, ev.bins, ev.ack) else {
                return;
            };
            let spec = if args.is_empty() {
                Value::Null
            } else {
                args.remove(0)
            };
            let s = s.clone();
            tokio::spawn(async move {
                let event = spec["event"].as_str().unwrap_or("question");
                let timeout = spec["timeout_ms"].as_u64().map(Duration::from_millis);
                let _ = match s.emit_with_ack(event, args, bins, timeout).await {
                    Ok(answer) => {
                        let mut out = vec![json!({ "ok": true })];
                        out.extend(answer.args);
                        ack.send_args(out, answer.bins)
                    }
                    Err(e) => ack.send(json!({ "error": e.to_string() })),
                };
            });
        });
        socket.on("join", |s, ev: Event| {
            for room in strings(ev.args.first().unwrap_or(&Value::Null)) {
                s.join(room);
            }
            if let Some(ack) = ev.ack {
                let _ = ack.send(sorted_rooms(s));
            }
        });
        socket.on("leave", |s, ev: Event| {
            for room in strings(ev.args.first().unwrap_or(&Value::Null)) {
                s.leave(&room);
            }
            if let Some(ack) = ev.ack {
                let _ = ack.send(sorted_rooms(s));
            }
        });
        socket.on("rooms", |s, ev: Event| {
            if let Some(ack) = ev.ack {
                let _ = ack.send(sorted_rooms(s));
            }
        });
        // broadcast: [spec, ...args]: emits spec.event with the args (and
        // attachments) through the operator, then, when spec.barrier is set,
        // "barrier" to the whole namespace.
        let app = self.clone();
        socket.on("broadcast", move |s, ev: Event| {
            let (mut args, bins) = (ev.args, ev.bins);
            let spec = if args.is_empty() {
                Value::Null
            } else {
                args.remove(0)
            };
            let event = spec["event"].as_str().unwrap_or("bc");
            let result = app.operator(s, &spec).emit_args(event, args, bins);
            if !spec["barrier"].is_null() {
                let _ = app.io.of(s.ns()).emit("barrier", &spec["barrier"]);
            }
            if let Some(ack) = ev.ack {
                let _ = ack.send(json!({ "ok": result.is_ok() }));
            }
        });
        // broadcast-ack: [spec, ...args]: acknowledges with {ok: [answer
        // args...]} or {error}.
        let app = self.clone();
        socket.on("broadcast-ack", move |s, ev: Event| {
            let (mut args, Some(ack)) = (ev.args, ev.ack) else {
                return;
            };
            let spec = if args.is_empty() {
                Value::Null
            } else {
                args.remove(0)
            };
            let op = app.operator(s, &spec);
            tokio::spawn(async move {
                let event = spec["event"].as_str().unwrap_or("vote");
                let _ = match op.emit_with_ack(event, args, Vec::new()).await {
                    Ok(answers) => {
                        let answers: Vec<_> = answers.into_iter().map(|a| a.args).collect();
                        ack.send(json!({ "ok": answers }))
                    }
                    Err(e) => ack.send(json!({ "error": e.to_string() })),
                };
            });
        });
        // fetch-sockets / sockets-join / sockets-leave / disconnect-sockets:
        // [{in, join, leave}], acting on the sockets `in` selects (all when
        // absent).
        for name in [
            "fetch-sockets",
            "sockets-join",
            "sockets-leave",
            "disconnect-sockets",
        ] {
            let app = self.clone();
            socket.on(name, move |s, ev: Event| {
                let spec = ev.args.first().cloned().unwrap_or(Value::Null);
                let ns = app.io.of(s.ns());
                let op = match spec["in"].as_str() {
                    Some(room) => ns.broadcast().in_(room),
                    None => ns.broadcast(),
                };
                let room = |key: &str| spec[key].as_str().unwrap_or_default().to_owned();
                let done = match ev.name.as_str() {
                    "sockets-join" => op.sockets_join(room("join")),
                    "sockets-leave" => op.sockets_leave(&room("leave")),
                    "disconnect-sockets" => op.disconnect_sockets(),
                    _ => Ok(()),
                };
                done.expect("a single node's adapter cannot fail");
                let answer = json!(sorted_ids(&op.sockets()));
                if let Some(ack) = ev.ack {
                    let _ = ack.send(answer);
                }
            });
        }
        socket.on("disconnect-me", |s, _| s.disconnect());
        let app = self.clone();
        socket.on("reasons", move |_, ev: Event| {
            let tag = ev.args.first().and_then(Value::as_str).unwrap_or_default();
            if let Some(ack) = ev.ack {
                let _ = ack.send(app.reasons_of(tag));
            }
        });
        socket.on("any-log", |s, ev: Event| {
            let log = s.get::<AnyLog>().map(|l| l.0.lock().unwrap().clone());
            if let Some(ack) = ev.ack {
                let _ = ack.send(log.unwrap_or_default());
            }
        });
        let shutdown = self.shutdown.clone();
        socket.on("shutdown", move |_, _| shutdown.notify_one());

        let _ = socket.emit(
            "welcome",
            json!({
                "ns": socket.ns(),
                "id": socket.id().as_str(),
                "auth": socket.auth(),
                "user": socket.get::<User>().map(|u| u.0),
                "recovered": socket.recovered(),
            }),
        );
    }
}
