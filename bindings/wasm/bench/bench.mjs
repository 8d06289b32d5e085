// Budget figure (measured and reported, never asserted; bench.sh prints sizes):
//   - Argon2id (m = 64 MiB, t = 3, p = 1) through vault-wasm in Node vs the npm
//     package hash-wasm's argon2id on the same inputs, in one run, with and
//     without simd128 (dist-simd/, from build.sh --simd).
//   node bench/bench.mjs [runs]
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { argon2id } from "hash-wasm";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, "..");
const require = createRequire(import.meta.url);
const runs = Number(process.argv[2] ?? 7);

const builds = [
  ["dist", "production (-Oz)"],
  ["dist-simd", "production + simd128"],
].filter(([d]) => existsSync(join(pkg, d, "node", "vault_wasm.js")));

const password = "correct horse battery staple";
const saltBytes = new Uint8Array(16).map((_, i) => i * 7 + 1);
const salt = Buffer.from(saltBytes).toString("base64url");
const params = { memory_kib: 65536, iterations: 3, parallelism: 1 };

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// Contenders run interleaved (A, B, C, A, B, C, …) so a change in machine load
// hits all of them alike; each runs once first as a warm-up.
const contenders = [
  {
    label: "hash-wasm argon2id",
    run: async () =>
      argon2id({ password, salt: saltBytes, parallelism: 1, iterations: 3, memorySize: 65536, hashLength: 32, outputType: "binary" }),
  },
  ...builds
    .map(([d, label]) => {
      const vault = require(join(pkg, d, "node", "vault_wasm.js"));
      return {
        label: `vault-wasm ${label}`,
        run: async () => {
          const k = vault.stretch(password, salt, params);
          const out = k.exportBytes();
          k.free();
          return out;
        },
      };
    }),
];

console.log(`\n== Argon2id m=64 MiB, t=3, p=1 in Node ${process.version}: median of ${runs} interleaved runs after a warm-up`);
const outputs = [];
for (const c of contenders) outputs.push(Buffer.from(await c.run()));
const times = contenders.map(() => []);
for (let i = 0; i < runs; i++) {
  for (const [j, c] of contenders.entries()) {
    const t0 = performance.now();
    await c.run();
    times[j].push(performance.now() - t0);
  }
}
const base = median(times[0]);
for (const [j, c] of contenders.entries()) {
  const m = median(times[j]);
  const ratio = j === 0 ? "" : ` = ${(m / base).toFixed(2)}x hash-wasm (goal <= 1.3x); output ${outputs[j].equals(outputs[0]) ? "identical" : "DIFFERENT"}`;
  console.log(`${c.label.padEnd(40)} ${m.toFixed(0).padStart(5)} ms (min ${Math.min(...times[j]).toFixed(0)})${ratio}`);
}

// Not a budget, for information: the list screen through the binding (one
// call, JSON across the boundary), 10,000 items, one thread.
{
  const vault = require(join(pkg, "dist", "node", "vault_wasm.js"));
  const acct = vault.Account.create("pw", { memory_kib: 64, iterations: 1, parallelism: 1 }).account;
  const { key } = acct.createVault({ name: "bench" });
  const items = [];
  for (let i = 0; i < 10000; i++) {
    items.push(key.encryptItem(vault.newItemId(), 1, {
      title: `Item ${i}`,
      data: { type: "login", username: `user${i}@example.com`, password: "pw", uris: ["https://example.com"] },
    }));
  }
  const text = JSON.stringify(items);
  key.decryptList(text);
  const t = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const rows = key.decryptList(text);
    t.push(performance.now() - t0);
    if (rows.length !== 10000 || !rows[9999].ok) throw new Error("list decrypt failed");
  }
  console.log(`\n== decryptList, 10,000 items (JSON text in, objects out), Node: ${median(t).toFixed(0)} ms median of 5`);
}
