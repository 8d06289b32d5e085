// Node suite: `node --test test/node.test.mjs` (after build.sh and build.sh --test).
// Replays every file in test-vectors/ through the test build (seeded RNG),
// runs the round trip and API cases against both the production build and the
// test build (the `nodejs` wasm-bindgen target), and type-checks a TypeScript
// consumer against the generated declarations.
import { test } from "node:test";
import { createRequire } from "node:module";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { vectorCases, roundTripCases, serverHalfCases, parseVectorJson } from "./cases.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, "..");
const vectorsDir = process.env.VAULT_TEST_VECTORS ?? join(pkg, "..", "..", "test-vectors");
const require = createRequire(import.meta.url);
const prod = require(join(pkg, "dist", "node", "vault_wasm.js"));
const testBuild = require(join(pkg, "dist-test", "node", "vault_wasm.js"));

const vectors = {};
for (const f of readdirSync(vectorsDir).filter((f) => f.endsWith(".json")).sort()) {
  vectors[f.replace(/\.json$/, "")] = parseVectorJson(readFileSync(join(vectorsDir, f), "utf8"));
}

test("builds: production has no seeded RNG, test build has one", () => {
  if (prod.isTestBuild() || typeof prod.Rng.seeded === "function") throw new Error("production build exposes a seeded RNG");
  if (typeof prod.Testing !== "undefined") throw new Error("production build exposes test helpers");
  if (!testBuild.isTestBuild()) throw new Error("test build lacks the test-vectors feature");
});

for (const c of vectorCases(testBuild, vectors)) test(`vectors: ${c.name}`, c.fn);
for (const c of roundTripCases(prod)) test(`prod: ${c.name}`, c.fn);
for (const c of roundTripCases(testBuild)) test(`test-build: ${c.name}`, c.fn);
for (const c of serverHalfCases(testBuild)) test(`test-build: ${c.name}`, c.fn);

test("TypeScript: a consumer type-checks against the generated .d.ts (tsc --strict)", (t) => {
  const tsc = join(pkg, "node_modules", "typescript", "bin", "tsc");
  if (!existsSync(tsc)) return t.skip("typescript not installed (npm ci)");
  const r = spawnSync(
    process.execPath,
    [tsc, "--noEmit", "--strict", "--target", "es2022", "--module", "es2022", "--moduleResolution", "bundler",
      "--lib", "esnext,dom", join(here, "types-check.ts")],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`tsc failed:\n${r.stdout}${r.stderr}`);
});
