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
