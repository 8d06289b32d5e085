// Service secrets (createSecretsClient = vault-secrets' client) against a
// real vault-server on SQLite. An admin drives the `vault` CLI (register,
// project create, secret set from stdin, service create-token / revoke);
// the Node client then reads as the service: granted secrets, per-name
// results, the list, getAll with a schema, error codes (`secret_not_found`,
// `access_requested`, `unauthenticated`, `config`, `closed`, …), the
// configuration rules (options over environment, token file permissions),
// the watcher, and examples/node-service run as a child process.
//
// test.sh builds vault-server and the vault CLI and sets VAULT_SERVER_BIN
// and VAULT_CLI_BIN; without them these tests are skipped (saying so).
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { vault, ADDON_LIBRARY, startVaultServer, stopVaultServer } from './helpers.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const SERVER_BIN = process.env.VAULT_SERVER_BIN
const CLI_BIN = process.env.VAULT_CLI_BIN
const skip = SERVER_BIN && CLI_BIN
  ? false
  : 'VAULT_SERVER_BIN and VAULT_CLI_BIN are not both set (bash test.sh builds vault-server and the vault CLI and sets them)'
const { createSecretsClient, SecretsClientBase } = vault

const root = mkdtempSync(join(tmpdir(), 'vault-node-secrets-'))
const ADMIN_PW = 'admin-password-Node-7Qx'
const VALUE_A = 'postgres://user:pw-A1b2@db.internal/app'
const VALUE_A2 = 'postgres://user:pw-rotated-C3d4@db.internal/app'
const VALUE_B = 'sk_live_node_B5e6'
const VALUE_C = 'ungranted-C7f8'
const SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'billing-node',
  type: 'object',
  properties: {
    DATABASE_URL: { type: 'string', description: 'primary database' },
    STRIPE_KEY: { type: 'string', description: 'payments API key' },
    SENTRY_DSN: { type: 'string', description: 'error reporting (optional, not set)' },
  },
  required: ['DATABASE_URL'],
}
const A = 'DATABASE_URL'
const B = 'STRIPE_KEY'
const C = 'ADMIN_ONLY_KEY'

let server // { proc, url }
let project // the project's id, as `vault project create` printed it
let token // the service token (`vst1.…`), granted A and B
/** Every message a client error carried: none may hold a value or the token. */
const messages = []

after(async () => {
  await stopVaultServer(server)
  rmSync(root, { recursive: true, force: true })
})

/** Runs the admin's `vault` (password in VAULT_PASSWORD; `stdin` piped in). */
function admin (args, stdin) {
  const r = spawnSync(CLI_BIN, args, {
    input: stdin ?? '',
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: root,
      VAULT_SERVER: server.url,
      VAULT_DIR: join(root, 'admin'),
      VAULT_KDF_POLICY: 'permissive_test_only',
      VAULT_PASSWORD: ADMIN_PW,
    },
  })
  if (r.status !== 0) throw new Error(`vault ${args.join(' ')} failed (${r.status}): ${r.stderr}`)
  return r.stdout
}

/** The error a promise rejects with (fails if it resolves). */
async function rejection (promise) {
  try {
    await promise
  } catch (e) {
    assert.ok(e instanceof Error, 'rejects with an Error')
    assert.equal(typeof e.code, 'string')
    messages.push(e.message)
    return e
  }
  assert.fail('expected a rejection')
}

/** The error a call throws (fails if it returns). */
function thrown (fn) {
  try {
    fn()
  } catch (e) {
    assert.ok(e instanceof Error, 'throws an Error')
    assert.equal(typeof e.code, 'string')
    messages.push(e.message)
    return e
  }
  assert.fail('expected a throw')
}

/** Polls `fn` until it returns true (or fails after `ms`). */
async function eventually (what, fn, ms = 20_000) {
  const until = Date.now() + ms
  for (;;) {
    if (await fn()) return
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

const client = (extra = {}) => createSecretsClient({ server: server.url, token, ...extra })

test('secrets: an admin sets up a project, three secrets and a token for two of them (vault CLI)', { skip }, async () => {
  server = await startVaultServer(SERVER_BIN, join(root, 'server'))
  admin(['register', 'admin@example.com', '--kdf', 'insecure-test-only'])
  const created = admin(['project', 'create', 'billing']).trim().split('\n')
  assert.equal(created.length, 2, created.join('\n'))
  project = created[0]
  assert.match(project, /^[0-9a-f-]{36}$/)
  assert.match(created[1], /^vpr1\./)
  admin(['secret', 'set', 'billing', A, '--description', 'primary database'], `${VALUE_A}\n`)
  admin(['secret', 'set', 'billing', B], VALUE_B)
  admin(['secret', 'set', 'billing', C], VALUE_C)
  token = admin(['service', 'create-token', '--project', 'billing', '--name', 'node-billing', '--secrets', `${A},${B}`])
  assert.equal(token.split('\n').length, 2, 'the token alone, on one line')
  token = token.trim()
  assert.match(token, /^vst1\./)
})

test('secrets: the service reads what it was granted', { skip }, async () => {
  const s = client({ cacheTtlMs: 0 })
  assert.ok(s instanceof SecretsClientBase)
  assert.equal(s.project, project)
  assert.match(s.service, /^[0-9a-f-]{36}$/)
  assert.equal(s.server, server.url)
  assert.equal(s.isWatching, false)
  assert.equal(await s.getSecret(A), VALUE_A, 'the final newline from stdin is dropped by the CLI')
  assert.equal(await s.getSecret(B), VALUE_B)
  // Concurrent first calls share one connection; later ones run side by side.
  const t = client()
  assert.deepEqual(await Promise.all([t.getSecret(A), t.getSecret(B), t.getSecret(A)]), [VALUE_A, VALUE_B, VALUE_A])
  assert.throws(() => new SecretsClientBase(), 'no public constructor')
  await s.close()
  await t.close()
})

test('secrets: a missing name is secret_not_found, an ungranted one access_requested', { skip }, async () => {
  const s = client()
  const missing = await rejection(s.getSecret('NO_SUCH_SECRET'))
  assert.equal(missing.code, 'secret_not_found')
  const ungranted = await rejection(s.getSecret(C))
  assert.equal(ungranted.code, 'access_requested')
  // Asked again: still refused (the request is pending), same code.
  assert.equal((await rejection(s.getSecret(C))).code, 'access_requested')
  // Not a secret name (the rule is vault-core's): refused here, not sent.
  assert.equal((await rejection(s.getSecret('has space'))).code, 'invalid_argument')
  assert.equal((await rejection(s.getSecret(''))).code, 'invalid_argument')
  // The admin sees the stub and the request (names sealed to the project,
  // opened on the admin's device).
  const requests = admin(['--json', 'requests', 'ls', '--project', 'billing'])
  assert.ok(requests.includes(C), requests)
  await s.close()
})

test('secrets: getSecrets gives one result per name, in order', { skip }, async () => {
  const s = client()
  const got = await s.getSecrets([A, 'NO_SUCH_SECRET', C, B])
  assert.equal(got.length, 4)
  assert.deepEqual(got[0], { name: A, ok: true, value: VALUE_A })
  assert.equal(got[1].name, 'NO_SUCH_SECRET')
  assert.equal(got[1].ok, false)
  assert.equal(got[1].code, 'secret_not_found')
  assert.equal(typeof got[1].message, 'string')
  assert.equal(got[2].code, 'access_requested')
  assert.deepEqual(got[3], { name: B, ok: true, value: VALUE_B })
  for (const r of got) if (!r.ok) messages.push(r.message)
  assert.deepEqual(await s.getSecrets([]), [])
  // A bad name fails the whole call (nothing is sent).
  assert.equal((await rejection(s.getSecrets([A, 'bad/name']))).code, 'invalid_argument')
  await s.close()
})

test('secrets: listSecrets gives every granted secret, by name', { skip }, async () => {
  const s = client()
  assert.deepEqual(await s.listSecrets(), [{ name: A, value: VALUE_A }, { name: B, value: VALUE_B }])
  await s.close()
})

test('secrets: getAll with a schema (object, text, or first argument); required ones must be present', { skip }, async () => {
  const s = client({ schema: SCHEMA })
  const all = await s.getAll()
  assert.deepEqual(all, { [A]: VALUE_A, [B]: VALUE_B })
  assert.equal(Object.hasOwn(all, 'SENTRY_DSN'), false, 'an optional secret that is missing is left out')
  // The schema as JSON text, and as the first argument (what
  // `vault secrets schema typescript` declares).
  const t = createSecretsClient(JSON.stringify(SCHEMA), { server: server.url, token })
  assert.deepEqual(await t.getAll(), all)
  const u = createSecretsClient(SCHEMA, { server: server.url, token })
  assert.deepEqual(await u.getAll(), all)
  // A required secret that is not granted: the whole call is refused.
  const strict = client({ schema: { properties: { [A]: {}, [C]: {} }, required: [A, C] } })
  assert.equal((await rejection(strict.getAll())).code, 'access_requested')
  const missing = client({ schema: { properties: { [A]: {}, NOPE_REQUIRED: {} }, required: ['NOPE_REQUIRED'] } })
  assert.equal((await rejection(missing.getAll())).code, 'secret_not_found')
  // Without a schema there are no names to get.
  const none = client()
  assert.equal((await rejection(none.getAll())).code, 'invalid_argument')
  // Schema descriptions go along with single reads too (no behaviour change here).
  assert.equal(await s.getSecret(A), VALUE_A)
  for (const c of [s, t, u, strict, missing, none]) await c.close()
})

test('secrets: configuration from options, the environment and a token file; typed errors that never echo the token', { skip }, async () => {
  // Environment fallback (VAULT_SERVER, VAULT_SERVICE_TOKEN), as from_env reads it.
  process.env.VAULT_SERVER = server.url
  process.env.VAULT_SERVICE_TOKEN = token
  try {
    const fromEnv = createSecretsClient()
    assert.equal(await fromEnv.getSecret(B), VALUE_B)
    await fromEnv.close()
    // An option replaces its variable: a token file instead of the env token.
    const file = join(root, 'token')
    writeFileSync(file, `${token}\n`, { mode: 0o600 })
    const fromFile = createSecretsClient({ tokenFile: file })
    assert.equal(await fromFile.getSecret(A), VALUE_A)
    await fromFile.close()
    // A token file others may read is refused (with the fix in the message).
    chmodSync(file, 0o644)
    const open = thrown(() => createSecretsClient({ tokenFile: file }))
    assert.equal(open.code, 'config')
    assert.match(open.message, /chmod 600/)
    chmodSync(file, 0o600)
    // Both token variables set: ambiguous.
    process.env.VAULT_SERVICE_TOKEN_FILE = file
    assert.equal(thrown(() => createSecretsClient()).code, 'config')
  } finally {
    delete process.env.VAULT_SERVER
    delete process.env.VAULT_SERVICE_TOKEN
    delete process.env.VAULT_SERVICE_TOKEN_FILE
  }
  // Nothing configured.
  assert.equal(thrown(() => createSecretsClient()).code, 'config')
  assert.equal(thrown(() => createSecretsClient({ server: server.url })).code, 'config')
  // A token that is not one: refused without repeating it.
  const bad = `${token.slice(0, -4)}AAAA`
  const e = thrown(() => createSecretsClient({ server: server.url, token: bad }))
  assert.equal(e.code, 'config')
  assert.ok(!e.message.includes(bad.slice(5, 30)), e.message)
  // Plain http:// to another host only when allowed.
  assert.equal(thrown(() => client({ server: 'http://vault.example.com:8080' })).code, 'config')
  assert.ok(client({ server: 'http://vault.example.com:8080', allowInsecureHttp: true }))
  assert.equal(thrown(() => client({ server: 'ftp://x' })).code, 'config')
  // Options the client does not know, and values of the wrong type.
  assert.equal(thrown(() => client({ tokenfile: '/x' })).code, 'invalid_argument')
  assert.equal(thrown(() => client({ cacheTtlMs: 'soon' })).code, 'invalid_argument')
  assert.equal(thrown(() => client({ cacheTtlMs: -1 })).code, 'invalid_argument')
  assert.equal(thrown(() => client({ timeoutMs: 0 })).code, 'invalid_argument')
  assert.equal(thrown(() => client({ connectTimeoutMs: Infinity })).code, 'invalid_argument')
  assert.equal(thrown(() => createSecretsClient(42)).code, 'invalid_argument')
  // Schemas are checked by vault-core: the place is named, values are refused.
  const s1 = thrown(() => client({ schema: { properties: { A: { type: 'number' } } } }))
  assert.equal(s1.code, 'malformed')
  assert.match(s1.message, /\/properties\/A\/type/)
  const s2 = thrown(() => client({ schema: { properties: { A: { type: 'string', default: 'sk_live_leak' } } } }))
  assert.equal(s2.code, 'malformed')
  assert.ok(!s2.message.includes('sk_live_leak'), s2.message)
  assert.equal(thrown(() => client({ schema: '{not json' })).code, 'malformed')
  assert.equal(thrown(() => createSecretsClient(SCHEMA, { server: server.url, token, schema: SCHEMA })).code, 'invalid_argument')
  // Unreachable server: `network`, on the first call.
  const down = client({ server: 'http://127.0.0.1:9', connectTimeoutMs: 2000 })
  assert.equal((await rejection(down.getSecret(A))).code, 'network')
})

test('secrets: watch() drops a changed value at once; revocation makes reads unauthenticated', { skip }, async () => {
  // Both cache for a minute; only one watches.
  const watched = client({ cacheTtlMs: 60_000 })
  const unwatched = client({ cacheTtlMs: 60_000 })
  assert.equal(await watched.getSecret(A), VALUE_A)
  assert.equal(await unwatched.getSecret(A), VALUE_A)
  await watched.watch()
  await watched.watch() // idempotent
  assert.equal(watched.isWatching, true)
  assert.equal(unwatched.isWatching, false)

  admin(['secret', 'set', 'billing', A], VALUE_A2)
  await eventually('the watcher to drop the cached value', async () => (await watched.getSecret(A)) === VALUE_A2)
  assert.equal(await unwatched.getSecret(A), VALUE_A, 'without the watcher the cached value lives out its TTL')
  const fresh = client()
  assert.equal(await fresh.getSecret(A), VALUE_A2)
  await fresh.close()

  admin(['service', 'revoke', '--project', 'billing', 'node-billing'])
  await eventually('reads to fail after the revocation', async () => {
    try {
      await watched.getSecret(B)
      return false
    } catch (e) {
      messages.push(e.message)
      assert.equal(e.code, 'unauthenticated')
      return true
    }
  })
  const after = client()
  assert.equal((await rejection(after.getSecret(B))).code, 'unauthenticated')
  assert.equal((await rejection(after.listSecrets())).code, 'unauthenticated')

  // close(): later calls are refused; closing again is fine.
  await watched.close()
  assert.equal(watched.isWatching, false)
  assert.equal((await rejection(watched.getSecret(A))).code, 'closed')
  assert.equal((await rejection(watched.watch())).code, 'closed')
  await watched.close()
  await unwatched.close()
  await after.close()
})

test('secrets: examples/node-service runs against the server', { skip }, async () => {
  // A fresh token (the first one was revoked above).
  const svcToken = admin(['service', 'create-token', '--project', 'billing', '--name', 'node-example', '--secrets', `${A},${B}`]).trim()
  // The example as a user has it: its own directory, @vault/node installed
  // (here: linked to this package, loading the test build of the addon).
  const app = join(root, 'node-service')
  cpSync(join(here, '..', '..', '..', 'examples', 'node-service'), app, { recursive: true, filter: (p) => !p.includes('node_modules') })
  mkdirSync(join(app, 'node_modules', '@vault'), { recursive: true })
  symlinkSync(join(here, '..'), join(app, 'node_modules', '@vault', 'node'), 'dir')
  const child = spawn(process.execPath, ['index.mjs', '--check'], {
    cwd: app,
    env: {
      PATH: process.env.PATH,
      VAULT_SERVER: server.url,
      VAULT_SERVICE_TOKEN: svcToken,
      NAPI_RS_NATIVE_LIBRARY_PATH: ADDON_LIBRARY,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => { out += d })
  child.stderr.on('data', (d) => { err += d })
  const code = await new Promise((resolve) => child.on('exit', resolve))
  assert.equal(code, 0, `example failed: ${err}${out}`)
  assert.match(out, /DATABASE_URL: \d+ bytes/)
  assert.match(out, /STRIPE_KEY: \d+ bytes/)
  assert.match(out, /SENTRY_DSN: not set/)
  for (const v of [VALUE_A, VALUE_A2, VALUE_B, svcToken]) {
    assert.ok(!out.includes(v) && !err.includes(v), 'the example prints no value and no token')
  }
})

test('secrets: no error message holds a value or the token', { skip }, () => {
  assert.ok(messages.length >= 20, `only ${messages.length} messages collected`)
  for (const m of messages) {
    for (const v of [VALUE_A, VALUE_A2, VALUE_B, VALUE_C, token]) assert.ok(!m.includes(v), `message holds a secret: ${m}`)
    assert.ok(!m.includes(token.slice(5, 40)), `message holds part of the token: ${m}`)
  }
})
