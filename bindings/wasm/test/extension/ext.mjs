// An extension page under the MV3 policy (script-src 'self' 'wasm-unsafe-eval'):
// the production module, the round trip, and the Web Worker path.
import init, * as prod from "../../dist/web/vault_wasm.js";
import { VaultWorker } from "../../dist/worker-client.js";
import { roundTripCases, runCases } from "../cases.mjs";
import { workerCases } from "../browser/worker-cases.mjs";

const violations = [];
document.addEventListener("securitypolicyviolation", (e) => violations.push(`${e.violatedDirective} blocked ${e.blockedURI}`));
const logEl = document.getElementById("log");
const metrics = {};

async function main() {
  await init();
  const cases = [
    ...roundTripCases(prod).map((c) => ({ ...c, name: `extension: ${c.name}` })),
    ...workerCases({ vault: prod, VaultWorker, reference: prod, metrics }).map((c) => ({ ...c, name: `extension ${c.name}` })),
  ];
  const r = await runCases(cases, (l) => (logEl.textContent += l + "\n"));
  window.__vaultResults = { ...r, violations, metrics };
}
main().catch((e) => {
  window.__vaultResults = { passed: 0, failed: 1, failures: [{ name: "extension page", message: String(e && e.stack) }], violations };
});
