"""The chat part of the benchmark harness (imported by run.py): durable
`message:send`s on edgeio's chat app, beside the plain echo.

Only edgeio runs it (the peers have no chat). `loadgen --scenario chat` mints
its clients' tokens with the secret the server is started with, creates their
one-to-one conversations over REST, then keeps one send in flight per client;
the chat acknowledges a send only once the message is stored, on sled after
the group-commit flush. The memory store runs the same for reference.
"""

import secrets
import statistics

# One secret per harness run, given to the servers and to loadgen.
SECRET = secrets.token_hex(32)

# What loadgen runs: 100 users in 50 one-to-one conversations, each waiting for
# the acknowledgement of its send before the next (so at most 100 in flight:
# at 10,000 acknowledged sends/s that is 10 ms each on average).
CLIENTS = 100
INFLIGHT = 1


def servers(edgeio):
    """name -> (command, protocol, transports), as run.py's SERVERS."""
    chat = [edgeio, "--app", "chat", "--jwt-secret", SECRET,
            "--chat-rate-limit", "message:send=0,conversation:create=0"]
    return {
        "edgeio-chat": (chat + ["--store", "sled", "--data-dir", "{data}"],
                        "sio", ("websocket",)),
        "edgeio-chat-memory": (chat + ["--store", "memory"], "sio", ("websocket",)),
    }


NAMES = tuple(servers("edgeio"))


def scenario(timing):
    return ["--scenario", "chat", "--transport", "websocket", "--clients", str(CLIENTS),
            "--inflight", str(INFLIGHT), "--payload", "64", "--jwt-secret", SECRET] + timing


def applies(server, scen):
    """The chat scenario runs on the chat servers only, and only it does."""
    return (scen == "chat") == (server in NAMES)


# The chat issue's aim, on the durable (sled) server.
AIM_RATE = 10_000
AIM_P99_MS = 20.0


def lines(results, med, per_core, fmt):
    """The chat section of BENCHMARKS.md: durable sends on sled, the same in
    memory, and the plain echo of edgeio (memory, --app loadtest) beside them."""
    sled = results.get("edgeio-chat", {}).get("chat", [])
    mem = results.get("edgeio-chat-memory", {}).get("chat", [])
    echo = results.get("edgeio", {}).get("echo", [])
    if not sled and not mem:
        return []
    ms = lambda us: None if us is None else us / 1000
    rows = [
        ("acknowledged msgs/s (wall clock)", lambda rs: med(rs, "rate_per_s")),
        ("acknowledged msgs per server-core-second", lambda rs: per_core(rs, "rate_per_s")),
        ("server CPU per acknowledged msg (µs)", cpu_per_msg),
        ("p50 latency (ms)", lambda rs: ms(med(rs, "p50_us"))),
        ("p99 latency (ms)", lambda rs: ms(med(rs, "p99_us"))),
        ("p999 latency (ms)", lambda rs: ms(med(rs, "p999_us"))),
        ("server CPU (s)", lambda rs: med(rs, "server_cpu_s")),
        ("load generator CPU (s)", lambda rs: med(rs, "loadgen_cpu_s")),
    ]
    out = ["", "## Chat: durable sends", "",
           f"`edgeio --app chat` (recovery on, as by default), {CLIENTS} clients (users in "
           f"{CLIENTS // 2} one-to-one conversations created over REST first) each keeping "
           f"{INFLIGHT} `message:send` in flight with a fresh messageId and 64 bytes of content "
           "(`loadgen --scenario chat`). A send counts once its acknowledgement arrives: on sled "
           "that is after the message, its idempotency record and the conversation's head are "
           "flushed to disk (group commit). Beside it, the same in memory, and the plain echo "
           "(`--app loadtest`, memory, 50 clients × 8 in flight) for scale. The commands (S: a "
           "random secret, D: a fresh directory):", "",
           "```sh",
           "edgeio --app chat --store sled --data-dir D --jwt-secret S "
           "--chat-rate-limit message:send=0,conversation:create=0   # or --store memory",
           f"loadgen --target 127.0.0.1:PORT --scenario chat --clients {CLIENTS} --inflight "
           f"{INFLIGHT} --payload 64 --jwt-secret S --duration 6 --warmup 1",
           "```", "",
           "| figure | chat, sled (durable) | chat, memory | echo, memory |",
           "|---|---|---|---|"]
    for label, get in rows:
        vals = [get(rs) if rs else None for rs in (sled, mem, echo)]
        out.append(f"| {label} | " + " | ".join(fmt(v) for v in vals) + " |")
    rate, p99 = med(sled, "rate_per_s"), ms(med(sled, "p99_us"))
    out += ["", "| aim (chat on sled) | measured | met? |", "|---|---|---|",
            f"| ≥ {AIM_RATE:,} acknowledged durable sends/s | {fmt(rate)} | "
            f"{verdict(rate, AIM_RATE, True)} |",
            f"| p99 ≤ {AIM_P99_MS:.0f} ms | {fmt(p99)} | {verdict(p99, AIM_P99_MS, False)} |"]
    return out


def cpu_per_msg(rs):
    vals = [1e6 * r["server_cpu_s"] / (r["rate_per_s"] * r["duration_s"])
            for r in rs if r.get("server_cpu_s") and r.get("rate_per_s")]
    return statistics.median(vals) if vals else None


def verdict(v, bound, higher):
    if v is None:
        return "not measured"
    if (v >= bound) if higher else (v <= bound):
        return "yes"
    return f"no: {v / bound:.2f}× the bound"
