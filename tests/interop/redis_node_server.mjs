// A Node socket.io 4.8 server on @socket.io/redis-adapter 8.x (node-redis
// clients), a node of a mixed cluster with edgeio nodes, driven by the Rust
// test through stdin/stdout JSON lines.
//
// Usage: node redis_node_server.mjs REDIS_URL
// Says `ready PORT` once listening and subscribed. Its clients (raw
// WebSockets from the test) may emit `join` (room, ack) and answer acks.
// Commands, one JSON object a line, each answered by one line:
//   {"cmd":"emit","room":R?,"except":E?,"local":bool?,"event":N,"args":[...]} -> done
//   {"cmd":"socketsJoin","room":R?,"join":J}  -> done
//   {"cmd":"disconnectSockets","room":R?}     -> done
//   {"cmd":"serverSideEmit","event":N,"args":[...]} -> done
//   {"cmd":"fetchSockets","room":R?}          -> fetched JSON
//   {"cmd":"emitWithAck","room":R?,"event":N,"args":[...]} -> acks JSON
//   {"cmd":"serverCount"}                     -> count N
// A server-side emit from another node prints `sse JSON` ([event, ...args]).
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { watchdog } from "./script.mjs";

const require = createRequire(import.meta.url);
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const { createClient } = require("redis");

const fail = watchdog("redis_node_server", 300_000);
const url = process.argv[2];
const pub = createClient({ url });
const sub = pub.duplicate();
pub.on("error", (e) => console.error(`redis pub: ${e}`));
sub.on("error", (e) => console.error(`redis sub: ${e}`));
await Promise.all([pub.connect(), sub.connect()]);

const io = new Server({ transports: ["websocket"] });
io.adapter(createAdapter(pub, sub, { requestsTimeout: 5000 }));
io.on("connection", (socket) => {
  socket.data = { node: "node" };
  socket.on("join", (room, ack) => {
    socket.join(room);
    if (typeof ack === "function") ack();
  });
});
for (const name of ["ping", "hello"]) {
  io.on(name, (...args) => console.log(`sse ${JSON.stringify([name, ...args])}`));
}

const select = (cmd) => {
  let op = cmd.room ? io.to(cmd.room) : io;
  if (cmd.except) op = op.except(cmd.except);
  if (cmd.local) op = op.local;
  return op;
};

const run = async (cmd) => {
  switch (cmd.cmd) {
    case "emit":
      select(cmd).emit(cmd.event, ...(cmd.args ?? []));
      return "done";
    case "socketsJoin":
      select(cmd).socketsJoin(cmd.join);
      return "done";
    case "disconnectSockets":
      select(cmd).disconnectSockets();
      return "done";
    case "serverSideEmit":
      io.serverSideEmit(cmd.event, ...(cmd.args ?? []));
      return "done";
    case "fetchSockets": {
      const sockets = await select(cmd).fetchSockets();
      const seen = sockets.map((s) => ({
        id: s.id,
        rooms: [...s.rooms].sort(),
        data: s.data ?? null,
        handshake: s.handshake,
      }));
      return `fetched ${JSON.stringify(seen)}`;
    }
    case "emitWithAck": {
      const acks = await select(cmd).timeout(10_000).emitWithAck(cmd.event, ...(cmd.args ?? []));
      return `acks ${JSON.stringify(acks)}`;
    }
    case "serverCount":
      return `count ${await io.of("/").adapter.serverCount()}`;
    default:
      fail(`unknown command ${JSON.stringify(cmd)}`);
  }
};

io.listen(0);
const port = io.httpServer.address().port;
// Subscribed once the adapter's subscriptions are in: its request channel
// counts this node (node-redis subscribes as soon as it is connected).
console.log(`ready ${port}`);

createInterface({ input: process.stdin }).on("line", async (line) => {
  if (!line.trim()) return;
  try {
    console.log(await run(JSON.parse(line)));
  } catch (e) {
    fail(`${line}: ${e?.stack ?? e}`);
  }
});
process.stdin.on("end", () => process.exit(0));
