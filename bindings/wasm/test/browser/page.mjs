// The browser half of the suite: the same cases as Node, plus the Web Worker
// path and CSP checks. Results go to window.__vaultResults for the runner.
import initTest, * as testBuild from "../../dist-test/web/vault_wasm.js";
import initProd, * as prod from "../../dist/web/vault_wasm.js";
import { VaultWorker } from "../../dist/worker-client.js";
import { workerCases } from "./worker-cases.mjs";
import {
  vectorCases,
  roundTripCases,
  serverHalfCases,
  runCases,
  parseVectorJson,
  eq,
} from "../cases.mjs";

const violations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  violations.push(`${e.violatedDirective} blocked ${e.blockedURI || "(inline)"}`),
);
const logEl = document.getElementById("log");
const log = (line) => {
  logEl.textContent += line + "\n";
};
const metrics = {};

function cspCases() {
  return [
    {
      name: "csp: eval and new Function are refused (the policy is in force)",
      fn() {
        let blocked = 0;
        try {
          (0, eval)("1 + 1");
        } catch (e) {
          blocked += e instanceof EvalError ? 1 : 0;
        }
        try {
          new Function("return 1")();
        } catch (e) {
          blocked += e instanceof EvalError ? 1 : 0;
        }
        eq(blocked, 2, "eval and Function blocked");
      },
    },
  ];
}

async function main() {
  await initTest();
  await initProd();
  const files = await (await fetch("/test-vectors/index.json")).json();
  const vectors = {};
  for (const f of files) {
    vectors[f.replace(/\.json$/, "")] = parseVectorJson(await (await fetch(`/test-vectors/${f}`)).text());
  }
  const prefixed = (p, cs) => cs.map((c) => ({ ...c, name: `${p}: ${c.name}` }));
  const cases = [
    ...cspCases(),
    ...prefixed("vectors", vectorCases(testBuild, vectors)),
    ...prefixed("prod", roundTripCases(prod)),
    ...prefixed("test-build", serverHalfCases(testBuild)),
    ...workerCases({ vault: prod, VaultWorker, reference: testBuild, metrics }),
  ];
  const results = await runCases(cases, log);
  results.violations = violations;
  results.metrics = metrics;
  results.userAgent = navigator.userAgent;
  log(`${results.passed} passed, ${results.failed} failed`);
  window.__vaultResults = results;
}

main().catch((e) => {
  window.__vaultResults = { passed: 0, failed: 1, failures: [{ name: "page", message: String(e && e.stack ? e.stack : e) }], violations };
});
