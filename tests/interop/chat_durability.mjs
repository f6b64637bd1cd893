// Acknowledged chat messages survive SIGKILLs of the server, exactly once:
// eight official npm `socket.io-client` sockets send `message:send` without
// pause while tests/chat_durability.rs kills the `edgeio` binary (the chat
// app on sled) at random moments and starts it again on the same port and
// data directory.
//
//   node tests/interop/chat_durability.mjs http://127.0.0.1:PORT TOKENS.json
//
// TOKENS.json: [{"user": "u0", "token": "..."}, ...], eight users.
//
// What the clients do is what a real chat client does: every message gets a
// fresh messageId; an acknowledgement means the message is on disk, so its id
// is recorded with its serverSequence; a message whose acknowledgement did
// not come (the connection dropped, or the ack timed out) is sent again with
// the SAME messageId and content once the socket is back (it reconnects by
// itself), until it is acknowledged. Users u0..u7 are in four one-to-one
// conversations (u0-u1, u2-u3, ...) and one group of all eight; each sender
// alternates between its pair and the group, one send in flight at a time.
//
// Protocol with the Rust test, one line each way:
//   - this script prints `READY` once every sender is connected and has an ack;
//   - the test kills the server (at a random moment of the load), starts it
//     again and writes `RESTARTED <n>`; this script waits until every socket
//     has seen its connection drop, has reconnected and has had a send
//     acknowledged since, then checks the history over REST (below) and prints
//     `CHECKED <n> acked=<a> history=<h>`;
//   - `STOP`: no new messages; what is unacknowledged is sent again until
//     acknowledged; the final checks run; it prints `DONE <json>` and exits 0.
// Any failure: `FAIL ...` on stderr, exit 1.
//
// The history check, over every page of every conversation: serverSequence
// is 1..N without a gap; no messageId appears twice; every message
// acknowledged so far is there once, in its conversation, at the sequence its
// ack gave, with its content. At the end, also: the history holds exactly the
// acknowledged messages; then every acknowledged message is sent again (same
// messageId and content) and must be acknowledged with its original
// serverSequence, and the history must be unchanged.
//
// No assertion is about timing: every wait is an upper bound.

import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

import { io } from "socket.io-client";

const [url, tokensFile] = process.argv.slice(2);
if (!url || !tokensFile) {
  console.error("usage: node chat_durability.mjs URL TOKENS.json");
  process.exit(2);
}
const users = JSON.parse(readFileSync(tokensFile, "utf8"));

const WAIT_MS = 30_000; // upper bound of any one wait
const ACK_MS = 10_000; // an unanswered send is sent again after this
const OVERALL_MS = 170_000;
const WINDOW = 1; // sends in flight per socket (more only makes the checks longer)
const RESEND_WINDOW = 16; // in the final resend of every acknowledged message
const RUN = Math.random().toString(36).slice(2, 8); // ids unique across runs

let stage = "starting";
function fail(message) {
  const sockets = senders
    .map((s) => `  ${s.user}: connected=${s.socket.connected} drops=${s.drops} ` +
      `pending=${s.pending.length} inflight=${s.inflight} disconnects=${JSON.stringify(s.reasons.slice(-3))} ` +
      `connect errors=${JSON.stringify(s.connectErrors.slice(-3))}`)
    .join("\n");
  console.error(`FAIL during "${stage}": ${message}\n${sockets}`);
  process.exit(1);
}
function check(cond, message) {
  if (!cond) fail(message);
}
setTimeout(() => fail(`timed out after ${OVERALL_MS} ms`), OVERALL_MS).unref();
process.on("unhandledRejection", (e) => fail(`unhandled rejection: ${e?.stack ?? e}`));
process.on("uncaughtException", (e) => fail(`uncaught exception: ${e?.stack ?? e}`));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(pred, what, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) fail(`gave up after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

// --- REST -----------------------------------------------------------------

async function rest(method, path, token, body) {
  const r = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body && JSON.stringify(body),
    signal: AbortSignal.timeout(WAIT_MS),
  });
  const text = await r.text();
  check(r.ok, `${method} ${path}: HTTP ${r.status} ${text}`);
  return JSON.parse(text);
}

/** Every message of conversation `conv`, oldest first. */
async function history(conv) {
  const out = [];
  let after = 0;
  for (;;) {
    const page = await rest("GET", `/conversations/${conv.id}/messages?limit=100&after=${after}`, conv.reader);
    out.push(...page.messages);
    if (page.nextCursor == null) return out;
    after = page.nextCursor;
  }
}

// --- state ----------------------------------------------------------------

/** messageId -> {cid, seq}: every acknowledged message. */
const acked = new Map();
const counts = { sent: 0, sentAgain: 0, storedUnacked: 0, ackTimeouts: 0, drops: 0, checks: 0 };
let stopping = false;

const contentOf = (id) => `content of ${id}`;

function record(m, ack) {
  check(ack && typeof ack === "object", `ack of ${m.id} is not an object: ${JSON.stringify(ack)}`);
  check(!ack.error, `error ack to ${m.id}: ${JSON.stringify(ack)}`);
  check(
    ack.messageId === m.id && ack.conversationId === m.cid && ack.status === "delivered" &&
      Number.isInteger(ack.serverSequence) && ack.serverSequence > 0,
    `malformed ack to ${m.id} in ${m.cid}: ${JSON.stringify(ack)}`,
  );
  const before = acked.get(m.id);
  check(
    !before || before.seq === ack.serverSequence,
    `${m.id} acknowledged twice with different sequences: ${before?.seq} then ${ack.serverSequence}`,
  );
  acked.set(m.id, { cid: m.cid, seq: ack.serverSequence });
  return ack.serverSequence;
}

class Sender {
  constructor(index, user, token) {
    Object.assign(this, { index, user, token, convs: [], next: 0 });
    this.pending = []; // sent, not acknowledged: to be sent again, same id
    this.inflight = 0;
    this.drops = 0;
    this.acksSinceConnect = 0;
    this.connectErrors = [];
    this.socket = io(url, {
      transports: ["websocket"],
      auth: { token, deviceId: `device-${index}` },
      forceNew: true,
      reconnectionDelay: 50,
      reconnectionDelayMax: 250,
      randomizationFactor: 0,
      timeout: 5000,
    });
    this.socket.on("connect", () => (this.acksSinceConnect = 0));
    this.reasons = [];
    this.socket.on("disconnect", (reason) => {
      this.reasons.push(reason);
      // The server never disconnects a client here; the client would not
      // reconnect after it.
      check(reason !== "io server disconnect", `the server disconnected ${user}`);
      this.drops++;
      counts.drops++;
    });
    this.socket.on("connect_error", (e) => this.connectErrors.push(e.message));
  }

  fresh() {
    const n = this.next++;
    const id = `m-${RUN}-${this.index}-${n}`;
    return { id, cid: this.convs[n % this.convs.length], content: contentOf(id), tries: 0 };
  }

  /** One attempt: resolves with the ack, or null if it did not come. */
  async attempt(m) {
    await until(() => this.socket.connected, `${this.user} to be connected`);
    m.tries++;
    if (m.tries > 1) counts.sentAgain++;
    counts.sent++;
    return new Promise((resolve) => {
      const payload = { conversationId: m.cid, content: m.content, messageId: m.id };
      this.socket.timeout(ACK_MS).emit("message:send", payload, (err, ack) => {
        if (err) {
          if (/timed out/.test(err.message)) counts.ackTimeouts++;
          resolve(null);
        } else resolve(ack);
      });
    });
  }

  /** One of WINDOW loops: resends first, new messages while not stopping. */
  async work() {
    for (;;) {
      let m = this.pending.shift();
      if (!m) {
        if (stopping) {
          if (this.inflight === 0) return;
          await sleep(10);
          continue;
        }
        m = this.fresh();
      }
      this.inflight++;
      const ack = await this.attempt(m);
      this.inflight--;
      if (ack === null) {
        m.lostAt = Date.now();
        this.pending.push(m);
      } else {
        // Stored before its ack was lost: the resend got the original.
        if (m.lostAt && ack.serverTimestamp < m.lostAt) counts.storedUnacked++;
        record(m, ack);
        this.acksSinceConnect++;
      }
    }
  }
}

const senders = users.map((u, i) => new Sender(i, u.user, u.token));

// --- the history check ----------------------------------------------------

let convs = []; // {id, reader}

/** Checks the history against the acks; returns the messages per conversation. */
async function checkHistory({ exact }) {
  counts.checks++;
  const snapshot = new Map(acked); // acknowledged before the pages were read
  const pages = await Promise.all(convs.map(history));
  const seen = new Map();
  pages.forEach((msgs, c) => {
    const cid = convs[c].id;
    msgs.forEach((m, i) => {
      check(
        m.serverSequence === i + 1,
        `${cid}: message ${i + 1} of the history has serverSequence ${m.serverSequence} ` +
          `(a gap or a repeat): ${JSON.stringify(msgs.slice(Math.max(0, i - 1), i + 2).map((x) => [x.serverSequence, x.messageId]))}`,
      );
      check(m.conversationId === cid, `${m.messageId} in ${cid}'s history says ${m.conversationId}`);
      check(m.content === contentOf(m.messageId), `${m.messageId} has content ${JSON.stringify(m.content)}`);
      const twice = seen.get(m.messageId);
      check(!twice, `${m.messageId} is in the history twice: ${JSON.stringify(twice)} and ${cid}#${m.serverSequence}`);
      seen.set(m.messageId, { cid, seq: m.serverSequence });
    });
  });
  for (const [id, a] of snapshot) {
    const h = seen.get(id);
    check(h, `${id} was acknowledged (${a.cid}#${a.seq}) but is not in the history: LOST`);
    check(h.cid === a.cid && h.seq === a.seq, `${id} was acknowledged as ${a.cid}#${a.seq} but is at ${h.cid}#${h.seq}`);
  }
  if (exact) {
    for (const id of seen.keys()) check(acked.has(id), `${id} is in the history but was never acknowledged`);
    check(seen.size === acked.size, `history has ${seen.size} messages, ${acked.size} were acknowledged`);
  }
  return { total: seen.size, perConv: pages.map((p) => p.length) };
}

// --- the run --------------------------------------------------------------

stage = "creating conversations";
for (let i = 0; i + 1 < senders.length; i += 2) {
  const [a, b] = [senders[i], senders[i + 1]];
  const conv = await rest("POST", "/conversations/create/one-to-one", a.token, { participantId: b.user });
  convs.push({ id: conv.conversationId, reader: a.token });
  a.convs.push(conv.conversationId);
  b.convs.push(conv.conversationId);
}
const group = await rest("POST", "/conversations/create/group", senders[0].token, {
  participantIds: senders.slice(1).map((s) => s.user),
  name: "durability",
});
convs.push({ id: group.conversationId, reader: senders[0].token });
for (const s of senders) s.convs.push(group.conversationId);

stage = "connecting and first acks";
const workers = senders.flatMap((s) => Array.from({ length: WINDOW }, () => s.work()));
await until(() => senders.every((s) => s.acksSinceConnect > 0), "every sender's first ack");
console.log("READY");

const lines = createInterface({ input: process.stdin });
let dropsAtCheck = senders.map((s) => s.drops);
let stopped = false;
for await (const line of lines) {
  const [word, n] = line.trim().split(/\s+/);
  if (word === "RESTARTED") {
    stage = `after restart ${n}`;
    await until(
      () => senders.every((s, i) => s.drops > dropsAtCheck[i] && s.socket.connected && s.acksSinceConnect > 0),
      "every socket to drop, reconnect and get an ack",
    );
    dropsAtCheck = senders.map((s) => s.drops);
    const { total } = await checkHistory({ exact: false });
    console.log(`CHECKED ${n} acked=${acked.size} history=${total}`);
  } else if (word === "STOP") {
    stopped = true;
    break;
  } else {
    fail(`unexpected line on stdin: ${JSON.stringify(line)}`);
  }
}
check(stopped, "stdin closed before STOP");

stage = "draining: every unacknowledged message sent again until acknowledged";
stopping = true;
await Promise.race([Promise.all(workers), sleep(WAIT_MS).then(() => fail("the drain did not finish"))]);
check(senders.every((s) => s.pending.length === 0 && s.inflight === 0), "messages left unacknowledged");

stage = "final history check";
const before = await checkHistory({ exact: true });

stage = "sending every acknowledged message again";
const originals = [...acked.entries()];
let resent = 0;
const bySender = new Map(senders.map((s) => [s.index, []]));
for (const [id, a] of originals) bySender.get(Number(id.split("-")[2])).push({ id, cid: a.cid, seq: a.seq });
await Promise.all(
  senders.map(async (s) => {
    const queue = bySender.get(s.index);
    const loops = Array.from({ length: RESEND_WINDOW }, async () => {
      for (let o = queue.shift(); o; o = queue.shift()) {
        const m = { id: o.id, cid: o.cid, content: contentOf(o.id), tries: 0 };
        let ack = null;
        for (let t = 0; t < 3 && ack === null; t++) ack = await s.attempt(m);
        check(ack !== null, `no ack to the resend of ${o.id}`);
        check(
          record(m, ack) === o.seq,
          `the resend of ${o.id} got serverSequence ${ack.serverSequence}, the original ${o.seq}`,
        );
        resent++;
      }
    });
    await Promise.all(loops);
  }),
);

stage = "history after the resends";
const after = await checkHistory({ exact: true });
check(
  JSON.stringify(after.perConv) === JSON.stringify(before.perConv),
  `the resends changed the history's lengths: ${before.perConv} -> ${after.perConv}`,
);

for (const s of senders) s.socket.close();
console.log(
  `DONE ${JSON.stringify({ acked: acked.size, history: after.total, resent, conversations: convs.length, ...counts })}`,
);
process.exit(0);
