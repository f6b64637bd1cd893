#!/usr/bin/env python3
"""The load harness's one command: builds edgeio and its peers, starts each
server in turn on 127.0.0.1 (pinned to core 0 where there are two cores), runs
every scenario with the load generator (pinned to core 1), stops each server by
its PID, and writes BENCHMARKS.md with medians, ratios to every peer, and the
CPU each process used. edgeio's chat app is measured too, on durable sends
(benches/chat.py), beside the plain echo.

    python3 benches/run.py            # the full table (3 runs of each scenario)
    python3 benches/run.py --quick    # one short run of each, under a minute once built

Loopback only; every run is bounded in count and time.
"""

import argparse
import shutil
import tempfile
import datetime
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

import chat

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_TARGET = os.path.join(ROOT, "benches", "target")
RESULTS = os.path.join(ROOT, "benches", "results")
CORES = os.cpu_count() or 1
QUICK = "--quick" in sys.argv
SERVER_CORE, LOADGEN_CORE = ("0", "1") if CORES >= 2 else (None, None)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def run(cmd, **kw):
    log("$", " ".join(cmd))
    subprocess.run(cmd, check=True, cwd=ROOT, **kw)


def build():
    run(["cargo", "build", "--release", "--quiet", "--bin", "edgeio"])
    env = dict(os.environ, CARGO_TARGET_DIR=BENCH_TARGET)
    for crate in ("harness", "peers"):
        run(["cargo", "build", "--release", "--quiet", "--manifest-path",
             f"benches/{crate}/Cargo.toml"], env=env)
    run(["npm", "ci", "--prefix", "benches/peers/node", "--no-audit", "--no-fund",
         "--loglevel=error"])


def pinned(core, cmd):
    return (["taskset", "-c", core] + cmd) if core else cmd


EDGEIO = os.path.join(ROOT, "target/release/edgeio")

# name -> (command, protocol, transports it serves). "{data}" in a command is
# replaced by a fresh data directory for each start. The peers are compared
# with edgeio on its lightest settings (in memory, no recovery), as they keep
# nothing either; edgeio-sled is edgeio as the binary runs by default (sled,
# recovery on), compared with edgeio alone.
SERVERS = {
    "edgeio": ([EDGEIO, "--app", "loadtest", "--store", "memory", "--recovery-window", "0"],
               "sio", ("websocket", "polling")),
    "edgeio-sled": ([EDGEIO, "--app", "loadtest", "--store", "sled", "--data-dir", "{data}"],
                    "sio", ("websocket",)),
    "socketioxide": ([os.path.join(BENCH_TARGET, "release/peer-socketioxide")],
                     "sio", ("websocket", "polling")),
    "node": (["node", os.path.join(ROOT, "benches/peers/node/server.js")],
             "sio", ("websocket", "polling")),
    "raw": ([os.path.join(BENCH_TARGET, "release/peer-raw")], "raw", ("websocket",)),
    **chat.servers(EDGEIO),
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def ready(proto, port):
    """True once the server answers a handshake (sio) or accepts (raw)."""
    if proto == "raw":
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False
    url = f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling"
    try:
        with urllib.request.urlopen(url, timeout=0.5) as r:
            return r.status == 200 and r.read(1) == b"0"
    except OSError:
        return False


class Server:
    """One server process, started pinned, stopped by its PID."""

    def __init__(self, name):
        self.name = name
        cmd, self.proto, self.transports = SERVERS[name]
        self.port = free_port()
        self.data = tempfile.mkdtemp(prefix="edgeio-bench-")
        cmd = [self.data if part == "{data}" else part for part in cmd]
        env = dict(os.environ, PORT=str(self.port), RUST_LOG="warn", NODE_ENV="production")
        started = time.monotonic()
        self.proc = subprocess.Popen(pinned(SERVER_CORE, cmd), env=env, cwd=ROOT,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = started + 30
        while not ready(self.proto, self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start")
            time.sleep(0.002)
        self.cold_start_ms = (time.monotonic() - started) * 1000
        time.sleep(0.2 if QUICK else 0.5)
        self.idle_rss_kib = rss_kib(self.proc.pid)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.data, ignore_errors=True)


def scenarios(quick):
    # Quick mode trims every wait so the whole table takes under a minute.
    timing = (["--duration", "1", "--warmup", "0.5", "--drain", "0.5"] if quick
              else ["--duration", "6", "--warmup", "1"])
    settle = ["--settle", "0.3"] if quick else []
    return {
        "echo": ["--scenario", "echo", "--transport", "websocket", "--clients", "50",
                 "--inflight", "8", "--payload", "64"] + timing,
        "fanout": ["--scenario", "fanout", "--transport", "websocket", "--receivers", "500",
                   "--senders", "1", "--inflight", "8", "--payload", "64"] + timing,
        "idle": ["--scenario", "idle", "--transport", "websocket", "--clients", "1000"] + settle,
        "polling": ["--scenario", "echo", "--transport", "polling", "--clients", "20",
                    "--inflight", "4", "--payload", "64"] + timing,
        "chat": chat.scenario(timing),
    }


def loadgen(server, args):
    cmd = pinned(LOADGEN_CORE, [os.path.join(BENCH_TARGET, "release/loadgen"),
                                "--target", f"127.0.0.1:{server.port}",
                                "--proto", server.proto,
                                "--server-pid", str(server.proc.pid)] + args)
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"loadgen failed on {server.name}: {out.stderr[-2000:]}")
    return json.loads(out.stdout)


def measure(names, runs, quick):
    results = {}
    for name in names:
        for scen, args in scenarios(quick).items():
            transport = args[args.index("--transport") + 1]
            if transport not in SERVERS[name][2] or not chat.applies(name, scen):
                continue
            for i in range(runs):
                server = Server(name)
                try:
                    r = loadgen(server, args)
                    r["cold_start_ms"] = server.cold_start_ms
                    r["idle_rss_kib"] = server.idle_rss_kib
                    results.setdefault(name, {}).setdefault(scen, []).append(r)
                    log(f"{name} {scen} run {i + 1}: {summary(scen, r)}")
                except Exception as e:  # one broken peer must not lose the table
                    log(f"{name} {scen} run {i + 1} FAILED: {e}")
                finally:
                    server.stop()
    return results


def summary(scen, r):
    if scen == "idle":
        return f"{r.get('rss_per_conn_kib', 0):.1f} KiB/conn"
    if scen == "fanout":
        return f"{r.get('deliveries_per_s', 0):,.0f} deliveries/s"
    return f"{r.get('rate_per_s', 0):,.0f} acked/s, p99 {r.get('p99_us', 0) / 1000:.2f} ms"


def med(rs, key):
    vals = [r[key] for r in rs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def per_core(rs, rate_key):
    """Rate divided by the server's CPU share: what one fully busy server core does."""
    vals = []
    for r in rs:
        cpu, dur, rate = r.get("server_cpu_s"), r.get("duration_s"), r.get(rate_key)
        if cpu and dur and rate:
            vals.append(rate / (cpu / dur))
    return statistics.median(vals) if vals else None


FIGURES = [
    # (label, scenario, extractor, higher is better, unit)
    ("echo acked msgs/s (wall clock)", "echo", lambda rs: med(rs, "rate_per_s"), True, ""),
    ("echo acked msgs per server-core-second", "echo", lambda rs: per_core(rs, "rate_per_s"), True, ""),
    ("echo p50 latency (ms)", "echo", lambda rs: ms(med(rs, "p50_us")), False, "ms"),
    ("echo p99 latency (ms)", "echo", lambda rs: ms(med(rs, "p99_us")), False, "ms"),
    ("echo p999 latency (ms)", "echo", lambda rs: ms(med(rs, "p999_us")), False, "ms"),
    ("echo server CPU (s)", "echo", lambda rs: med(rs, "server_cpu_s"), False, "s"),
    ("echo load generator CPU (s)", "echo", lambda rs: med(rs, "loadgen_cpu_s"), False, "s"),
    ("fan-out deliveries/s (wall clock)", "fanout", lambda rs: med(rs, "deliveries_per_s"), True, ""),
    ("fan-out deliveries per server-core-second", "fanout", lambda rs: per_core(rs, "deliveries_per_s"), True, ""),
    ("fan-out delivery lag p99 (ms)", "fanout", lambda rs: ms(med(rs, "lag_p99_us")), False, "ms"),
    ("fan-out lost deliveries", "fanout", lambda rs: med(rs, "lost"), False, ""),
    ("fan-out server CPU (s)", "fanout", lambda rs: med(rs, "server_cpu_s"), False, "s"),
    ("fan-out load generator CPU (s)", "fanout", lambda rs: med(rs, "loadgen_cpu_s"), False, "s"),
    ("polling echo acked msgs/s", "polling", lambda rs: med(rs, "rate_per_s"), True, ""),
    ("polling echo acked msgs per server-core-second", "polling", lambda rs: per_core(rs, "rate_per_s"), True, ""),
    ("polling echo p99 latency (ms)", "polling", lambda rs: ms(med(rs, "p99_us")), False, "ms"),
    ("RSS per idle WebSocket connection (KiB)", "idle", lambda rs: med(rs, "rss_per_conn_kib"), False, "KiB"),
    ("time to open 1000 connections (s)", "idle", lambda rs: med(rs, "open_s"), False, "s"),
    ("RSS idle, no connections (MiB)", "idle", lambda rs: mib(med(rs, "idle_rss_kib")), False, "MiB"),
    ("cold start to first handshake (ms)", "idle", lambda rs: med(rs, "cold_start_ms"), False, "ms"),
]


def ms(us):
    return None if us is None else us / 1000


def mib(kib):
    return None if kib is None else kib / 1024


def fmt(v):
    if v is None:
        return "—"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def ratio(ours, theirs, higher_better):
    if ours is None or theirs is None or theirs == 0 or ours == 0:
        return "—"
    r = ours / theirs if higher_better else theirs / ours
    return f"{r:.2f}×"


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{CORES} cores ({model}), {mem:.0f} GiB, {platform.system()} {platform.release()}"


NOTES = "## Profile notes"

# The aims of the load-harness issue: (label, figure, peer or None, bound, higher is better).
TARGETS = [
    ("echo acked msgs per server-core-second ≥ 1.3× socketioxide",
     "echo acked msgs per server-core-second", "socketioxide", 1.3, True),
    ("echo acked msgs per server-core-second ≥ 0.8× raw",
     "echo acked msgs per server-core-second", "raw", 0.8, True),
    ("echo p99 latency ≤ 10 ms", "echo p99 latency (ms)", None, 10.0, False),
    ("fan-out deliveries per server-core-second ≥ 1.2× socketioxide",
     "fan-out deliveries per server-core-second", "socketioxide", 1.2, True),
    ("RSS per idle WebSocket connection ≤ 12 KiB", "RSS per idle WebSocket connection (KiB)", None, 12.0, False),
    ("RSS idle, no connections ≤ 6 MB", "RSS idle, no connections (MiB)", None, 6.0 * 1e6 / 2**20, False),
]


def target_lines(values):
    """Met or missed, and by how much, for each aim."""
    out = ["", "## Targets", "", "| aim | edgeio | measured | met? |", "|---|---|---|---|"]
    for label, figure, peer, bound, higher in TARGETS:
        ours = values.get(figure, {}).get("edgeio")
        if peer:
            theirs = values.get(figure, {}).get(peer)
            if ours is None or not theirs:
                out.append(f"| {label} | {fmt(ours)} | — | not measured |")
                continue
            r = ours / theirs
            met = r >= bound
            out.append(f"| {label} | {fmt(ours)} | {r:.2f}× {peer} | {'yes' if met else f'no: {r / bound:.0%} of the aim'} |")
        else:
            if ours is None:
                out.append(f"| {label} | — | — | not measured |")
                continue
            met = ours >= bound if higher else ours <= bound
            gap = ours / bound
            out.append(f"| {label} | {fmt(ours)} | {fmt(ours)} | {'yes' if met else f'no: {gap:.2f}× the bound'} |")
    return out


# edgeio configurations measured against edgeio itself, not as peers.
VARIANTS = ("edgeio-sled",) + chat.NAMES

# The storage issue's aims: edgeio with sled and recovery on against edgeio in
# memory without recovery, on the same figures.
STORAGE_TARGETS = [
    ("echo acked msgs per server-core-second", 0.7),
    ("echo acked msgs/s (wall clock)", 0.7),
    ("fan-out deliveries per server-core-second", 0.7),
    ("fan-out deliveries/s (wall clock)", 0.7),
]


def storage_lines(results):
    """edgeio-sled against edgeio (memory, recovery off)."""
    if "edgeio-sled" not in results or "edgeio" not in results:
        return []
    out = ["", "## Storage: sled with recovery on against memory with recovery off", "",
           "`edgeio --app loadtest` as it runs by default (`--store sled`, recovery on for 120 s: every "
           "broadcast kept on disk, every acknowledgement sent once the recovery writes before it are "
           "flushed) against `--store memory --recovery-window 0`, in the same run.", "",
           "| figure | sled, recovery on | memory, recovery off | ratio | aim | met? |",
           "|---|---|---|---|---|---|"]
    for label, aim in STORAGE_TARGETS:
        scen, get, higher = next((sc, g, h) for l, sc, g, h, _u in FIGURES if l == label)
        sled = get(results["edgeio-sled"].get(scen, []))
        mem = get(results["edgeio"].get(scen, []))
        if sled is None or not mem:
            out.append(f"| {label} | {fmt(sled)} | {fmt(mem)} | — | ≥ {aim}× | not measured |")
            continue
        r = sled / mem if higher else mem / sled
        met = "yes" if r >= aim else f"no: {r / aim:.0%} of the aim"
        out.append(f"| {label} | {fmt(sled)} | {fmt(mem)} | {r:.2f}× | ≥ {aim}× | {met} |")
    for label in ("echo p99 latency (ms)", "fan-out delivery lag p99 (ms)", "fan-out lost deliveries"):
        scen, get = next((sc, g) for l, sc, g, _h, _u in FIGURES if l == label)
        sled = get(results["edgeio-sled"].get(scen, []))
        mem = get(results["edgeio"].get(scen, []))
        out.append(f"| {label} | {fmt(sled)} | {fmt(mem)} | — | — | — |")
    return out


def write_markdown(results, runs, quick, path):
    peers = [n for n in SERVERS if n != "edgeio" and n not in VARIANTS and n in results]
    names = ["edgeio"] + peers
    lines = [
        "# BENCHMARKS",
        "",
        f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {machine()}, "
        f"by `python3 benches/run.py{' --quick' if quick else ''}`: "
        f"median of {runs} run{'s' if runs > 1 else ''} per figure, every server started fresh for "
        f"each run{', pinned to core 0 with the load generator on core 1' if SERVER_CORE else ''}.",
        "Ratios are edgeio against each peer, oriented so that above 1× means edgeio is better. "
        "\"Per server-core-second\" divides a rate by the share of one core the server used, because "
        "on two cores the load generator itself may be the limit.",
        "",
        "| figure | " + " | ".join(names) + " | " + " | ".join(f"vs {p}" for p in peers) + " |",
        "|---|" + "---|" * (len(names) + len(peers)),
    ]
    values = {}
    for label, scen, get, higher, _unit in FIGURES:
        vals = {n: get(results.get(n, {}).get(scen, [])) for n in names}
        values[label] = vals
        if all(v is None for v in vals.values()):
            continue
        row = [label] + [fmt(vals[n]) for n in names]
        row += [ratio(vals["edgeio"], vals[p], higher) for p in peers]
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "Scenarios: echo = 50 WebSocket clients × 8 acked `echo` emits in flight, 64-byte "
              "payloads; fan-out = 500 receivers in room `r`, one sender emitting `bcast` with 8 in "
              "flight; idle = 1000 handshaken WebSocket clients; polling = echo with 20 long-polling "
              "clients × 4 in flight; cold start = process start to first successful handshake.", ""]
    lines += target_lines(values) + storage_lines(results)
    lines += chat.lines(results, med, per_core, fmt) + [""]
    # The hand-written profile notes below the table survive a new run.
    notes = ""
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
        if NOTES in old:
            notes = old[old.index(NOTES):]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n" + notes)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="one short run of each scenario")
    ap.add_argument("--runs", type=int, help="runs per scenario (default 3, or 1 with --quick)")
    ap.add_argument("--only", help="comma-separated servers (default: all)")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"))
    ap.add_argument("--from-json", metavar="FILE",
                    help="rewrite BENCHMARKS.md from saved results instead of measuring")
    a = ap.parse_args()
    runs = max(1, min(a.runs or (1 if a.quick else 3), 10))
    if a.from_json:
        with open(a.from_json) as f:
            saved = json.load(f)
        runs = max((len(rs) for scen in saved.values() for rs in scen.values()), default=1)
        write_markdown(saved, runs, a.quick, a.out)
        return
    names = a.only.split(",") if a.only else list(SERVERS)
    if not a.no_build:
        build()
    started = time.monotonic()
    results = measure(names, runs, a.quick)
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "latest.json"), "w") as f:
        json.dump(results, f, indent=1)
    write_markdown(results, runs, a.quick, a.out)
    log(f"measured in {time.monotonic() - started:.0f} s; wrote {a.out}")


if __name__ == "__main__":
    main()
