// A rate limit hit, against a server started with
// `--chat-rate-limit message:send=3` (per user per minute, in fixed
// one-minute windows): alice's fourth send in a window is refused with
// rate_limit_exceeded and a retryAfter, is not stored and reaches no one;
// bob's own count is untouched, and alice's connection stays usable.

import {
  barrier,
  call,
  check,
  checkEqual,
  device,
  finish,
  got,
  history,
  ok,
  group,
  send,
  sleep,
  stage,
  start,
  token,
  until,
  waitFor,
  welcome,
} from "./util.mjs";

const LIMIT = 3;
const WINDOW_MS = 60_000;

start("rate-limit", { overallMs: 150_000 });
const ta = await token("alice");
const tb = await token("bob");
const laptop = device("alice", ta, "laptop");
const tablet = device("bob", tb, "tablet");
for (const s of [laptop, tablet]) await welcome(s);

// The server counts in windows of the wall clock's minutes (the same clock
// as here). Should the sends straddle two windows (a one-in-a-hundred
// chance), the attempt proves nothing: it is made again in a new group once
// the next window has begun.
const minute = () => Math.floor(Date.now() / WINDOW_MS);
let cid, err, before;
for (let attempt = 1; ; attempt++) {
  stage(`attempt ${attempt}: alice sends ${LIMIT} messages to a new group, then a fourth`);
  cid = await group(ta, ["bob"], `attempt ${attempt}`);
  before = got(laptop, "error:rate_limit_exceeded").length;
  const window = minute();
  const acks = [];
  for (let i = 1; i <= LIMIT + 1; i++) {
    const payload = { conversationId: cid, messageId: `a${attempt}-r${i}`, content: `r${i}` };
    acks.push(await call(laptop, "message:send", payload));
  }
  if (minute() === window) {
    for (let i = 1; i <= LIMIT; i++) {
      check(acks[i - 1].serverSequence === i, `r${i}'s ack: ${JSON.stringify(acks[i - 1])}`);
    }
    err = acks[LIMIT].error;
    check(err?.code === "rate_limit_exceeded", `the fourth send's ack: ${JSON.stringify(acks[LIMIT])}`);
    break;
  }
  check(attempt < 2, "two attempts straddled a one-minute window");
  await sleep(WINDOW_MS - (Date.now() % WINDOW_MS) + 100);
}
const told = await until(() => got(laptop, "error:rate_limit_exceeded")[before], "error:rate_limit_exceeded");
check(
  Number.isInteger(err.retryAfter) && err.retryAfter >= 1 && err.retryAfter <= 60,
  `retryAfter: ${JSON.stringify(err)}`,
);
check(told.retryAfter === err.retryAfter && told.message === err.message, `error event: ${JSON.stringify(told)}`);

stage("the refused message is not stored and reaches no one");
checkEqual(
  (await history(ta, cid)).map((m) => m.content),
  ["r1", "r2", "r3"],
  "messages stored",
);
// Bob's count is his own; his message arrives after anything sent before.
await send(tablet, cid, "bob-1");
for (const s of [laptop, tablet]) {
  await waitFor(s, "message:received", (d) => d.messageId === "bob-1");
  checkEqual(
    got(s, "message:received", (m) => m.conversationId === cid).map((m) => m.content),
    ["r1", "r2", "r3", "text of bob-1"],
    `${s.label}: messages received`,
  );
}

stage("alice's connection stays usable for everything else");
const id = laptop.id;
const read = await ok(laptop, "message:read", { conversationId: cid });
check(read.newUnreadCount === 0, `read after the refusal: ${JSON.stringify(read)}`);
await barrier(laptop);
check(laptop.connected && laptop.id === id && laptop.reasons.length === 0, "alice's socket changed");
finish();
