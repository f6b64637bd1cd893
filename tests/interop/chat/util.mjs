// Helpers of the chat scenarios (tests/chat_e2e.rs runs them against the
// edgeio binary): users' devices as official socket.io-client sockets that
// record every event, the REST API over fetch, requests to the Rust test
// (tokens, restarts) over stdin/stdout, and bounded waits.
//
//   node chat/<scenario>.mjs URL [--transport default|polling|websocket]
//
// Every wait is bounded by WAIT_MS: a bound to fail with a message instead
// of hanging, never a timing assertion. A check that something did NOT
// arrive is made after a later event that the server sends after it (a
// "barrier"), so it can never fail because the machine is slow.

import { createInterface } from "node:readline";

import { io } from "socket.io-client";

import { canon } from "../sio/util.mjs";

export const WAIT_MS = 10_000;
const OVERALL_MS = 90_000;
const TRANSPORTS = ["default", "polling", "websocket"];

const ctx = { url: "", scenario: "", transport: "default", stage: "starting", devices: [] };

/** Parses the command line and arms the overall bound; returns the extra arguments. */
export function start(scenario, { overallMs = OVERALL_MS } = {}) {
  const args = process.argv.slice(2);
  const i = args.indexOf("--transport");
  if (i >= 0) ctx.transport = args.splice(i, 2)[1];
  ctx.url = args.shift();
  ctx.scenario = scenario;
  if (!ctx.url || !TRANSPORTS.includes(ctx.transport)) {
    console.error(`usage: node ${scenario}.mjs URL [--transport ${TRANSPORTS.join("|")}] ...`);
    process.exit(2);
  }
  setTimeout(() => fail(`timed out after ${overallMs} ms`), overallMs).unref();
  process.on("unhandledRejection", (e) => fail(`unhandled rejection: ${e?.stack ?? e}`));
  process.on("uncaughtException", (e) => fail(`uncaught exception: ${e?.stack ?? e}`));
  return args;
}

export function stage(name) {
  ctx.stage = name;
  console.log(`- ${name}`);
}

export function fail(message) {
  const devices = ctx.devices
    .map(
      (s) =>
        `  ${s.label}: connected=${s.connected} id=${s.id} disconnects=${JSON.stringify(s.reasons)}\n` +
        s.inbox.map((m) => `    <- ${m.ev} ${JSON.stringify(m.data)}`).join("\n"),
    )
    .join("\n");
  console.error(
    `FAIL [${ctx.scenario} / ${ctx.transport}] during "${ctx.stage}": ${message}\n` +
      `devices and what they received:\n${devices}`,
  );
  process.exit(1);
}

export function check(condition, message) {
  if (!condition) fail(message);
}

export function checkEqual(actual, expected, what) {
  const [a, e] = [canon(actual), canon(expected)];
  if (a !== e) fail(`${what}:\n  expected ${e}\n  got      ${a}`);
}

export function finish() {
  console.log(`ok: ${ctx.scenario} (${ctx.transport}), ${ctx.devices.length} devices`);
  process.exit(0);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves with pred()'s first truthy value; fails after `ms`. */
export async function until(pred, what, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = pred();
    if (v) return v;
    if (Date.now() > deadline) fail(`gave up after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * Waits until this machine's clock (the server's too) has passed the
 * millisecond of `iso`: a message stored from now on is stored after it.
 */
export async function past(iso, what) {
  const t = Date.parse(iso);
  check(!Number.isNaN(t), `${what}: ${iso} is not a time`);
  await until(() => Date.now() > t, `the clock to pass ${what}`);
}

// --- the Rust test ----------------------------------------------------------

const replies = [];
const waiting = [];
const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => (waiting.length ? waiting.shift()(line) : replies.push(line)));

/** Asks the test (`@@request` on stdout) and resolves with its one-line reply. */
function ask(request) {
  console.log(`@@${request}`);
  if (replies.length) return Promise.resolve(replies.shift());
  return new Promise((resolve) => waiting.push(resolve));
}

/** A token of `user` for `ttl`, from `edgeio token`. */
export const token = (user, ttl = "1h") => ask(`token ${user} ${ttl}`);

/** Has the test stop the server (`kill` or `term`) and start it again. */
export async function restart(how) {
  const reply = await ask(`restart ${how}`);
  check(reply === "restarted", `the test answered ${reply} to a restart`);
}

// --- REST -------------------------------------------------------------------

/** `method path` with `Authorization: Bearer token`: {status, body}. */
export async function rest(tok, method, path, body) {
  const r = await fetch(ctx.url + path, {
    method,
    headers: { authorization: `Bearer ${tok}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(WAIT_MS),
  });
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    fail(`${method} ${path}: ${r.status} with a body that is not JSON: ${text}`);
  }
  return { status: r.status, body: json };
}

/** The one-to-one of the token's user and `other`, created over REST: its id. */
export async function oneToOne(tok, other) {
  const r = await rest(tok, "POST", "/conversations/create/one-to-one", { participantId: other });
  check(r.status === 201, `creating a one-to-one with ${other}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.conversationId;
}

/** A group of the token's user and `others` named `name`, created over REST: its id. */
export async function group(tok, others, name) {
  const r = await rest(tok, "POST", "/conversations/create/group", { participantIds: others, name });
  check(r.status === 201, `creating group ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.conversationId;
}

/** The messages of `cid` over REST as the token's user, oldest first. */
export async function history(tok, cid) {
  const r = await rest(tok, "GET", `/conversations/${cid}/messages?limit=100`);
  check(r.status === 200, `history of ${cid}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.messages;
}

// --- devices ----------------------------------------------------------------

function transportOptions() {
  if (ctx.transport === "default") return {};
  return { transports: [ctx.transport] };
}

/**
 * A socket of `user` on `deviceId` with `tok` in its auth (or, with
 * `{query: true}`, in the handshake's query). Records every event it
 * receives as {ev, data (the first argument), args}.
 */
export function device(user, tok, deviceId, { query = false, auth } = {}) {
  const opts = { forceNew: true, reconnection: false, ...transportOptions() };
  if (query) opts.query = { token: tok };
  else opts.auth = auth ?? { token: tok, deviceId };
  const s = io(ctx.url, opts);
  Object.assign(s, {
    label: `${user}/${deviceId}`,
    inbox: [],
    welcomesUsed: 0,
    connectErrors: [],
    reasons: [],
  });
  s.onAny((ev, ...args) => s.inbox.push({ ev, data: args[0], args }));
  s.on("connect_error", (err) => s.connectErrors.push(err));
  s.on("disconnect", (reason) => s.reasons.push(reason));
  ctx.devices.push(s);
  return s;
}

const isWelcome = (m) => m.ev === "connected" || m.ev === "reconnected";

/**
 * Waits for the device's next welcome (`connected` or `reconnected`);
 * returns {ev, data}. Fails on a connect_error.
 */
export async function welcome(s) {
  const before = s.welcomesUsed++;
  await until(
    () => s.inbox.filter(isWelcome).length > before || s.connectErrors.length > 0,
    `${s.label} to be welcomed`,
  );
  if (s.connectErrors.length) {
    const e = s.connectErrors[0];
    fail(`${s.label} was refused: ${e.message} ${JSON.stringify(e.data)}`);
  }
  check(s.connected, `${s.label} welcomed but not connected`);
  return s.inbox.filter(isWelcome)[before];
}

/** Waits for a connect_error; fails if the socket connects. Returns the error. */
export async function refused(s, what) {
  await until(() => s.connectErrors.length > 0 || s.connected, `${what} to be refused`);
  check(!s.connected, `${what}: connected, but should have been refused`);
  return s.connectErrors[0];
}

/** Disconnects the device and waits until the client says so. */
export async function leave(s) {
  s.disconnect();
  await until(() => s.reasons.length > 0, `${s.label} to disconnect`);
}

/** The data of the events `ev` the device received that match `pred`. */
export function got(s, ev, pred = () => true) {
  return s.inbox.filter((m) => m.ev === ev && pred(m.data)).map((m) => m.data);
}

/** Waits until the device received an event `ev` matching `pred`; returns its data. */
export async function waitFor(s, ev, pred = () => true, what = "") {
  return until(() => got(s, ev, pred)[0], `${s.label} to receive ${ev} ${what}`);
}

/** Emits `ev` (with `payload` unless it is NONE) and resolves with the ack's first argument. */
export const NONE = Symbol("no payload");
export function call(s, ev, payload) {
  const args = payload === NONE ? [] : [payload];
  return new Promise((resolve) => {
    s.timeout(WAIT_MS).emit(ev, ...args, (err, answer) => {
      if (err) fail(`${s.label}: no acknowledgement of ${ev} (${err.message})`);
      resolve(answer);
    });
  });
}

/** `call`, failing unless the ack is a result (not `{error}`). */
export async function ok(s, ev, payload) {
  const answer = await call(s, ev, payload);
  check(
    answer && typeof answer === "object" && !("error" in answer),
    `${s.label}: ${ev} ${JSON.stringify(payload)} was refused: ${JSON.stringify(answer)}`,
  );
  return answer;
}

/**
 * `call`, expecting a refusal with `code`: in the ack as {error: {code,
 * message}}, and as the event `error:<code>` naming `ev`. Returns the ack's error.
 */
export async function refusal(s, ev, payload, code, what = "") {
  const before = got(s, `error:${code}`, (d) => d.event === ev).length;
  const answer = await call(s, ev, payload);
  const err = answer?.error;
  check(
    err?.code === code && typeof err.message === "string" && err.message.length > 0,
    `${s.label}: ${ev} ${what} ${JSON.stringify(payload)}: expected error ${code} in the ack, got ${JSON.stringify(answer)}`,
  );
  const told = await until(
    () => got(s, `error:${code}`, (d) => d.event === ev)[before],
    `${s.label} to receive error:${code} for ${ev} ${what}`,
  );
  check(
    told.code === code && told.message === err.message && typeof told.timestamp === "number",
    `${s.label}: error:${code} event for ${ev} ${what}: ${JSON.stringify(told)}`,
  );
  return err;
}

/**
 * A round trip on each device (`socket:ping` answered with `socket:pong`):
 * whatever the server sent them before has arrived.
 */
export async function barrier(...devices) {
  for (const s of devices) {
    const n = got(s, "socket:pong").length;
    await ok(s, "socket:ping", {});
    await until(() => got(s, "socket:pong").length > n, `${s.label}'s socket:pong`);
  }
}

/** A send whose ack must be the stored message's; returns the ack. */
export async function send(s, cid, messageId, content = `text of ${messageId}`) {
  const ack = await ok(s, "message:send", { conversationId: cid, messageId, content });
  check(ack.messageId === messageId && ack.status === "delivered", `ack of ${messageId}: ${JSON.stringify(ack)}`);
  return ack;
}
