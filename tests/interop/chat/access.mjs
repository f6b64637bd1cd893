// Who may connect, and who may act on a conversation:
//
//   CHAT_ACCEPTED_TOKEN=... CHAT_REFUSED_TOKENS='[["what", "token"], ...]' \
//     node chat/access.mjs URL
//
// The test's own token of alice connects (in the auth payload or the query),
// so the refusals are of what was changed in the others: each is refused
// with a connect_error whose data.code is unauthorized, as is a connect with
// no token. Then carol, who is not in alice and bob's conversation, gets
// not_participant (ack and error:<code>) for every event naming it, and
// none of its traffic.

import {
  barrier,
  check,
  checkEqual,
  device,
  finish,
  got,
  history,
  leave,
  oneToOne,
  refusal,
  refused,
  send,
  stage,
  start,
  token,
  waitFor,
  welcome,
} from "./util.mjs";

start("access");
const accepted = process.env.CHAT_ACCEPTED_TOKEN;
const refusedTokens = JSON.parse(process.env.CHAT_REFUSED_TOKENS ?? "[]");
check(accepted && refusedTokens.length > 0, "CHAT_ACCEPTED_TOKEN and CHAT_REFUSED_TOKENS are required");

stage("the test's token of alice connects, in auth and in the query");
for (const query of [false, true]) {
  const s = device("alice", accepted, "probe", { query });
  const w = await welcome(s);
  check(w.data.userId === "alice", `the accepted token's user: ${JSON.stringify(w.data)}`);
  await leave(s);
}

stage("connects without a usable token are refused as unauthorized");
const cases = [
  ["no auth at all", { auth: {} }],
  ["a deviceId but no token", { auth: { deviceId: "phone" } }],
  ["an empty token", { auth: { token: "", deviceId: "phone" } }],
  ["a token that is a number", { auth: { token: 42, deviceId: "phone" } }],
  ...refusedTokens.map(([what, tok]) => [what, { auth: { token: tok, deviceId: "phone" } }]),
  ...refusedTokens.slice(0, 2).map(([what, tok]) => [`${what}, in the query`, { query: true, tok }]),
];
for (const [what, opts] of cases) {
  const s = device("someone", opts.tok, "phone", opts);
  const e = await refused(s, what);
  check(
    e.data?.code === "unauthorized" && typeof e.data.message === "string" && e.message === e.data.message,
    `${what}: connect_error ${e.message} ${JSON.stringify(e.data)}`,
  );
  console.log(`  refused: ${what}: ${e.message}`);
}
const badDevice = device("alice", accepted, "a:b");
const e = await refused(badDevice, "a deviceId with a colon");
check(e.data?.code === "invalid_payload", `a bad deviceId: ${e.message} ${JSON.stringify(e.data)}`);

stage("carol connects, but is no participant of alice and bob's conversation");
const [ta, tb, tc] = [await token("alice"), await token("bob"), await token("carol")];
const cid = await oneToOne(ta, "bob");
const laptop = device("alice", ta, "laptop");
const tablet = device("bob", tb, "tablet");
const carol = device("carol", tc, "phone");
for (const s of [laptop, tablet]) await welcome(s);
checkEqual((await welcome(carol)).data.unreadCounts, {}, "carol's conversations");

stage("every event of carol's naming the conversation: not_participant");
const events = [
  ["message:send", { conversationId: cid, content: "let me in", messageId: "c1" }],
  ["message:read", { conversationId: cid }],
  ["message:read", { conversationId: cid, messageIds: ["c1"] }],
  ["typing:start", { conversationId: cid }],
  ["typing:stop", { conversationId: cid }],
  ["block:user", { conversationId: cid, blockedUserId: "alice" }],
  ["unblock:user", { conversationId: cid }],
  ["mute:conversation", { conversationId: cid }],
  ["unmute:conversation", { conversationId: cid }],
];
const id = carol.id;
for (const [ev, payload] of events) await refusal(carol, ev, payload, "not_participant");
check(carol.connected && carol.id === id, "carol's connection changed");

stage("none of it had an effect; carol gets none of the conversation's traffic");
await send(laptop, cid, "a1");
await waitFor(tablet, "message:received", (d) => d.messageId === "a1");
await barrier(carol, tablet, laptop);
checkEqual((await history(tb, cid)).map((m) => m.messageId), ["a1"], "messages stored");
for (const ev of ["message:received", "typing:indicator", "read_receipt:received", "unread_count:updated"]) {
  checkEqual(got(carol, ev), [], `carol's ${ev}`);
}
for (const s of [laptop, tablet]) {
  checkEqual(got(s, "typing:indicator"), [], `${s.label}: carol's typing`);
  checkEqual(got(s, "read_receipt:received"), [], `${s.label}: carol's receipts`);
}
finish();
