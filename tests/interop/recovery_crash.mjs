// Connection-state recovery across a crash of the server, with the official
// npm `socket.io-client` (pinned in package.json), driven by
// tests/recovery_crash.rs against the `edgeio` binary (`--app loadtest`).
//
//   node tests/interop/recovery_crash.mjs http://127.0.0.1:PORT \
//     --transport polling|websocket --expect recovered|lost
//
// Protocol with the Rust test, one line each way:
//   - this script prints `KILL` on stdout once the scene is set: A (which has
//     an offset) and C (which has none) have dropped their transports, and B
//     has broadcast 2, 3, 4 to their room, each acknowledged (so durable);
//   - the test SIGKILLs the server, starts it again on the same port and data
//     directory, and writes `RESTARTED` on this script's stdin;
//   - this script reconnects A and C, checks them, prints `ok: ...` and exits
//     0, or prints `FAIL ...` on stderr and exits 1.
//
// --expect recovered (a durable store): A and C come back with their ids and
// room, A gets exactly what it missed since its offset, C (which sends `{pid}`
// only) what was broadcast since it connected, and both get later broadcasts.
// --expect lost (--store memory, the control): they come back as new sockets
// with nothing replayed and no room.
//
// No assertion is about timing: every wait is an upper bound (util.mjs).

import { createInterface } from "node:readline";

import {
  ack,
  check,
  checkEqual,
  client,
  disconnected,
  fail,
  finish,
  init,
  received,
  sleep,
  stage,
  until,
} from "./sio/util.mjs";

const OVERALL_TIMEOUT_MS = 30_000;
const TRANSPORTS = ["polling", "websocket"];
const EXPECTS = ["recovered", "lost"];

function option(args, name) {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const [, value] = args.splice(i, 2);
  return value;
}

const args = process.argv.slice(2);
const transport = option(args, "--transport");
const expect = option(args, "--expect");
const [url] = args;
if (!url || args.length !== 1 || !TRANSPORTS.includes(transport) || !EXPECTS.includes(expect)) {
  console.error(
    "usage: node recovery_crash.mjs URL --transport polling|websocket --expect recovered|lost",
  );
  process.exit(2);
}

init({ url, scenario: `recovery-crash-${expect}`, transport });
setTimeout(() => fail(`timed out after ${OVERALL_TIMEOUT_MS} ms`), OVERALL_TIMEOUT_MS);
process.on("unhandledRejection", (e) => fail(`unhandled rejection: ${e?.stack ?? e}`));
process.on("uncaughtException", (e) => fail(`uncaught exception: ${e?.stack ?? e}`));

// The first line on stdin, once the Rust test has restarted the server.
const lines = createInterface({ input: process.stdin });
const restarted = new Promise((resolve) => {
  lines.on("line", (line) => {
    if (line.trim() === "RESTARTED") resolve();
    else fail(`unexpected line from the test on stdin: ${JSON.stringify(line)}`);
  });
  lines.on("close", () => fail("stdin closed before RESTARTED"));
});

/** Waits until `s` is connected; fails on a connect_error. */
async function connected(s) {
  await until(() => s.connected || s.connectErrors.length > 0, `${s.tag} to connect`);
  if (s.connectErrors.length) fail(`${s.tag} got connect_error: ${s.connectErrors[0].message}`);
}

/**
 * The payloads of the `bcast`s `s` received, in order. Each must carry its
 * recovery offset (a string) as its last argument.
 */
function bcasts(s) {
  return received(s, "bcast").map((args) => {
    check(
      args.length === 2 && typeof args[1] === "string",
      `${s.tag}: a bcast without its offset as last argument: ${JSON.stringify(args)}`,
    );
    return args[0];
  });
}

/**
 * A round trip on `s`: whatever the server sent it before answering (a
 * replay after CONNECT, a broadcast acked to its sender) has arrived.
 */
async function roundTrip(s) {
  checkEqual(await ack(s, "echo", "sync"), ["sync"], `${s.tag}'s echo`);
}

const bcast = (sender, n) => ack(sender, "bcast", n); // acked: durable

// --- the scene ------------------------------------------------------------

stage("connect A and B; A joins room r");
const a = client("/");
const b = client("/");
await connected(a);
await connected(b);
check(typeof a._pid === "string" && a._pid, "no pid in the server's CONNECT: is recovery on?");
check(!a.recovered, "a fresh session claims to be recovered");
await ack(a, "join");

stage("a first broadcast gives A an offset");
await bcast(b, 1);
await until(() => bcasts(a).includes(1), "A to receive bcast 1");
check(typeof a._lastOffset === "string", `A has no offset after a broadcast: ${a._lastOffset}`);
const aId = a.id;
const aOffset = a._lastOffset;

stage("A drops its transport");
a.io.engine.close();
await disconnected(a);

stage("C joins room r and drops its transport without any broadcast");
const c = client("/");
await connected(c);
await ack(c, "join");
const cId = c.id;
c.io.engine.close();
await disconnected(c);
check(
  typeof c._pid === "string" && c._lastOffset === undefined,
  `C should reconnect with {pid} only: pid=${c._pid} offset=${c._lastOffset}`,
);
// Let the server see both closes (a close frame, or a close packet on
// polling) before broadcasting. Nothing below depends on it: the broadcasts
// must be replayed whether the server had noticed or not.
await sleep(300);

stage("B broadcasts 2, 3, 4 to room r while A and C are away");
for (const n of [2, 3, 4]) await bcast(b, n);
checkEqual(bcasts(b), [], "bcasts received by B (not in room r)");

stage("waiting for the server to be killed and restarted");
console.log("KILL");
await restarted;
checkEqual(bcasts(a), [1], "bcasts A received while away");
checkEqual(bcasts(c), [], "bcasts C received while away");

if (expect === "recovered") {
  stage("A reconnects with {pid, offset}: session, room and missed broadcasts restored");
  a.connect();
  await connected(a);
  check(a.recovered === true, `A: socket.recovered is ${a.recovered} after the restart`);
  check(a.id === aId, `A's socket id changed from ${aId} to ${a.id}`);
  await until(() => bcasts(a).includes(4), "A to receive the missed bcasts");
  await roundTrip(a);
  checkEqual(bcasts(a), [1, 2, 3, 4], "A's bcasts (the missed ones replayed once, in order)");
  check(a._lastOffset !== aOffset, "A's offset did not move with the replay");

  stage("C reconnects with {pid} only: restored from where it connected");
  c.connect();
  await connected(c);
  check(c.recovered === true, `C: socket.recovered is ${c.recovered} after the restart`);
  check(c.id === cId, `C's socket id changed from ${cId} to ${c.id}`);
  await until(() => bcasts(c).includes(4), "C to receive the missed bcasts");
  await roundTrip(c);
  checkEqual(
    bcasts(c),
    [2, 3, 4],
    "C's bcasts (the ones since it joined, replayed once, in order; not 1, sent before it connected)",
  );

  stage("a new client is not recovered; its broadcast reaches A and C (rooms kept)");
  const d = client("/");
  await connected(d);
  check(!d.recovered, "a new client claims to be recovered");
  check(![aId, cId].includes(d.id), `the new client got a restored id ${d.id}`);
  await bcast(d, 5);
  await until(() => bcasts(a).includes(5) && bcasts(c).includes(5), "A and C to receive bcast 5");
  await roundTrip(a);
  await roundTrip(c);
  checkEqual(bcasts(a), [1, 2, 3, 4, 5], "A's bcasts after the restart");
  checkEqual(bcasts(c), [2, 3, 4, 5], "C's bcasts after the restart");
  checkEqual(bcasts(d), [], "bcasts received by the sender D (not in room r)");
} else {
  stage("A reconnects after a restart that lost the sessions: a new socket");
  a.connect();
  await connected(a);
  check(a.recovered === false, `A: socket.recovered is ${a.recovered}, expected false`);
  check(a.id !== aId, `A kept its socket id ${aId} although the store was lost`);
  await roundTrip(a);
  checkEqual(bcasts(a), [1], "A's bcasts (nothing replayed)");

  stage("C reconnects: a new socket too");
  c.connect();
  await connected(c);
  check(c.recovered === false, `C: socket.recovered is ${c.recovered}, expected false`);
  check(c.id !== cId, `C kept its socket id ${cId} although the store was lost`);
  await roundTrip(c);
  checkEqual(bcasts(c), [], "C's bcasts (nothing replayed)");

  stage("a broadcast to room r reaches neither (rooms lost)");
  const d = client("/");
  await connected(d);
  check(!d.recovered, "a new client claims to be recovered");
  await bcast(d, 5);
  await roundTrip(a);
  await roundTrip(c);
  checkEqual(bcasts(a), [1], "A's bcasts after the restart");
  checkEqual(bcasts(c), [], "C's bcasts after the restart");
}

await finish();
