// Records what the real `@socket.io/redis-adapter` (8.x) publishes on Redis,
// for the golden fixtures in fixtures/redis-adapter/cases.json.
//
// The adapter is driven through its public methods (broadcast,
// broadcastWithAck, addSockets, ...) and its request handler (onrequest), with
// fake Redis clients that record every publish(channel, message). Ids are made
// deterministic by replacing `uid2` before the adapter loads.
//
// Usage: node redis_adapter_fixtures.mjs > fixtures/redis-adapter/cases.json
// (`cargo test --test redis_wire_fixtures` regenerates and compares when node
// is available.)
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

let nextId = 0;
require("uid2");
require.cache[require.resolve("uid2")].exports = () => `req${String(nextId++).padStart(3, "0")}`;
const { RedisAdapter } = require("@socket.io/redis-adapter");
// Requests left unanswered time out in the adapter; nothing waits for them.
const requestsTimeout = 60_000;

const published = [];

/** A Redis client stand-in: records publishes, answers NUMSUB with 3. */
function fakeClient() {
  return {
    publish(channel, message) {
      published.push({ channel, message });
      return Promise.resolve(1);
    },
    subscribe() {},
    psubscribe() {},
    on() {},
    off() {},
    send_command(_cmd, _args, cb) {
      cb(null, ["x", "3"]);
    },
  };
}

/** A socket as the adapter sees it (what fetchSockets serialises). */
function fakeSocket(id, rooms, data) {
  return {
    id,
    rooms: new Set(rooms),
    data,
    handshake: {
      headers: { host: "localhost:3000", "user-agent": "node" },
      time: "Mon Nov 30 2026 05:00:00 GMT+0000",
      address: "127.0.0.1",
      xdomain: false,
      secure: false,
      issued: 1796014800000,
      url: "/socket.io/?EIO=4&transport=websocket",
      query: { EIO: "4", transport: "websocket" },
      auth: { token: "abc" },
      sessionStore: { circular: "dropped by the adapter" },
    },
    acks: new Map(),
    client: { writeToEngine() {} },
    join() {},
    leave() {},
    disconnect() {},
  };
}

function makeAdapter(nspName, uid, key) {
  const sockets = new Map();
  const nsp = {
    name: nspName,
    sockets,
    _ids: 7,
    server: { encoder: { encode: (p) => [p] } },
    _onServerSideEmit(args) {
      const last = args[args.length - 1];
      if (typeof last === "function") last({ ok: true, from: uid });
    },
  };
  const adapter = new RedisAdapter(nsp, fakeClient(), fakeClient(), key ? { key, requestsTimeout } : { requestsTimeout });
  adapter.uid = uid;
  return { adapter, nsp };
}

const cases = [];
/** Runs `action`, keeping what it publishes under `names` (one per publish). */
async function record(names, action) {
  names = [names].flat();
  published.length = 0;
  // Requests that wait for answers (fetchSockets, allRooms) never resolve
  // here: no other node answers. Only what they publish matters.
  Promise.resolve(action()).catch(() => {});
  // Let promise-based publishes (after the NUMSUB round trip) run.
  await new Promise((r) => setTimeout(r, 10));
  if (published.length !== names.length) {
    throw new Error(`${names}: expected ${names.length} publishes, got ${published.length}`);
  }
  for (const [i, { channel, message }] of published.entries()) {
    const buf = Buffer.isBuffer(message) ? message : Buffer.from(message);
    cases.push({
      name: names[i],
      channel,
      encoding: buf[0] === 0x7b ? "json" : "msgpack",
      hex: buf.toString("hex"),
    });
  }
}

const opts = (rooms, except, flags) => ({ rooms: new Set(rooms), except: new Set(except), flags });

const a = makeAdapter("/", "nodeA1");
const b = makeAdapter("/", "nodeB2");
const chat = makeAdapter("/chat", "nodeC3", "my-app");

// --- broadcasts (msgpack, on the namespace channel or its single-room channel)
await record("broadcast_all", () =>
  a.adapter.broadcast({ type: 2, data: ["hello", 1, -2, 1.5, null, true] }, opts([], [], {})));
await record("broadcast_one_room_except", () =>
  a.adapter.broadcast({ type: 2, data: ["news", { text: "hi" }] },
    opts(["room1"], ["sidX"], { volatile: true, compress: true })));
await record("broadcast_two_rooms_binary", () =>
  a.adapter.broadcast({ type: 2, data: ["file", Buffer.from([1, 2, 3, 255])] },
    opts(["r1", "r2"], [], {})));
await record("broadcast_custom_prefix_nsp", () =>
  chat.adapter.broadcast({ type: 2, data: ["in chat"] }, opts([], [], {})));
await record([], () =>
  a.adapter.broadcast({ type: 2, data: ["local"] }, opts([], [], { local: true })));

// --- requests from node A (JSON except BROADCAST, which is msgpack)
await record("request_broadcast_with_ack", () =>
  a.adapter.broadcastWithAck({ type: 2, data: ["ping", 3] }, opts(["room1"], ["sidX"], { timeout: 5000 }),
    () => {}, () => {}));
await record("request_remote_join", () => a.adapter.addSockets(opts(["room1"], ["sidX"]), ["room2", "room3"]));
await record("request_remote_leave", () => a.adapter.delSockets(opts([], []), ["room2"]));
await record("request_remote_disconnect", () => a.adapter.disconnectSockets(opts(["room1"], []), true));
await record("request_remote_fetch", () => a.adapter.fetchSockets(opts(["room1"], ["sidX"])));
await record("request_all_rooms", () => a.adapter.allRooms());
await record("request_server_side_emit", () => a.adapter.serverSideEmit(["hello", { n: 1 }]));
await record("request_server_side_emit_with_ack", () => a.adapter.serverSideEmit(["question", 42, () => {}]));

// --- responses from node B, answering requests as node A publishes them
const s1 = fakeSocket("sid1", ["sid1", "room1"], { user: "ann", n: 3 });
const s2 = fakeSocket("sid2", ["sid2"], {});
for (const s of [s1, s2]) {
  b.nsp.sockets.set(s.id, s);
  b.adapter.addAll(s.id, s.rooms);
}
const req = (o) => Buffer.from(JSON.stringify(o));
const chan = "socket.io-request#/#";
await record("response_sockets", () =>
  b.adapter.onrequest(chan, req({ uid: "nodeA1", requestId: "r1", type: 0, rooms: ["room1"] })));
await record("response_all_rooms", () =>
  b.adapter.onrequest(chan, req({ uid: "nodeA1", requestId: "r2", type: 1 })));
await record("response_remote_fetch", () =>
  b.adapter.onrequest(chan, req({ uid: "nodeA1", requestId: "r3", type: 5, opts: { rooms: ["room1"], except: [] } })));
await record("response_remote_join_by_sid", () =>
  b.adapter.onrequest(chan, req({ uid: "nodeA1", requestId: "r4", type: 2, sid: "sid1", room: "room9" })));
await record("response_server_side_emit_ack", () =>
  b.adapter.onrequest(chan, req({ uid: "nodeA1", requestId: "r5", type: 6, data: ["question", 42] })));
await record(["response_broadcast_client_count", "response_broadcast_ack"], async () => {
  const msgpack = require("notepack.io");
  await b.adapter.onrequest(chan, msgpack.encode({
    uid: "nodeA1", requestId: "r6", type: 7,
    packet: { type: 2, data: ["ping"], nsp: "/" },
    opts: { rooms: ["room1"], except: [], flags: { timeout: 5000 } },
  }));
  // The client acknowledges with (ok, <binary>).
  const ack = s1.acks.values().next().value;
  ack(["pong", Buffer.from([9, 8])]);
});

process.stdout.write(JSON.stringify({
  generator: "tests/interop/redis_adapter_fixtures.mjs",
  adapter: require("@socket.io/redis-adapter/package.json").version,
  notepack: require("notepack.io/package.json").version,
  cases,
}, null, 2) + "\n");
process.exit(0);
