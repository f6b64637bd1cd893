// What a device missed survives a restart of the server:
//
//   node chat/restart.mjs URL --stop kill|term
//
// bob's tablet leaves, alice sends two messages (acknowledged: durable), the
// test stops the server (SIGKILL, or SIGTERM for a graceful stop) and starts
// it again on the same port and data directory. The tablet comes back with
// the same deviceId: `reconnected` lists exactly those two. History, tokens
// (the generated secret is kept) and the numbering carry on.

import {
  check,
  checkEqual,
  device,
  fail,
  finish,
  got,
  history,
  leave,
  oneToOne,
  past,
  restart,
  send,
  stage,
  start,
  token,
  until,
  waitFor,
  welcome,
} from "./util.mjs";

const args = start("restart");
const stop = args[args.indexOf("--stop") + 1];
if (!["kill", "term"].includes(stop)) fail(`--stop kill|term, not ${stop}`);
const ta = await token("alice");
const tb = await token("bob");
const cid = await oneToOne(ta, "bob");
const laptop = device("alice", ta, "laptop");
await welcome(laptop);

stage("bob's tablet gets s1, then leaves");
const tablet = device("bob", tb, "tablet");
await welcome(tablet);
await send(laptop, cid, "s1");
await waitFor(tablet, "message:received", (d) => d.messageId === "s1");
await leave(tablet);
// Announced once the server has recorded the tablet's leave, with that time
// as lastSeen: messages stored after it are the ones the tablet missed.
const gone = await until(
  () => got(laptop, "presence:changed", (d) => d.userId === "bob" && d.status === "offline")[0],
  "bob to go offline",
);
await past(gone.lastSeen, "bob's lastSeen");

stage("alice sends s2 and s3 while the tablet is away");
await send(laptop, cid, "s2", "sent before the restart");
await send(laptop, cid, "s3", "also before the restart");

stage(`the server is stopped (${stop}) and started again`);
await restart(stop);
await until(() => !laptop.connected, "alice's laptop to lose the server");

stage("the tablet comes back: s2 and s3 are pending");
const back = device("bob", tb, "tablet");
const w = await welcome(back);
check(w.ev === "reconnected", `the tablet's welcome after the restart: ${w.ev}`);
checkEqual(
  w.data.pendingMessages.map((m) => [m.messageId, m.content, m.serverSequence, m.senderId]),
  [
    ["s2", "sent before the restart", 2, "alice"],
    ["s3", "also before the restart", 3, "alice"],
  ],
  "pendingMessages after the restart",
);
checkEqual(w.data.unreadCounts, { [cid]: 3 }, "unread counts after the restart");

stage("alice comes back; the conversation carries on where it was");
const laptop2 = device("alice", ta, "laptop");
check((await welcome(laptop2)).ev === "reconnected", "alice's laptop is a known device after the restart");
const ack = await send(laptop2, cid, "s4");
check(ack.serverSequence === 4, `the numbering after the restart: ${JSON.stringify(ack)}`);
await waitFor(back, "message:received", (d) => d.messageId === "s4");
checkEqual(
  (await history(tb, cid)).map((m) => [m.messageId, m.serverSequence]),
  [
    ["s1", 1],
    ["s2", 2],
    ["s3", 3],
    ["s4", 4],
  ],
  "history after the restart",
);
finish();
