// Drives the official npm `socket.io-client` (pinned in package.json) against
// an app that mounts edgeio in its own server (examples/axum.rs,
// examples/hyper.rs; the Rust side is tests/embed_examples.rs).
//
//   node tests/interop/embed_client.mjs http://127.0.0.1:PORT websocket|default
//
// "websocket": WebSocket only; "default": polling, then the upgrade, which
// the script waits for. Then: GET /hello (the app's own route), the
// `welcome` event, and `hello` emitted with an ack. Prints one JSON line
// {"transport", "welcome", "ack", "hello"} and exits 0, or prints
// "FAIL ..." and exits 1 (also on the overall timeout, an upper bound only).

import { io } from "socket.io-client";

const TIMEOUT_MS = 30_000;
const [url, mode] = process.argv.slice(2);
if (!url || !["websocket", "default"].includes(mode)) {
  console.error("usage: node embed_client.mjs URL websocket|default");
  process.exit(2);
}

let stage = "start";
const fail = (why) => {
  console.log(`FAIL [${stage}] ${why}`);
  process.exit(1);
};
setTimeout(() => fail(`timed out after ${TIMEOUT_MS} ms`), TIMEOUT_MS);

stage = "GET /hello";
const res = await fetch(`${url}/hello`);
const hello = `${res.status} ${await res.text()}`;

stage = "connect";
const socket = io(url, {
  transports: mode === "websocket" ? ["websocket"] : ["polling", "websocket"],
  reconnection: false,
});
socket.on("connect_error", (e) => fail(`connect_error: ${e.message}`));
const welcome = new Promise((resolve) => socket.once("welcome", resolve));
await new Promise((resolve) => socket.once("connect", resolve));

if (mode === "default") {
  stage = "upgrade";
  const engine = socket.io.engine;
  if (engine.transport.name !== "websocket") {
    await new Promise((resolve) => engine.once("upgrade", resolve));
  }
}

stage = "welcome";
const welcomed = await welcome;
stage = "ack";
const ack = await socket.timeout(10_000).emitWithAck("hello", "node");
const transport = socket.io.engine.transport.name;
socket.disconnect();
console.log(JSON.stringify({ transport, welcome: welcomed, ack, hello }));
process.exit(0);
