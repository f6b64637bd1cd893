// One socket.io-client over long-polling only, keeping cookies
// (`withCredentials: true`: Node's client then has a cookie jar), through a
// load balancer: connects, then emits `echo` N times and waits for each
// acknowledgement. Prints `OK <n>` when all came back, or `ERR <what>` with
// the error the client saw (a connect error, or the disconnect's reason and
// its description) and exits.
//
// Usage: node sticky.mjs URL N

import { io } from "socket.io-client";

import { watchdog } from "./script.mjs";

const [url, n] = [process.argv[2], Number(process.argv[3] ?? 50)];
watchdog("sticky", 60_000);

const describe = (e) => {
  if (!e) return "";
  const context = e.context ?? e.description?.context;
  const status = context?.status ?? e.description?.status ?? "";
  const body = context?.responseText ?? context?._response ?? "";
  return ` ${e.message ?? e} ${status} ${body}`.trimEnd();
};

const socket = io(url, {
  transports: ["polling"],
  withCredentials: true,
  reconnection: false,
  timeout: 20_000,
});
const done = (line) => {
  console.log(line);
  socket.close();
  process.exit(0);
};
socket.on("connect_error", (e) => done(`ERR connect_error${describe(e)}`));
socket.on("disconnect", (reason, d) => done(`ERR disconnect ${reason}${describe(d)}`));
socket.on("connect", async () => {
  for (let i = 0; i < n; i++) {
    const answer = await socket.timeout(20_000).emitWithAck("echo", i);
    if (answer !== i) done(`ERR echo ${i} answered ${answer}`);
  }
  done(`OK ${n}`);
});
