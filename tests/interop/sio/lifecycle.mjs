// Scenarios: connection-state recovery and every disconnect reason the
// client and the server can observe.

import {
  ack,
  ack1,
  check,
  checkEqual,
  client,
  disconnected,
  expectServerReason,
  finish,
  manager,
  ready,
  stage,
  transport,
  until,
  upgraded,
} from "./util.mjs";

// With `alone`, `a` is the only member of room rr: broadcasts to rr while it
// is away reach nobody at that moment, and must still be kept for it.
async function recovery({ alone = false } = {}) {
  const a = client("/");
  const b = client("/");
  await ready(a);
  await ready(b);
  check(typeof a._pid === "string" && a._pid, "no pid in the server's CONNECT: is recovery on?");
  check(!a.recovered, "a fresh session claims to be recovered");
  const ticks = [];
  a.on("tick", (n) => ticks.push(n)); // the offset follows as a last argument
  await ack(a, "join", "rr");
  if (!alone) await ack(b, "join", "rr");
  const tick = (n, to) => ack(b, "broadcast", { event: "tick", ...(to ? { to: [to] } : {}) }, n);

  stage("a first broadcast gives the client an offset");
  await tick(1, "rr");
  await until(() => ticks.includes(1), "tick 1");
  check(typeof a._lastOffset === "string", `no offset after a broadcast: ${a._lastOffset}`);
  const id = a.id;

  stage("drop the transport");
  a.io.engine.close();
  await disconnected(a);
  await expectServerReason(b, a.tag, "/", "transport close");

  stage("broadcasts while the client is away");
  await tick(2, "rr");
  await tick(3, "rr");
  await tick(4); // the whole namespace
  await tick(99, "elsewhere"); // a room it is not in

  stage("reconnect: the session is restored");
  const welcomed = a.welcomes.length;
  a.connect();
  await until(() => a.connected, "a to reconnect");
  check(a.recovered === true, `socket.recovered is ${a.recovered} after reconnecting`);
  check(a.id === id, `the socket id changed from ${id} to ${a.id}`);
  await until(() => ticks.includes(4), "the missed ticks");
  checkEqual(
    ticks,
    [1, 2, 3, 4],
    `ticks received (missed ones replayed once, in order; 2 and 3 went to room rr${alone ? ", which had no connected member" : ""})`,
  );
  const w = await until(() => a.welcomes[welcomed], "the welcome of the restored socket");
  checkEqual([w.id, w.recovered], [id, true], "server's view of the restored socket (id, recovered)");

  stage("rooms are kept");
  check((await ack1(a, "rooms")).includes("rr"), "room rr lost after recovery");
  await tick(5, "rr");
  await until(() => ticks.includes(5), "tick 5");
  checkEqual(ticks, [1, 2, 3, 4, 5], "ticks after recovery");

  stage("automatic reconnection by the manager is restored too");
  a.io.reconnection(true);
  a.io.reconnectionDelay(50);
  a.io.reconnectionDelayMax(100);
  a.reasons.length = 0;
  a.io.engine.close();
  await disconnected(a);
  await until(() => a.connected, "the manager to reconnect");
  check(a.recovered === true, `socket.recovered is ${a.recovered} after an automatic reconnection`);
  check(a.id === id, `the socket id changed from ${id} to ${a.id}`);
  await tick(6, "rr");
  await until(() => ticks.includes(6), "tick 6");
  checkEqual(ticks, [1, 2, 3, 4, 5, 6], "ticks after the second recovery");
  a.io.reconnection(false);

  stage("a new client is not recovered");
  const c = client("/");
  await ready(c);
  check(!c.recovered, "a new client claims to be recovered");
  await finish();
}

async function disconnectClient() {
  const obs = client("/");
  const a = client("/");
  await ready(obs);
  await ready(a);

  stage("client socket.disconnect()");
  a.disconnect();
  checkEqual(a.reasons, ["io client disconnect"], "client-side reason");
  await expectServerReason(obs, a.tag, "/", "client namespace disconnect");

  stage("leave one namespace of a shared connection");
  const m = manager();
  const x = client("/", { manager: m });
  const y = client("/custom", { manager: m });
  await ready(x);
  await ready(y);
  y.disconnect();
  checkEqual(y.reasons, ["io client disconnect"], "client-side reason on /custom");
  await expectServerReason(obs, y.tag, "/custom", "client namespace disconnect");
  checkEqual(await ack(x, "echo", "still here"), ["still here"], "/ still works after leaving /custom");
  checkEqual(await ack1(obs, "reasons", x.tag), [], "server-side reasons of the socket that stayed");

  stage("the last socket of a shared connection leaves");
  x.disconnect();
  await expectServerReason(obs, x.tag, "/", "client namespace disconnect");
  await finish();
}

async function disconnectServer() {
  const obs = client("/");
  const a = client("/");
  await ready(obs);
  const first = await ready(a);

  stage("server socket.disconnect()");
  a.emit("disconnect-me");
  checkEqual(await disconnected(a), "io server disconnect", "client-side reason");
  await expectServerReason(obs, a.tag, "/", "server namespace disconnect");

  stage("connect again after being disconnected by the server");
  a.connect();
  const again = await ready(a);
  check(again.id !== first.id, "the new socket has the old id");

  stage("server disconnects one namespace of a shared connection");
  const m = manager();
  const x = client("/", { manager: m });
  const y = client("/custom", { manager: m });
  await ready(x);
  await ready(y);
  y.emit("disconnect-me");
  checkEqual(await disconnected(y), "io server disconnect", "client-side reason on /custom");
  await expectServerReason(obs, y.tag, "/custom", "server namespace disconnect");
  checkEqual(await ack(x, "echo", "still here"), ["still here"], "/ still works");
  await finish();
}

async function transportClose() {
  const obs = client("/");
  const a = client("/");
  await ready(obs);
  await ready(a);

  stage("the client closes its Engine.IO connection");
  a.io.engine.close();
  const reason = await disconnected(a);
  check(["forced close", "transport close"].includes(reason), `client-side reason: ${reason}`);
  await expectServerReason(obs, a.tag, "/", "transport close");
  await finish();
}

// WebSocket (or upgraded) clients only.
async function transportCut() {
  const obs = client("/");
  const b = client("/");
  await ready(obs);
  await ready(b);
  await upgraded(b);
  check(b.io.engine.transport.name === "websocket", "transport-cut needs a WebSocket");

  stage("the client's TCP connection is cut under the WebSocket (no close frame)");
  b.io.engine.transport.ws._socket.destroy();
  checkEqual(await disconnected(b), "transport close", "client-side reason");
  await expectServerReason(obs, b.tag, "/", "transport close");
  await finish();
}

async function pingTimeout() {
  const obs = client("/");
  const a = client("/");
  await ready(obs);
  await ready(a);
  await upgraded(a);

  stage("the client stops answering pings");
  const engine = a.io.engine;
  const send = engine._sendPacket.bind(engine);
  let dropped = 0;
  engine._sendPacket = (type, ...rest) => (type === "pong" ? void dropped++ : send(type, ...rest));
  const reason = await disconnected(a);
  check(["ping timeout", "transport close"].includes(reason), `client-side reason: ${reason}`);
  check(dropped > 0, "no pong was dropped");
  await expectServerReason(obs, a.tag, "/", "ping timeout");
  check(obs.connected, "the observer, which answers pings, was disconnected");
  await finish();
}

async function shutdown() {
  // The server side ("server shutting down" for each socket) is checked by
  // the Rust test once this script is done.
  const a = client("/");
  const m = manager();
  const b = client("/", { manager: m });
  const bc = client("/custom", { manager: m });
  for (const s of [a, b, bc]) await ready(s);
  for (const s of [a, b]) await upgraded(s);

  stage("ask the server to shut down");
  a.emit("shutdown");
  // A polling client whose next GET is still in flight when the server stops
  // finds the connection gone ("transport error"), as with socket.io's own
  // server; one with a GET pending gets the close packet.
  const expected = transport() === "polling" ? ["transport close", "transport error"] : ["transport close"];
  for (const s of [a, b, bc]) {
    const reason = await disconnected(s);
    check(expected.includes(reason), `${s.tag}'s reason: ${reason}, expected one of ${expected}`);
  }
  await finish();
}

async function parseError() {
  const obs = client("/");
  await ready(obs);
  const cases = [
    ["an unknown packet type", (e) => e.send("x-not-a-packet")],
    ["invalid JSON", (e) => e.send('2["unterminated')],
    ["an attachment nobody announced", (e) => e.send(Buffer.from([1, 2, 3]))],
    [
      "eleven attachments (socket.io-parser's maxAttachments is 10)",
      (e, s) => s.emit("echo", Array.from({ length: 11 }, (_, i) => Buffer.from([i]))),
    ],
    [
      "text while attachments are awaited",
      (e) => {
        e.send('51-["ev",{"_placeholder":true,"num":0}]');
        e.send('2["x"]');
      },
    ],
  ];
  for (const [what, send] of cases) {
    stage(`send ${what}`);
    const a = client("/");
    await ready(a);
    send(a.io.engine, a);
    const reason = await disconnected(a);
    check(["transport close", "transport error"].includes(reason), `client-side reason: ${reason}`);
    await expectServerReason(obs, a.tag, "/", "parse error");
  }
  checkEqual(await ack(obs, "echo", "fine"), ["fine"], "other clients are unaffected");
  await finish();
}

export default {
  recovery: () => recovery(),
  "recovery-alone": () => recovery({ alone: true }),
  "disconnect-client": disconnectClient,
  "disconnect-server": disconnectServer,
  "transport-close": transportClose,
  "transport-cut": transportCut,
  "ping-timeout": pingTimeout,
  shutdown,
  "parse-error": parseError,
};
