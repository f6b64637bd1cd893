// The test page of the browser end-to-end tests: it loads the official
// client from the socket.io CDN URL (answered from npm by browser.mjs) and
// defines `window.e2e`, the scenarios `browser_e2e.mjs` runs in it. Each
// scenario resolves with what it saw, or rejects with why it failed.

import { CDN_URL } from "./browser.mjs";

/** The page; `bundle` is where it loads the client from. */
export const testPage = (bundle = CDN_URL) => `<!doctype html>
<html><head><meta charset="utf-8"><title>edgeio e2e</title>
<script src="${bundle}"></script></head>
<body><h1>edgeio end-to-end</h1><pre id="log"></pre>
<script>${PAGE_SCRIPT}</script></body></html>`;

const PAGE_SCRIPT = String.raw`
const WAIT_MS = 20000;
const log = (line) => { document.getElementById("log").textContent += line + "\n"; };

/** The next 'event' of 'emitter', within 'ms'. */
const next = (emitter, event, ms = WAIT_MS) => new Promise((resolve, reject) => {
  const t = setTimeout(() => reject(new Error("no " + event + " within " + ms + " ms")), ms);
  emitter.once(event, (...args) => { clearTimeout(t); resolve(args); });
});

/** A new socket, once connected; rejects on connect_error. */
const connect = (url, opts = {}) => new Promise((resolve, reject) => {
  const socket = io(url, { forceNew: true, reconnection: false, ...opts });
  socket.io.once("open", () => { socket.firstTransport = socket.io.engine.transport.name; });
  const t = setTimeout(() => reject(new Error("no connect within " + WAIT_MS + " ms")), WAIT_MS);
  socket.once("connect", () => { clearTimeout(t); resolve(socket); });
  socket.once("connect_error", (e) => { clearTimeout(t); socket.close(); reject(e); });
});

/** Resolves once the socket's connection moved to WebSocket. */
const upgraded = async (socket) => {
  if (socket.io.engine.transport.name !== "websocket") await next(socket.io.engine, "upgrade");
};

/** Sends 'args' as 'message' and resolves with the 'message-back' arguments. */
const echo = async (socket, ...args) => {
  const back = next(socket, "message-back");
  socket.emit("message", ...args);
  return back;
};

const bytes = (n) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) % 251);
const same = (a, b) => {
  const x = new Uint8Array(a), y = new Uint8Array(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

window.e2e = {
  /** Default options: polling first, then the upgrade; a message each way. */
  async upgrade(url) {
    const s = await connect(url);
    const first = s.firstTransport;
    await upgraded(s);
    const after = s.io.engine.transport.name;
    const [text] = await echo(s, "after the upgrade");
    s.close();
    return { first, after, text };
  },

  /** One transport only ('websocket' or 'polling'); a message each way. */
  async only(url, transport) {
    const s = await connect(url, { transports: [transport] });
    const used = s.firstTransport;
    const [text] = await echo(s, "only " + transport);
    const still = s.io.engine.transport.name;
    s.close();
    return { used, still, text };
  },

  /** Binary of each size both ways, on each transport; what came back matched. */
  async binary(url, sizes) {
    const seen = {};
    for (const transport of ["polling", "websocket"]) {
      const s = await connect(url, { transports: [transport] });
      for (const n of sizes) {
        const sent = bytes(n);
        const [back, tag] = await echo(s, sent, "size " + n);
        seen[transport + ":" + n] = same(back, sent) && tag === "size " + n;
      }
      s.close();
    }
    return seen;
  },

  /** An ack carrying text, a number, an object and binary back. */
  async acks(url) {
    const s = await connect(url);
    const args = await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("no ack")), WAIT_MS);
      s.emit("message-with-ack", 1, "two", { three: [3] }, bytes(1000), (...a) => {
        clearTimeout(t);
        resolve(a);
      });
    });
    const withTimeout = await s.timeout(WAIT_MS).emitWithAck("message-with-ack", "once");
    s.close();
    return {
      plain: JSON.stringify(args.slice(0, 3)),
      binary: same(args[3], bytes(1000)),
      withTimeout,
    };
  },

  /** '/custom' and '/' with auth payloads; an unknown namespace refused. */
  async namespaces(url) {
    const auth = {};
    for (const ns of ["/custom", "/"]) {
      const socket = io(url + ns, {
        forceNew: true, reconnection: false, auth: { token: "t" + ns, n: 1 },
      });
      const [payload] = await next(socket, "auth");
      auth[ns] = payload;
      socket.close();
    }
    let unknown = "connected";
    try {
      (await connect(url + "/nope")).close();
    } catch (e) {
      unknown = e.message;
    }
    return { auth, unknown };
  },

  /** Connects with the given options, or says why not. */
  async attempt(url, opts) {
    try {
      const s = await connect(url, opts);
      const [text] = await echo(s, "attempt");
      s.close();
      return { connected: true, text };
    } catch (e) {
      return { connected: false, error: String(e.message ?? e) };
    }
  },

  /** Opens the socket a restart will interrupt (reconnection on). */
  async reconnectOpen(url) {
    const s = io(url, { forceNew: true, reconnectionDelay: 200, reconnectionDelayMax: 1000 });
    window.restarted = s;
    window.disconnects = [];
    s.on("disconnect", (reason) => window.disconnects.push(reason));
    await next(s, "connect");
    return { id: s.id };
  },

  /** Waits for that socket to be connected again, and echoes on it. */
  async reconnectWait() {
    const s = window.restarted;
    if (!s.connected || window.disconnects.length === 0) {
      if (s.connected) await next(s, "disconnect");
      await next(s, "connect", 40000);
    }
    const [text] = await echo(s, "after the restart");
    const seen = { id: s.id, disconnects: [...window.disconnects], text };
    s.close();
    return seen;
  },

  /**
   * 'n' default connects, one after another: each one's milliseconds, from
   * 'io()' to the 'connect' event (polling; the upgrade follows).
   */
  async connects(url, n) {
    const ms = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const s = await connect(url);
      ms.push(performance.now() - t0);
      // Closing while the upgrade is in flight races the client's next poll
      // against the close (a 400 for the closed session): let it finish.
      await upgraded(s);
      s.close();
      await new Promise((r) => setTimeout(r, 50));
    }
    log("connects: " + ms.map((m) => m.toFixed(1)).join(" "));
    return ms;
  },
};
`;
