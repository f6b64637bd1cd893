// The official `socket.io-client` as the Socket.IO Admin UI speaks to a
// server's `/admin` namespace (tests/admin_ui.rs drives it).
//
//   node tests/interop/admin_ui.mjs URL
//     Prints `READY`, then answers JSON commands on stdin, one a line, with
//     one JSON line `{ ok: op, ... }`:
//     - {op: "admin", tag, auth}: an admin socket on URL/admin with `auth`
//       (its own connection); answers {id} once connected, or {error} with
//       the CONNECT_ERROR's message. Every event it receives is kept.
//     - {op: "next", tag, event}: the arguments of the admin socket's oldest
//       kept `event` not yet taken (waiting for one): {args}.
//     - {op: "count", tag, event}: how many `event`s are kept untaken: {n}.
//     - {op: "act", tag, event, args}: the admin socket emits `event`.
//     - {op: "sentinel", tag}: a socket on `/` sharing the admin socket's
//       connection (so the server reads it after whatever that socket sent
//       before): {id}.
//     - {op: "client", tag, transports}: a socket on `/`: {id}.
//     - {op: "disconnected", tag}: the client's disconnect reason: {reason}.
//
// With ADMIN_UI_DEBUG set, every event and client is logged on stderr.
// Any failure: `FAIL ...` on stderr, exit 1. Waits are upper bounds only.

import { io } from "socket.io-client";
import { answerCommands, connected, once, watchdog, WAIT_MS } from "./script.mjs";

const OVERALL_MS = 120_000;
const url = process.argv[2];
const fail = watchdog("[admin-ui]", OVERALL_MS);

const admins = new Map();
const clients = new Map();

/** An admin socket and the events it got, with the waits for them. */
function admin(tag, auth) {
  const socket = io(`${url}/admin`, { auth, forceNew: true, reconnection: false });
  const kept = [];
  const waiting = [];
  socket.onAny((event, ...args) => {
    kept.push({ event, args });
    if (process.env.ADMIN_UI_DEBUG) console.error(tag, event, JSON.stringify(args).slice(0, 300));
    for (const w of waiting.splice(0)) w();
  });
  const state = { socket, kept, waiting };
  admins.set(tag, state);
  return new Promise((resolve) => {
    socket.once("connect", () => resolve({ id: socket.id }));
    socket.once("connect_error", (e) => resolve({ error: e.message }));
  });
}

function take(state, event) {
  const i = state.kept.findIndex((k) => k.event === event);
  return i < 0 ? undefined : state.kept.splice(i, 1)[0].args;
}

async function next(tag, event) {
  const state = admins.get(tag);
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const args = take(state, event);
    if (args) return { args };
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no ${event} for ${tag} within ${WAIT_MS} ms`);
    await new Promise((resolve) => {
      const t = setTimeout(resolve, left);
      state.waiting.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

async function client(tag, transports, socket) {
  socket ??= io(url, { forceNew: true, reconnection: false, transports });
  const reasons = [];
  socket.on("disconnect", (reason) => reasons.push(reason));
  clients.set(tag, { socket, reasons });
  await connected(socket, `${tag} connect`);
  if (process.env.ADMIN_UI_DEBUG) console.error("client", tag, socket.id);
  return { id: socket.id };
}

async function run(cmd) {
  switch (cmd.op) {
    case "admin":
      return admin(cmd.tag, cmd.auth);
    case "next":
      return next(cmd.tag, cmd.event);
    case "count":
      return { n: admins.get(cmd.tag).kept.filter((k) => k.event === cmd.event).length };
    case "act":
      admins.get(cmd.tag).socket.emit(cmd.event, ...cmd.args);
      return {};
    case "sentinel":
      return client(`${cmd.tag}-sentinel`, undefined, admins.get(cmd.tag).socket.io.socket("/"));
    case "client":
      return client(cmd.tag, cmd.transports ?? ["polling", "websocket"]);
    case "disconnected": {
      const c = clients.get(cmd.tag);
      if (!c.reasons.length) await once(c.socket, "disconnect", `${cmd.tag} disconnect`);
      return { reason: c.reasons[0] };
    }
    default:
      throw new Error(`unknown op ${cmd.op}`);
  }
}

process.stdout.write("READY\n");
answerCommands(run, fail);
