// Issue 5 peer: the reference socket.io server on 127.0.0.1:$PORT with default
// options (pingInterval 25000, pingTimeout 20000, path /socket.io/, polling and
// WebSocket). Namespace "/": `echo` acks with its arguments, `join` joins room
// "r" then acks, `bcast` emits `bcast` with its arguments to room "r" then acks.
// With REDIS_URL set (benches/cluster.py), the node joins a cluster through
// @socket.io/redis-adapter on node-redis (its default "socket.io" key prefix):
// a `bcast` reaches room "r" on every node sharing that Redis. It listens only
// once both Redis connections are up, so a handshake means the node is ready.
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number.parseInt(process.env.PORT ?? "", 10);
if (!Number.isInteger(port)) {
  console.error("PORT env var is required");
  process.exit(2);
}

const httpServer = createServer();
const io = new Server(httpServer);

const redisUrl = process.env.REDIS_URL;
if (redisUrl) {
  const { createClient } = await import("redis");
  const { createAdapter } = await import("@socket.io/redis-adapter");
  const pubClient = createClient({ url: redisUrl });
  const subClient = pubClient.duplicate();
  for (const client of [pubClient, subClient]) {
    client.on("error", (err) => console.error(`peer-node: redis: ${err}`));
  }
  await Promise.all([pubClient.connect(), subClient.connect()]);
  io.adapter(createAdapter(pubClient, subClient));
}

// The last argument is the ack callback when the client asked for one.
const split = (args) =>
  typeof args.at(-1) === "function"
    ? [args.slice(0, -1), args.at(-1)]
    : [args, () => {}];

io.on("connection", (socket) => {
  socket.on("echo", (...args) => {
    const [data, callback] = split(args);
    callback(...data);
  });
  socket.on("join", (...args) => {
    const [, callback] = split(args);
    socket.join("r");
    callback();
  });
  socket.on("bcast", (...args) => {
    const [data, callback] = split(args);
    io.to("r").emit("bcast", ...data);
    callback();
  });
});

httpServer.listen(port, "127.0.0.1", () => {
  const cluster = redisUrl ? ` (redis adapter on ${redisUrl})` : "";
  console.error(`peer-node (socket.io) listening on 127.0.0.1:${port}${cluster}`);
});
