#!/usr/bin/env python3
"""Fan-out across two server nodes through Redis (issue 12, "Performance"):
two edgeio nodes, then two Node socket.io nodes with @socket.io/redis-adapter,
each pair on a redis-server of this script's own. 500 receivers in room `r`
are dealt alternately over the two nodes and one sender on the first node
emits `bcast` with 8 in flight, so half the receivers get only what crossed
through Redis. Prints a Markdown section for BENCHMARKS.md ("Several nodes
through Redis") and writes the runs to benches/results/cluster.json.

    python3 benches/cluster.py            # 3 runs of each kind, 6 s windows
    python3 benches/cluster.py --quick    # 1 short run of each
    python3 benches/cluster.py --edgeio-args=\\
"--app loadtest --store memory --recovery-window 0 --events redis-pubsub --redis-url {redis}"
                                          # edgeio through the event store instead

Both server nodes are pinned to core 0 and the load generator to core 1, as
in benches/run.py. redis-server is pinned to core 1 with the load generator:
on core 0 it would take CPU from the nodes being measured, and its own CPU
seconds are reported apart from theirs (the per-core figure divides by the
two nodes' CPU only). Loopback only; every process is stopped by its PID.
"""

import argparse
import datetime
import json
import os
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import run as bench  # run.py's helpers: ports, readiness, pinning, formatting

ROOT, BENCH_TARGET, RESULTS = bench.ROOT, bench.BENCH_TARGET, bench.RESULTS
SERVER_CORE, LOADGEN_CORE = bench.SERVER_CORE, bench.LOADGEN_CORE
REDIS_CORE = LOADGEN_CORE
LOADGEN = os.path.join(BENCH_TARGET, "release/loadgen")

# How each kind of node starts; "{redis}" becomes the Redis URL. edgeio runs
# the Node-compatible Redis adapter, as the Node nodes do (--edgeio-args to
# measure another setup).
EDGEIO_ARGS = ("--app loadtest --store memory --recovery-window 0 "
               "--adapter redis --redis-url {redis}")
NODE_CMD = ["node", os.path.join(ROOT, "benches/peers/node/server.js")]
KINDS = ("edgeio", "node")
RECEIVERS, SENDERS, INFLIGHT, PAYLOAD = 500, 1, 8, 64


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def build():
    """edgeio, the load generator and the Node peer's packages; their output
    goes to stderr, so stdout is the Markdown section alone."""
    bench.run(["cargo", "build", "--release", "--quiet", "--bin", "edgeio"], stdout=sys.stderr)
    bench.run(["cargo", "build", "--release", "--quiet", "--manifest-path",
               "benches/harness/Cargo.toml"], stdout=sys.stderr,
              env=dict(os.environ, CARGO_TARGET_DIR=BENCH_TARGET))
    bench.run(["npm", "ci", "--prefix", "benches/peers/node", "--no-audit", "--no-fund",
               "--loglevel=error"], stdout=sys.stderr)


def stop(proc):
    """Stops one process this script started, by its PID."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Redis:
    """A redis-server of this script's own: free loopback port, no persistence, temp dir."""

    def __init__(self):
        self.port = bench.free_port()
        self.dir = tempfile.mkdtemp(prefix="edgeio-cluster-redis-")
        self.cmd = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", self.dir]
        self.proc = subprocess.Popen(bench.pinned(REDIS_CORE, self.cmd), cwd=self.dir,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start (is it installed?)")
                time.sleep(0.02)
        self.url = f"redis://127.0.0.1:{self.port}/"

    def stop(self):
        stop(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


class Node:
    """One server node of a cluster, pinned to the server core; its output kept in a log."""

    def __init__(self, kind, label, redis, edgeio_args):
        self.kind, self.port = kind, bench.free_port()
        if kind == "edgeio":
            cmd = [bench.EDGEIO] + [a.replace("{redis}", redis.url) for a in edgeio_args]
            env = dict(os.environ, PORT=str(self.port), RUST_LOG="warn")
        else:
            cmd = NODE_CMD
            env = dict(os.environ, PORT=str(self.port), NODE_ENV="production", REDIS_URL=redis.url)
        self.log = tempfile.NamedTemporaryFile(prefix=f"edgeio-cluster-{kind}-{label}-",
                                               suffix=".log", delete=False)
        self.proc = subprocess.Popen(bench.pinned(SERVER_CORE, cmd), env=env, cwd=ROOT,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not bench.ready("sio", self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{kind} node {label} did not start: {self.tail()}")
            time.sleep(0.01)

    def tail(self):
        with open(self.log.name, errors="replace") as f:
            return f.read()[-1500:]

    def stop(self):
        stop(self.proc)
        self.log.close()
        os.unlink(self.log.name)


def timing(quick):
    return (["--duration", "1", "--warmup", "0.5", "--drain", "1"] if quick
            else ["--duration", "6", "--warmup", "1", "--drain", "2"])


def loadgen_args(quick):
    return ["--scenario", "fanout", "--transport", "websocket", "--receivers", str(RECEIVERS),
            "--senders", str(SENDERS), "--inflight", str(INFLIGHT),
            "--payload", str(PAYLOAD)] + timing(quick)


def one_run(kind, redis, edgeio_args, quick):
    """Two fresh nodes, one fan-out across them; the loadgen report plus derived figures."""
    a = Node(kind, "a", redis, edgeio_args)
    try:
        b = Node(kind, "b", redis, edgeio_args)
    except Exception:
        a.stop()
        raise
    try:
        time.sleep(0.2 if quick else 0.5)
        cmd = bench.pinned(LOADGEN_CORE, [
            LOADGEN, "--target", f"127.0.0.1:{a.port}", "--peer-target", f"127.0.0.1:{b.port}",
            "--server-pid", str(a.proc.pid), "--peer-pid", str(b.proc.pid),
            "--watch-pid", str(redis.proc.pid)] + loadgen_args(quick))
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            raise RuntimeError(f"loadgen failed on {kind}: {out.stderr[-2000:]}\n"
                               f"node a: {a.tail()}\nnode b: {b.tail()}")
        return derive(json.loads(out.stdout))
    finally:
        b.stop()
        a.stop()


def derive(r):
    """Adds the cluster figures: CPU per node and summed, deliveries per server core."""
    a_cpu, b_cpu = r.get("server_cpu_s"), (r.get("peer_cpu_s") or [None])[0]
    dur, nodes = r["duration_s"], r.get("nodes", [])
    r["node_a_cpu_s"], r["node_b_cpu_s"] = a_cpu, b_cpu
    r["redis_cpu_s"] = (r.get("watch_cpu_s") or [None])[0]
    r["nodes_cpu_s"] = a_cpu + b_cpu if a_cpu is not None and b_cpu is not None else None
    cpu = r["nodes_cpu_s"]
    # Every delivery in the window, over both nodes' CPU seconds in it.
    r["deliveries_per_core_s"] = r["deliveries"] / cpu if cpu else None
    crossed = nodes[1]["deliveries"] if len(nodes) > 1 else None
    r["crossed_per_s"] = crossed / dur if crossed is not None else None
    r["crossed_per_core_s"] = crossed / cpu if crossed is not None and cpu else None
    r["lost_a"] = nodes[0]["lost"] if nodes else None
    r["lost_b"] = nodes[1]["lost"] if len(nodes) > 1 else None
    return r


def med(rs, key):
    vals = [r[key] for r in rs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def ms(us):
    return None if us is None else us / 1000


FIGURES = [
    # (label, extractor, higher is better)
    ("cross-node deliveries per server-core-second (all deliveries ÷ both nodes' CPU s)",
     lambda rs: med(rs, "deliveries_per_core_s"), True),
    ("of which crossed through Redis (node B's receivers), per server-core-second",
     lambda rs: med(rs, "crossed_per_core_s"), True),
    ("deliveries/s (wall clock, both nodes)", lambda rs: med(rs, "deliveries_per_s"), True),
    ("deliveries/s crossed through Redis (wall clock)", lambda rs: med(rs, "crossed_per_s"), True),
    ("broadcasts acked/s", lambda rs: med(rs, "sent_per_s"), True),
    ("delivery lag p50 (ms)", lambda rs: ms(med(rs, "lag_p50_us")), False),
    ("delivery lag p99 (ms)", lambda rs: ms(med(rs, "lag_p99_us")), False),
    ("lost deliveries, node A's receivers", lambda rs: med(rs, "lost_a"), False),
    ("lost deliveries, node B's receivers (via Redis)", lambda rs: med(rs, "lost_b"), False),
    ("node A CPU (s)", lambda rs: med(rs, "node_a_cpu_s"), None),
    ("node B CPU (s)", lambda rs: med(rs, "node_b_cpu_s"), None),
    ("redis-server CPU (s, not in the per-core figures)", lambda rs: med(rs, "redis_cpu_s"), None),
    ("load generator CPU (s)", lambda rs: med(rs, "loadgen_cpu_s"), None),
]
AIM = 3.0


def ratio(ours, theirs, higher):
    if higher is None or not ours or not theirs:
        return "—"
    return f"{(ours / theirs if higher else theirs / ours):.2f}×"


def commands(edgeio_args, quick):
    """The exact commands, with placeholders for ports and PIDs."""
    args = " ".join(shlex.quote(a) for a in edgeio_args).replace("'{redis}'", "{redis}")
    load = " ".join(loadgen_args(quick))
    c0, c1 = (f"taskset -c {SERVER_CORE} ", f"taskset -c {LOADGEN_CORE} ") if SERVER_CORE else ("", "")
    return [
        "```sh",
        f"{c1}redis-server --port R --bind 127.0.0.1 --save '' --appendonly no --dir TMP",
        f"PORT=A {c0}target/release/edgeio {args.replace('{redis}', 'redis://127.0.0.1:R/')}   # and PORT=B",
        f"REDIS_URL=redis://127.0.0.1:R/ PORT=A {c0}node benches/peers/node/server.js   # and PORT=B",
        f"{c1}benches/target/release/loadgen --target 127.0.0.1:A --peer-target 127.0.0.1:B \\",
        f"    --server-pid PID_A --peer-pid PID_B --watch-pid PID_REDIS {load}",
        "```",
    ]


def markdown(results, runs, quick, edgeio_args):
    now = datetime.datetime.now(datetime.timezone.utc)
    pin = ("both server nodes pinned to core 0, the load generator and redis-server to core 1"
           if SERVER_CORE else "nothing pinned (fewer than two cores)")
    lines = [
        "## Several nodes through Redis",
        "",
        f"Measured {now:%Y-%m-%d %H:%M} UTC on {bench.machine()}, by "
        f"`python3 benches/cluster.py{' --quick' if quick else ''}`: median of {runs} "
        f"run{'s' if runs > 1 else ''} per figure, every node started fresh for each run, {pin} "
        "(redis-server is kept off the nodes' core; its CPU is reported apart). Two edgeio nodes "
        f"(`edgeio {' '.join(edgeio_args)}`) against two Node socket.io 4.8 nodes with "
        "`@socket.io/redis-adapter` 8.3.0 on node-redis 4.7.0, each pair on one redis-server of "
        f"the script's own. {RECEIVERS} receivers join room `r`, dealt alternately over the two "
        f"nodes ({RECEIVERS // 2} each); {SENDERS} sender on node A emits `bcast` with {INFLIGHT} "
        f"in flight, {PAYLOAD}-byte payloads: node B's receivers get only what crossed through "
        "Redis. \"Per server-core-second\" divides deliveries in the window by the CPU seconds "
        "both nodes used in it. Ratios are edgeio against Node, above 1× means edgeio is better.",
        "",
        "| figure | edgeio | node | edgeio vs node |",
        "|---|---|---|---|",
    ]
    values = {}
    for label, get, higher in FIGURES:
        e, n = (get(results.get(k, [])) for k in KINDS)
        values[label] = (e, n)
        lines.append(f"| {label} | {bench.fmt(e)} | {bench.fmt(n)} | {ratio(e, n, higher)} |")
    e, n = values[FIGURES[0][0]]
    if e and n:
        r = e / n
        met = "yes" if r >= AIM else f"no: {r / AIM:.0%} of the aim"
        lines += ["", f"Aim: cross-node deliveries per server-core-second ≥ {AIM:g}× Node's: "
                  f"measured {r:.2f}× — {met}."]
    else:
        lines += ["", f"Aim: cross-node deliveries per server-core-second ≥ {AIM:g}× Node's: not measured."]
    lines += ["", "The commands (R, A, B: free ports; PIDs for the CPU readings):", ""]
    return lines + commands(edgeio_args, quick)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="one short run of each kind")
    ap.add_argument("--runs", type=int, help="runs per kind (default 3, or 1 with --quick)")
    ap.add_argument("--only", help="comma-separated kinds: edgeio,node (default both)")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--edgeio-args", default=EDGEIO_ARGS,
                    help="edgeio's arguments, given with '=' (they start with --); {redis} becomes "
                         "the Redis URL (default: %(default)s)")
    ap.add_argument("--out", default=os.path.join(RESULTS, "cluster.json"))
    a = ap.parse_args()
    runs = max(1, min(a.runs or (1 if a.quick else 3), 10))
    kinds = a.only.split(",") if a.only else list(KINDS)
    if any(k not in KINDS for k in kinds):
        ap.error(f"--only takes {','.join(KINDS)}")
    edgeio_args = shlex.split(a.edgeio_args)
    if not any("{redis}" in arg for arg in edgeio_args):
        ap.error("--edgeio-args must pass the Redis URL as {redis}")
    if not a.no_build:
        build()
    started = time.monotonic()
    results = {}
    redis = Redis()
    try:
        for kind in kinds:
            for i in range(runs):
                try:
                    r = one_run(kind, redis, edgeio_args, a.quick)
                    results.setdefault(kind, []).append(r)
                    log(f"{kind} run {i + 1}: {r['deliveries_per_s']:,.0f} deliveries/s, "
                        f"{bench.fmt(r['deliveries_per_core_s'])} per server-core-second, "
                        f"lost {r['lost_a']}/{r['lost_b']} (node A/B)")
                except Exception as e:  # one failed run must not lose the others
                    log(f"{kind} run {i + 1} FAILED: {e}")
    finally:
        redis.stop()
    section = markdown(results, runs, a.quick, edgeio_args)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump({"quick": a.quick, "runs": runs, "edgeio_args": edgeio_args,
                   "node_cmd": NODE_CMD[1:], "markdown": "\n".join(section),
                   "results": results}, f, indent=1)
    print("\n".join(section))
    log(f"measured in {time.monotonic() - started:.0f} s; wrote {a.out}")


if __name__ == "__main__":
    main()
