//! Interop: the official PyPI `python-socketio` client (pinned with every
//! dependency in `tests/interop/requirements.txt`) against an in-process
//! edgeio Socket.IO server. Each test starts its own server on a free
//! loopback port and runs one scenario of `tests/interop/python_client.py`
//! over one set of transports.
//!
//! Needs the venv `.venv` in the repository root with the pinned client
//! (`.ci/run` makes it); without it these tests fail, they never pass
//! silently.

use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use edgeio::engine::{Engine, EngineConfig};
use edgeio::server::{AckSender, ConnectError, Event, Io, IoConfig, Namespace, Socket};
use serde_json::{json, Value};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// Upper bound of one Python run; the script has its own 60 s bound, this
/// leaves room for the interpreter's start on a busy machine.
const PYTHON_TIMEOUT: Duration = Duration::from_secs(120);
/// How long the server waits for the client's acknowledgements.
const ACK_WAIT: Duration = Duration::from_secs(10);

const SETUP: &str = "the Python interop tests need the pinned python-socketio client in \
     `.venv` at the repository root. Run `.ci/run`, or: \
     `python3 -m venv .venv && .venv/bin/pip install -r tests/interop/requirements.txt`";

// ---------------------------------------------------------------------------
// The server the scenarios talk to
// ---------------------------------------------------------------------------

/// What the `/guarded` middleware attaches to an accepted socket.
#[derive(Clone)]
struct User(String);

fn build_io() -> Io {
    let io = Io::new(IoConfig::default());
    for name in ["/", "/chat"] {
        install_handlers(io.of(name));
    }
    let guarded = io.of("/guarded");
    guarded.use_middleware(|socket: Arc<Socket>| async move {
        match socket.auth().get("token").and_then(Value::as_str) {
            Some(token @ "letmein") => {
                socket.insert(User(format!("user-{token}")));
                Ok(())
            }
            _ => Err(ConnectError::new("not authorized")
                .with_data(json!({ "code": 4001, "why": "bad token" }))),
        }
    });
    guarded.on_connection(|socket| {
        let user = socket.get::<User>().map(|u| u.0);
        report(socket.emit("welcome", json!({ "user": user, "auth": socket.auth() })));
    });
    io
}

/// The handlers of `/` and `/chat`.
fn install_handlers(ns: Namespace) {
    // The handler holds its own namespace (a reference cycle: the namespace
    // lives as long as the test's process, which is what a server does).
    let broadcaster = ns.clone();
    ns.on_connection(move |socket| {
        report(socket.emit("auth", socket.auth()));
        // Acks with its arguments, or emits them back when no ack is asked.
        socket.on("echo", |socket, event| match event.ack {
            Some(ack) => report(ack.send_args(event.args, event.bins)),
            None => report(socket.emit_args("echo", event.args, event.bins)),
        });
        // Acks with what the server decoded: placeholders and hex bytes.
        socket.on("inspect", |_, event| {
            let bins: Vec<String> = event.bins.iter().map(|b| hex(b)).collect();
            if let Some(ack) = event.ack {
                report(ack.send(json!({ "args": event.args, "bins": bins })));
            }
        });
        // Emits an event whose binary arguments the server built.
        socket.on("send_binary", |socket, _| {
            let args = vec![
                json!({ "x": placeholder(0), "arr": [placeholder(1), { "deep": placeholder(2) }] }),
                placeholder(3),
            ];
            let bins = vec![
                Bytes::from_static(&[0, 1, 2]),
                Bytes::from(big_binary()),
                Bytes::from_static(&[0xff]),
                Bytes::from_static(b"tail"),
            ];
            report(socket.emit_args("bin", args, bins));
        });
        // Asks the client a question with its arguments, emits back the answer.
        socket.on("ask", |socket, event| {
            let socket = socket.clone();
            tokio::spawn(async move {
                let answer = socket
                    .emit_with_ack("question", event.args, event.bins, Some(ACK_WAIT))
                    .await;
                match answer {
                    Ok(a) => report(socket.emit_args("answer", a.args, a.bins)),
                    Err(e) => report(socket.emit("answer_error", e.to_string())),
                }
            });
        });
        // Emits `tick` with 0..n, then acks.
        socket.on("burst", |socket, event| {
            for i in 0..event.arg::<u32>(0).unwrap_or(0) {
                report(socket.emit("tick", i));
            }
            acknowledge(event.ack, "done");
        });
        socket.on("join", |socket, event| {
            let room: String = event.arg(0).unwrap_or_default();
            socket.join(room.clone());
            if let Some(ack) = event.ack {
                report(ack.send(format!("joined {room}")));
            }
        });
        // `shout`: to the room through the namespace; `shout_others`: through
        // the socket, which leaves the sender out.
        let ns = broadcaster.clone();
        socket.on("shout", move |_, event| {
            let (room, rest, bins, ack) = room_and_rest(event);
            report(ns.to(room).emit_args("news", rest, bins));
            acknowledge(ack, "sent");
        });
        socket.on("shout_others", |socket, event| {
            let (room, rest, bins, ack) = room_and_rest(event);
            report(socket.to(room).emit_args("news", rest, bins));
            acknowledge(ack, "sent");
        });
    });
}

/// Splits `[room, ...rest]`; the attachments stay numbered as they were.
fn room_and_rest(event: Event) -> (String, Vec<Value>, Vec<Bytes>, Option<AckSender>) {
    let room = event.arg::<String>(0).unwrap_or_default();
    let rest = event.args.into_iter().skip(1).collect();
    (room, rest, event.bins, event.ack)
}

fn acknowledge(ack: Option<AckSender>, answer: &str) {
    if let Some(ack) = ack {
        report(ack.send(answer));
    }
}

fn placeholder(num: usize) -> Value {
    json!({ "_placeholder": true, "num": num })
}

/// The 200 kB the Python script also builds: `i % 251` for each byte.
fn big_binary() -> Vec<u8> {
    (0..200_000u32).map(|i| (i % 251) as u8).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Server-side failures show in the test's output next to Python's.
fn report<E: std::fmt::Display>(result: Result<(), E>) {
    if let Err(e) = result {
        eprintln!("server: emit failed: {e}");
    }
}

// ---------------------------------------------------------------------------
// Running Python
// ---------------------------------------------------------------------------

/// Kills the Python child if the test ends early.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The venv's interpreter, once checked to hold the pinned client.
fn python() -> &'static Path {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let checked = PYTHON.get_or_init(|| {
        let python = Path::new(ROOT).join(".venv/bin/python");
        if !python.is_file() {
            return Err(format!("{} is missing: {SETUP}", python.display()));
        }
        let requirements = Path::new(ROOT).join("tests/interop/requirements.txt");
        let pinned = std::fs::read_to_string(&requirements)
            .map_err(|e| format!("cannot read {}: {e}", requirements.display()))?
            .lines()
            .find_map(|l| {
                l.strip_prefix("python-socketio==")
                    .map(|v| v.trim().to_owned())
            })
            .ok_or("requirements.txt pins no python-socketio")?;
        let probe = "from importlib.metadata import version\n\
                     import socketio, requests, websocket\n\
                     print(version('python-socketio'))";
        let out = Command::new(&python)
            .args(["-c", probe])
            .output()
            .map_err(|e| format!("cannot run {}: {e}; {SETUP}", python.display()))?;
        let installed = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            return Err(format!("the client is not importable ({stderr}); {SETUP}"));
        }
        if installed != pinned {
            return Err(format!(
                "python-socketio {installed} is installed, {pinned} is pinned; {SETUP}"
            ));
        }
        Ok(python)
    });
    match checked {
        Ok(python) => python,
        Err(e) => panic!("{e}"),
    }
}

/// Starts the server on a runtime of its own, runs `scenario` over
/// `transport`, and fails with Python's output unless it exits 0.
fn run(scenario: &str, transport: &str) {
    let python = python();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("build a tokio runtime");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let addr: SocketAddr = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let engine = Engine::new(EngineConfig::default(), build_io().engine_handler());
        tokio::spawn(edgeio::serve(listener, engine, async {
            let _ = stopped.await;
        }));
        addr
    });

    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let out_path = tmp.join(format!("interop-py-{scenario}-{transport}.out"));
    let err_path = tmp.join(format!("interop-py-{scenario}-{transport}.err"));
    let script = Path::new(ROOT).join("tests/interop/python_client.py");
    let mut child = Killed(
        Command::new(python)
            .arg(&script)
            .args([&format!("http://{addr}"), scenario, transport])
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(File::create(&out_path).expect("create Python's stdout log"))
            .stderr(File::create(&err_path).expect("create Python's stderr log"))
            .spawn()
            .expect("run the venv's python"),
    );
    let deadline = Instant::now() + PYTHON_TIMEOUT;
    let status: Option<ExitStatus> = loop {
        if let Some(status) = child.0.try_wait().expect("poll python") {
            break Some(status);
        }
        if Instant::now() >= deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    drop(child);
    let _ = stop.send(());
    runtime.shutdown_timeout(Duration::from_secs(5));

    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_else(|e| format!("<{e}>"));
    let (stdout, stderr) = (read(&out_path), read(&err_path));
    match status {
        Some(s) if s.success() => {}
        Some(s) => panic!(
            "python scenario `{scenario}` over {transport} failed ({s}).\n\
             --- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
        ),
        None => panic!(
            "python scenario `{scenario}` over {transport} did not end within \
             {PYTHON_TIMEOUT:?}.\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
        ),
    }
}

macro_rules! scenarios {
    ($($(#[$meta:meta])* $test:ident: $scenario:literal over $transport:literal;)*) => {
        $(
            $(#[$meta])*
            #[test]
            fn $test() {
                run($scenario, $transport);
            }
        )*
    };
}

scenarios! {
    connect_auth_default: "connect" over "default";
    connect_auth_websocket: "connect" over "websocket";
    connect_auth_polling: "connect" over "polling";
    emit_and_ack_default: "ack" over "default";
    emit_and_ack_websocket: "ack" over "websocket";
    emit_and_ack_polling: "ack" over "polling";
    binary_default: "binary" over "default";
    binary_websocket: "binary" over "websocket";
    binary_polling: "binary" over "polling";
    room_broadcast_default: "room" over "default";
    room_broadcast_websocket: "room" over "websocket";
    room_broadcast_polling: "room" over "polling";
}
