// What the interop scripts that talk to a Rust test line by line share: a
// failure that exits 1 with `FAIL ...` on stderr, an overall watchdog, and
// bounded waits for one event.

/** How long one awaited event may take. */
export const WAIT_MS = 20_000;

/**
 * Exits 1 with `FAIL <label>: ...` on any unhandled rejection or after
 * `overallMs`; returns the `fail(message)` that does the same.
 */
export function watchdog(label, overallMs) {
  const fail = (message) => {
    console.error(`FAIL${label ? ` ${label}` : ""}: ${message}`);
    process.exit(1);
  };
  setTimeout(() => fail(`timed out after ${overallMs} ms`), overallMs).unref();
  process.on("unhandledRejection", (e) => fail(`unhandled rejection: ${e?.stack ?? e}`));
  return fail;
}

/** Resolves when `socket` is connected (at once if it already is). */
export function connected(socket, what) {
  return socket.connected ? Promise.resolve() : once(socket, "connect", what);
}

/** Resolves with the arguments of `emitter`'s next `event`, within WAIT_MS. */
export function once(emitter, event, what) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${what} within ${WAIT_MS} ms`)), WAIT_MS);
    emitter.once(event, (...args) => {
      clearTimeout(t);
      resolve(args);
    });
  });
}

/** Writes `value` as one JSON line on stdout (what the Rust side reads). */
export const out = (value) => process.stdout.write(JSON.stringify(value) + "\n");

/**
 * Answers each JSON command line on stdin with `{ ok: cmd.op, ...(await
 * run(cmd)) }`, one at a time; a bad line or a failed command exits through
 * `fail`. Exits 0 once stdin ends.
 */
export async function answerCommands(run, fail) {
  const { createInterface } = await import("node:readline");
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    let cmd;
    try {
      cmd = JSON.parse(line);
    } catch (e) {
      fail(`bad command ${line}`);
    }
    try {
      out({ ok: cmd.op, ...(await run(cmd)) });
    } catch (e) {
      fail(`${cmd.op}: ${e?.stack ?? e}`);
    }
  }
  process.exit(0);
}
