// Blocks and mutes over socket events, alice on a laptop and a phone, bob on
// a tablet and a phone. Bob blocks alice: her sends are refused with
// error:blocked and not stored, every device of bob's is told; he unblocks
// and her messages flow again. Bob mutes the conversation: his devices are
// told, and messages still reach them, flagged muted (alice's are not).

import {
  barrier,
  check,
  checkEqual,
  device,
  finish,
  got,
  history,
  oneToOne,
  ok,
  refusal,
  rest,
  send,
  stage,
  start,
  token,
  waitFor,
  welcome,
} from "./util.mjs";

start("moderation");
const ta = await token("alice");
const tb = await token("bob");
const cid = await oneToOne(ta, "bob");
const alice = [device("alice", ta, "laptop"), device("alice", ta, "phone")];
const bob = [device("bob", tb, "tablet"), device("bob", tb, "phone")];
const [laptop] = alice;
const [tablet, bobPhone] = bob;
const everyone = [...alice, ...bob];
for (const s of everyone) await welcome(s);
const stored = async () => (await history(tb, cid)).map((m) => m.messageId);

stage("bob blocks alice from his tablet: every device of his is told");
const block = await ok(tablet, "block:user", { conversationId: cid });
check(
  block.success === true && block.blockedUserId === "alice" && block.blockerId === "bob" && block.conversationId === cid,
  `block:user ack: ${JSON.stringify(block)}`,
);
check(!Number.isNaN(Date.parse(block.blockedAt)), `blockedAt: ${block.blockedAt}`);
for (const s of bob) {
  const b = await waitFor(s, "user:blocked", (d) => d.blocked === true);
  checkEqual(
    [b.conversationId, b.blockerId, b.blockedUserId, b.blockedAt],
    [cid, "bob", "alice", block.blockedAt],
    `${s.label}: user:blocked`,
  );
}
const blocks = await rest(tb, "GET", "/users/me/blocks");
checkEqual(
  blocks.body.blocks.map((b) => [b.conversationId, b.blockedUserId]),
  [[cid, "alice"]],
  "bob's blocks over REST",
);

stage("alice's send is refused with error:blocked and not stored");
const err = await refusal(laptop, "message:send", { conversationId: cid, messageId: "b1", content: "hi?" }, "blocked");
check(!("retryAfter" in err), `a block has no retryAfter: ${JSON.stringify(err)}`);
checkEqual(await stored(), [], "messages stored while blocked");
// The blocker cannot write to the one-to-one either, until he unblocks.
await refusal(tablet, "message:send", { conversationId: cid, messageId: "b2", content: "x" }, "blocked");
await barrier(...everyone);
checkEqual(got(tablet, "message:received"), [], "messages bob received while alice is blocked");
for (const s of alice) checkEqual(got(s, "user:blocked"), [], `${s.label}: user:blocked told to alice`);

stage("bob unblocks from his phone: his devices are told, alice writes again");
const unblock = await ok(bobPhone, "unblock:user", { conversationId: cid, blockedUserId: "alice" });
check(unblock.changed === true && unblock.blockedUserId === "alice", `unblock:user ack: ${JSON.stringify(unblock)}`);
for (const s of bob) {
  const u = await waitFor(s, "user:blocked", (d) => d.blocked === false);
  check(u.blockedUserId === "alice" && u.conversationId === cid, `${s.label}: user:blocked false: ${JSON.stringify(u)}`);
}
const again = await ok(bobPhone, "unblock:user", { conversationId: cid });
check(again.changed === false, `a second unblock: ${JSON.stringify(again)}`);
const ack = await send(laptop, cid, "b3", "back again");
check(ack.serverSequence === 1, `the first stored message's sequence: ${JSON.stringify(ack)}`);
for (const s of everyone) await waitFor(s, "message:received", (d) => d.messageId === "b3");
checkEqual(await stored(), ["b3"], "messages stored after the unblock");
checkEqual((await rest(tb, "GET", "/users/me/blocks")).body.blocks, [], "bob's blocks after the unblock");

stage("bob mutes the conversation from his tablet: every device of his is told");
const mute = await ok(tablet, "mute:conversation", { conversationId: cid });
check(mute.success === true && mute.muted === true && mute.conversationId === cid, `mute ack: ${JSON.stringify(mute)}`);
for (const s of bob) {
  const m = await waitFor(s, "conversation:muted", (d) => d.muted === true);
  check(m.conversationId === cid && !Number.isNaN(Date.parse(m.mutedAt)), `${s.label}: ${JSON.stringify(m)}`);
}
const mutes = await rest(tb, "GET", "/users/me/mutes");
checkEqual(mutes.body.mutes.map((m) => m.conversationId), [cid], "bob's mutes over REST");

stage("alice's message reaches bob's devices flagged muted, hers not");
await send(laptop, cid, "b4");
for (const s of everyone) {
  const m = await waitFor(s, "message:received", (d) => d.messageId === "b4");
  check(m.senderId === "alice", `${s.label}: ${JSON.stringify(m)}`);
  check(m.muted === bob.includes(s), `${s.label}: muted is ${m.muted}`);
}
const unread = await waitFor(tablet, "unread_count:updated", (d) => d.unreadCount === 2);
check(unread.conversationId === cid, `a muted conversation still counts unread: ${JSON.stringify(unread)}`);

stage("bob unmutes from his phone: told everywhere, messages unflagged");
const unmute = await ok(bobPhone, "unmute:conversation", { conversationId: cid });
check(unmute.muted === false, `unmute ack: ${JSON.stringify(unmute)}`);
for (const s of bob) await waitFor(s, "conversation:muted", (d) => d.muted === false);
await send(alice[1], cid, "b5");
for (const s of everyone) {
  const m = await waitFor(s, "message:received", (d) => d.messageId === "b5");
  check(m.muted === false, `${s.label}: b5 muted is ${m.muted}`);
}
await barrier(...everyone);
for (const s of everyone) {
  checkEqual(
    got(s, "message:received").map((m) => m.messageId),
    ["b3", "b4", "b5"],
    `${s.label}: every message received once`,
  );
}
checkEqual((await rest(tb, "GET", "/users/me/mutes")).body.mutes, [], "bob's mutes after the unmute");
for (const s of alice) checkEqual(got(s, "conversation:muted"), [], `${s.label}: bob's mute told to alice`);
finish();
