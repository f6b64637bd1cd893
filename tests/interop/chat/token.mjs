// A token that expires while connected, and its refresh: alice connects with
// a token from `edgeio token --ttl 2s`. Once it has expired, her events are
// refused as unauthorized (nothing stored) though the connection stays; an
// `auth` with bob's token, or with her expired one, is refused; an `auth`
// with a fresh token of hers makes the same connection work again.

import {
  barrier,
  call,
  check,
  checkEqual,
  device,
  finish,
  got,
  history,
  oneToOne,
  ok,
  refusal,
  send,
  sleep,
  stage,
  start,
  token,
  until,
  waitFor,
  welcome,
} from "./util.mjs";

start("token");
const ta = await token("alice");
const tb = await token("bob");
const cid = await oneToOne(ta, "bob");
const tablet = device("bob", tb, "tablet");
await welcome(tablet);

stage("alice connects with a token valid for 2 s");
// `exp` is in whole seconds: the token may have under 2 s left when it
// arrives. On a machine slow enough to let it expire before the connect,
// a new one is asked for; the refusal must then say why.
let short, laptop;
for (let attempt = 1; ; attempt++) {
  short = await token("alice", "2s");
  laptop = device("alice", short, `laptop-${attempt}`);
  await until(() => laptop.connected || laptop.connectErrors.length, "alice's connect");
  if (laptop.connected) break;
  const e = laptop.connectErrors[0];
  check(e.data?.code === "unauthorized" && /expired/.test(e.message), `refused: ${e.message}`);
  check(attempt < 5, "five 2 s tokens expired before their connect");
}
await welcome(laptop);
const id = laptop.id;

stage("the token runs out: events are refused as unauthorized");
let refusedAfter = null;
for (let i = 0; i < 100 && !refusedAfter; i++) {
  const answer = await call(laptop, "socket:ping", {});
  if (answer?.error) refusedAfter = answer.error;
  else await sleep(200);
}
check(refusedAfter?.code === "unauthorized", `no refusal within 20 s of pings: ${JSON.stringify(refusedAfter)}`);
check(/expired/.test(refusedAfter.message), `the refusal's reason: ${refusedAfter.message}`);
const stale = { conversationId: cid, messageId: "x1", content: "sent with an expired token" };
await refusal(laptop, "message:send", stale, "unauthorized");
await refusal(laptop, "message:read", { conversationId: cid }, "unauthorized");
await refusal(laptop, "typing:start", { conversationId: cid }, "unauthorized");
await refusal(laptop, "presence:update", { status: "away" }, "unauthorized");
checkEqual(await history(ta, cid), [], "messages stored");
check(laptop.connected && laptop.id === id, "the connection stays while the token is expired");

stage("auth with another user's token, the expired one, or garbage: refused");
const bobs = await refusal(laptop, "auth", { token: tb }, "unauthorized");
check(/another user/.test(bobs.message), `bob's token: ${bobs.message}`);
await refusal(laptop, "auth", { token: short }, "unauthorized", "(the expired token)");
await refusal(laptop, "auth", { token: "not.a.token" }, "unauthorized", "(garbage)");
await refusal(laptop, "socket:ping", {}, "unauthorized", "(still expired)");

stage("auth with a fresh token of alice's: the same connection works again");
const fresh = await token("alice");
const renewed = await ok(laptop, "auth", { token: fresh });
check(renewed.userId === "alice", `auth ack: ${JSON.stringify(renewed)}`);
const left = Date.parse(renewed.expiresAt) - Date.now();
check(left > 30 * 60_000 && left <= 3_600_000, `the fresh token expires at ${renewed.expiresAt}`);
const ack = await send(laptop, cid, "x2", "after the refresh");
check(ack.serverSequence === 1, `the first stored message: ${JSON.stringify(ack)}`);
const m = await waitFor(tablet, "message:received", (d) => d.messageId === "x2");
check(m.senderId === "alice", `bob's message:received: ${JSON.stringify(m)}`);
checkEqual((await history(tb, cid)).map((x) => x.messageId), ["x2"], "messages stored");
await barrier(laptop, tablet);
check(laptop.connected && laptop.id === id && laptop.reasons.length === 0, "alice's connection changed");
checkEqual(got(tablet, "message:received").map((x) => x.messageId), ["x2"], "what bob received");
finish();
