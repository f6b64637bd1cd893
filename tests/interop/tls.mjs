// The official npm `socket.io-client` over TLS against the `edgeio` binary
// (--app protocol-suite) serving a certificate tests/tls.rs made, trusting
// the test's CA; and which certificate a new TLS connection is shown, across
// SIGHUP reloads.
//
//   node tests/interop/tls.mjs https://127.0.0.1:PORT CA.pem
//
// Lines out (stdout) and in (stdin):
//   - sockets a (polling, then the upgrade to WebSocket) and b (WebSocket
//     only) connect and have an emit acknowledged; then `CERT <base64 DER>`
//     of the leaf a new TLS connection is shown, and `READY`;
//   - on `CHECK` (after the test has had the server reload its pair): a and
//     b must still be the same connections, never disconnected, and have an
//     emit acknowledged again; a new socket c (WebSocket only) connects and
//     has one acknowledged; then `CERT <base64 DER>` of what a new
//     connection is shown now, and `CHECKED`;
//   - on `STOP`: exit 0.
// Any failure: `FAIL ...` on stderr, exit 1. Waits are upper bounds only.

import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import tls from "node:tls";

import { io } from "socket.io-client";
import { connected, once, watchdog, WAIT_MS } from "./script.mjs";

const OVERALL_MS = 90_000;
const [url, caFile] = process.argv.slice(2);
const ca = readFileSync(caFile);
const { hostname, port } = new URL(url);

const fail = watchdog("", OVERALL_MS);

function connect(tag, transports) {
  const socket = io(url, { ca, transports, forceNew: true, reconnection: false, timeout: WAIT_MS });
  socket.on("disconnect", (reason) => fail(`${tag} disconnected: ${reason}`));
  socket.on("connect_error", (e) => fail(`${tag} cannot connect: ${e.message} ${e.description?.message ?? ""}`));
  return socket;
}

async function acked(socket, tag) {
  const [err, reply] = await new Promise((resolve) =>
    socket.timeout(WAIT_MS).emit("message-with-ack", tag, { n: 1 }, (e, ...r) => resolve([e, r])),
  );
  if (err || JSON.stringify(reply) !== JSON.stringify([tag, { n: 1 }])) {
    fail(`${tag}: ack ${JSON.stringify(reply)}, error ${err}`);
  }
}

/** The leaf certificate a new TLS connection is shown (it must verify). */
function presented() {
  return new Promise((resolve, reject) => {
    const conn = tls.connect({ host: hostname, port: Number(port), ca, servername: "localhost", ALPNProtocols: ["http/1.1"] }, () => {
      const raw = conn.getPeerCertificate().raw.toString("base64");
      const alpn = conn.alpnProtocol;
      conn.end();
      if (alpn !== "http/1.1") reject(new Error(`ALPN: ${alpn}`));
      else resolve(raw);
    });
    conn.on("error", reject);
  });
}

const a = connect("a", ["polling", "websocket"]);
const b = connect("b", ["websocket"]);
await connected(a, "a's connect");
await connected(b, "b's connect");
if (a.io.engine.transport.name !== "websocket") await once(a.io.engine, "upgrade", "a's upgrade");
await acked(a, "a");
await acked(b, "b");
const ids = [a.id, b.id];
console.log(`CERT ${await presented()}`);
console.log("READY");

for await (const line of createInterface({ input: process.stdin })) {
  if (line === "STOP") process.exit(0);
  if (line !== "CHECK") fail(`unknown command ${line}`);
  if (!a.connected || !b.connected || a.id !== ids[0] || b.id !== ids[1]) fail("a or b lost its connection");
  if (a.io.engine.transport.name !== "websocket") fail("a is no longer on its WebSocket");
  await acked(a, "a");
  await acked(b, "b");
  const c = connect("c", ["websocket"]);
  await connected(c, "c's connect");
  await acked(c, "c");
  c.off("disconnect");
  c.close();
  console.log(`CERT ${await presented()}`);
  console.log("CHECKED");
}
fail("stdin closed");
