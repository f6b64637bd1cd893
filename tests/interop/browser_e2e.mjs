// Runs the scenarios of tests/interop/browser_page.mjs in headless Chromium
// for tests/browser_e2e.rs. Prints `{"origin": ...}` (the test page's
// origin, for the server's --cors-origin), then answers JSON commands, one
// per line:
//   {"op": "run", "scenario": NAME, "args": [...], "tab": "cdn"|"plain"}
//     → {"ok": "run", "result": ..., "errors": [console errors meanwhile]}
//   {"op": "screenshot", "name": NAME, "tab": ...} → {"ok": ..., "path": ...}
// The "cdn" tab loads the client from the CDN URL (intercepted); "plain"
// loads it from the page's own origin without interception (no proxying
// of the polling requests: what the connect-latency numbers use).
//
//   node browser_e2e.mjs ARTIFACTS_DIR

import { answerCommands, out, watchdog } from "./script.mjs";
import { Browser } from "./browser.mjs";
import { testPage } from "./browser_page.mjs";

const fail = watchdog("browser_e2e", 170_000);
const [artifacts] = process.argv.slice(2);
if (!artifacts) fail("usage: browser_e2e.mjs ARTIFACTS_DIR");

const browser = await Browser.launch({ artifacts });
const site = await browser.serve({ "/": testPage(), "/plain": testPage("/socket.io.min.js") });
const tabs = {};
const tab = async (name = "cdn") => {
  tabs[name] ??= await browser.open(`${site.origin}/${name === "plain" ? "plain" : ""}`, {
    intercept: name !== "plain",
  });
  return tabs[name];
};
process.stdin.on("end", () => browser.close());
out({ origin: site.origin });

await answerCommands(async (cmd) => {
  const t = await tab(cmd.tab);
  switch (cmd.op) {
    case "run": {
      t.errors.length = 0;
      const result = await t.page.evaluate(
        (scenario, args) => window.e2e[scenario](...args),
        cmd.scenario,
        cmd.args ?? [],
      );
      return { result, errors: [...t.errors] };
    }
    case "screenshot":
      return { path: await t.screenshot(cmd.name) };
    default:
      throw new Error(`unknown op ${cmd.op}`);
  }
}, fail);
