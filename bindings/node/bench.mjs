// Budgets for the Node binding (measured and reported, never asserted):
//   1. per-call overhead of one small decrypt (an item overview of ~256 B
//      plaintext) through the binding vs the same call in Rust;
//   2. bulk decrypt of 10,000 items (sync and async) vs native.
// Run through bench.sh, which builds the release addon and the native
// example first. Prints a table and `key=value` lines. Every figure is the
// fastest of several timed batches (binding and native alike).
import { createRequire } from 'node:module'
import { execFileSync } from 'node:child_process'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir, cpus } from 'node:os'
import { join } from 'node:path'

const require = createRequire(import.meta.url)
const vault = require(process.env.VAULT_NODE_ADDON ?? './index.js')
const N = Number(process.env.BENCH_ITEMS ?? 10_000)
const native = process.env.NATIVE_FIGURES

// ~256 B of overview plaintext: title, subtitle (user name), icon URL, tags.
function item(i) {
  const n = String(i).padStart(5, '0')
  return {
    title: `Production database primary (${n}) – eu-west-1`,
    data: {
      type: 'login',
      username: `firstname.lastname+${n}@example.com`,
      password: `Xk9#mQ2$vL7!pR4&wT${n}zN`,
      uris: [`https://console.example.com/databases/${n}/login`],
    },
    tags: ['work', 'prod'],
    favorite: i % 10 === 0,
  }
}

// The fastest batch: on a shared 2-core machine the minimum is the least
// disturbed estimate of the uncontended cost (the native side does the same).
const best = (xs) => Math.min(...xs)

function nsPerCall(f) {
  let calls = 0
  const t0 = process.hrtime.bigint()
  while (process.hrtime.bigint() - t0 < 5_000_000n) { f(); calls++ }
  const per = Number(process.hrtime.bigint() - t0) / calls
  const iters = Math.max(1, Math.floor(20e6 / per))
  const samples = []
  for (let b = 0; b < 16; b++) {
    const t = process.hrtime.bigint()
    for (let i = 0; i < iters; i++) f()
    if (b > 0) samples.push(Number(process.hrtime.bigint() - t) / iters)
  }
  return best(samples)
}

async function msPerRun(runs, f) {
  await f()
  const samples = []
  for (let r = 0; r < runs; r++) {
    const t = process.hrtime.bigint()
    await f()
    samples.push(Number(process.hrtime.bigint() - t) / 1e6)
  }
  return best(samples)
}

const vk = vault.VaultKey.generate()
const items = Array.from({ length: N }, (_, i) => vk.encryptItem(vault.generateItemId(), 1, item(i)))
const first = items[0]
const overviewBytes = Buffer.byteLength(JSON.stringify(vk.decryptOverview(first).overview))

const fig = {}
fig.node_version = process.version
fig.cores = cpus().length
fig.items = N
fig.overview_plaintext_bytes = overviewBytes
fig.binding_overview_ns = nsPerCall(() => vk.decryptOverview(first))
fig.binding_list_sync_ms = await msPerRun(9, () => vk.decryptListSync(items))
fig.binding_list_async_ms = await msPerRun(9, () => vk.decryptList(items))
// Main-thread share of the async call: the time until the promise exists
// (input conversion), the rest runs on a libuv worker, then rows are built.
{
  const calls = []
  await msPerRun(9, async () => {
    const t = process.hrtime.bigint()
    const p = vk.decryptList(items)
    calls.push(Number(process.hrtime.bigint() - t) / 1e6)
    await p
  })
  fig.binding_list_async_call_ms = best(calls)
}
const json = JSON.stringify(items)
fig.js_json_stringify_items_ms = await msPerRun(9, () => JSON.stringify(items))
fig.js_json_parse_items_ms = await msPerRun(9, () => JSON.parse(json))

if (native) {
  const dir = mkdtempSync(join(tmpdir(), 'vault-node-bench-'))
  const fixture = join(dir, 'fixture.json')
  writeFileSync(fixture, JSON.stringify({
    key_hex: vk.exportKey().exportBytes().toString('hex'), vault: vk.vaultId, key_version: vk.keyVersion, items,
  }))
  const out = execFileSync(native, [fixture], { encoding: 'utf8' })
  for (const line of out.trim().split('\n')) {
    const [k, v] = line.split('=')
    fig[k] = Number(v)
  }
  fig.overhead_per_call_ns = fig.binding_overview_ns - fig.native_overview_ns
  fig.overhead_ratio = fig.binding_overview_ns / fig.native_overview_ns
  fig.list_sync_ratio = fig.binding_list_sync_ms / fig.native_list_ms
  fig.list_async_ratio = fig.binding_list_async_ms / fig.native_list_ms
}

const r = (x, d = 1) => (typeof x === 'number' ? x.toFixed(d) : String(x))
console.log(`\nVault Node binding budgets (${fig.node_version}, ${fig.cores} cores, ${N} items, overview ${overviewBytes} B)\n`)
console.log('| what | binding | native (Rust) |')
console.log('|---|---|---|')
console.log(`| one overview decrypt, per call | ${r(fig.binding_overview_ns, 0)} ns | ${r(fig.native_overview_ns, 0)} ns (parse+serialize: ${r(fig.native_overview_parse_serialize_ns, 0)} ns) |`)
console.log(`| ${N} overviews, sync | ${r(fig.binding_list_sync_ms, 2)} ms | ${r(fig.native_list_ms, 2)} ms (parse+serialize: ${r(fig.native_list_parse_serialize_ms, 2)} ms) |`)
console.log(`| ${N} overviews, async (of which on the main thread before the promise) | ${r(fig.binding_list_async_ms, 2)} ms (${r(fig.binding_list_async_call_ms, 2)} ms) | |`)
console.log(`\nper-call overhead: ${r(fig.overhead_per_call_ns, 0)} ns (${r(fig.overhead_ratio, 2)}x native)`)
console.log(`for scale: JSON.stringify / JSON.parse of the ${N} stored items in JS: ${r(fig.js_json_stringify_items_ms, 2)} / ${r(fig.js_json_parse_items_ms, 2)} ms\n`)
for (const [k, v] of Object.entries(fig)) console.log(`${k}=${typeof v === 'number' ? r(v, 3) : v}`)
