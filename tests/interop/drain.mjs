// What official npm `socket.io-client` sockets see when the `edgeio` binary
// stops on SIGTERM (tests/drain.rs sends it).
//
//   node tests/interop/drain.mjs sessions URL
//     Sockets a (polling, then the upgrade), b (polling only) and c
//     (WebSocket only) on --app protocol-suite each have an emit
//     acknowledged, then it prints `READY`. Each disconnect is printed as
//     `DISCONNECT <tag> <reason>` and each socket's first reconnection
//     attempt as `RECONNECTING <tag>` (socket.io's Manager retries by itself
//     unless the server sent a DISCONNECT); once every socket has done both:
//     `DONE`, exit 0.
//
//   node tests/interop/drain.mjs chat URL TOKENS.json
//     On --app chat: u0 opens a one-to-one conversation with u1 over REST and
//     sends one message over a WebSocket; once it is acknowledged:
//     `ACKED <conversationId> <messageId> <serverSequence>`; then
//     `DISCONNECT <reason>` when the server stops, and exit 0.
//
// Any failure: `FAIL ...` on stderr, exit 1. Waits are upper bounds only.

import { readFileSync } from "node:fs";

import { io, Manager } from "socket.io-client";
import { connected, once, watchdog, WAIT_MS } from "./script.mjs";

const OVERALL_MS = 60_000;

const [mode, url, tokensFile] = process.argv.slice(2);
const fail = watchdog(`[${mode}]`, OVERALL_MS);

async function acked(socket, tag) {
  const [err, reply] = await new Promise((resolve) =>
    socket.timeout(WAIT_MS).emit("message-with-ack", tag, (e, r) => resolve([e, r])),
  );
  if (err || reply !== tag) fail(`${tag}: ack ${JSON.stringify(reply)}, error ${err}`);
}

async function sessions() {
  const opts = { reconnectionDelay: 200, reconnectionDelayMax: 500, timeout: 5000 };
  const specs = [
    ["a", ["polling", "websocket"]],
    ["b", ["polling"]],
    ["c", ["websocket"]],
  ];
  const sockets = specs.map(([tag, transports]) => {
    const manager = new Manager(url, { ...opts, transports });
    const socket = manager.socket("/");
    const state = { tag, socket, disconnected: false, reconnecting: false };
    socket.on("disconnect", (reason) => {
      console.log(`DISCONNECT ${tag} ${reason}`);
      state.disconnected = true;
    });
    manager.on("reconnect_attempt", () => {
      if (!state.reconnecting) console.log(`RECONNECTING ${tag}`);
      state.reconnecting = true;
    });
    return state;
  });
  for (const s of sockets) await connected(s.socket, `${s.tag}'s connect`);
  const a = sockets[0].socket;
  if (a.io.engine.transport.name !== "websocket") await once(a.io.engine, "upgrade", "a's upgrade");
  for (const s of sockets) await acked(s.socket, s.tag);
  console.log("READY");
  while (!sockets.every((s) => s.disconnected && s.reconnecting)) {
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const s of sockets) s.socket.io.reconnection(false), s.socket.close();
  console.log("DONE");
  process.exit(0);
}

async function chat() {
  const [u0, u1] = JSON.parse(readFileSync(tokensFile, "utf8"));
  const r = await fetch(`${url}/conversations/create/one-to-one`, {
    method: "POST",
    headers: { authorization: `Bearer ${u0.token}`, "content-type": "application/json" },
    body: JSON.stringify({ participantId: u1.user }),
  });
  const conv = await r.json();
  if (!r.ok || !conv.conversationId) fail(`create: HTTP ${r.status} ${JSON.stringify(conv)}`);
  const socket = io(url, { transports: ["websocket"], auth: { token: u0.token, deviceId: "d0" } });
  await connected(socket, "the connect");
  const messageId = `drain-${Date.now()}`;
  const payload = { conversationId: conv.conversationId, content: "said before SIGTERM", messageId };
  const [err, ack] = await new Promise((resolve) =>
    socket.timeout(WAIT_MS).emit("message:send", payload, (e, a) => resolve([e, a])),
  );
  if (err || ack?.status !== "delivered") fail(`ack ${JSON.stringify(ack)}, error ${err}`);
  socket.on("disconnect", (reason) => {
    console.log(`DISCONNECT ${reason}`);
    socket.io.reconnection(false);
    socket.close();
    process.exit(0);
  });
  console.log(`ACKED ${conv.conversationId} ${messageId} ${ack.serverSequence}`);
}

if (mode === "sessions" && url) await sessions();
else if (mode === "chat" && url && tokensFile) await chat();
else fail("usage: node drain.mjs sessions URL | chat URL TOKENS.json");
