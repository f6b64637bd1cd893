// Drives the official npm `socket.io-client` (pinned in package.json) against
// an edgeio server built by tests/interop_socketio_client.rs (the Rust test
// server app is tests/interop_sio/app.rs).
//
//   node tests/interop/socketio_client.mjs http://127.0.0.1:PORT SCENARIO \
//     [--transport polling|websocket|default]
//
// --transport: "polling" (long-polling only), "websocket" (WebSocket only) or
// "default" (polling then upgrade; the scenario also checks the upgrade).
//
// Scenarios (sio/*.mjs): connect, auth, middleware, ack, binary, rooms,
// broadcast-ack, recovery and recovery-alone (server with recovery on),
// disconnect-client, disconnect-server, transport-close, transport-cut
// (WebSocket only), ping-timeout (server with a short heartbeat), shutdown,
// parse-error.
//
// Exits 0 printing "ok: ..." on success; prints "FAIL [...]" with the stage
// and every client's state, and exits 1, on any failure including the
// overall timeout. No assertion is about timing: timeouts are upper bounds.

import basics from "./sio/basics.mjs";
import broadcast from "./sio/broadcast.mjs";
import lifecycle from "./sio/lifecycle.mjs";
import { fail, init } from "./sio/util.mjs";

const OVERALL_TIMEOUT_MS = 40_000;
const TRANSPORTS = ["polling", "websocket", "default"];
const scenarios = { ...basics, ...broadcast, ...lifecycle };

const args = process.argv.slice(2);
let transport = "default";
const i = args.indexOf("--transport");
if (i >= 0) {
  transport = args[i + 1];
  args.splice(i, 2);
}
const [url, scenario] = args;
if (!url || !scenarios[scenario] || !TRANSPORTS.includes(transport)) {
  console.error(
    "usage: node socketio_client.mjs URL SCENARIO [--transport polling|websocket|default]\n" +
      `scenarios: ${Object.keys(scenarios).join(", ")}`,
  );
  process.exit(2);
}

init({ url, scenario, transport });
setTimeout(() => fail(`timed out after ${OVERALL_TIMEOUT_MS} ms`), OVERALL_TIMEOUT_MS);
process.on("unhandledRejection", (e) => fail(`unhandled rejection: ${e?.stack ?? e}`));
process.on("uncaughtException", (e) => fail(`uncaught exception: ${e?.stack ?? e}`));

await scenarios[scenario]();
fail("the scenario returned without finishing");
