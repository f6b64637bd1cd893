// The chat demo page (`--app chat` at `/`) in headless Chromium: alice and
// bob sign in on two pages (each with a dev token), alice starts a
// conversation, both type and send, and each page shows what the other did —
// typing, unread counts, delivered then read, presence. The page's
// cdn.socket.io script is answered from the npm package (no network); any
// other origin is refused. Saves a screenshot of each page in ARTIFACTS.
// Prints `DONE {...}` and exits 0, or `FAIL ...` on stderr and exits 1.
//
// Usage: node chat_page.mjs SERVER_URL ARTIFACTS_DIR

import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import puppeteer from "puppeteer-core";
import { out, watchdog, WAIT_MS } from "./script.mjs";

const [server, artifacts] = process.argv.slice(2);
const fail = watchdog("chat_page", 120_000);
if (!server || !artifacts) fail("usage: node chat_page.mjs SERVER_URL ARTIFACTS_DIR");

const CDN = "https://cdn.socket.io/4.8.1/socket.io.min.js";
const BUNDLE = readFileSync(
  new URL("./node_modules/socket.io-client/dist/socket.io.min.js", import.meta.url),
);

/** Debian's chromium, as CI installs it. */
function launch() {
  return puppeteer.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox"],
  });
}

/** Answers the CDN URL from node_modules; refuses every other origin. */
async function serveCdnOffline(page) {
  await page.setRequestInterception(true);
  page.on("request", (req) => {
    if (req.isInterceptResolutionHandled()) return;
    if (req.url() === CDN) {
      return req.respond({
        status: 200,
        contentType: "text/javascript; charset=utf-8",
        headers: { "access-control-allow-origin": "*" },
        body: BUNDLE,
      });
    }
    if (new URL(req.url()).origin !== new URL(server).origin) return req.abort();
    req.continue();
  });
}

/** A page of its own (own storage) with errors, CSP refusals included, failing the run. */
async function openPage(browser, who) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1000, height: 700 });
  page.on("pageerror", (e) => fail(`${who}: page error ${e.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") fail(`${who}: console error ${msg.text()} (${msg.location()?.url})`);
  });
  await serveCdnOffline(page);
  await page.goto(server, { waitUntil: "load" });
  return page;
}

/** Waits (bounded) until `fn(...args)` is true in `page`. */
function until(page, what, fn, ...args) {
  return page
    .waitForFunction(fn, { timeout: WAIT_MS, polling: 50 }, ...args)
    .catch((e) => fail(`${what}: ${e.message}`));
}

/** Waits (bounded) until the text of `selector` in `page` is `want`. */
function untilText(page, what, selector, want) {
  const textIs = (sel, w) => (document.querySelector(sel)?.textContent ?? "") === w;
  return until(page, `${what} (${selector} = ${JSON.stringify(want)})`, textIs, selector, want);
}

async function signIn(page, name) {
  await page.type("#name", name);
  await page.click("#signin-name button");
  await until(page, `${name} connects`, () => state.socket?.connected && !!state.me);
}

async function say(page, words) {
  await page.type("#text", words);
  await page.keyboard.press("Enter");
}

const browser = await launch();
try {
  const alice = await openPage(browser, "alice");
  const bob = await openPage(browser, "bob");
  await signIn(alice, "alice");
  await signIn(bob, "bob");

  // alice starts a conversation; it appears in bob's list by itself.
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

  // bob opens it: he reads both, alice sees them read, his count is gone.
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
  await until(bob, "bob's message is read", () =>
    document.querySelector("li.mine")?.dataset.status === "read");

  // Presence: bob steps away.
  await bob.select("#status", "away");
  await until(alice, "alice sees bob away", () =>
    document.querySelector('li[data-peer="bob"] .dot')?.dataset.status === "away");

  mkdirSync(artifacts, { recursive: true });
  for (const [name, page] of [["alice", alice], ["bob", bob]]) {
    await page.screenshot({ path: join(artifacts, `${name}.png`) });
  }
  out({ done: true, artifacts });
} catch (e) {
  fail(e?.stack ?? String(e));
} finally {
  await browser.close();
}
process.exit(0);
