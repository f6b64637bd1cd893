// Connection-state recovery across the nodes of a Redis Streams cluster: a
// Node socket.io 4.8 server with `@socket.io/redis-streams-adapter` 0.3 and
// `connectionStateRecovery`, socket.io-client clients that reconnect, and
// TCP proxies that move a client from one server to another (as a load
// balancer would). Driven by tests/redis_streams_recovery.rs one JSON line at
// a time over stdin, answering and reporting one JSON line at a time.
//
// Usage: node redis_streams_recovery.mjs REDIS_URL
// Prints {"ready":PORT} once listening. Commands (each answered by
// {"ok":OP, ...}):
//   {"op":"proxy","id":P,"target":PORT}        a proxy to 127.0.0.1:PORT: {port}
//   {"op":"route","id":P,"target":PORT|null}   proxy P now leads to PORT (null:
//                                              nowhere, connections refused); the
//                                              connections it carried are cut
//   {"op":"client","id":ID,"url":URL}          connect a client (websocket, it
//                                              reconnects every 100 ms): {sid, pid}
//   {"op":"emit","id":ID,"name":N,"args":[..]} a client emits, waits for the ack
//   {"op":"broadcast","rooms":[],"except":[],"name":N,"args":[..]}
//   {"op":"rooms","id":ID}                     the rooms of a client of this server
// Reports: {"got":ID,"name":N,"args":[..]} for each event a client receives,
// {"connect":ID,"sid":S,"pid":P,"recovered":B} for each (re)connection,
// {"disconnected":ID,"reason":R}, {"left":SID,"reason":R} when a socket of
// this server leaves.
import { createServer } from "node:http";
import net from "node:net";
import { createRequire } from "node:module";
import { answerCommands, once, out, watchdog } from "./script.mjs";

const require = createRequire(import.meta.url);
const { Server } = require("socket.io");
const { io: connect } = require("socket.io-client");
const { createClient } = require("redis");
const { createAdapter } = require("@socket.io/redis-streams-adapter");

const fail = watchdog("redis_streams_recovery", 600_000);
const url = process.argv[2];

const redis = createClient({ url });
redis.on("error", () => {});
await redis.connect();
const http = createServer();
const io = new Server(http, {
  adapter: createAdapter(redis),
  connectionStateRecovery: { maxDisconnectionDuration: 60_000 },
});
io.on("connection", (socket) => {
  if (!socket.recovered) socket.data = { node: "node" };
  socket.on("join", (room, ack) => {
    socket.join(room);
    ack?.("joined");
  });
  socket.on("disconnect", (reason) => out({ left: socket.id, reason }));
});
await new Promise((r) => http.listen(0, "127.0.0.1", r));

const proxies = new Map();
function proxy(target) {
  const p = { target, sockets: new Set() };
  p.server = net.createServer((down) => {
    if (p.target === null) return down.destroy();
    const up = net.connect(p.target, "127.0.0.1");
    p.sockets.add(down).add(up);
    const close = () => {
      down.destroy();
      up.destroy();
      p.sockets.delete(down);
      p.sockets.delete(up);
    };
    down.on("error", close).on("close", close);
    up.on("error", close).on("close", close);
    down.pipe(up);
    up.pipe(down);
  });
  return p;
}

const clients = new Map();
const serverSockets = (id) => io.of("/").sockets.get(clients.get(id)?.id);

async function run(cmd) {
  switch (cmd.op) {
    case "proxy": {
      const p = proxy(cmd.target);
      proxies.set(cmd.id, p);
      await new Promise((r) => p.server.listen(0, "127.0.0.1", r));
      return { port: p.server.address().port };
    }
    case "route": {
      const p = proxies.get(cmd.id);
      p.target = cmd.target;
      for (const s of p.sockets) s.destroy();
      p.sockets.clear();
      return {};
    }
    case "client": {
      const c = connect(cmd.url, {
        transports: ["websocket"],
        reconnectionDelay: 100,
        reconnectionDelayMax: 100,
        randomizationFactor: 0,
        forceNew: true,
      });
      c.onAny((name, ...args) => out({ got: cmd.id, name, args }));
      c.on("connect", () =>
        out({ connect: cmd.id, sid: c.id, pid: c._pid, recovered: c.recovered }),
      );
      c.on("disconnect", (reason) => out({ disconnected: cmd.id, reason }));
      clients.set(cmd.id, c);
      await once(c, "connect", `connect of ${cmd.id}`);
      return { sid: c.id, pid: c._pid };
    }
    case "emit": {
      const c = clients.get(cmd.id);
      const answer = await c.timeout(20_000).emitWithAck(cmd.name, ...cmd.args);
      return { answer };
    }
    case "broadcast":
      io.to(cmd.rooms).except(cmd.except).emit(cmd.name, ...cmd.args);
      return {};
    case "rooms":
      return { rooms: [...(serverSockets(cmd.id)?.rooms ?? [])].sort() };
    default:
      throw new Error(`unknown op ${cmd.op}`);
  }
}

out({ ready: http.address().port });
await answerCommands(run, fail);
