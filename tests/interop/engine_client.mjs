// Drives the official npm `engine.io-client` against an edgeio server running
// `--app echo` (every message comes back to its sender unchanged).
//
//   node tests/interop/engine_client.mjs http://127.0.0.1:PORT SCENARIO
//
// Scenarios: upgrade, upgrade-race, websocket, polling, heartbeat,
// heartbeat-polling.
// The heartbeat scenarios need the server started with
// `--ping-interval 200 --ping-timeout 200`.
//
// Exits 0 and prints "ok: ..." on success; prints "FAIL [scenario]: ..." and
// exits 1 on any failure, including its own overall timeout. No assertion is
// about timing: the timeout is only an upper bound so the script never hangs.

import { NodeWebSocket, NodeXHR, Socket } from "engine.io-client";

const [url, scenario] = process.argv.slice(2);
const PATH = "/engine.io/";
const OVERALL_TIMEOUT_MS = 10_000;
const BURST = 200;

let stage = "starting";
let socket;
let echo;

function fail(message) {
  const state = socket
    ? ` (readyState=${socket.readyState}, transport=${socket.transport?.name}, ` +
      `sent=${echo?.sent.length}, echoed=${echo?.received.length})`
    : "";
  console.error(`FAIL [${scenario}] during "${stage}": ${message}${state}`);
  process.exit(1);
}

function check(condition, message) {
  if (!condition) fail(message);
}

const overall = setTimeout(
  () => fail(`timed out after ${OVERALL_TIMEOUT_MS} ms`),
  OVERALL_TIMEOUT_MS,
);

function describe(value) {
  if (value === undefined) return "undefined";
  if (typeof value === "string") {
    const s = value.length > 40 ? `${value.slice(0, 40)}...` : value;
    return `text(${value.length}) ${JSON.stringify(s)}`;
  }
  const b = toBuffer(value);
  const hex = b.subarray(0, 16).toString("hex");
  return `binary(${b.length}) ${hex}${b.length > 16 ? "..." : ""}`;
}

function toBuffer(value) {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (ArrayBuffer.isView(value)) {
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  throw new Error(`not binary: ${typeof value}`);
}

function isBinary(value) {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

// Sends messages and checks that the echoes come back exactly once, in order,
// with the same type (text or binary) and content.
class Echo {
  constructor(sock) {
    this.socket = sock;
    this.sent = [];
    this.received = [];
    this.transportsSeen = {};
    this.waiter = null;
    sock.on("message", (data) => this.onMessage(data));
  }

  send(payload) {
    this.sent.push(payload);
    this.socket.send(payload);
  }

  onMessage(data) {
    // engine.io-parser decodes the text message "" (packet "4") as one with
    // no data, whoever sent it: the official client can only see undefined.
    if (data === undefined) data = "";
    const i = this.received.length;
    this.received.push(data);
    const t = this.socket.transport.name;
    this.transportsSeen[t] = (this.transportsSeen[t] || 0) + 1;
    check(
      i < this.sent.length,
      `message #${i} arrived but only ${this.sent.length} were sent (duplicate?): ${describe(data)}`,
    );
    const expected = this.sent[i];
    if (typeof expected === "string") {
      check(
        typeof data === "string",
        `echo #${i}: expected ${describe(expected)}, got a ${isBinary(data) ? describe(data) : typeof data}`,
      );
      check(data === expected, `echo #${i}: expected ${describe(expected)}, got ${describe(data)}`);
    } else {
      check(
        isBinary(data),
        `echo #${i}: expected ${describe(expected)}, got ${typeof data === "string" ? describe(data) : typeof data}`,
      );
      check(
        toBuffer(data).equals(toBuffer(expected)),
        `echo #${i}: expected ${describe(expected)}, got ${describe(data)}`,
      );
    }
    if (this.waiter && this.received.length === this.sent.length) {
      const resolve = this.waiter;
      this.waiter = null;
      resolve();
    }
  }

  // Resolves once every message sent so far has been echoed, then waits a
  // little longer so that a duplicate would be caught by onMessage.
  async allEchoed() {
    if (this.received.length < this.sent.length) {
      await new Promise((resolve) => {
        this.waiter = resolve;
      });
    }
    await sleep(300);
    check(
      this.received.length === this.sent.length,
      `${this.sent.length} sent but ${this.received.length} echoed`,
    );
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Text and binary payloads covering the encodings' corners.
function sendVariety(tag) {
  echo.send(`hello ${tag}`);
  echo.send(`unicode ${tag}: héllo wörld ✓ 🚀 日本語`);
  echo.send("");
  echo.send("2probe"); // looks like a packet; must come back as a message
  echo.send('{"sid":"x"}\n\r\t b64 4');
  echo.send(`long ${tag} ` + "x".repeat(100_000));
  echo.send(Uint8Array.from({ length: 256 }, (_, i) => i));
  echo.send(Buffer.from(`buffer ${tag} ✓`));
  echo.send(new Uint8Array(0));
  echo.send(new Uint8Array([0x62, 0x34, 0x1e, 0x00])); // "b4" + separator + NUL
  const ab = new ArrayBuffer(8);
  new DataView(ab).setFloat64(0, Math.PI);
  echo.send(ab);
  echo.send(Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31 + 7) & 0xff));
}

// Many small messages in a row, text and binary mixed.
function sendBurst(tag) {
  for (let i = 0; i < BURST; i++) {
    if (i % 4 === 3) echo.send(Uint8Array.from([i & 0xff, i >> 8, 0xfe, tag.length]));
    else echo.send(`${tag} #${i}`);
  }
}

function connect(opts) {
  socket = new Socket(url, { path: PATH, ...opts });
  echo = new Echo(socket);
  const events = { upgrading: 0, upgrade: 0, pings: 0, handshake: null };
  let closing = false;
  let onClosed = null;
  socket.on("handshake", (data) => {
    events.handshake = data;
  });
  socket.on("upgrading", () => events.upgrading++);
  socket.on("upgrade", () => events.upgrade++);
  socket.on("ping", () => events.pings++);
  socket.on("upgradeError", (err) => fail(`upgradeError: ${err?.message ?? err}`));
  socket.on("error", (err) => fail(`error: ${err?.message ?? err} ${err?.description ?? ""}`));
  socket.on("close", (reason, description) => {
    if (!closing) {
      const d = description?.message ?? description?.description ?? description ?? "";
      fail(`unexpected close: ${JSON.stringify(reason)} ${d}`);
    }
    onClosed(reason);
  });
  const opened = new Promise((resolve) => socket.once("open", resolve));
  // Closes from the client side; the reason must be "forced close".
  const close = async () => {
    stage = "closing";
    closing = true;
    const reason = await new Promise((resolve) => {
      onClosed = resolve;
      socket.close();
    });
    check(reason === "forced close", `close reason ${JSON.stringify(reason)}, expected "forced close"`);
    check(socket.readyState === "closed", `readyState ${socket.readyState} after close`);
  };
  return { opened, events, close };
}

async function upgradeScenario(opts, beforeUpgrade) {
  const { opened, events, close } = connect(opts);
  const upgraded = waitFor("upgrade");
  let sentDuringUpgrade = false;
  socket.once("upgrading", () => {
    // The client buffers these while it pauses polling; they must reach the
    // server over the new transport exactly once.
    sendBurst("upgrading");
    sentDuringUpgrade = true;
  });
  stage = "handshake";
  await opened;
  check(socket.transport.name === "polling", `opened on ${socket.transport.name}, expected polling`);
  check(
    events.handshake?.upgrades?.includes("websocket"),
    `handshake offers no websocket upgrade: ${JSON.stringify(events.handshake)}`,
  );
  await beforeUpgrade();
  stage = "upgrading";
  const transport = await upgraded;
  check(transport.name === "websocket", `upgraded to ${transport.name}`);
  check(sentDuringUpgrade, "the upgrade event fired without an upgrading event");
  check(socket.transport.name === "websocket", `transport ${socket.transport.name} after upgrade`);
  stage = "sending on websocket";
  sendVariety("after");
  sendBurst("after");
  stage = "waiting for echoes";
  await echo.allEchoed();
  check(events.upgrade === 1, `${events.upgrade} upgrade events`);
  check(socket.transport.name === "websocket", `transport ${socket.transport.name} at the end`);
  await close();
  return `upgraded to websocket; ${echo.sent.length} messages echoed in order ` +
    `(arrived on ${JSON.stringify(echo.transportsSeen)})`;
}

function waitFor(emitterEvent) {
  return new Promise((resolve) => socket.once(emitterEvent, resolve));
}

const scenarios = {
  // Polling first, then the upgrade to WebSocket. The WebSocket probe is held
  // back until a first round of messages has been echoed over polling, so the
  // exchange before the upgrade is certain; then messages are sent while the
  // probe runs, while the client pauses polling, and after the upgrade.
  async upgrade() {
    let releaseProbe;
    const probeGate = new Promise((resolve) => {
      releaseProbe = resolve;
    });
    class GatedWebSocket extends NodeWebSocket {
      doOpen() {
        probeGate.then(() => super.doOpen());
      }
    }
    return upgradeScenario({ transports: [NodeXHR, GatedWebSocket] }, async () => {
      stage = "echo on polling before the upgrade";
      sendVariety("before");
      sendBurst("before");
      await echo.allEchoed();
      check(
        echo.transportsSeen.polling === echo.sent.length,
        `echoes before the upgrade arrived on ${JSON.stringify(echo.transportsSeen)}`,
      );
      stage = "probing";
      releaseProbe();
      sendBurst("probing");
    });
  },

  // The default usage: the client probes WebSocket as soon as it has opened,
  // racing the messages it sends on polling.
  async "upgrade-race"() {
    return upgradeScenario({ transports: ["polling", "websocket"] }, async () => {
      stage = "sending on polling";
      sendVariety("before");
      sendBurst("before");
    });
  },

  async websocket() {
    const { opened, events, close } = connect({ transports: ["websocket"] });
    stage = "handshake";
    await opened;
    check(socket.transport.name === "websocket", `opened on ${socket.transport.name}`);
    stage = "echo";
    sendVariety("ws");
    sendBurst("ws");
    await echo.allEchoed();
    check(events.upgrading === 0, "an upgrade was attempted on a websocket-only client");
    check(socket.transport.name === "websocket", `transport ${socket.transport.name} at the end`);
    await close();
    return `websocket only; ${echo.sent.length} messages echoed in order`;
  },

  async polling() {
    const { opened, events, close } = connect({ transports: ["polling"], upgrade: false });
    stage = "handshake";
    await opened;
    check(socket.transport.name === "polling", `opened on ${socket.transport.name}`);
    stage = "echo";
    sendVariety("poll");
    sendBurst("poll");
    await echo.allEchoed();
    check(events.upgrading === 0, "an upgrade was attempted with upgrade: false");
    check(socket.transport.name === "polling", `transport ${socket.transport.name} at the end`);
    await close();
    return `polling only; ${echo.sent.length} messages echoed in order`;
  },

  heartbeat: () => heartbeat(["polling", "websocket"]),
  "heartbeat-polling": () => heartbeat(["polling"]),
};

// The server pings every 200 ms; the client must stay connected (answering
// each ping) for more than three intervals, still echo, then close cleanly.
async function heartbeat(transports) {
  const { opened, events, close } = connect({ transports });
  stage = "handshake";
  await opened;
  const hs = events.handshake;
  check(
    hs?.pingInterval === 200 && hs?.pingTimeout === 200,
    `start the server with --ping-interval 200 --ping-timeout 200; handshake was ${JSON.stringify(hs)}`,
  );
  stage = "waiting for 4 pings";
  while (events.pings < 4) await waitFor("ping");
  check(socket.readyState === "open", `readyState ${socket.readyState} after 4 pings`);
  stage = "echo after pings";
  echo.send("still here");
  echo.send(Uint8Array.from([1, 2, 3]));
  await echo.allEchoed();
  await close();
  return `${events.pings}+ pings answered on ${socket.transport.name}` +
    `${events.upgrade ? " (after upgrade)" : ""}, then closed with "forced close"`;
}

if (!url || !scenarios[scenario]) {
  console.error(
    `usage: node engine_client.mjs <server url> <${Object.keys(scenarios).join("|")}>`,
  );
  process.exit(2);
}

process.on("unhandledRejection", (err) => fail(`unhandled rejection: ${err?.stack ?? err}`));
process.on("uncaughtException", (err) => fail(`uncaught exception: ${err?.stack ?? err}`));

try {
  const summary = await scenarios[scenario]();
  clearTimeout(overall);
  console.log(`ok: ${scenario}: ${summary}`);
  // Let the close reach the server, but never hang on a handle left open.
  setTimeout(() => process.exit(0), 1000).unref();
} catch (err) {
  fail(err?.stack ?? String(err));
}
