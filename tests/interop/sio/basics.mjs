// Scenarios: namespaces, auth, middlewares, events and acks, binary.

import {
  ack,
  ack1,
  check,
  checkEqual,
  client,
  finish,
  manager,
  placeholder,
  ready,
  received,
  refused,
  stage,
  until,
  WAIT_MS,
} from "./util.mjs";

async function connect() {
  stage("connect to /");
  const main = client("/");
  const w = await ready(main);
  checkEqual(w.ns, "/", "namespace in the welcome");
  check(w.id === main.id, `server socket id ${w.id} != client socket id ${main.id}`);

  stage("connect to /custom");
  const custom = client("/custom");
  const wc = await ready(custom);
  checkEqual(wc.ns, "/custom", "namespace in the welcome");
  check(wc.id === custom.id, `server socket id ${wc.id} != client socket id ${custom.id}`);

  stage("connect twice to a dynamic namespace");
  const d1 = client("/dyn-room42");
  const d2 = client("/dyn-room42");
  for (const d of [d1, d2]) {
    const wd = await ready(d);
    checkEqual([wd.ns, wd.user], ["/dyn-room42", "dyn:/dyn-room42"], "dynamic welcome (ns, middleware data)");
  }
  stage("a broadcast in the dynamic namespace stays in it");
  await ack(d1, "broadcast", { event: "hello" }, "dyn");
  await until(() => received(d2, "hello").length, "d2 to get the dynamic broadcast");
  // Causality: anything queued for `main` before the ack arrives before its echo.
  await ack(main, "echo", "sync");
  check(received(main, "hello").length === 0, "/ got a broadcast of /dyn-room42");

  stage("another dynamic namespace");
  const d3 = client("/dyn-other");
  checkEqual((await ready(d3)).ns, "/dyn-other", "second dynamic namespace");

  stage("multiplex / and /custom on one connection");
  const m = manager();
  const a = client("/", { manager: m });
  const b = client("/custom", { manager: m });
  await ready(a);
  await ready(b);
  check(a.io === b.io && a.io.engine === b.io.engine, "sockets do not share their connection");
  checkEqual(await ack(b, "echo", "on custom"), ["on custom"], "echo on the multiplexed /custom");
  checkEqual(await ack(a, "echo", "on main"), ["on main"], "echo on the multiplexed /");

  stage("invalid namespace");
  const bad = client("/nope");
  checkEqual((await refused(bad)).message, "Invalid namespace", "connect_error message");

  stage("dynamic namespace refused by the parent's middleware");
  const r = client("/dyn-refused");
  const err = await refused(r);
  checkEqual([err.message, err.data], ["dynamic namespace refused", { ns: "/dyn-refused" }], "connect_error");
  await finish();
}

async function auth() {
  stage("auth object");
  const payload = {
    token: "abc",
    user: { name: "zoé ☃ 🎉", roles: ["a", "b"] },
    n: 42.5,
    flag: true,
    nothing: null,
  };
  const s = client("/", { auth: payload });
  checkEqual((await ready(s)).auth, { tag: s.tag, ...payload }, "auth seen by the server");

  stage("auth function");
  const f = client("/", { auth: (cb) => cb({ fn: true, list: [1, { two: 2 }] }) });
  checkEqual((await ready(f)).auth, { tag: f.tag, fn: true, list: [1, { two: 2 }] }, "auth from a function");

  stage("auth on /custom");
  const c = client("/custom", { auth: { where: "custom" } });
  checkEqual((await ready(c)).auth, { tag: c.tag, where: "custom" }, "auth on /custom");

  stage("auth per namespace on one connection");
  const m = manager();
  const x = client("/", { manager: m, auth: { which: "x" } });
  const y = client("/custom", { manager: m, auth: { which: "y" } });
  checkEqual((await ready(x)).auth, { tag: x.tag, which: "x" }, "auth of / on a shared connection");
  checkEqual((await ready(y)).auth, { tag: y.tag, which: "y" }, "auth of /custom on a shared connection");

  stage("no auth");
  const none = client("/", { noTag: true, auth: undefined });
  checkEqual((await ready(none)).auth, {}, "auth without payload");
  await finish();
}

async function middleware() {
  stage("refused without a token");
  const s = client("/private");
  const err = await refused(s);
  checkEqual(
    [err.message, err.data],
    ["not authorized", { code: 401, hint: "send a token" }],
    "connect_error (message, data)",
  );

  stage("refused with a wrong token");
  const wrong = client("/private", { auth: { token: "guess" } });
  checkEqual((await refused(wrong)).message, "not authorized", "connect_error message");

  stage("accepted with the token; data attached by the middleware");
  const ok = client("/private", { auth: { token: "secret", user: "ada" } });
  checkEqual((await ready(ok)).user, "ada", "data the middleware attached");
  checkEqual(await ack(ok, "echo", 1), [1], "echo on /private");

  stage("refused, then connect again with new auth");
  const retry = client("/private", { auth: {} });
  await refused(retry);
  retry.auth = { tag: retry.tag, token: "secret", user: "bob" };
  retry.connectErrors = [];
  retry.connect();
  checkEqual((await ready(retry)).user, "bob", "data after the retry");

  stage("/private's middleware does not apply to /");
  await ready(client("/"));
  await finish();
}

async function acks() {
  const s = client("/");
  await ready(s);

  stage("client emits with an ack callback (several arguments)");
  checkEqual(
    await ack(s, "echo", 1, "two", { three: [3] }, null, true),
    [1, "two", { three: [3] }, null, true],
    "ack arguments",
  );

  stage("emitWithAck");
  checkEqual(await s.timeout(WAIT_MS).emitWithAck("echo", { a: 1 }), { a: 1 }, "emitWithAck result");

  stage("unicode and a large payload");
  const big = "é☃🎉".repeat(1000) + "x".repeat(100_000);
  checkEqual(await ack(s, "echo", big, "\u0000\n\"'"), [big, "\u0000\n\"'"], "large echo");

  stage("emit without ack: the server emits back");
  s.emit("echo", "no-ack", 7);
  const back = await until(() => received(s, "echo")[0], "the echo event");
  checkEqual(back, ["no-ack", 7], "echo event arguments");

  stage("server emits with ack; the client answers");
  const questions = [];
  s.on("question", (...args) => {
    const cb = args.pop();
    questions.push(args);
    cb("answer", { to: args[0] }, 42);
  });
  const r = await ack(s, "ask", { event: "question", timeout_ms: WAIT_MS }, "what?", [1, 2]);
  checkEqual(r, [{ ok: true }, "answer", { to: "what?" }, 42], "the client's answer, as the server got it");
  checkEqual(questions, [["what?", [1, 2]]], "the server's question");

  stage("client acknowledges with no argument");
  s.on("question-empty", (cb) => cb());
  checkEqual(await ack(s, "ask", { event: "question-empty", timeout_ms: WAIT_MS }), [{ ok: true }], "empty answer");

  stage("server ack times out when the client never answers");
  let ignored = 0;
  s.on("ignored", () => ignored++);
  const t = await ack1(s, "ask", { event: "ignored", timeout_ms: 300 });
  check(/timed out/.test(t?.error), `expected a timeout error, got ${JSON.stringify(t)}`);
  check(ignored === 1, `the unanswered event arrived ${ignored} times`);

  stage("the socket still works after the timeout");
  checkEqual(await ack(s, "echo", "after"), ["after"], "echo after a timeout");

  stage("on_any and on_any_outgoing saw the traffic");
  const log = await ack1(s, "any-log");
  for (const e of ["out:welcome", "in:echo", "out:echo", "in:ask", "out:question", "out:ignored"]) {
    check(log.includes(e), `${e} missing from the server's any-log ${JSON.stringify(log)}`);
  }
  await finish();
}

async function binary() {
  const s = client("/");
  await ready(s);
  const payload = {
    file: Buffer.from([1, 2, 3]),
    list: [Buffer.from("hello"), { deep: new Uint8Array([9, 8, 7]) }],
    text: "plain",
  };
  const tail = Buffer.alloc(1024, 0xab);

  stage("client to server: the server's view");
  const view = await ack1(s, "inspect", payload, tail, "after");
  checkEqual(
    view.args,
    [{ file: placeholder(0), list: [placeholder(1), { deep: placeholder(2) }], text: "plain" }, placeholder(3), "after"],
    "arguments with placeholders",
  );
  checkEqual(view.bins, ["010203", Buffer.from("hello").toString("hex"), "090807", "ab".repeat(1024)], "attachments");

  stage("client to server and back in the ack");
  checkEqual(await ack(s, "echo", payload, tail, "after"), [payload, tail, "after"], "binary echo");

  stage("ten attachments, the most a packet may have (socket.io-parser's maxAttachments)");
  const many = Array.from({ length: 7 }, (_, i) => Buffer.from([i, i, i]));
  checkEqual(await ack(s, "echo", many, { more: many.slice(0, 3) }), [many, { more: many.slice(0, 3) }], "7+3 buffers");

  stage("server to client");
  await ack(s, "bin-from-server");
  const got = await until(() => received(s, "bin")[0], "the server's binary event");
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  checkEqual(
    got,
    [{ a: Buffer.from([0, 1, 2, 3]), list: [Buffer.from([255, 254]), { deep: all }] }, Buffer.alloc(0), "text"],
    "server binary event",
  );

  stage("binary in the server's question and in the client's answer");
  let question;
  s.on("bin-question", (...args) => {
    const cb = args.pop();
    question = args;
    cb({ reply: Buffer.from("pong") }, Buffer.from([0xff, 0, 0x7f]));
  });
  const r = await ack(
    s,
    "ask",
    { event: "bin-question", timeout_ms: WAIT_MS },
    { q: Buffer.from("ping") },
    [Buffer.from([1]), Buffer.from([2])],
  );
  checkEqual(question, [{ q: Buffer.from("ping") }, [Buffer.from([1]), Buffer.from([2])]], "question seen by the client");
  checkEqual(r, [{ ok: true }, { reply: Buffer.from("pong") }, Buffer.from([0xff, 0, 0x7f])], "answer seen by the server");

  stage("binary broadcast to another client");
  const t = client("/");
  await ready(t);
  await ack(s, "broadcast", { from: "socket", event: "bin-bc" }, { f: Buffer.from("x") }, Buffer.from([1, 2]));
  const bc = await until(() => received(t, "bin-bc")[0], "the binary broadcast");
  checkEqual(bc, [{ f: Buffer.from("x") }, Buffer.from([1, 2])], "binary broadcast");
  await finish();
}

export default { connect, auth, middleware, ack: acks, binary };
