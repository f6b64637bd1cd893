//! The binary's config file (`--config FILE`, `EDGEIO_CONFIG`) and `edgeio
//! config`, run as an operator runs them: precedence flags > environment >
//! file > defaults, seen in `edgeio config` and in what the server does;
//! every kind of value; bad files refused before anything is opened; secrets
//! never printed; the printed configuration read back to the same.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_edgeio");

/// Upper bound for anything the binary does here (the machine is shared).
const TIMEOUT: Duration = Duration::from_secs(30);

/// `edgeio ARGS` with `envs` and no other `EDGEIO_*` or `PORT` variable.
fn edgeio(args: &[&str], envs: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("EDGEIO_") || name == "PORT" {
            cmd.env_remove(name);
        }
    }
    cmd.args(args)
        .envs(envs.iter().copied())
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null());
    cmd
}

/// Runs `edgeio ARGS` to its end (killed past [`TIMEOUT`]: it was meant to
/// stop by itself, not to serve).
fn run(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (out, err) = (dir.path().join("out"), dir.path().join("err"));
    let mut child = edgeio(args, envs)
        .stdout(std::fs::File::create(&out).expect("stdout file"))
        .stderr(std::fs::File::create(&err).expect("stderr file"))
        .spawn()
        .expect("start edgeio");
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll edgeio") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("edgeio {args:?} did not exit within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: std::fs::read(out).expect("read stdout"),
        stderr: std::fs::read(err).expect("read stderr"),
    }
}

/// `edgeio ARGS config`: the effective configuration it prints.
fn config(args: &[&str], envs: &[(&str, &str)]) -> String {
    let args = [args, &["config"]].concat();
    let out = run(&args, envs);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "edgeio {args:?}: {}: {stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// A config file holding `text`, in `dir`.
fn file(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("edgeio.toml");
    std::fs::write(&path, text).expect("write the config file");
    path
}

fn utf8(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temp path")
}

/// The line of `key` in `edgeio config`'s output.
fn line<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(&format!("{key} = ")) || l.starts_with(&format!("# {key} = ")))
        .unwrap_or_else(|| panic!("no {key} in:\n{out}"))
}

/// The output's settings: its lines without comments.
fn settings(out: &str) -> Vec<String> {
    out.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split("  # ").next().unwrap_or(l).to_owned())
        .collect()
}

#[test]
fn a_flag_beats_the_environment_which_beats_the_file() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = file(dir.path(), "ping-interval = 111\nping-timeout = 7000\n");
    let path = utf8(&path);
    let out = config(&["--config", path], &[]);
    assert_eq!(
        line(&out, "ping-interval"),
        "ping-interval = 111  # from the config file"
    );
    assert_eq!(
        line(&out, "max-payload"),
        "max-payload = 1000000",
        "a built-in default says nothing"
    );
    assert!(out.contains(&format!("# Config file: {path}")), "{out}");
    let env = [("EDGEIO_PING_INTERVAL", "222")];
    let out = config(&["--config", path], &env);
    assert_eq!(
        line(&out, "ping-interval"),
        "ping-interval = 222  # from EDGEIO_PING_INTERVAL"
    );
    assert_eq!(
        line(&out, "ping-timeout"),
        "ping-timeout = 7000  # from the config file"
    );
    let out = config(&["--config", path, "--ping-interval", "333"], &env);
    assert_eq!(
        line(&out, "ping-interval"),
        "ping-interval = 333  # from the command line"
    );
    let out = config(&[], &[("EDGEIO_CONFIG", path)]);
    assert_eq!(
        line(&out, "ping-interval"),
        "ping-interval = 111  # from the config file",
        "EDGEIO_CONFIG names the file too"
    );
    let out = config(&[], &[]);
    assert_eq!(line(&out, "ping-interval"), "ping-interval = 25000");
}

/// A free loopback address (bound then released).
fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind an ephemeral port")
}

/// A running server and where it listens; killed when dropped.
struct Server(Child, SocketAddr);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `edgeio --config FILE` with `envs`, the file saying `listen = ADDR`, the
/// memory store, a data directory in `dir`, and `text`; with `flag_listen`,
/// `--listen` gives another address, where it must listen. Tried again on
/// other ports if one was taken in between.
fn serve(dir: &Path, text: &str, flag_listen: bool, envs: &[(&str, &str)]) -> Server {
    for _ in 0..5 {
        let (in_file, in_flag) = (free_addr(), free_addr());
        let path = file(
            dir,
            &format!(
                "listen = \"{in_file}\"\nstore = \"memory\"\ndata-dir = \"{}\"\n{text}",
                utf8(&dir.join("data"))
            ),
        );
        let flag = in_flag.to_string();
        let mut args = vec!["--config", utf8(&path)];
        if flag_listen {
            args.extend(["--listen", &flag]);
        }
        let addr = if flag_listen { in_flag } else { in_file };
        let mut child = edgeio(&args, envs)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start edgeio");
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if TcpStream::connect(addr).is_ok() {
                return Server(child, addr);
            }
            if child.try_wait().expect("poll edgeio").is_some() {
                break; // the port was taken in between: another one
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("edgeio did not listen on {addr} within {TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    panic!("edgeio failed to start 5 times");
}

/// The `pingInterval` of a handshake at `path` on `addr`.
fn ping_interval(addr: SocketAddr, path: &str) -> u64 {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    write!(
        s,
        "GET {path}?EIO=4&transport=polling HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("write request");
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("read response");
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    let open: serde_json::Value = serde_json::from_str(body.strip_prefix('0').unwrap_or(body))
        .unwrap_or_else(|e| panic!("no open packet ({e}): {raw}"));
    open["pingInterval"]
        .as_u64()
        .unwrap_or_else(|| panic!("no pingInterval: {raw}"))
}

#[test]
fn the_server_does_what_the_file_says_unless_overridden() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let text = "path = \"/rt/\"\nping-interval = 1111\n";
    let server = serve(dir.path(), text, false, &[]);
    assert_eq!(
        ping_interval(server.1, "/rt/"),
        1111,
        "listen, path, ping from the file"
    );
    drop(server);
    let env = [("EDGEIO_PING_INTERVAL", "2222")];
    let server = serve(dir.path(), text, false, &env);
    assert_eq!(ping_interval(server.1, "/rt/"), 2222, "the variable wins");
    drop(server);
    let server = serve(dir.path(), text, true, &env);
    assert_eq!(
        ping_interval(server.1, "/rt/"),
        2222,
        "--listen wins over the file's listen"
    );
}

#[test]
fn every_kind_of_value_is_read() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = file(
        dir.path(),
        "max_payload = 4096\n\
         cookie = \"io\"\n\
         transports = [\"websocket\"]\n\
         cors-origin = [\"https://a.example\", \"https://b.example\"]\n\
         cors-credentials = true\n\
         cleanup-empty-namespaces = false\n\
         chat-rate-limit = \"message:send=3,typing:start=4\"\n",
    );
    let out = config(&["--config", utf8(&path)], &[]);
    for expected in [
        "max-payload = 4096  # from the config file",
        "cookie = \"io\"  # from the config file",
        "transports = [\"websocket\"]  # from the config file",
        "cors-origin = [\"https://a.example\", \"https://b.example\"]  # from the config file",
        "cors-credentials = true  # from the config file",
        "cleanup-empty-namespaces = false  # from the config file",
        "chat-rate-limit = [\"message:send=3\", \"typing:start=4\"]  # from the config file",
    ] {
        assert!(
            out.lines().any(|l| l == expected),
            "{expected:?} not in:\n{out}"
        );
    }
}

#[test]
fn a_bad_file_stops_the_binary_before_it_opens_or_binds_anything() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let data = dir.path().join("data");
    let addr = free_addr();
    let head = format!("listen = \"{addr}\"\ndata-dir = \"{}\"\n", utf8(&data));
    let missing = dir.path().join("missing.toml");
    for (text, expected) in [
        ("ping-intervall = 5", "key \"ping-intervall\": unknown key"),
        (
            "ping-interval = \"soon\"",
            "key \"ping-interval\": invalid digit",
        ),
        (
            "ping-interval = 1.5",
            "key \"ping-interval\": expected an integer, found a float",
        ),
        ("cors-origin = 5", "key \"cors-origin\": expected a string"),
        (
            "cors-credentials = \"yes\"",
            "key \"cors-credentials\": expected a boolean",
        ),
        (
            "transports = [\"pigeon\"]",
            "key \"transports\": unknown transport",
        ),
        ("[server]\nport = 3", "key \"server\": unknown key"),
        ("ping-interval = ", "not valid TOML"),
    ] {
        let path = file(dir.path(), &format!("{head}{text}\n"));
        // A bad value is refused even where a flag would override it.
        let out = run(&["--config", utf8(&path), "--ping-interval", "9"], &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{text:?}: {stderr}");
        assert!(
            stderr.starts_with(&format!("error: config file {}: ", utf8(&path)))
                && stderr.contains(expected),
            "{text:?}: {stderr}"
        );
        assert!(!data.exists(), "{text:?}: the storage was opened");
        assert!(TcpStream::connect(addr).is_err(), "{text:?}: it listened");
    }
    let out = run(&["--config", utf8(&missing)], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("config file {}: cannot read it", utf8(&missing))),
        "{stderr}"
    );
    let out = run(&["config"], &[("EDGEIO_CONFIG", utf8(&missing))]);
    assert_eq!(out.status.code(), Some(2), "edgeio config too");
}

#[test]
fn secrets_are_never_printed() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = file(
        dir.path(),
        "jwt-secret = \"file-s3cr3t\"\nping-interval = 111\n",
    );
    let path = utf8(&path);
    for (args, envs, from) in [
        (vec!["--config", path], vec![], "from the config file"),
        (
            vec!["--config", path],
            vec![("EDGEIO_JWT_SECRET", "env-s3cr3t")],
            "from EDGEIO_JWT_SECRET",
        ),
        (
            vec!["--config", path, "--jwt-secret", "flag-s3cr3t"],
            vec![],
            "from the command line",
        ),
    ] {
        let out = config(&args, &envs);
        assert!(!out.contains("s3cr3t"), "{args:?}:\n{out}");
        assert_eq!(
            line(&out, "jwt-secret"),
            format!("# jwt-secret = (secret, masked)  # {from}")
        );
    }
    assert_eq!(
        line(&config(&[], &[]), "jwt-secret"),
        "# jwt-secret = (not set)"
    );
    let help = run(&["--config", path, "--help"], &[]);
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(!help.contains("s3cr3t"), "{help}");
    assert!(
        help.contains("[default: 111]"),
        "--help shows the file's other values: {help}"
    );
}

#[test]
fn the_printed_configuration_reads_back_to_the_same() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = file(
        dir.path(),
        "ping-interval = 111\ncors-origin = [\"https://a.example\"]\ncors-credentials = true\n",
    );
    let env = [
        ("EDGEIO_PING_TIMEOUT", "4444"),
        ("EDGEIO_TRANSPORTS", "websocket"),
        ("EDGEIO_JWT_SECRET", "s3cr3t"),
    ];
    let first = config(
        &[
            "--config",
            utf8(&path),
            "--cookie",
            "io",
            "--store",
            "memory",
        ],
        &env,
    );
    let printed = dir.path().join("printed.toml");
    std::fs::write(&printed, &first).expect("write");
    let second = config(&["--config", utf8(&printed)], &env[2..]);
    assert_eq!(settings(&second), settings(&first));
    assert!(settings(&first).len() > 30, "{first}");
    // Read back once more, nothing comes from elsewhere: the very same text.
    std::fs::write(&printed, &second).expect("write");
    assert_eq!(config(&["--config", utf8(&printed)], &env[2..]), second);
}

#[test]
fn the_example_file_is_accepted() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/edgeio.toml");
    let out = config(&["--config", utf8(&example)], &[]);
    for expected in [
        "listen = \"0.0.0.0:3000\"  # from the config file",
        "transports = [\"websocket\", \"polling\"]  # from the config file",
        "cors-credentials = true  # from the config file",
        "log-format = \"json\"  # from the config file",
    ] {
        assert!(
            out.lines().any(|l| l == expected),
            "{expected:?} not in:\n{out}"
        );
    }
}
