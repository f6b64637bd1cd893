// A Node socket.io 4.8 server on `@socket.io/redis-adapter` 8.x or
// `@socket.io/redis-streams-adapter` 0.3, in a cluster with edgeio nodes,
// plus socket.io-client clients of any node, each in two namespaces ("/"
// and "/other") on one connection: for disconnectSockets with and without
// `close`, driven by tests/redis_disconnect_close.rs one JSON line at a time.
//
// Usage: node redis_disconnect_close.mjs redis|streams REDIS_URL
// Prints {"ready":PORT} once listening. Commands (each answered by
// {"ok":OP, ...}):
//   {"op":"client","id":ID,"url":URL}        connect a client to "/" and "/other"
//   {"op":"emit","id":ID,"ns":NS,"name":N,"args":[..]}  a client emits in NS (default "/"),
//                                            waits for the ack
//   {"op":"disconnectSockets","rooms":[],"close":B}  io.in(rooms).disconnectSockets(B)
//   {"op":"remoteDisconnect","rooms":[],"close":B}   each fetched socket's disconnect(B)
//   {"op":"serverCount"}                     the adapter's count of nodes
// Servers: "/" sockets join a room on `join` (acked "joined"); "/other"
// sockets answer `ping` with "pong".
// Reports: {"disconnected":ID,"ns":NS,"reason":R} for each namespace a
// client leaves, {"engineClosed":ID,"reason":R} when its connection closes.
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { answerCommands, once, out, watchdog } from "./script.mjs";

const require = createRequire(import.meta.url);
const { Server } = require("socket.io");
const { Manager } = require("socket.io-client");
const { createClient } = require("redis");

const fail = watchdog("redis_disconnect_close", 300_000);
const [kind, url] = process.argv.slice(2);

const pub = createClient({ url });
pub.on("error", () => {});
await pub.connect();
let adapter;
if (kind === "redis") {
  const sub = pub.duplicate();
  sub.on("error", () => {});
  await sub.connect();
  adapter = require("@socket.io/redis-adapter").createAdapter(pub, sub, { requestsTimeout: 5000 });
} else if (kind === "streams") {
  adapter = require("@socket.io/redis-streams-adapter").createAdapter(pub);
} else {
  fail(`unknown adapter ${kind}`);
}
const http = createServer();
const io = new Server(http, { adapter, transports: ["websocket"] });
io.on("connection", (socket) => {
  socket.on("join", (room, ack) => {
    socket.join(room);
    ack?.("joined");
  });
});
io.of("/other").on("connection", (socket) => {
  socket.on("ping", (ack) => ack?.("pong"));
});
await new Promise((r) => http.listen(0, "127.0.0.1", r));

// Each client: its sockets by namespace.
const clients = new Map();

async function run(cmd) {
  switch (cmd.op) {
    case "client": {
      const manager = new Manager(cmd.url, { transports: ["websocket"], reconnection: false });
      const sockets = { "/": manager.socket("/"), "/other": manager.socket("/other") };
      for (const [ns, s] of Object.entries(sockets)) {
        s.on("disconnect", (reason) => out({ disconnected: cmd.id, ns, reason }));
      }
      manager.on("open", () => {
        manager.engine.on("close", (reason) => out({ engineClosed: cmd.id, reason }));
      });
      clients.set(cmd.id, sockets);
      for (const [ns, s] of Object.entries(sockets)) {
        if (!s.connected) await once(s, "connect", `connect of ${cmd.id} to ${ns}`);
      }
      return { sid: sockets["/"].id };
    }
    case "emit": {
      const s = clients.get(cmd.id)[cmd.ns ?? "/"];
      const answer = await s.timeout(20_000).emitWithAck(cmd.name, ...cmd.args);
      return { answer };
    }
    case "disconnectSockets":
      io.in(cmd.rooms).disconnectSockets(cmd.close);
      return {};
    case "remoteDisconnect": {
      const sockets = await io.in(cmd.rooms).timeout(10_000).fetchSockets();
      for (const s of sockets) s.disconnect(cmd.close);
      return { count: sockets.length };
    }
    case "serverCount":
      return { count: await io.of("/").adapter.serverCount() };
    default:
      throw new Error(`unknown op ${cmd.op}`);
  }
}

out({ ready: http.address().port });
await answerCommands(run, fail);
