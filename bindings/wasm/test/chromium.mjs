// Headless Chromium suite: serves the package and test-vectors/ from a local
// HTTP server on 127.0.0.1 with `Content-Security-Policy: script-src 'self'
// 'wasm-unsafe-eval'`, opens test/browser/index.html in Chromium (playwright-core
// driving /usr/bin/chromium), and reports the page's counts. A control page
// served without 'wasm-unsafe-eval' must fail to instantiate the module.
// Then the production module is loaded as an unpacked Manifest V3 extension
// (test/extension/): its service worker and an extension page run it under
// the MV3 extension policy, the page including the Web Worker path.
//
//   node test/chromium.mjs        (after build.sh and build.sh --test)
// Prints `wasm-chromium: N passed, M failed` and exits non-zero on failure.
import http from "node:http";
import { readFile, readdir, mkdtemp, rm, cp } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, "..");
const vectorsDir = process.env.VAULT_TEST_VECTORS ?? join(pkg, "..", "..", "test-vectors");
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const CSP = "script-src 'self' 'wasm-unsafe-eval'";
const STRICT_CSP = "script-src 'self'";
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".ts": "text/plain",
};

function within(root, urlPath) {
  const p = normalize(join(root, decodeURIComponent(urlPath)));
  return p === root || p.startsWith(root + sep) ? p : null;
}

async function serve(req, res) {
  const url = new URL(req.url, "http://127.0.0.1");
  let file;
  if (url.pathname === "/test-vectors/index.json") {
    const names = (await readdir(vectorsDir)).filter((f) => f.endsWith(".json")).sort();
    res.writeHead(200, { "content-type": TYPES[".json"], "content-security-policy": CSP });
    res.end(JSON.stringify(names));
    return;
  }
  if (url.pathname.startsWith("/test-vectors/")) {
    file = within(vectorsDir, url.pathname.slice("/test-vectors".length));
  } else if (/^\/(dist|dist-test|test)\//.test(url.pathname)) {
    file = within(pkg, url.pathname);
  }
  if (!file || !existsSync(file)) {
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found");
    return;
  }
  const csp = url.pathname.endsWith("/strict.html") ? STRICT_CSP : CSP;
  res.writeHead(200, {
    "content-type": TYPES[extname(file)] ?? "application/octet-stream",
    "content-security-policy": csp,
    "cache-control": "no-store",
  });
  res.end(await readFile(file));
}

const server = http.createServer((req, res) => {
  serve(req, res).catch((e) => {
    res.writeHead(500);
    res.end(String(e));
  });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const origin = `http://127.0.0.1:${server.address().port}`;

const profile = await mkdtemp(join(tmpdir(), "vault-wasm-chromium-"));
// The unpacked extension mirrors the package layout for the files it uses.
const extDir = await mkdtemp(join(tmpdir(), "vault-wasm-extension-"));
for (const f of [
  "dist/web",
  "dist/worker.js",
  "dist/worker-client.js",
  "test/cases.mjs",
  "test/browser/worker-cases.mjs",
  "test/extension/background.js",
  "test/extension/ext.html",
  "test/extension/ext.mjs",
]) {
  await cp(join(pkg, f), join(extDir, f), { recursive: true });
}
await cp(join(pkg, "test/extension/manifest.json"), join(extDir, "manifest.json"));
let context;
let failed = 0;
let passed = 0;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    ignoreDefaultArgs: ["--disable-extensions"],
    args: [
      `--disable-extensions-except=${extDir}`,
      `--load-extension=${extDir}`,
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors = [];
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));

  await page.goto(`${origin}/test/browser/index.html`);
  await page.waitForFunction(() => window.__vaultResults, null, { timeout: 600_000, polling: 250 });
  const r = await page.evaluate(() => window.__vaultResults);
  passed = r.passed;
  failed = r.failed;
  for (const f of r.failures) console.log(`not ok - ${f.name}\n  ${f.message.replace(/\n/g, "\n  ")}`);
  console.log(`browser: ${r.userAgent}`);
  if (r.metrics) console.log(`metrics: ${JSON.stringify(r.metrics)}`);
  // Only the deliberate eval probes may be reported as CSP violations.
  const unexpected = (r.violations ?? []).filter((v) => !/^script-src blocked eval/.test(v));
  console.log(`csp violations: ${JSON.stringify(r.violations ?? [])}`);
  if (unexpected.length) {
    console.log(`not ok - unexpected CSP violations: ${JSON.stringify(unexpected)}`);
    failed++;
  } else {
    passed++;
  }
  const cspConsole = consoleErrors.filter((t) => /Content Security Policy|unsafe-eval/i.test(t) && !/eval\b.*'unsafe-eval'|EvalError/.test(t));
  if (cspConsole.length) console.log(`console: ${JSON.stringify(cspConsole)}`);

  // Control: the same module under script-src 'self' alone must not instantiate.
  const control = await context.newPage();
  await control.goto(`${origin}/test/browser/strict.html`);
  await control.waitForFunction(() => window.__strictResult, null, { timeout: 60_000 });
  const strict = await control.evaluate(() => window.__strictResult);
  if (strict.blocked) {
    passed++;
    console.log(`ok - control: without 'wasm-unsafe-eval' the module is refused (${strict.message})`);
  } else {
    failed++;
    console.log("not ok - control: the module instantiated without 'wasm-unsafe-eval'");
  }

  // Manifest V3 extension: the service worker, then an extension page.
  const sw = context.serviceWorkers()[0] ?? (await context.waitForEvent("serviceworker", { timeout: 30_000 }));
  const extId = new URL(sw.url()).host;
  const smoke = await sw.evaluate(() => self.__vaultSmoke);
  if (smoke && smoke.title === "from the service worker" && smoke.testBuild === false) {
    passed++;
    console.log("ok - extension: the production module runs in the MV3 background service worker");
  } else {
    failed++;
    console.log(`not ok - extension service worker: ${JSON.stringify(smoke)}`);
  }
  const ext = await context.newPage();
  const extErrors = [];
  ext.on("pageerror", (e) => extErrors.push(String(e)));
  await ext.goto(`chrome-extension://${extId}/test/extension/ext.html`);
  await ext.waitForFunction(() => window.__vaultResults, null, { timeout: 300_000, polling: 250 });
  const er = await ext.evaluate(() => window.__vaultResults);
  passed += er.passed;
  failed += er.failed;
  for (const f of er.failures) console.log(`not ok - ${f.name}\n  ${f.message.replace(/\n/g, "\n  ")}`);
  console.log(`extension page: ${er.passed} passed, ${er.failed} failed; metrics ${JSON.stringify(er.metrics)}`);
  if ((er.violations ?? []).length || extErrors.length) {
    failed++;
    console.log(`not ok - extension page CSP violations or errors: ${JSON.stringify([...(er.violations ?? []), ...extErrors])}`);
  } else {
    passed++;
  }
} catch (e) {
  failed++;
  console.log(`not ok - runner: ${e && e.stack ? e.stack : e}`);
} finally {
  if (context) await context.close();
  server.close();
  await rm(profile, { recursive: true, force: true });
  await rm(extDir, { recursive: true, force: true });
}
console.log(`wasm-chromium: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
