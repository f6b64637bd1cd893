// Records what the real `@socket.io/redis-streams-adapter` (0.3.x) writes to
// Redis, for the golden fixtures in fixtures/redis-streams-adapter/cases.json.
//
// The adapter runs against a real redis-server (URL in argv[2]) with
// node-redis 4; it is driven through its public methods (broadcast,
// addSockets, serverSideEmit, ...) and, for answers, its onMessage handler.
// Stream entries are read back with XRANGE (their fields, in order); what
// goes over pub/sub (ephemeral messages and answers) is heard by a
// subscriber. Adapter uids are fixed after creation.
//
// Usage: node redis_streams_fixtures.mjs redis://127.0.0.1:PORT/ > fixtures/redis-streams-adapter/cases.json
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
// Request ids are `randomBytes(8)` in socket.io-adapter: made deterministic.
const crypto = require("crypto");
const randomBytes = crypto.randomBytes;
let nextId = 0;
crypto.randomBytes = (n, ...rest) =>
  n === 8 && rest.length === 0 ? Buffer.from(`req${String(nextId++).padStart(5, "0")}`) : randomBytes(n, ...rest);
const { createClient, commandOptions } = require("redis");
const { createAdapter } = require("@socket.io/redis-streams-adapter");
const url = process.argv[2];
if (!url) {
  console.error("usage: node redis_streams_fixtures.mjs REDIS_URL");
  process.exit(2);
}
setTimeout(() => {
  console.error("FAIL: timed out");
  process.exit(1);
}, 30_000).unref();

const client = createClient({ url });
client.on("error", () => {});
await client.connect();
await client.flushAll();
const listener = client.duplicate();
listener.on("error", () => {});
await listener.connect();
const heard = [];
await listener.pSubscribe("*", (message, channel) => heard.push({ channel, message }), true);

function fakeNsp(name) {
  return {
    name,
    sockets: new Map(),
    server: { encoder: { encode: (p) => [p] }, opts: {} },
    _onServerSideEmit(args) {
      const last = args[args.length - 1];
      if (typeof last === "function") last({ ok: true });
    },
  };
}

const factory = createAdapter(client);
const custom = createAdapter(client, { streamName: "my-stream", channelPrefix: "my-app", maxLen: 500 });
const a = factory(fakeNsp("/"));
a.uid = "nodeA1";
// B on its own factory (its own subscriber): NUMSUB counts two nodes, so
// requests that wait for answers are published.
const b = createAdapter(client)(fakeNsp("/"));
b.uid = "nodeB2";
const chat = custom(fakeNsp("/chat"));
chat.uid = "nodeC3";
// Let the adapters subscribe (NUMSUB then counts them).
await new Promise((r) => setTimeout(r, 300));

const cases = [];
const streamsSeen = new Map();
/** Runs `action`, then keeps the new stream entries and pub/sub messages under `names`. */
async function record(names, action) {
  names = [names].flat();
  heard.length = 0;
  Promise.resolve(action()).catch(() => {});
  await new Promise((r) => setTimeout(r, 150));
  const got = [];
  for (const stream of ["socket.io", "my-stream"]) {
    const from = streamsSeen.get(stream) ?? "-";
    const entries = await client.xRange(stream, from, "+");
    for (const e of entries) {
      if (e.id === from) continue;
      streamsSeen.set(stream, e.id);
      got.push({ via: "stream", stream, fields: Object.entries(e.message).flat() });
    }
  }
  for (const { channel, message } of heard) {
    got.push({ via: "pubsub", channel: channel.toString(), hex: Buffer.from(message).toString("hex") });
  }
  if (got.length !== names.length) {
    throw new Error(`${names}: expected ${names.length} writes, got ${JSON.stringify(got)}`);
  }
  got.forEach((g, i) => cases.push({ name: names[i], ...g }));
}

const opts = (rooms, except, flags) => ({ rooms: new Set(rooms), except: new Set(except), flags });

// --- on the stream
await record("broadcast_all", () =>
  a.broadcast({ type: 2, data: ["hello", 1, -2, 1.5, null, true] }, opts([], [], {})));
await record("broadcast_room_except_flags", () =>
  a.broadcast({ type: 2, data: ["news", { text: "hi" }] },
    opts(["room1"], ["sidX"], { volatile: true, compress: true })));
await record("broadcast_binary", () =>
  a.broadcast({ type: 2, data: ["file", Buffer.from([1, 2, 3, 255]), { n: 300, f: 0.5, s: "x".repeat(40) }] },
    opts(["r1", "r2"], [], {})));
await record("broadcast_custom_stream_nsp", () =>
  chat.broadcast({ type: 2, data: ["in chat"] }, opts([], [], {})));
await record([], () => a.broadcast({ type: 2, data: ["local"] }, opts([], [], { local: true })));
await record("sockets_join", () => a.addSockets(opts(["room1"], ["sidX"], {}), ["room2", "room3"]));
await record("sockets_leave", () => a.delSockets(opts([], [], {}), ["room2"]));
await record("disconnect_sockets", () => a.disconnectSockets(opts(["room1"], [], {}), true));

// --- ephemeral: pub/sub on the public channel (B answers on A's private one)
await record("server_side_emit", () => a.serverSideEmit(["hello", { n: 1 }]));
await record(["server_side_emit_with_ack", "server_side_emit_response"], () => a.serverSideEmit(["question", 42, () => {}]));
await record(["fetch_sockets", "fetch_sockets_response"], () => a.fetchSockets(opts(["room1"], ["sidX"], { timeout: 60000 })));
await record(["broadcast_with_ack", "broadcast_client_count"], () =>
  a.broadcastWithAck({ type: 2, data: ["ping", 3] }, opts(["room1"], [], { timeout: 5000 }), () => {}, () => {}));

process.stdout.write(JSON.stringify({
  generator: "tests/interop/redis_streams_fixtures.mjs",
  adapter: require("@socket.io/redis-streams-adapter/package.json").version,
  cases,
}, null, 2) + "\n");
process.exit(0);
