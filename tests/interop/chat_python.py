"""The chat with the official python-socketio client (and requests for REST).

Usage: python3 chat_python.py <url> [default|websocket|polling]
with the tokens of alice and bob in CHAT_TOKEN_ALICE and CHAT_TOKEN_BOB.
Run by tests/chat_e2e.rs against the edgeio binary.

alice creates a one-to-one with bob over REST; both connect with their token
in the auth payload; alice sends with an ack, bob receives message:received
and his unread count, reads the message (ack), alice gets the read receipt;
a bad send is refused in the ack and as error:invalid_payload. Exits 0 after
an "ok" line, 1 with a "FAIL:" line. Every wait is bounded (WAIT seconds);
the bounds are never timing assertions.
"""

import os
import sys
import threading

import requests
import socketio

WAIT = 10  # seconds: the bound of each wait
OVERALL = 60  # seconds: the bound of the whole scenario


def fail(message):
    print(f"FAIL: {message}", flush=True)
    os._exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def stage(name):
    print(f"- {name}", flush=True)


class Device:
    """One user's device: a client recording every event it receives."""

    def __init__(self, user, token, device_id):
        self.label = f"{user}/{device_id}"
        self.auth = {"token": token, "deviceId": device_id}
        self.inbox = []
        self.changed = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        # Broadcasts carry the recovery offset as an extra argument.
        self.sio.on("*", self._record)

    def _record(self, event, *args):
        with self.changed:
            self.inbox.append((event, args[0] if args else None))
            self.changed.notify_all()

    def connect(self, url, transports):
        self.sio.connect(url, auth=self.auth, transports=transports, wait_timeout=WAIT)

    def got(self, event, pred=lambda d: True):
        with self.changed:
            return [d for (e, d) in self.inbox if e == event and pred(d)]

    def wait_for(self, event, pred=lambda d: True, what=""):
        with self.changed:
            found = self.changed.wait_for(lambda: self.got(event, pred), timeout=WAIT)
        if not found:
            fail(f"{self.label}: no {event} {what} within {WAIT}s; received {self.inbox}")
        return found[0]

    def call(self, event, data):
        try:
            return self.sio.call(event, data, timeout=WAIT)
        except socketio.exceptions.TimeoutError:
            fail(f"{self.label}: no acknowledgement of {event} within {WAIT}s")


def rest(url, token, method, path, body=None):
    r = requests.request(
        method, url + path, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=WAIT
    )
    return r.status_code, r.json()


def main():
    url = sys.argv[1]
    mode = sys.argv[2] if len(sys.argv) > 2 else "default"
    transports = {"default": None, "websocket": ["websocket"], "polling": ["polling"]}[mode]
    ta, tb = os.environ["CHAT_TOKEN_ALICE"], os.environ["CHAT_TOKEN_BOB"]

    stage("alice creates a one-to-one with bob over REST")
    status, conv = rest(url, ta, "POST", "/conversations/create/one-to-one", {"participantId": "bob"})
    check(status == 201, f"create: {status} {conv}")
    cid = conv["conversationId"]

    stage("both connect with their token in the auth payload")
    alice, bob = Device("alice", ta, "laptop"), Device("bob", tb, "tablet")
    for device, user in ((alice, "alice"), (bob, "bob")):
        device.connect(url, transports)
        welcome = device.wait_for("connected")
        check(welcome["userId"] == user, f"{device.label}: connected {welcome}")
        check(welcome["unreadCounts"] == {cid: 0}, f"{device.label}: unread counts {welcome}")

    stage("alice sends with an ack; bob receives it and his unread count")
    payload = {"conversationId": cid, "content": "hello from python", "messageId": "py-1"}
    ack = alice.call("message:send", payload)
    check(
        ack.get("messageId") == "py-1" and ack.get("serverSequence") == 1 and ack.get("status") == "delivered",
        f"the ack: {ack}",
    )
    received = bob.wait_for("message:received", lambda d: d["messageId"] == "py-1")
    check(
        received["senderId"] == "alice" and received["content"] == "hello from python",
        f"bob's message:received: {received}",
    )
    bob.wait_for("unread_count:updated", lambda d: d["unreadCount"] == 1, "of 1")

    stage("bob reads it; alice gets the read receipt")
    read = bob.call("message:read", {"conversationId": cid, "messageIds": ["py-1"]})
    check(read.get("newUnreadCount") == 0 and read.get("conversationId") == cid, f"read ack: {read}")
    receipt = alice.wait_for("read_receipt:received", lambda d: d["userId"] == "bob")
    check(receipt["messageIds"] == ["py-1"] and receipt["conversationId"] == cid, f"receipt: {receipt}")
    bob.wait_for("unread_count:updated", lambda d: d["unreadCount"] == 0, "of 0")
    status, page = rest(url, ta, "GET", f"/conversations/{cid}/messages")
    check(status == 200 and [m["readBy"] for m in page["messages"]] == [["bob"]], f"history: {page}")

    stage("a send without content is refused in the ack and as error:invalid_payload")
    refused = alice.call("message:send", {"conversationId": cid, "messageId": "py-2"})
    check(refused.get("error", {}).get("code") == "invalid_payload", f"refusal: {refused}")
    told = alice.wait_for("error:invalid_payload")
    check(told["event"] == "message:send", f"error event: {told}")
    check(alice.sio.connected, "alice's connection closed after a refusal")

    for device in (alice, bob):
        device.sio.disconnect()
    print(f"ok: chat with python-socketio ({mode})", flush=True)


if __name__ == "__main__":
    timer = threading.Timer(OVERALL, lambda: fail(f"timed out after {OVERALL}s"))
    timer.daemon = True
    timer.start()
    try:
        main()
    except Exception as e:  # noqa: BLE001 - any failure is the scenario's
        fail(f"{type(e).__name__}: {e}")
    os._exit(0)
