// A Node socket.io 4.8 server with `@socket.io/redis-streams-adapter` 0.3
// (node-redis 4) in a cluster with edgeio nodes, plus socket.io-client
// clients of any node; driven by tests/redis_streams_cluster.rs one JSON line
// at a time over stdin, answering and reporting one JSON line at a time on
// stdout.
//
// Usage: node redis_streams_node.mjs REDIS_URL
// Prints {"ready":PORT} once listening. Commands (each answered by
// {"ok":OP, ...}):
//   {"op":"client","id":ID,"url":URL}           connect a client (websocket)
//   {"op":"emit","id":ID,"name":N,"args":[..]}  a client emits, waits for the ack
//   {"op":"broadcast","rooms":[],"except":[],"local":false,"name":N,"args":[..]}
//   {"op":"socketsJoin","rooms":[],"room":R}    io.in(rooms).socketsJoin(R)
//   {"op":"disconnectSockets","rooms":[]}
//   {"op":"serverSideEmit","name":N,"args":[..]}
//   {"op":"serverCount"}                        the adapter's count of nodes
//   {"op":"rooms","id":ID}                      the rooms of a client of this server
//   {"op":"fetchSockets","rooms":[]}            io.in(rooms).fetchSockets(): sockets by id
//   {"op":"serverSideEmitWithAck","name":N,"args":[..]}  every other node's answer
//   {"op":"broadcastWithAck","rooms":[],"name":N,"args":[..]}  every client's ack
// Clients answer an `ask` event with {client: ID, x: its argument}; the
// server answers a server-side `ask-sse` with {node: "node", args}; its
// sockets' data is {node: "node"}. Requests time out after 10 s (serverSideEmitWithAck:
// the adapter's requestsTimeout, 5 s).
// Reports: {"got":ID,"name":N,"args":[..]} for each event a client receives,
// {"disconnected":ID,"reason":R}, {"sse":N,"args":[..]} for a server-side emit.
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { answerCommands, once, out, watchdog } from "./script.mjs";

const require = createRequire(import.meta.url);
const { Server } = require("socket.io");
const { io: connect } = require("socket.io-client");
const { createClient } = require("redis");
const { createAdapter } = require("@socket.io/redis-streams-adapter");

const fail = watchdog("redis_streams_node", 600_000);
const url = process.argv[2];

const redis = createClient({ url });
redis.on("error", () => {});
await redis.connect();
const http = createServer();
const io = new Server(http, { adapter: createAdapter(redis) });
io.on("connection", (socket) => {
  socket.data = { node: "node" };
  socket.on("join", (room, ack) => {
    socket.join(room);
    ack?.("joined");
  });
});
io.on("ping-sse", (...args) => out({ sse: "ping-sse", args }));
io.on("ask-sse", (...args) => {
  const ack = args.pop();
  ack({ node: "node", args });
});
const byKey = (key) => (a, b) => (String(a[key]) < String(b[key]) ? -1 : 1);
await new Promise((r) => http.listen(0, "127.0.0.1", r));

const clients = new Map();
const serverSockets = (id) => io.of("/").sockets.get(clients.get(id)?.id);

async function run(cmd) {
  switch (cmd.op) {
    case "client": {
      const c = connect(cmd.url, { transports: ["websocket"], reconnection: false, forceNew: true });
      c.onAny((name, ...args) => out({ got: cmd.id, name, args }));
      c.on("ask", (x, ack) => ack({ client: cmd.id, x }));
      c.on("disconnect", (reason) => out({ disconnected: cmd.id, reason }));
      clients.set(cmd.id, c);
      await once(c, "connect", `connect of ${cmd.id}`);
      return { sid: c.id };
    }
    case "emit": {
      const c = clients.get(cmd.id);
      const answer = await c.timeout(20_000).emitWithAck(cmd.name, ...cmd.args);
      return { answer };
    }
    case "broadcast": {
      let op = io.to(cmd.rooms).except(cmd.except);
      if (cmd.local) op = op.local;
      op.emit(cmd.name, ...cmd.args);
      return {};
    }
    case "socketsJoin":
      io.in(cmd.rooms).socketsJoin(cmd.room);
      return {};
    case "disconnectSockets":
      io.in(cmd.rooms).disconnectSockets();
      return {};
    case "serverSideEmit":
      io.serverSideEmit(cmd.name, ...cmd.args);
      return {};
    case "serverCount":
      return { count: await io.of("/").adapter.serverCount() };
    case "fetchSockets": {
      const sockets = await io.in(cmd.rooms).timeout(10_000).fetchSockets();
      const described = sockets.map((s) => ({
        id: s.id,
        rooms: [...s.rooms].sort(),
        data: s.data,
        eio: s.handshake?.query?.EIO,
      }));
      return { sockets: described.sort(byKey("id")) };
    }
    case "serverSideEmitWithAck": {
      const answers = await io.serverSideEmitWithAck(cmd.name, ...cmd.args);
      return { answers: answers.sort(byKey("node")) };
    }
    case "broadcastWithAck": {
      const acks = await io.to(cmd.rooms).timeout(10_000).emitWithAck(cmd.name, ...cmd.args);
      return { acks: acks.sort(byKey("client")) };
    }
    case "rooms":
      return { rooms: [...(serverSockets(cmd.id)?.rooms ?? [])].sort() };
    default:
      throw new Error(`unknown op ${cmd.op}`);
  }
}

out({ ready: http.address().port });
await answerCommands(run, fail);
