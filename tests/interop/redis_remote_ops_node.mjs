// A Node socket.io 4.8 server on @socket.io/redis-adapter 8.x, for the
// request/response operations between it and edgeio nodes.
//
// Usage: node redis_remote_ops_node.mjs REDIS_URL
// Says `ready PORT` once listening. Its sockets carry {"node":"node"} as
// data and join the room they are sent in `join` (room, ack). Its
// server-side handler of `load` acknowledges {"node":"node","arg":ARG}.
// Commands, one JSON object a line, each answered by one line:
//   {"cmd":"sseAck","event":N,"args":[...]} -> answers JSON (or `error MSG`)
//   {"cmd":"rooms","id":ID}                 -> rooms JSON (a local socket's)
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { watchdog } from "./script.mjs";

const require = createRequire(import.meta.url);
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const { createClient } = require("redis");

const fail = watchdog("redis_remote_ops_node", 300_000);
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
io.on("load", (arg, ack) => ack({ node: "node", arg }));

const run = async (cmd) => {
  switch (cmd.cmd) {
    case "sseAck":
      try {
        const answers = await io.serverSideEmitWithAck(cmd.event, ...(cmd.args ?? []));
        return `answers ${JSON.stringify(answers)}`;
      } catch (e) {
        return `error ${e?.message ?? e}`;
      }
    case "rooms": {
      const socket = io.of("/").sockets.get(cmd.id);
      return `rooms ${JSON.stringify(socket ? [...socket.rooms].sort() : null)}`;
    }
    default:
      fail(`unknown command ${JSON.stringify(cmd)}`);
  }
};

io.listen(0);
console.log(`ready ${io.httpServer.address().port}`);

createInterface({ input: process.stdin }).on("line", async (line) => {
  if (!line.trim()) return;
  try {
    console.log(await run(JSON.parse(line)));
  } catch (e) {
    fail(`${line}: ${e?.stack ?? e}`);
  }
});
process.stdin.on("end", () => process.exit(0));
