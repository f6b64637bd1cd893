// The browser connect-latency numbers of BENCHMARKS.md: N default connects
// (polling, then the upgrade) of the official client in headless Chromium,
// from a page on another origin, one after another; prints p50/p95/max and
// how many took over 50 ms. The page is served on PAGE_PORT (the server's
// CORS must allow http://127.0.0.1:PAGE_PORT), without request interception.
//
//   node browser_latency.mjs SERVER_URL PAGE_PORT [N=40]
//
// e.g. edgeio:  edgeio --app protocol-suite --listen 127.0.0.1:3100 \
//                 --cors-origin http://127.0.0.1:3101
//      Node:    node browser_node_server.mjs 3100 http://127.0.0.1:3101
//      then:    node browser_latency.mjs http://127.0.0.1:3100 3101

import { tmpdir } from "node:os";
import { join } from "node:path";
import { Browser } from "./browser.mjs";
import { testPage } from "./browser_page.mjs";
import { watchdog } from "./script.mjs";

const fail = watchdog("browser_latency", 120_000);
const [url, pagePort, n = "40"] = process.argv.slice(2);
if (!url || !pagePort) fail("usage: browser_latency.mjs SERVER_URL PAGE_PORT [N]");

const browser = await Browser.launch({ artifacts: join(tmpdir(), "edgeio-browser-latency") });
const site = await browser.serve({ "/": testPage("/socket.io.min.js") }, Number(pagePort));
const tab = await browser.open(`${site.origin}/`, { intercept: false });
const ms = await tab.page.evaluate((u, k) => window.e2e.connects(u, k), url, Number(n));
await browser.close();
if (tab.errors.length) fail(`console errors: ${tab.errors.join("; ")}`);

ms.sort((a, b) => a - b);
const at = (q) => ms[Math.min(ms.length, Math.max(1, Math.ceil(ms.length * q))) - 1];
const f = (x) => x.toFixed(1);
console.log(
  `${ms.length} connects to ${url}: p50 ${f(at(0.5))} ms, p95 ${f(at(0.95))} ms, ` +
    `max ${f(at(1))} ms, ${ms.filter((m) => m > 50).length} over 50 ms`,
);
process.exit(0);
