// Node's socket.io 4.8.1 with the CORS of the browser latency comparison
// (see browser_latency.mjs): default options, `message` echoed back.
//
//   node browser_node_server.mjs PORT ORIGIN

import { Server } from "socket.io";

const [port, origin] = process.argv.slice(2);
if (!port || !origin) {
  console.error("usage: browser_node_server.mjs PORT ORIGIN");
  process.exit(1);
}
const io = new Server(Number(port), { cors: { origin } });
io.on("connection", (socket) => {
  socket.on("message", (...args) => socket.emit("message-back", ...args));
});
console.error(`socket.io listening on ${port}, CORS origin ${origin}`);
