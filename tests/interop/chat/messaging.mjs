// Sending and reading across devices: alice on a laptop and a phone, bob on a
// tablet (and later a phone), a one-to-one created over REST while they are
// connected. Checks the ack of a send, message:delivered to the sender's
// other devices only, message:received on every device with the token's
// user as sender (a forged senderId ignored), unread counts, an idempotent
// resend, read receipts, and what REST history and the chat list say.

import {
  barrier,
  check,
  checkEqual,
  finish,
  got,
  history,
  oneToOne,
  ok,
  rest,
  send,
  stage,
  start,
  token,
  device,
  waitFor,
  welcome,
} from "./util.mjs";

start("messaging");
const ta = await token("alice");
const tb = await token("bob");

stage("three devices connect for the first time");
const laptop = device("alice", ta, "laptop");
const phone = device("alice", ta, "phone");
const tablet = device("bob", tb, "tablet");
for (const [s, user, deviceId] of [
  [laptop, "alice", "laptop"],
  [phone, "alice", "phone"],
  [tablet, "bob", "tablet"],
]) {
  const w = await welcome(s);
  check(w.ev === "connected", `${s.label}: a first connect is welcomed with ${w.ev}`);
  checkEqual([w.data.userId, w.data.deviceId, w.data.unreadCounts], [user, deviceId, {}], `${s.label}'s connected`);
}
const alice = [laptop, phone];
const everyone = [laptop, phone, tablet];

stage("alice creates the one-to-one over REST; every device is told and joins it");
const cid = await oneToOne(ta, "bob");
for (const s of everyone) {
  const c = await waitFor(s, "conversation:created", (d) => d.conversationId === cid);
  checkEqual(c.participants, ["alice", "bob"], `${s.label}: participants`);
  check(c.type === "one-to-one", `${s.label}: conversation type ${c.type}`);
}

stage("alice sends from her laptop, with a forged senderId");
const first = {
  conversationId: cid,
  content: "hello bob",
  messageId: "m1",
  clientTimestamp: Date.now(),
  clientDeviceId: "laptop",
  senderId: "mallory",
};
const ack = await ok(laptop, "message:send", first);
checkEqual(
  Object.keys(ack).sort(),
  ["conversationId", "messageId", "persistedAt", "serverSequence", "serverTimestamp", "status"],
  "the ack's fields",
);
check(
  ack.messageId === "m1" && ack.conversationId === cid && ack.serverSequence === 1 && ack.status === "delivered",
  `the ack: ${JSON.stringify(ack)}`,
);
check(
  typeof ack.serverTimestamp === "number" && Date.parse(ack.persistedAt) === ack.serverTimestamp,
  `the ack's times: ${JSON.stringify(ack)}`,
);

stage("message:delivered reaches alice's phone; message:received every device");
checkEqual(await waitFor(phone, "message:delivered", (d) => d.messageId === "m1"), ack, "phone's message:delivered");
for (const s of everyone) {
  const m = await waitFor(s, "message:received", (d) => d.messageId === "m1");
  check(
    m.senderId === "alice" && m.content === "hello bob" && m.conversationId === cid,
    `${s.label}: message:received ${JSON.stringify(m)}`,
  );
  check(m.serverSequence === 1 && m.muted === false && m.senderDeviceId === "laptop", `${s.label}: ${JSON.stringify(m)}`);
  checkEqual(m.readBy, [], `${s.label}: readBy of a new message`);
}
// message:delivered would have been sent before message:received.
checkEqual(got(laptop, "message:delivered"), [], "message:delivered on the sending laptop");
check(got(tablet, "message:delivered").length === 0, "bob's tablet got message:delivered");
const unread1 = await waitFor(tablet, "unread_count:updated", (d) => d.unreadCount === 1);
check(unread1.conversationId === cid, `bob's unread_count:updated: ${JSON.stringify(unread1)}`);

stage("a resend of m1 gets the same ack and is stored once");
checkEqual(await ok(laptop, "message:send", first), ack, "the resend's ack");
checkEqual(await ok(phone, "message:send", { ...first, content: "changed" }), ack, "a resend from the phone");
const ack2 = await send(phone, cid, "m2", "second");
check(ack2.serverSequence === 2, `m2's sequence: ${JSON.stringify(ack2)}`);
await waitFor(laptop, "message:delivered", (d) => d.messageId === "m2");
for (const s of everyone) {
  await waitFor(s, "message:received", (d) => d.messageId === "m2");
  checkEqual(
    got(s, "message:received").map((m) => m.messageId),
    ["m1", "m2"],
    `${s.label}: messages received (m1 once)`,
  );
}
checkEqual(got(phone, "message:delivered", (d) => d.messageId === "m2"), [], "m2 delivered to its own sender");
checkEqual(
  (await history(tb, cid)).map((m) => [m.messageId, m.serverSequence, m.senderId, m.content]),
  [
    ["m1", 1, "alice", "hello bob"],
    ["m2", 2, "alice", "second"],
  ],
  "history over REST",
);
await waitFor(tablet, "unread_count:updated", (d) => d.unreadCount === 2);
await barrier(...alice);
checkEqual(got(laptop, "unread_count:updated"), [], "unread counts told to the sender");

stage("bob's phone connects: its welcome has the unread count; so has the chat list");
const bobPhone = device("bob", tb, "phone");
const w = await welcome(bobPhone);
check(w.ev === "connected", `bob's phone, a new device, got ${w.ev}`);
checkEqual(w.data.unreadCounts, { [cid]: 2 }, "bob's phone's unread counts");
const bob = [tablet, bobPhone];
const list = await rest(tb, "GET", "/conversations/chat-list");
check(list.status === 200, `chat list: ${list.status}`);
const row = list.body.conversations.find((c) => c.conversationId === cid);
check(row?.unreadCount === 2 && row.lastMessage?.messageId === "m2", `bob's chat list: ${JSON.stringify(row)}`);
const aliceList = await rest(ta, "GET", "/conversations/chat-list");
check(aliceList.body.conversations[0]?.unreadCount === 0, `alice's chat list: ${JSON.stringify(aliceList.body)}`);

stage("bob reads m1 on his tablet: a receipt to alice, the count to both his devices");
const read1 = await ok(tablet, "message:read", { conversationId: cid, messageIds: ["m1"] });
check(read1.conversationId === cid && read1.newUnreadCount === 1, `read ack: ${JSON.stringify(read1)}`);
check(!Number.isNaN(Date.parse(read1.updatedAt)), `read ack's updatedAt: ${read1.updatedAt}`);
for (const s of bob) await waitFor(s, "unread_count:updated", (d) => d.unreadCount === 1 && d.lastReadAt);
for (const s of alice) {
  const r = await waitFor(s, "read_receipt:received", (d) => d.userId === "bob");
  check(r.conversationId === cid && r.lastReadSequence === 1, `${s.label}: receipt ${JSON.stringify(r)}`);
  checkEqual(r.messageIds, ["m1"], `${s.label}: receipt's messageIds`);
}

stage("bob reads everything: counts 0 on every device, readBy in history");
const read2 = await ok(tablet, "message:read", { conversationId: cid });
check(read2.newUnreadCount === 0, `read ack: ${JSON.stringify(read2)}`);
for (const s of bob) await waitFor(s, "unread_count:updated", (d) => d.unreadCount === 0);
for (const s of alice) {
  await waitFor(s, "read_receipt:received", (d) => d.userId === "bob" && d.lastReadSequence === 2);
}
checkEqual(
  (await history(ta, cid)).map((m) => [m.messageId, m.readBy]),
  [
    ["m1", ["bob"]],
    ["m2", ["bob"]],
  ],
  "readBy in history",
);
const after = await rest(tb, "GET", "/conversations/chat-list");
check(after.body.conversations[0]?.unreadCount === 0, `bob's chat list after reading: ${JSON.stringify(after.body)}`);
await barrier(...everyone, bobPhone);
for (const s of alice) {
  checkEqual(got(s, "unread_count:updated"), [], `${s.label}: unread counts told to alice`);
}
finish();
