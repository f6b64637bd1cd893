// The browser harness of the end-to-end tests: headless Chromium driven by
// puppeteer-core, a test page served from a second origin, the socket.io CDN
// bundle answered from npm (so the tests run offline), console errors
// collected, screenshots written to an artifacts folder.
//
//   const browser = await Browser.launch({ artifacts: "target/test-artifacts/x" });
//   const site = await browser.serve({ "/": "<!doctype html>..." });
//   const tab = await browser.open(`${site.origin}/`);
//   ... tab.page.evaluate(...), tab.errors, await tab.screenshot("name") ...
//   await browser.close();

import { readFileSync, mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import puppeteer from "puppeteer-core";

/** The client bundle URL socket.io's docs give; pages load it from there. */
export const CDN_URL = "https://cdn.socket.io/4.8.1/socket.io.min.js";

/** The same bundle, from the pinned npm package. */
export const BUNDLE = readFileSync(
  new URL("./node_modules/socket.io-client/dist/socket.io.min.js", import.meta.url),
);

/** Where Chromium is: `$CHROMIUM`, else Debian's package. */
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/** True for a URL on this machine (what a test may reach while offline). */
const local = (url) => {
  try {
    const host = new URL(url).hostname;
    return host === "127.0.0.1" || host === "localhost" || host === "[::1]";
  } catch {
    return false;
  }
};

/** One headless Chromium, the pages it opened and the sites it serves. */
export class Browser {
  constructor(browser, artifacts) {
    this.browser = browser;
    this.artifacts = artifacts;
    this.sites = [];
  }

  /** Launches Chromium; screenshots go to `artifacts` (created). */
  static async launch({ artifacts }) {
    mkdirSync(artifacts, { recursive: true });
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-dev-shm-usage"],
    });
    return new Browser(browser, artifacts);
  }

  /**
   * Serves `pages` (path → HTML string, or `{ type, body }`) on a free
   * loopback port: the test page's origin, another one than the server's.
   * `/socket.io.min.js` is the npm bundle too (for pages opened without
   * interception). Resolves with `{ origin, close() }`.
   */
  async serve(pages, port = 0) {
    const server = createServer((req, res) => {
      const path = new URL(req.url, "http://x").pathname;
      const page = path === "/socket.io.min.js"
        ? { type: "application/javascript; charset=utf-8", body: BUNDLE }
        : pages[path];
      if (page === undefined && path === "/favicon.ico") {
        res.writeHead(204).end();
        return;
      }
      if (page === undefined) {
        res.writeHead(404).end("not found");
        return;
      }
      const { type, body } = typeof page === "string"
        ? { type: "text/html; charset=utf-8", body: page }
        : page;
      res.writeHead(200, { "content-type": type, "cache-control": "no-store" }).end(body);
    });
    await new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
    const site = {
      origin: `http://127.0.0.1:${server.address().port}`,
      close: () => new Promise((resolve) => server.close(resolve)),
    };
    this.sites.push(site);
    return site;
  }

  /**
   * Opens `url` in a new page. With `intercept` (the default) the CDN
   * bundle is answered from npm and any other non-local request is refused
   * (and counted as an error). Resolves with a {@link Tab}.
   */
  async open(url, { intercept = true } = {}) {
    const page = await this.browser.newPage();
    const tab = new Tab(page, this.artifacts);
    if (intercept) {
      await page.setRequestInterception(true);
      page.on("request", (req) => {
        if (req.isInterceptResolutionHandled()) return;
        if (req.url() === CDN_URL) {
          req.respond({
            status: 200,
            contentType: "application/javascript; charset=utf-8",
            headers: { "access-control-allow-origin": "*" },
            body: BUNDLE,
          });
        } else if (local(req.url()) || req.url().startsWith("data:")) {
          req.continue();
        } else {
          tab.errors.push(`offline: refused a request to ${req.url()}`);
          req.abort("internetdisconnected");
        }
      });
    }
    await page.goto(url, { waitUntil: "load" });
    return tab;
  }

  /** Closes every page, Chromium and the sites served. */
  async close() {
    await this.browser.close();
    await Promise.all(this.sites.map((s) => s.close()));
  }
}

/** A page, its console errors and uncaught exceptions. */
export class Tab {
  constructor(page, artifacts) {
    this.page = page;
    this.artifacts = artifacts;
    /** Console errors, uncaught exceptions and refused requests, in order. */
    this.errors = [];
    page.on("console", (m) => {
      if (m.type() !== "error") return;
      const at = m.location()?.url;
      this.errors.push(`console: ${m.text()}${at ? ` (${at})` : ""}`);
    });
    page.on("pageerror", (e) => this.errors.push(`uncaught: ${e?.message ?? e}`));
  }

  /** Saves a PNG of the page as `<artifacts>/<name>.png`; its path. */
  async screenshot(name) {
    const path = join(this.artifacts, `${name}.png`);
    // A background tab may never paint: a screenshot of it would hang.
    await this.page.bringToFront();
    await this.page.screenshot({ path, fullPage: true });
    return path;
  }

  /** Closes the page. */
  close() {
    return this.page.close();
  }
}
