// The chat demo page (`--app chat` at `/`) in headless Chromium: alice and
// bob sign in on two pages (each with a dev token), alice starts a
// conversation, both type and send, and each page shows what the other did —
// typing, unread counts, delivered then read, presence. The page's
// cdn.socket.io script is answered from the npm package (no network); any
// other origin is refused (`browser.mjs`). Saves a screenshot of each page
// in ARTIFACTS, then prints `{"chatted":true}`; after `killed` on stdin
// (the server is down) waits for the reconnect banner, prints
// `{"banner":true}`; after `restarted`, waits for the pages to reconnect and
// chat again. Prints `{"done":true,...}` and exits 0, or `FAIL ...` on stderr
// and exits 1.
//
// Usage: node chat_page.mjs ARTIFACTS_DIR SERVER_URL

import { createInterface } from "node:readline";
import { Browser } from "./browser.mjs";
import { out, watchdog, WAIT_MS } from "./script.mjs";

const [artifacts, server] = process.argv.slice(2);
const fail = watchdog("chat_page", 120_000);
if (!server || !artifacts) fail("usage: node chat_page.mjs ARTIFACTS_DIR SERVER_URL");
/** The pages open, whose errors a failure reports. */
let tabs = [];

/** The page in a tab of its own, 1000x700 (the README's screenshot). */
async function openPage(browser, who) {
  const tab = await browser.open(server);
  await tab.page.setViewport({ width: 1000, height: 700 });
  tab.who = who;
  return tab;
}

/** Fails the run on any console error, uncaught exception or refused request. */
function clean(...tabs) {
  for (const tab of tabs) if (tab.errors.length) fail(`${tab.who}: ${tab.errors.join("; ")}`);
}

/** Waits (bounded) until `fn(...args)` is true in `page`. */
function until(page, what, fn, ...args) {
  console.error(`waiting: ${what}`);
  return page
    .waitForFunction(fn, { timeout: WAIT_MS, polling: 50 }, ...args)
    .catch(async (e) => {
      const shown = await page.evaluate(() => document.querySelector("main")?.innerText).catch(() => "?");
      fail(`${what}: ${e.message}; the page shows ${JSON.stringify(shown)}; errors: ${
        tabs.map((t) => `${t.who}: ${t.errors}`)}`);
    });
}

/** Waits (bounded) until the text of `selector` in `page` is `want`. */
function untilText(page, what, selector, want) {
  const textIs = (sel, w) => (document.querySelector(sel)?.textContent ?? "") === w;
  return until(page, `${what} (${selector} = ${JSON.stringify(want)})`, textIs, selector, want);
}

// A background tab does not render, and a click waits for the element to
// be painted: a page comes to the front before it is clicked.
async function signIn(page, name) {
  await page.bringToFront();
  await page.type("#name", name);
  await page.click("#signin-name button");
  await until(page, `${name} connects`, () => state.socket?.connected && !!state.me);
}

async function say(page, words) {
  await page.type("#text", words);
  await page.keyboard.press("Enter");
}

const browser = await Browser.launch({ artifacts });
try {
  tabs = [await openPage(browser, "alice"), await openPage(browser, "bob")];
  const [alice, bob] = tabs.map((t) => t.page);
  await signIn(alice, "alice");
  await signIn(bob, "bob");

  // alice starts a conversation; it appears in bob's list by itself.
  await alice.bringToFront();
  await alice.type("#peer", "bob");
  await alice.click("#start button");
  await until(alice, "alice's conversation opens", () => !document.querySelector("#compose").hidden);
  await until(bob, "bob's list shows alice", () => !!document.querySelector('li[data-peer="alice"]'));

  // Typing shows in bob's list; two messages make an unread count of 2.
  await alice.type("#text", "hi bob");
  await untilText(bob, "bob sees alice typing", 'li[data-peer="alice"] .last', "typing…");
  await alice.keyboard.press("Enter");
  await until(alice, "alice's message is delivered", () =>
    document.querySelector("li.mine")?.dataset.status === "delivered");
  await say(alice, "are you there?");
  await untilText(bob, "bob's unread count is 2", 'li[data-peer="alice"] .unread', "2");

  // bob opens it (a page marks read only while it is visible): he reads
  // both, alice sees them read, his count is gone.
  await bob.bringToFront();
  await bob.click('li[data-peer="alice"]');
  await until(bob, "bob sees both messages", () => document.querySelectorAll("li.theirs").length === 2);
  await until(alice, "alice sees both read", () =>
    [...document.querySelectorAll("li.mine")].every((li) => li.dataset.status === "read") &&
    document.querySelectorAll("li.mine").length === 2);
  await untilText(bob, "bob's unread count clears", 'li[data-peer="alice"] .unread', "");

  // bob answers: alice sees him type, gets the message, and reads it.
  await bob.type("#text", "yes!");
  await untilText(alice, "alice sees bob typing", "#typing", "bob is typing…");
  await bob.keyboard.press("Enter");
  await untilText(alice, "alice gets bob's message", "li.theirs .content", "yes!");
  await untilText(alice, "bob's typing ends", "#typing", "");
  // alice's page was in the background: it marks read when she looks.
  await alice.bringToFront();
  await until(bob, "bob's message is read", () =>
    document.querySelector("li.mine")?.dataset.status === "read");

  // Presence: bob steps away.
  await bob.select("#status", "away");
  await until(alice, "alice sees bob away", () =>
    document.querySelector('li[data-peer="bob"] .dot')?.dataset.status === "away");

  clean(...tabs);
  for (const tab of tabs) await tab.screenshot(tab.who);

  // The server goes away (the test kills it): both pages show the banner;
  // it comes back on the same port: the banner goes, and the chat goes on.
  const stdin = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const banner = (shown) => document.querySelector("#banner").hidden === !shown;
  out({ chatted: true });
  if ((await stdin.next()).value !== "killed") fail("expected `killed` on stdin");
  for (const page of [alice, bob]) await until(page, "the reconnect banner shows", banner, true);
  out({ banner: true });
  if ((await stdin.next()).value !== "restarted") fail("expected `restarted` on stdin");
  for (const page of [alice, bob]) {
    await until(page, "the banner goes", banner, false);
    await until(page, "the socket is back", () => state.socket.connected);
  }
  // What the browser logged while the server was down: refused connections.
  for (const tab of tabs) tab.errors.length = 0;
  await say(bob, "back again");
  await untilText(alice, "alice gets a message after the restart", "li.theirs:last-child .content", "back again");
  clean(...tabs);
  out({ done: true, artifacts });
} catch (e) {
  fail(e?.stack ?? String(e));
} finally {
  await browser.close();
}
process.exit(0);
