// The official Socket.IO Admin UI (the npm package's `ui/dist`, served from
// a second origin) in headless Chromium, for tests/admin_ui_browser.rs.
// Prints `{"origin": ...}` (the UI's origin, for the server's
// --cors-origin), then answers JSON commands, one per line:
//   {"op": "login", "server", "username", "password"}
//     → fills the UI's connection form and submits it; {"ok", "error"}:
//       the error the form shows, or null once connected.
//   {"op": "find", "id"} → shows the socket list and waits for `id` in it;
//       {"ok", "errors"}: the page's errors but the refused requests for the
//       fonts and icons the UI loads from the Internet (tests run offline).
//   {"op": "screenshot", "name"} → {"ok", "path"}
//
//   node admin_ui_browser.mjs ARTIFACTS_DIR

import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";

import { answerCommands, out, watchdog, WAIT_MS } from "./script.mjs";
import { Browser } from "./browser.mjs";

const fail = watchdog("admin_ui_browser", 110_000);
const [artifacts] = process.argv.slice(2);
if (!artifacts) fail("usage: admin_ui_browser.mjs ARTIFACTS_DIR");

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "application/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".map": "application/json",
};

/** Every file under `dir`, by URL path. */
function files(dir, prefix = "") {
  const pages = {};
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      Object.assign(pages, files(path, `${prefix}/${name}`));
    } else {
      pages[`${prefix}/${name}`] = {
        type: TYPES[extname(name)] ?? "application/octet-stream",
        body: readFileSync(path),
      };
    }
  }
  return pages;
}

const dist = new URL("./node_modules/@socket.io/admin-ui/ui/dist", import.meta.url).pathname;
const pages = files(dist);
pages["/"] = pages["/index.html"];

const browser = await Browser.launch({ artifacts });
const site = await browser.serve(pages);
process.stdin.on("end", () => browser.close());
const tab = await browser.open(`${site.origin}/`);
const page = tab.page;
out({ origin: site.origin });

/** The error the connection form shows now, if any. */
const shownError = () =>
  page.evaluate(() => {
    const alert = document.querySelector(".v-dialog--active form .red--text");
    return alert?.innerText?.trim() || null;
  });

/**
 * Fills the connection form and submits it; the error it then shows (one
 * other than the one shown before), or null once connected (it closes).
 */
async function login({ server, username, password }) {
  await page.waitForSelector(".v-dialog form input[type=password]", { visible: true });
  const before = await shownError();
  const inputs = await page.$$(".v-dialog form input");
  // Server URL, user name, password: the form's first three fields.
  for (const [input, text] of [[inputs[0], server], [inputs[1], username], [inputs[2], password]]) {
    await input.focus();
    await page.keyboard.down("Control");
    await page.keyboard.press("KeyA");
    await page.keyboard.up("Control");
    await page.keyboard.press("Backspace");
    await input.type(text);
  }
  await inputs[2].press("Enter");
  const outcome = await page.waitForFunction(
    (before) => {
      const form = document.querySelector(".v-dialog--active form");
      if (!form) return { error: null };
      const text = form.querySelector(".red--text")?.innerText?.trim();
      return text && text !== before ? { error: text } : false;
    },
    { timeout: WAIT_MS, polling: 100 },
    before,
  );
  return outcome.jsonValue();
}

/** Opens the socket list and waits for `id` in it. */
async function find({ id }) {
  await page.evaluate(() => {
    window.location.hash = "#/sockets/";
  });
  await page.waitForFunction((id) => document.body.innerText.includes(id), {
    timeout: WAIT_MS,
    polling: 100,
  }, id);
  const offline = /https:\/\/(fonts\.googleapis\.com|cdn\.jsdelivr\.net)\//;
  return { errors: tab.errors.filter((e) => !offline.test(e)) };
}

await answerCommands(async (cmd) => {
  switch (cmd.op) {
    case "login":
      return login(cmd);
    case "find":
      return find(cmd);
    case "screenshot":
      return { path: await tab.screenshot(cmd.name) };
    default:
      throw new Error(`unknown op ${cmd.op}`);
  }
}, fail);
