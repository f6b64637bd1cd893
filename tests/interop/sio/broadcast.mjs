// Scenarios: rooms and every broadcast operator with several clients, and
// broadcasts that collect acknowledgements.

import {
  ack,
  ack1,
  check,
  checkEqual,
  client,
  disconnected,
  finish,
  ready,
  received,
  stage,
  transport,
  until,
  WAIT_MS,
} from "./util.mjs";

const NAMES = ["A", "B", "C", "D"];

async function clients() {
  const c = {};
  for (const n of NAMES) c[n] = client("/", { auth: { name: n } });
  for (const n of NAMES) await ready(c[n]);
  return c;
}

async function rooms() {
  const c = await clients();

  stage("join rooms");
  checkEqual(await ack1(c.A, "join", "r1"), [c.A.id, "r1"].sort(), "rooms of A");
  checkEqual(await ack1(c.B, "join", ["r1", "r2"]), [c.B.id, "r1", "r2"].sort(), "rooms of B");
  checkEqual(await ack1(c.C, "join", "r2"), [c.C.id, "r2"].sort(), "rooms of C");
  checkEqual(await ack1(c.D, "rooms"), [c.D.id], "rooms of D");

  // The server emits the broadcast, then a "barrier" to the whole namespace;
  // each socket gets its packets in order, so once a client has the barrier
  // it has the broadcast too if it was a target.
  let n = 0;
  async function expect(sender, spec, expected, { mayDrop = false } = {}) {
    const id = ++n;
    stage(`broadcast #${id} from ${sender} ${JSON.stringify(spec)}`);
    await ack(c[sender], "broadcast", { ...spec, event: "bc", barrier: id }, id);
    const live = NAMES.filter((x) => c[x].connected);
    for (const x of live) {
      await until(() => received(c[x], "barrier").some((a) => a[0] === id), `${x} to get barrier ${id}`);
    }
    const got = live.filter((x) => received(c[x], "bc").some((a) => a[0] === id));
    for (const x of got) {
      const times = received(c[x], "bc").filter((a) => a[0] === id).length;
      check(times === 1, `${x} got broadcast #${id} ${times} times`);
    }
    if (mayDrop) {
      const extra = got.filter((x) => !expected.includes(x));
      check(extra.length === 0, `broadcast #${id} reached ${extra} (expected at most ${expected})`);
      if (got.length < expected.length) console.log(`note: volatile #${id} reached ${got} of ${expected}`);
    } else {
      checkEqual(got, expected, `receivers of broadcast #${id} ${JSON.stringify(spec)}`);
    }
  }

  await expect("D", { to: ["r1"] }, ["A", "B"]); // ns.to
  await expect("D", { in: ["r2"] }, ["B", "C"]); // ns.broadcast().in_
  await expect("D", { to: ["r1", "r2"] }, ["A", "B", "C"]); // union, B once
  await expect("D", { to: ["r1"], in: ["r2"] }, ["A", "B", "C"]);
  await expect("A", { except: ["r1"] }, ["C", "D"]); // ns.except
  await expect("A", { to: ["r2"], except: ["r1"] }, ["C"]);
  await expect("D", {}, NAMES); // ns.broadcast(), sender included
  await expect("A", { from: "socket" }, ["B", "C", "D"]); // socket.broadcast()
  await expect("A", { from: "socket", to: ["r1"] }, ["B"]); // socket.to excludes the sender
  await expect("B", { from: "socket", to: ["r2"] }, ["C"]);
  await expect("A", { from: "socket", except: ["r2"] }, ["D"]);
  await expect("D", { to: [c.C.id] }, ["C"]); // a socket id is a room
  await expect("D", { to: ["r1"], local: true }, ["A", "B"]);
  await expect("D", { to: ["nobody"] }, []);
  // Volatile packets may be dropped when the transport is not writable; an
  // idle WebSocket always is.
  const mayDrop = transport() !== "websocket";
  await expect("D", { to: ["r2"], volatile: true }, ["B", "C"], { mayDrop });
  await expect("D", { from: "socket", volatile: true, local: true }, ["A", "B", "C"], { mayDrop });

  stage("leave");
  checkEqual(await ack1(c.B, "leave", "r1"), [c.B.id, "r2"].sort(), "rooms of B after leaving r1");
  await expect("D", { to: ["r1"] }, ["A"]);

  stage("fetch sockets");
  checkEqual(await ack1(c.D, "fetch-sockets", { in: "r2" }), [c.B.id, c.C.id].sort(), "sockets in r2");
  checkEqual(await ack1(c.D, "fetch-sockets", {}), NAMES.map((x) => c[x].id).sort(), "every socket");

  stage("sockets join");
  await ack(c.D, "sockets-join", { in: "r2", join: "r3" });
  checkEqual(await ack1(c.C, "rooms"), [c.C.id, "r2", "r3"].sort(), "rooms of C after socketsJoin");
  await expect("D", { to: ["r3"] }, ["B", "C"]);

  stage("sockets leave");
  await ack(c.D, "sockets-leave", { in: c.C.id, leave: "r3" });
  await expect("D", { to: ["r3"] }, ["B"]);

  stage("disconnect sockets");
  await ack(c.D, "disconnect-sockets", { in: "r3" });
  checkEqual(await disconnected(c.B), "io server disconnect", "B's disconnect reason");
  await expect("D", {}, ["A", "C", "D"]);
  checkEqual(await ack1(c.D, "fetch-sockets", { in: "r2" }), [c.C.id], "sockets in r2 after B left");
  await finish();
}

async function broadcastAck() {
  const c = await clients();
  const questions = Object.fromEntries(NAMES.map((x) => [x, []]));
  for (const x of ["A", "B", "C"]) {
    c[x].on("vote", (q, cb) => {
      questions[x].push(q);
      cb(x, q);
    });
  }
  c.D.on("vote", (q) => questions.D.push(q)); // never answers

  stage("join rooms");
  for (const x of ["A", "B", "C"]) await ack(c[x], "join", "voters");
  for (const x of ["A", "D"]) await ack(c[x], "join", "mixed");

  const sorted = (r) => (r.ok ? { ok: [...r.ok].sort((p, q) => p[0].localeCompare(q[0])) } : r);

  stage("collect every answer");
  let r = await ack1(c.D, "broadcast-ack", { to: ["voters"], event: "vote", timeout_ms: WAIT_MS }, "q1");
  checkEqual(sorted(r), { ok: [["A", "q1"], ["B", "q1"], ["C", "q1"]] }, "answers to q1");

  stage("from a socket: the sender is left out");
  r = await ack1(c.A, "broadcast-ack", { from: "socket", to: ["voters"], event: "vote", timeout_ms: WAIT_MS }, "q2");
  checkEqual(sorted(r), { ok: [["B", "q2"], ["C", "q2"]] }, "answers to q2");
  checkEqual(questions.A, ["q1"], "questions A got");

  stage("nobody to ask");
  r = await ack1(c.D, "broadcast-ack", { to: ["empty"], event: "vote", timeout_ms: WAIT_MS }, "q3");
  checkEqual(r, { ok: [] }, "answers from an empty room");

  stage("a client that never answers: the broadcast times out");
  r = await ack1(c.B, "broadcast-ack", { to: ["mixed"], event: "vote", timeout_ms: 500 }, "q4");
  check(/timed out/.test(r?.error), `expected a timeout error, got ${JSON.stringify(r)}`);
  await until(() => questions.D.includes("q4") && questions.A.includes("q4"), "A and D to get q4");

  stage("answers are collected again afterwards");
  r = await ack1(c.D, "broadcast-ack", { to: ["voters"], event: "vote", timeout_ms: WAIT_MS }, "q5");
  checkEqual(sorted(r), { ok: [["A", "q5"], ["B", "q5"], ["C", "q5"]] }, "answers to q5");
  await finish();
}

export default { rooms, "broadcast-ack": broadcastAck };
