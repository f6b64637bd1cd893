// Helpers shared by the socket.io-client scenarios: clients on the chosen
// transport, bounded waits, deep comparisons that see through binary types,
// and questions to the Rust test server (see tests/interop_sio/app.rs).
//
// Every wait is bounded by WAIT_MS; the bound is never a timing assertion,
// only a way to fail with a message instead of hanging.

import { io, Manager } from "socket.io-client";

export const WAIT_MS = 10_000;

const ctx = {
  url: "",
  scenario: "",
  transport: "default",
  stage: "starting",
  clients: [],
  count: 0,
};

export function init({ url, scenario, transport }) {
  Object.assign(ctx, { url, scenario, transport });
}

export const transport = () => ctx.transport;
export const url = () => ctx.url;

export function stage(name) {
  ctx.stage = name;
}

function describeClients() {
  return ctx.clients
    .map(
      (s) =>
        `  ${s.tag} ${s.nsp}: connected=${s.connected} id=${s.id} ` +
        `transport=${s.io.engine?.transport?.name} disconnects=${JSON.stringify(s.reasons)} ` +
        `received=${JSON.stringify(s.inbox.map((m) => m.ev))}`,
    )
    .join("\n");
}

export function fail(message) {
  console.error(
    `FAIL [${ctx.scenario} / ${ctx.transport}] during "${ctx.stage}": ${message}\n` +
      `clients:\n${describeClients()}`,
  );
  process.exit(1);
}

export function check(condition, message) {
  if (!condition) fail(message);
}

// --- comparisons ----------------------------------------------------------

export function isBinary(v) {
  return v instanceof ArrayBuffer || ArrayBuffer.isView(v);
}

export function hex(v) {
  if (typeof v === "string") return Buffer.from(v).toString("hex");
  if (v instanceof ArrayBuffer) return Buffer.from(v).toString("hex");
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("hex");
}

// A canonical form: binaries become {$bin: hex}, object keys are sorted.
function norm(v) {
  if (isBinary(v)) return { $bin: hex(v) };
  if (Array.isArray(v)) return v.map(norm);
  if (typeof v === "function") return "<function>";
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, norm(v[k])]),
    );
  }
  return v;
}

export const canon = (v) => JSON.stringify(norm(v));

export function checkEqual(actual, expected, what) {
  const a = canon(actual);
  const e = canon(expected);
  if (a !== e) fail(`${what}:\n  expected ${e}\n  got      ${a}`);
}

export const placeholder = (num) => ({ _placeholder: true, num });

// --- waits ----------------------------------------------------------------

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves with pred()'s first truthy value; fails after WAIT_MS. */
export async function until(pred, what, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = pred();
    if (v) return v;
    if (Date.now() > deadline) fail(`gave up after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

// --- clients --------------------------------------------------------------

export function transportOptions() {
  switch (ctx.transport) {
    case "polling":
      return { transports: ["polling"] };
    case "websocket":
      return { transports: ["websocket"] };
    default:
      return { transports: ["polling", "websocket"], upgrade: true };
  }
}

/** A Manager (one Engine.IO connection) to multiplex namespaces on. */
export function manager(opts = {}) {
  return new Manager(ctx.url, { reconnection: false, ...transportOptions(), ...opts });
}

/**
 * A socket on namespace `nsp`, on its own connection unless `manager` is
 * given. Its auth carries a unique `tag` (unless `noTag`) that the server
 * files its observations under. It records what it receives.
 */
export function client(nsp = "/", { auth = {}, manager: mgr, noTag = false, opts = {} } = {}) {
  const tag = `${ctx.scenario}-${ctx.transport}-${++ctx.count}`;
  let authOpt;
  if (typeof auth === "function") authOpt = (cb) => auth((data) => cb({ tag, ...data }));
  else authOpt = noTag ? auth : { tag, ...auth };
  const s = mgr
    ? mgr.socket(nsp, { auth: authOpt, ...opts })
    : io(ctx.url + nsp, {
        forceNew: true,
        reconnection: false,
        ...transportOptions(),
        auth: authOpt,
        ...opts,
      });
  Object.assign(s, { tag, welcomesUsed: 0, welcomes: [], inbox: [], reasons: [], connectErrors: [] });
  s.on("welcome", (w) => s.welcomes.push(w));
  s.onAny((ev, ...args) => s.inbox.push({ ev, args }));
  s.on("disconnect", (reason) => s.reasons.push(reason));
  s.on("connect_error", (err) => s.connectErrors.push(err));
  ctx.clients.push(s);
  return s;
}

/**
 * Waits for the socket's CONNECT and the server's welcome; returns it. Each
 * call consumes one welcome (a reconnected socket is welcomed again).
 */
export async function ready(s) {
  const before = s.welcomesUsed++;
  await until(
    () => s.welcomes.length > before || s.connectErrors.length > 0,
    `${s.tag} to connect to ${s.nsp} and be welcomed`,
  );
  if (s.connectErrors.length) {
    fail(`${s.tag} got connect_error: ${s.connectErrors[0].message}`);
  }
  check(s.connected, `${s.tag} welcomed but not connected`);
  return s.welcomes[s.welcomes.length - 1];
}

/** Waits for a connect_error; fails if the socket connects instead. */
export async function refused(s) {
  await until(
    () => s.connectErrors.length > 0 || s.connected,
    `${s.tag} to be refused on ${s.nsp}`,
  );
  check(!s.connected, `${s.tag} connected to ${s.nsp} but should have been refused`);
  return s.connectErrors[0];
}

/** Emits with an ack callback; resolves with every argument of the ack. */
export function ack(s, ev, ...args) {
  return new Promise((resolve) => {
    s.timeout(WAIT_MS).emit(ev, ...args, (err, ...resp) => {
      if (err) fail(`no acknowledgement of "${ev}" by the server (${err.message})`);
      resolve(resp);
    });
  });
}

/** Same as ack(), resolving with the first argument only. */
export async function ack1(s, ev, ...args) {
  return (await ack(s, ev, ...args))[0];
}

/** The events named `ev` a socket received, as argument arrays. */
export function received(s, ev) {
  return s.inbox.filter((m) => m.ev === ev).map((m) => m.args);
}

/** Waits for the socket's first disconnect; returns its reason. */
export async function disconnected(s) {
  await until(() => s.reasons.length > 0, `${s.tag} to be disconnected`);
  return s.reasons[0];
}

/**
 * Asks the server (through `observer`, a live socket) how the socket tagged
 * `tag` left, until it knows; checks it is exactly [{ns, reason}].
 */
export async function expectServerReason(observer, tag, ns, reason) {
  const deadline = Date.now() + WAIT_MS;
  let seen = [];
  while (Date.now() < deadline) {
    seen = await ack1(observer, "reasons", tag);
    if (seen.length) break;
    await sleep(50);
  }
  checkEqual(seen, [{ ns, reason }], `server-side disconnect reasons of ${tag}`);
}

/** In default mode, waits until the socket's connection upgraded. */
export async function upgraded(s) {
  if (ctx.transport !== "default") return;
  await until(
    () => s.io.engine?.transport?.name === "websocket",
    `${s.tag} to upgrade from polling to websocket`,
  );
}

/** Passes the scenario: in default mode every live client must have upgraded. */
export async function finish() {
  stage("final checks");
  for (const s of ctx.clients) if (s.connected) await upgraded(s);
  console.log(`ok: ${ctx.scenario} (${ctx.transport}), ${ctx.clients.length} clients`);
  process.exit(0);
}
