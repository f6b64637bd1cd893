"""Interop scenarios: the official python-socketio client against edgeio.

Usage: python3 python_client.py <url> <scenario> [default|websocket|polling]

Scenarios: connect, ack, binary, room. The transport argument picks the
client's transports (default: polling, then the upgrade to WebSocket).
The server side is built by tests/interop_python_client.rs.
EDGEIO_INTEROP_DEBUG=1 logs every packet the client sends and receives. Exits 0 on
success, 1 with a "FAIL:" line on a failed check, 2 on the overall timeout.
"""

import os
import queue
import sys
import threading
import time
import traceback
from importlib.metadata import version

import engineio.payload
import socketio

# python-engineio refuses a polling payload of more than 16 packets (a guard
# meant for its server, applied to what its client reads too). A server that
# batches every queued packet into one poll response, as the reference Node
# engine.io server and edgeio do, trips it in a burst; raising it is the
# client-side setting python-engineio documents for this.
engineio.payload.Payload.max_decode_packets = 1000
WAIT = 10  # seconds: the bound of each single wait
OVERALL = 60  # seconds: the bound of a whole scenario
GRACE = 0.5  # seconds: how long to watch for an event that must not come


def fail(message):
    print(f"FAIL: {message}", flush=True)
    os._exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def expect_equal(what, got, want):
    check(got == want, f"{what}: got {got!r}, want {want!r}")


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Inbox:
    """Records the events a client receives, one queue per event name."""

    def __init__(self, sio, name, events, namespace="/"):
        self.name = name
        self.queues = {}
        for event in events:
            q = self.queues[(event, namespace)] = queue.Queue()
            sio.on(event, handler=self._recorder(q), namespace=namespace)

    @staticmethod
    def _recorder(q):
        def record(*args):
            q.put(args)

        return record

    def get(self, event, namespace="/"):
        try:
            return self.queues[(event, namespace)].get(timeout=WAIT)
        except queue.Empty:
            fail(f"{self.name}: no {event!r} event on {namespace} within {WAIT}s")

    def answer(self):
        """The server's report of the client's answer to its emit_with_ack."""
        try:
            return self.queues[("answer", "/")].get(timeout=WAIT + 2)
        except queue.Empty:
            errors = list(self.queues[("answer_error", "/")].queue)
            fail(f"{self.name}: no answer reported by the server; its errors: {errors!r}")

    def expect_none(self, event, namespace="/"):
        q = self.queues[(event, namespace)]
        time.sleep(GRACE)
        check(q.empty(), f"{self.name}: unexpected {event!r}: {list(q.queue)!r}")


class Scenario:
    def __init__(self, url, transport):
        self.url = url
        self.transport = transport
        self.clients = []

    def client(self):
        debug = os.environ.get("EDGEIO_INTEROP_DEBUG") == "1"
        sio = socketio.Client(reconnection=False, logger=debug, engineio_logger=debug)
        self.clients.append(sio)
        return sio

    def connect(self, sio, **kwargs):
        transports = None if self.transport == "default" else [self.transport]
        sio.connect(self.url, transports=transports, wait_timeout=WAIT, **kwargs)
        want = "polling" if self.transport == "polling" else "websocket"
        expect_equal("transport after connect", sio.transport(), want)

    def call(self, sio, event, data=None, namespace=None):
        try:
            return sio.call(event, data, namespace=namespace, timeout=WAIT)
        except socketio.exceptions.TimeoutError:
            fail(f"no ack for {event!r} on {namespace or '/'} within {WAIT}s")

    def close(self):
        for sio in self.clients:
            if sio.connected:
                sio.disconnect()

    # -- scenarios ---------------------------------------------------------

    def connect_scenario(self):
        auth = {"token": "abc", "n": 42, "nested": {"list": [1, "two", None, True]}}
        sio = self.client()
        inbox = Inbox(sio, "client", ["auth"])
        self.connect(sio, auth=auth)
        check(sio.get_sid("/"), "no sid for / after connect")
        expect_equal("auth echoed by the server", inbox.get("auth"), (auth,))
        sio.disconnect()
        log("auth echoed")

        sio = self.client()
        inbox = Inbox(sio, "client without auth", ["auth"])
        self.connect(sio)
        expect_equal("auth when none sent", inbox.get("auth"), ({},))
        sio.disconnect()
        log("no auth gives {}")

        # A middleware refuses: connect() raises, connect_error has the data.
        sio = self.client()
        errors = queue.Queue()
        sio.on("connect_error", lambda *a: errors.put(a), namespace="/guarded")
        try:
            self.connect(sio, auth={"token": "wrong"}, namespaces=["/guarded"])
            fail("connect to /guarded with a wrong token succeeded")
        except socketio.exceptions.ConnectionError as e:
            log(f"refused as expected: {e}")
            check("/guarded" in str(e), f"ConnectionError does not name /guarded: {e}")
        try:
            got = errors.get(timeout=WAIT)
        except queue.Empty:
            fail("no connect_error handler call on /guarded")
        want = {"message": "not authorized", "data": {"code": 4001, "why": "bad token"}}
        expect_equal("connect_error data", got, (want,))
        check(not sio.connected, "client connected after a refusal")
        log("middleware refusal carried message and data")

        # Accepted by the middleware, on two namespaces of one connection.
        sio = self.client()
        inbox = Inbox(sio, "client", ["auth"])
        guarded = Inbox(sio, "client", ["welcome"], namespace="/guarded")
        self.connect(sio, auth={"token": "letmein"}, namespaces=["/", "/guarded"])
        check(sio.get_sid("/guarded"), "no sid for /guarded")
        check(sio.get_sid("/") != sio.get_sid("/guarded"), "same sid on two namespaces")
        expect_equal("auth on /", inbox.get("auth"), ({"token": "letmein"},))
        expect_equal(
            "welcome on /guarded",
            guarded.get("welcome", "/guarded"),
            ({"user": "user-letmein", "auth": {"token": "letmein"}},),
        )
        sio.disconnect()
        log("middleware accepted, two namespaces multiplexed")

    def ack_scenario(self):
        sio = self.client()
        inbox = Inbox(sio, "client", ["echo", "answer", "answer_error", "tick"])
        questions = queue.Queue()

        def on_question(*args):
            questions.put(args)
            return "yes", {"got": list(args)}

        sio.on("question", on_question)
        self.connect(sio, namespaces=["/", "/chat"])

        for ns in ("/", "/chat"):
            data = {"a": 1, "s": "é ü 中 \"quoted\"", "f": 1.5, "z": None}
            expect_equal(f"call echo on {ns}", self.call(sio, "echo", data, ns), data)
        log("call() acked with one argument, on / and /chat")

        got = self.call(sio, "echo", (1, "two", [3, None], {"k": False}))
        expect_equal("call with several arguments", got, (1, "two", [3, None], {"k": False}))
        expect_equal("call with no argument", self.call(sio, "echo"), None)
        log("several and no arguments acked")

        acked = queue.Queue()
        sio.emit("echo", "plain", callback=lambda *a: acked.put(a))
        try:
            expect_equal("emit(callback=)", acked.get(timeout=WAIT), ("plain",))
        except queue.Empty:
            fail("emit(callback=) was never called back")
        log("emit(callback=) called back")

        sio.emit("echo", {"k": "v"})
        expect_equal("emit without ack echoed", inbox.get("echo"), ({"k": "v"},))
        log("emit without ack echoed as an event")

        # The server emits with an ack; the client's handler answers it and
        # the server reports the answer back.
        sio.emit("ask", {"q": "ready?"})
        try:
            expect_equal("question", questions.get(timeout=WAIT), ({"q": "ready?"},))
        except queue.Empty:
            fail("the server's question never came")
        expect_equal(
            "answer the server got", inbox.answer(), ("yes", {"got": [{"q": "ready?"}]})
        )
        log("server emit_with_ack answered by the client")

        # A burst each way: every ack and every event arrives.
        acks = queue.Queue()
        for i in range(100):
            sio.emit("echo", {"i": i}, callback=lambda *a: acks.put(a))
        got = []
        for _ in range(100):
            try:
                got.append(acks.get(timeout=WAIT)[0]["i"])
            except queue.Empty:
                fail(f"burst: only {len(got)} of 100 acks came")
        expect_equal("burst acks", sorted(got), list(range(100)))
        expect_equal("burst count", self.call(sio, "burst", 100), "done")
        got = sorted(inbox.get("tick")[0] for _ in range(100))
        expect_equal("burst events", got, list(range(100)))
        log("100 acked emits and 100 server events, none lost")

    def binary_scenario(self):
        sio = self.client()
        inbox = Inbox(sio, "client", ["bin", "answer", "answer_error"])
        big = bytes(i % 251 for i in range(200_000))
        questions = queue.Queue()

        def on_question(*args):
            questions.put(args)
            return b"\xde\xad", {"k": [b"\xbe\xef", "text"]}

        sio.on("question", on_question)
        self.connect(sio)

        # What the server decoded: placeholders in args, bytes in bins.
        payload = ({"b": b"\x01\x02", "l": [b"x", {"d": b"\xff"}], "s": "str"}, b"raw")
        got = self.call(sio, "inspect", payload)
        check(isinstance(got, dict), f"inspect answer: {got!r}")
        bins = [bytes.fromhex(h) for h in got["bins"]]
        expect_equal("bins the server got", len(bins), 4)
        expect_equal("args the server got, resolved", resolve(got["args"], bins), list(payload))
        log("server decoded nested binary arguments")

        # Bytes both ways, nested, in an ack.
        payload = ({"b": b"\x00\x01", "l": [b"a", {"deep": big}], "e": b""}, b"\xff" * 3, "s")
        expect_equal("binary echoed by ack", self.call(sio, "echo", payload), payload)
        log("binary echoed by ack, 200 kB included")

        # Bytes in an event the server builds.
        sio.emit("send_binary")
        want = ({"x": b"\x00\x01\x02", "arr": [big, {"deep": b"\xff"}]}, b"tail")
        expect_equal("server's binary event", inbox.get("bin"), want)
        log("server-built binary event received")

        # The server's emit_with_ack carries bytes; the client acks with bytes.
        sio.emit("ask", ({"blob": b"\x01"}, b"\x02"))
        try:
            got = questions.get(timeout=WAIT)
        except queue.Empty:
            fail("the server's binary question never came")
        expect_equal("binary question", got, ({"blob": b"\x01"}, b"\x02"))
        want = (b"\xde\xad", {"k": [b"\xbe\xef", "text"]})
        expect_equal("binary answer the server got", inbox.answer(), want)
        log("binary emit_with_ack answered with bytes")

    def room_scenario(self):
        a, b = self.client(), self.client()
        inbox_a = Inbox(a, "client A", ["news"])
        inbox_b = Inbox(b, "client B", ["news"])
        self.connect(a)
        self.connect(b)

        expect_equal("A joins", self.call(a, "join", "lobby"), "joined lobby")
        msg = {"msg": "hi", "blob": b"\x07\x08"}
        expect_equal("B shouts", self.call(b, "shout", ("lobby", msg)), "sent")
        expect_equal("news for A", inbox_a.get("news"), (msg,))
        inbox_b.expect_none("news")
        log("room broadcast reached A (in the room) and not B")

        # socket.to(room) leaves the sender out.
        expect_equal("B joins", self.call(b, "join", "lobby"), "joined lobby")
        msg = {"msg": "from A"}
        expect_equal("A shouts to others", self.call(a, "shout_others", ("lobby", msg)), "sent")
        expect_equal("news for B", inbox_b.get("news"), (msg,))
        inbox_a.expect_none("news")
        log("socket.to(room) reached B and not the sender A")


def resolve(value, bins):
    """Replaces {"_placeholder": true, "num": N} by bins[N]."""
    if isinstance(value, dict):
        if value.get("_placeholder") is True and isinstance(value.get("num"), int):
            return bins[value["num"]]
        return {k: resolve(v, bins) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, bins) for v in value]
    return value


SCENARIOS = {
    "connect": Scenario.connect_scenario,
    "ack": Scenario.ack_scenario,
    "binary": Scenario.binary_scenario,
    "room": Scenario.room_scenario,
}


def main():
    if len(sys.argv) not in (3, 4) or sys.argv[2] not in SCENARIOS:
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    url, name = sys.argv[1], sys.argv[2]
    transport = sys.argv[3] if len(sys.argv) == 4 else "default"
    if transport not in ("default", "websocket", "polling"):
        print(f"unknown transport {transport!r}", file=sys.stderr)
        sys.exit(64)

    def timed_out():
        print(f"FAIL: scenario {name} ({transport}) not done within {OVERALL}s", flush=True)
        traceback.print_stack(sys._current_frames()[threading.main_thread().ident])
        os._exit(2)

    watchdog = threading.Timer(OVERALL, timed_out)
    watchdog.daemon = True
    watchdog.start()

    log(f"python-socketio {version('python-socketio')}: {name} over {transport} at {url}")
    scenario = Scenario(url, transport)
    try:
        SCENARIOS[name](scenario)
        scenario.close()
    except Exception:  # noqa: BLE001 - any error fails the scenario loudly
        traceback.print_exc()
        fail(f"scenario {name} ({transport}) raised")
    log(f"OK: {name} over {transport}")
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
