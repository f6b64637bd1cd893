// A device that comes back gets what it missed, once: bob's tablet leaves,
// alice sends two messages, and the tablet (a new connection, same deviceId)
// is welcomed with `reconnected` listing them in pendingMessages. Then its
// transport drops instead: connection-state recovery restores the socket and
// replays the two messages sent meanwhile as message:received, so its
// `reconnected` lists none; a recovery presenting another user's token is
// refused.

import {
  barrier,
  check,
  checkEqual,
  device,
  finish,
  got,
  leave,
  oneToOne,
  past,
  send,
  stage,
  start,
  token,
  until,
  waitFor,
  welcome,
} from "./util.mjs";

start("reconnect");
const ta = await token("alice");
const tb = await token("bob");
const cid = await oneToOne(ta, "bob");
const laptop = device("alice", ta, "laptop");
await welcome(laptop);
const offline = () => got(laptop, "presence:changed", (d) => d.userId === "bob" && d.status === "offline");

stage("bob's tablet connects for the first time, gets p1, and leaves");
const tablet = device("bob", tb, "tablet");
check((await welcome(tablet)).ev === "connected", "a first connect is welcomed with connected");
await send(laptop, cid, "p1");
await waitFor(tablet, "message:received", (d) => d.messageId === "p1");
await leave(tablet);
// Bob going offline is announced once the server has recorded the tablet's
// leave, with that time as lastSeen: what alice sends after it (pending
// messages are those stored after it), the tablet has missed.
await until(() => offline().length === 1, "bob to go offline");
await past(offline()[0].lastSeen, "bob's lastSeen");

stage("alice sends p2 and p3 while the tablet is away");
const acks = [await send(laptop, cid, "p2", "first while away"), await send(laptop, cid, "p3", "second while away")];

stage("the tablet comes back on a new connection: reconnected with p2 and p3 pending");
const back = device("bob", tb, "tablet");
const w = await welcome(back);
check(w.ev === "reconnected", `a known device's welcome: ${w.ev}`);
const { status, userId, deviceId, pendingMessages, unreadCounts } = w.data;
checkEqual([status, userId, deviceId], ["resumed", "bob", "tablet"], "the reconnected event");
checkEqual(
  pendingMessages.map((m) => [m.messageId, m.conversationId, m.senderId, m.content, m.serverSequence, m.deliveryStatus]),
  [
    ["p2", cid, "alice", "first while away", 2, "pending"],
    ["p3", cid, "alice", "second while away", 3, "pending"],
  ],
  "pendingMessages",
);
checkEqual(
  pendingMessages.map((m) => Date.parse(m.sentAt)),
  acks.map((a) => a.serverTimestamp),
  "pendingMessages' sentAt",
);
checkEqual(unreadCounts, { [cid]: 3 }, "unread counts after the absence");
await until(() => got(laptop, "presence:changed", (d) => d.userId === "bob").length === 3, "bob back online");
await send(laptop, cid, "p4");
await waitFor(back, "message:received", (d) => d.messageId === "p4");
checkEqual(got(back, "message:received").map((m) => m.messageId), ["p4"], "messages the new connection received");

stage("the tablet's transport drops; alice sends p5 and p6 meanwhile");
const sid = back.id;
const unreadBefore = got(back, "unread_count:updated").length;
back.io.engine.close();
await until(() => back.reasons.length === 1, "the tablet to notice the drop");
await until(() => offline().length === 2, "bob to go offline again");
await send(laptop, cid, "p5");
await send(laptop, cid, "p6");

stage("the tablet reconnects: recovered, p5 and p6 replayed once, nothing pending");
back.connect();
const again = await welcome(back);
check(back.recovered === true && back.id === sid, `recovered=${back.recovered}, id ${sid} -> ${back.id}`);
check(again.ev === "reconnected", `the recovered socket's welcome: ${again.ev}`);
checkEqual(again.data.pendingMessages, [], "pendingMessages of a recovered socket");
await waitFor(back, "message:received", (d) => d.messageId === "p6");
await send(laptop, cid, "p7");
await waitFor(back, "message:received", (d) => d.messageId === "p7");
await barrier(back);
checkEqual(
  got(back, "message:received").map((m) => m.messageId),
  ["p4", "p5", "p6", "p7"],
  "messages the tablet received, each once",
);
// unread_count:updated is volatile: p5's and p6's are not replayed (the
// counts come in `reconnected`), p7's arrives live.
checkEqual(
  got(back, "unread_count:updated").length,
  unreadBefore + 1,
  "unread_count:updated events after the recovery (volatile: none replayed)",
);

stage("a recovery that presents alice's token is restored, then refused");
back.io.engine.close();
await until(() => back.reasons.length === 2, "the tablet to notice the drop");
back.auth = { token: ta, deviceId: "tablet" };
back.connect();
await until(() => back.reasons.length === 3, "the server to disconnect the tablet");
checkEqual(back.reasons[2], "io server disconnect", "why the tablet was disconnected");
const refusedWith = got(back, "error:unauthorized");
check(refusedWith.length === 1 && /another user/.test(refusedWith[0].message), "the tablet was not told why");
checkEqual(got(back, "reconnected").length, 2, "welcomes of the tablet");
finish();
