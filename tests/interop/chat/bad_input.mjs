// Bad input, against a server started with `--chat-max-content 64`: missing
// fields, wrong types, content over the limit, an unknown conversation or
// message, payloads that are not objects, an unknown event. Each is refused
// with its code, in the ack and as error:<code> naming the event; nothing is
// stored, and the same connection (same socket id) goes on working.

import {
  NONE,
  barrier,
  check,
  checkEqual,
  device,
  finish,
  got,
  history,
  oneToOne,
  refusal,
  send,
  stage,
  start,
  token,
  waitFor,
  welcome,
} from "./util.mjs";

const MAX_CONTENT = 64;

start("bad-input");
const ta = await token("alice");
const tb = await token("bob");
const cid = await oneToOne(ta, "bob");
const laptop = device("alice", ta, "laptop");
const tablet = device("bob", tb, "tablet");
for (const s of [laptop, tablet]) await welcome(s);
const id = laptop.id;

const msg = (fields) => ({ conversationId: cid, content: "hi", messageId: "x", ...fields });
const without = (field) => {
  const m = msg({});
  delete m[field];
  return m;
};
// [what, event, payload, code]
const table = [
  ["no content", "message:send", without("content"), "invalid_payload"],
  ["no messageId", "message:send", without("messageId"), "invalid_payload"],
  ["no conversationId", "message:send", without("conversationId"), "invalid_payload"],
  ["content a number", "message:send", msg({ content: 42 }), "invalid_payload"],
  ["content empty", "message:send", msg({ content: "" }), "invalid_payload"],
  ["content an object", "message:send", msg({ content: { text: "hi" } }), "invalid_payload"],
  ["messageId a number", "message:send", msg({ messageId: 7 }), "invalid_payload"],
  ["messageId with a colon", "message:send", msg({ messageId: "a:b" }), "invalid_payload"],
  ["clientSequence a string", "message:send", msg({ clientSequence: "one" }), "invalid_payload"],
  ["clientSequence negative", "message:send", msg({ clientSequence: -1 }), "invalid_payload"],
  ["clientTimestamp not a time", "message:send", msg({ clientTimestamp: "soon" }), "invalid_payload"],
  ["content over the limit", "message:send", msg({ content: "x".repeat(MAX_CONTENT + 1) }), "too_large"],
  ["content over the limit in bytes", "message:send", msg({ content: "é".repeat(33) }), "too_large"],
  ["an unknown conversation", "message:send", msg({ conversationId: "no-such-conversation" }), "not_participant"],
  ["a string payload", "message:send", "hello", "invalid_payload"],
  ["an array payload", "message:send", [cid, "hi"], "invalid_payload"],
  ["a number payload", "message:send", 42, "invalid_payload"],
  ["a null payload", "message:send", null, "invalid_payload"],
  ["no payload", "message:send", NONE, "invalid_payload"],
  ["messageIds a string", "message:read", { conversationId: cid, messageIds: "x" }, "invalid_payload"],
  ["messageIds numbers", "message:read", { conversationId: cid, messageIds: [1, 2] }, "invalid_payload"],
  ["an unknown message", "message:read", { conversationId: cid, messageIds: ["nope"] }, "not_found"],
  ["lastReadAt not a time", "message:read", { conversationId: cid, lastReadAt: "soon" }, "invalid_payload"],
  ["no conversationId", "message:read", {}, "invalid_payload"],
  ["an unknown conversation", "message:read", { conversationId: "nope" }, "not_participant"],
  ["conversationId a number", "typing:start", { conversationId: 5 }, "invalid_payload"],
  ["an unknown conversation", "typing:stop", { conversationId: "nope" }, "not_participant"],
  ["status offline", "presence:update", { status: "offline" }, "invalid_payload"],
  ["no status", "presence:update", {}, "invalid_payload"],
  ["blockedUserId a number", "block:user", { conversationId: cid, blockedUserId: 5 }, "invalid_payload"],
  ["a number payload", "mute:conversation", 17, "invalid_payload"],
  ["an unknown conversation", "unmute:conversation", { conversationId: "nope" }, "not_participant"],
  ["no token", "auth", {}, "invalid_payload"],
  ["an unknown event", "message:edit", msg({}), "not_found"],
  ["an unknown event without payload", "no-such-event", NONE, "not_found"],
];

stage(`${table.length} bad events, each refused with its code`);
for (const [what, ev, payload, code] of table) {
  const err = await refusal(laptop, ev, payload, code, `(${what})`);
  console.log(`  ${ev} (${what}): ${code}: ${err.message}`);
  check(laptop.connected && laptop.id === id, `the connection changed after ${ev} (${what})`);
}

stage("an unknown event without an ack: told as error:not_found");
const before = got(laptop, "error:not_found").length;
laptop.emit("message:edit", msg({}));
await waitFor(laptop, "error:not_found", (d) => d.event === "message:edit" && got(laptop, "error:not_found").length > before);

stage("nothing was stored; the connection still works");
await barrier(laptop, tablet);
checkEqual(got(tablet, "message:received"), [], "messages bob received");
checkEqual(await history(ta, cid), [], "messages stored");
const first = await send(laptop, cid, "ok-1", "x".repeat(MAX_CONTENT));
check(first.serverSequence === 1, `the first valid send: ${JSON.stringify(first)}`);
const second = await send(laptop, cid, "ok-2", "é".repeat(32));
check(second.serverSequence === 2, `content of exactly ${MAX_CONTENT} bytes: ${JSON.stringify(second)}`);
for (const messageId of ["ok-1", "ok-2"]) {
  const m = await waitFor(tablet, "message:received", (d) => d.messageId === messageId);
  check(m.senderId === "alice", `bob's ${messageId}: ${JSON.stringify(m)}`);
}
check(laptop.connected && laptop.id === id && laptop.reasons.length === 0, "alice's connection changed");
finish();
