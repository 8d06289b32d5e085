// Shared helpers for the node --test suites.
import { createRequire } from 'node:module'
import { spawn } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import assert from 'node:assert/strict'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)

/** Where the addon is loaded from: the test build's loader, unless VAULT_NODE_ADDON names another loader (or a `.node` file). */
export const ADDON = process.env.VAULT_NODE_ADDON ?? join(here, '..', 'build-test', 'index.js')
/** The addon: the test build (with the `test-vectors` feature) unless VAULT_NODE_ADDON names another. */
export const vault = require(ADDON)
/** The native library itself (for NAPI_RS_NATIVE_LIBRARY_PATH, which the package's own index.js honours). */
export const ADDON_LIBRARY = ADDON.endsWith('.node') ? ADDON : join(dirname(ADDON), 'vault-node.linux-x64-gnu.node')

export const VECTOR_DIR = join(here, '..', '..', '..', 'test-vectors')

/** Every vector file's operation name. */
export function vectorFiles() {
  return readdirSync(VECTOR_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''))
    .sort()
}

/** The vectors of one file, after checking its header. */
export function load(name) {
  const doc = parseExact(readFileSync(join(VECTOR_DIR, `${name}.json`), 'utf8'))
  assert.equal(doc.operation, name)
  assert.equal(doc.format_version, 1)
  assert.ok(doc.vectors.length > 0, `${name}: no vectors`)
  return doc.vectors
}

/**
 * JSON.parse, except that integers beyond 2^53 (a u64 revision in the
 * envelope vectors) become BigInts instead of losing precision. The binding
 * accepts BigInt wherever a u64 goes. Numbers inside strings (JSON text
 * embedded in a vector, as in sync.json) are left as they are.
 */
export function parseExact(text) {
  const marked = text.replace(/"(?:[^"\\]|\\.)*"|(:\s*)(\d{16,})(\s*[,}\]])/g, (m, a, digits, b) =>
    digits === undefined || Number.isSafeInteger(Number(digits)) ? m : `${a}"${digits}n"${b}`)
  return JSON.parse(marked, (_, v) => (typeof v === 'string' && /^\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v))
}

export const isFail = (v) => v.name.startsWith('fail_')
export const unhex = (h) => Buffer.from(h, 'hex')
export const hex = (b) => Buffer.from(b).toString('hex')
export const b64u = (s) => Buffer.from(s, 'base64url')
export const seeded = (h) => vault.hazmat.seededRng(unhex(h))
export const key32 = (h) => vault.SymmetricKey.fromBytes(unhex(h))
export const PERMISSIVE = vault.kdfPolicy('permissive_test_only')
export const INSECURE = { memory_kib: 64, iterations: 1, parallelism: 1 }

/** The `code` a call throws (or 'NO ERROR'). */
export function codeOf(fn) {
  try {
    fn()
  } catch (e) {
    assert.ok(e instanceof Error, 'throws an Error')
    return e.code
  }
  return 'NO ERROR'
}

/** The `code` a promise rejects with (or 'NO ERROR'). */
export async function asyncCodeOf(promise) {
  try {
    await promise
  } catch (e) {
    assert.ok(e instanceof Error, 'rejects with an Error')
    return e.code
  }
  return 'NO ERROR'
}

/** A vault key from a vector's `{ vault, key_version, key_hex }`. */
export function vaultKey(v) {
  return vault.VaultKey.fromParts(v.vault, v.key_version, key32(v.key_hex))
}

/** The seeded account of the grant/vault vectors. */
export function accountFromSeed(password, seedHex) {
  return vault.createAccountSync(password, { params: INSECURE, rng: seeded(seedHex) }).account
}

/**
 * Starts `bin` (a vault-server build) on a free loopback port with a fresh
 * SQLite data directory; resolves with `{ proc, url }` once it listens.
 */
export async function startVaultServer (bin, dataDir, extra = []) {
  const env = { PATH: process.env.PATH, RUST_LOG: 'warn' } // no VAULT_* from the caller's shell
  const proc = spawn(bin, ['--listen', '127.0.0.1:0', '--data-dir', dataDir, ...extra], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  proc.stderr.on('data', (d) => { stderr += d })
  const url = await new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`vault-server did not start in 60 s: ${stderr}`)), 60_000)
    proc.stdout.on('data', (d) => {
      out += d
      const m = out.match(/listening on (http:\/\/\S+)/)
      if (m) { clearTimeout(timer); resolve(m[1]) }
    })
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`vault-server exited (${code}): ${stderr}`)) })
  })
  return { proc, url }
}

/** Stops a server started by `startVaultServer` (SIGTERM, then SIGKILL after 10 s). */
export async function stopVaultServer (s) {
  if (!s || s.proc.exitCode !== null) return
  const exited = new Promise((resolve) => s.proc.once('exit', resolve))
  s.proc.kill('SIGTERM')
  const t = setTimeout(() => s.proc.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(t)
}
