// Typing and presence across devices: alice on a laptop and a phone, bob on
// a tablet, in a one-to-one created over REST before they connect. A typing
// indicator reaches the other user and none of the typist's devices, and
// clears by itself when no stop comes; alice is online while either device
// is connected, away when she says so, offline only once both have left.

import {
  barrier,
  check,
  checkEqual,
  device,
  finish,
  got,
  leave,
  oneToOne,
  ok,
  send,
  sleep,
  stage,
  start,
  token,
  until,
  waitFor,
  welcome,
} from "./util.mjs";

start("live");
const ta = await token("alice");
const tb = await token("bob");
const cid = await oneToOne(ta, "bob");

const presenceOf = (s, user) => got(s, "presence:changed", (d) => d.userId === user);
const statusesOf = (s, user) => presenceOf(s, user).map((d) => d.status);
const typing = (s) => got(s, "typing:indicator").map((d) => [d.userId, d.isTyping]);

stage("bob's tablet, then alice's laptop: bob sees alice come online");
const tablet = device("bob", tb, "tablet");
await welcome(tablet);
const laptop = device("alice", ta, "laptop");
await welcome(laptop);
const online = await waitFor(tablet, "presence:changed", (d) => d.userId === "alice");
check(online.status === "online", `alice's first presence: ${JSON.stringify(online)}`);
const phone = device("alice", ta, "phone");
await welcome(phone);
const alice = [laptop, phone];

stage("alice types on her laptop: bob sees it, her devices do not");
const started = await ok(laptop, "typing:start", { conversationId: cid });
check(started.conversationId === cid, `typing:start ack: ${JSON.stringify(started)}`);
const on = await waitFor(tablet, "typing:indicator", (d) => d.isTyping === true);
checkEqual(
  [on.conversationId, on.userId, on.isTyping],
  [cid, "alice", true],
  "bob's typing indicator",
);
// The indicator went out before the ack; a message sent now arrives after
// anything sent to her devices before it.
await send(laptop, cid, "t1");
for (const s of alice) {
  await waitFor(s, "message:received", (d) => d.messageId === "t1");
  checkEqual(typing(s), [], `${s.label}: typing indicators of her own typing`);
}

stage("no typing:stop comes: the indicator clears by itself");
const off = await waitFor(tablet, "typing:indicator", (d) => d.isTyping === false);
check(off.userId === "alice" && off.conversationId === cid, `the clear: ${JSON.stringify(off)}`);
checkEqual(typing(tablet), [["alice", true], ["alice", false]], "bob's typing indicators");

stage("bob types and stops: both of alice's devices see it, bob's tablet does not");
await ok(tablet, "typing:start", { conversationId: cid });
for (const s of alice) await waitFor(s, "typing:indicator", (d) => d.userId === "bob" && d.isTyping);
await ok(tablet, "typing:stop", { conversationId: cid });
for (const s of alice) {
  await waitFor(s, "typing:indicator", (d) => d.userId === "bob" && !d.isTyping);
  checkEqual(typing(s), [["bob", true], ["bob", false]], `${s.label}: typing indicators`);
}
await barrier(tablet);
checkEqual(typing(tablet), [["alice", true], ["alice", false]], "bob's tablet saw its own typing");

stage("alice says she is away, then online again, from her phone");
const away = await ok(phone, "presence:update", { status: "away" });
checkEqual(away, { userId: "alice", status: "away" }, "presence:update ack");
await waitFor(tablet, "presence:changed", (d) => d.userId === "alice" && d.status === "away");
await ok(phone, "presence:update", { status: "online" });
await until(() => statusesOf(tablet, "alice").length === 3, "alice back online");
checkEqual(statusesOf(tablet, "alice"), ["online", "away", "online"], "alice's presence as bob saw it");

stage("alice's phone leaves: she stays online");
await leave(phone);
// Time for the server to see the phone go; the checks below hold however
// long it takes (an early offline would show up in the final list).
await sleep(300);
await barrier(laptop, tablet);
checkEqual(statusesOf(tablet, "alice"), ["online", "away", "online"], "alice's presence after one device left");

stage("alice's laptop leaves too: now she is offline");
await leave(laptop);
const gone = await waitFor(tablet, "presence:changed", (d) => d.userId === "alice" && d.status === "offline");
check(!Number.isNaN(Date.parse(gone.lastSeen)), `offline without lastSeen: ${JSON.stringify(gone)}`);

stage("alice's laptop comes back (a device seen before): online again");
const back = device("alice", ta, "laptop");
const w = await welcome(back);
check(w.ev === "reconnected", `a known device's welcome: ${w.ev}`);
await until(() => statusesOf(tablet, "alice").length === 5, "alice online again");
await barrier(tablet);
checkEqual(
  statusesOf(tablet, "alice"),
  ["online", "away", "online", "offline", "online"],
  "alice's presence as bob saw it, all along",
);
check(presenceOf(tablet, "alice")[4].lastSeen === gone.lastSeen, "lastSeen once back online");
checkEqual(presenceOf(back, "alice"), [], "alice's own presence told to her");
finish();
