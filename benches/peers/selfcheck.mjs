// Self-check of one peer server (issue 5): `node selfcheck.mjs sio|raw PORT`.
// `sio` drives a Socket.IO server (edgeio, socketioxide, node) over WebSocket,
// polling-only and polling→upgrade: echo returns exactly its arguments (0..n,
// key order kept), join/bcast ack with no arguments, bcast reaches the room
// and not the sender. `raw` drives peer-raw's `e`/`j`/`b` text protocol.
// Clients come from tests/interop/node_modules (`npm ci --prefix tests/interop`).
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(
  fileURLToPath(new URL("../../tests/interop/package.json", import.meta.url)),
);
const [mode, port] = process.argv.slice(2);
const url = `http://127.0.0.1:${port}`;
let failed = 0;
const check = (name, ok, detail = "") => {
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${ok ? "" : ` ${detail}`}`);
  if (!ok) failed += 1;
};
const timeout = (ms, what) =>
  new Promise((_, rej) => setTimeout(() => rej(new Error(`timeout: ${what}`)), ms));
const race = (p, what) => Promise.race([p, timeout(3000, what)]);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function sio() {
  const { io } = require("socket.io-client");
  const open = (transports) =>
    race(
      new Promise((res, rej) => {
        const s = io(url, { transports, reconnection: false, forceNew: true });
        s.on("connect", () => res(s));
        s.on("connect_error", rej);
      }),
      `connect ${transports}`,
    );
  const call = (s, ev, ...args) =>
    race(new Promise((res) => s.emit(ev, ...args, (...r) => res(r))), `${ev} ack`);

  const ws = await open(["websocket"]);
  const poll = await open(["polling"]);
  const up = await open(["polling", "websocket"]);
  await race(
    new Promise((res) =>
      up.io.engine.transport.name === "websocket" ? res() : up.io.engine.on("upgrade", res),
    ),
    "upgrade",
  );
  check("polling→websocket upgrade", up.io.engine.transport.name === "websocket");

  const cases = [[], ["x"], ["s", { b: 1, a: [1, 2, { z: null, y: true }] }, 3.5, "é✓"]];
  for (const [name, s] of [["ws", ws], ["polling", poll], ["upgraded", up]]) {
    for (const args of cases) {
      const r = await call(s, "echo", ...args);
      check(`${name} echo ${args.length} args`, same(r, args), JSON.stringify(r));
    }
  }

  const got = { ws: [], poll: [], up: [] };
  ws.on("bcast", (...a) => got.ws.push(a));
  poll.on("bcast", (...a) => got.poll.push(a));
  up.on("bcast", (...a) => got.up.push(a));
  const j1 = await call(poll, "join");
  const j2 = await call(up, "join");
  check("join acks with no args", j1.length === 0 && j2.length === 0, JSON.stringify([j1, j2]));
  const payload = ["hello", { k: [1, "two"], a: 0 }];
  const b = await call(ws, "bcast", ...payload);
  check("bcast acks with no args", b.length === 0, JSON.stringify(b));
  await new Promise((r) => setTimeout(r, 300));
  check("bcast reaches polling member", same(got.poll, [payload]), JSON.stringify(got.poll));
  check("bcast reaches ws member", same(got.up, [payload]), JSON.stringify(got.up));
  check("bcast skips non-member sender", got.ws.length === 0, JSON.stringify(got.ws));
  // A member sending also receives its own broadcast (io.to, not socket.to).
  await call(up, "bcast", 1);
  await new Promise((r) => setTimeout(r, 300));
  check("member sender receives own bcast", same(got.up.at(-1), [1]), JSON.stringify(got.up));
  for (const s of [ws, poll, up]) s.close();
}

async function raw() {
  const WebSocket = require("ws");
  const open = () =>
    race(
      new Promise((res, rej) => {
        const s = new WebSocket(`ws://127.0.0.1:${port}/`);
        s.inbox = [];
        s.on("message", (d, bin) => s.inbox.push(bin ? d : d.toString()));
        s.on("open", () => res(s));
        s.on("error", rej);
      }),
      "ws open",
    );
  const next = (s) =>
    race(
      new Promise((res) => {
        const poll = () => (s.inbox.length ? res(s.inbox.shift()) : setTimeout(poll, 5));
        poll();
      }),
      "frame",
    );
  const [a, b] = [await open(), await open()];
  const body = 'e{"x":[1,"é✓"]}';
  a.send(body);
  check("raw echo", (await next(a)) === body);
  b.send("j");
  check("raw join reply", (await next(b)) === "j");
  a.send("bpayload-1");
  check("raw bcast ack", (await next(a)) === "a");
  check("raw bcast delivered", (await next(b)) === "payload-1");
  await new Promise((r) => setTimeout(r, 200));
  check("raw non-member got nothing", a.inbox.length === 0, JSON.stringify(a.inbox));
  a.close();
  b.close();
}

try {
  if (mode === "sio") await sio();
  else if (mode === "raw") await raw();
  else throw new Error("usage: node selfcheck.mjs sio|raw PORT");
} catch (e) {
  check("run", false, e.message);
}
console.log(failed ? `selfcheck FAILED (${failed})` : "selfcheck passed");
process.exit(failed ? 1 : 0);
