// The binding's own contract: coded errors, opaque key handles, injected
// randomness, promises with AbortSignal, strict data objects.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { vault, INSECURE, PERMISSIVE, codeOf, asyncCodeOf, seeded } from './helpers.mjs'

test('errors are Errors with a stable code and a message without secrets', async () => {
  const { encrypted } = vault.createAccountSync('pw', { params: INSECURE })
  const secret = 'correct horse battery staple'
  for (const run of [
    () => vault.unlockAccountSync(encrypted, secret, { policy: PERMISSIVE }),
    () => vault.SecretKey.parse(`VK1-${secret}`),
    () => vault.validateItem({ title: 'x', data: { type: 'login', password: secret, bogus: secret } }),
    () => vault.openEnvelope(vault.SymmetricKey.generate(), { kind: 'account_key', account: encrypted.account }, secret),
  ]) {
    try {
      run()
      assert.fail('should throw')
    } catch (e) {
      assert.ok(e instanceof Error)
      assert.equal(typeof e.code, 'string')
      assert.ok(!e.message.includes(secret) && !e.message.includes('horse'), e.message)
    }
  }
  const rejected = await vault.unlockAccount(encrypted, secret, { policy: PERMISSIVE }).catch((e) => e)
  assert.ok(rejected instanceof Error)
  assert.equal(rejected.code, 'decrypt')
  assert.equal(rejected.message, 'decryption failed')
})

test('key handles are opaque until explicitly exported', () => {
  const k = vault.SymmetricKey.generate()
  assert.deepEqual(Object.keys(k), [])
  assert.equal(JSON.stringify(k), '{}')
  assert.ok(!inspect(k).match(/[0-9a-f]{16}/))
  const bytes = k.exportBytes()
  assert.equal(bytes.length, 32)
  assert.ok(vault.SymmetricKey.fromBytes(bytes).equals(k))
  assert.ok(!vault.SymmetricKey.generate().equals(k))
  assert.equal(codeOf(() => vault.SymmetricKey.fromBytes(Buffer.alloc(31))), 'malformed')
  const acct = vault.createAccountSync('pw', { params: INSECURE }).account
  assert.deepEqual(Object.keys(acct), [])
  assert.equal(JSON.stringify(acct), '{}')
  const { vaultKey } = acct.createVault({ name: 'v' })
  assert.equal(JSON.stringify(vaultKey), '{}')
  assert.match(vaultKey.vaultId, /^[0-9a-f-]{36}$/)
})

test('randomness: OS RNG by default; a seeded RNG reproduces, and moves into async calls', async () => {
  const a = vault.SymmetricKey.generate(seeded('07'.repeat(32)))
  const b = vault.SymmetricKey.generate(seeded('07'.repeat(32)))
  assert.ok(a.equals(b))
  assert.ok(!vault.SymmetricKey.generate().equals(vault.SymmetricKey.generate()))
  const os = vault.Rng.os()
  vault.SymmetricKey.generate(os)
  const rng = seeded('08'.repeat(32))
  await vault.createAccount('pw', { params: INSECURE, rng })
  assert.equal(codeOf(() => vault.SymmetricKey.generate(rng)), 'invalid_argument')
  await vault.createAccount('pw', { params: INSECURE, rng: os })
  vault.SymmetricKey.generate(os) // the OS RNG stays usable
})

test('KDF presets and policy', () => {
  assert.deepEqual(vault.kdfPreset('default'), { memory_kib: 65536, iterations: 3, parallelism: 4 })
  assert.deepEqual(vault.kdfPreset('constrained'), { memory_kib: 32768, iterations: 4, parallelism: 2 })
  assert.deepEqual(vault.kdfPreset('sensitive'), { memory_kib: 262144, iterations: 4, parallelism: 4 })
  assert.equal(codeOf(() => vault.kdfPreset('turbo')), 'invalid_argument')
  const policy = vault.kdfPolicy()
  assert.equal(policy.min_memory_kib, 19 * 1024)
  vault.checkKdfParams(vault.kdfPreset('default'))
  assert.equal(codeOf(() => vault.checkKdfParams({ memory_kib: 16, iterations: 3, parallelism: 1 })), 'kdf_policy')
  assert.equal(codeOf(() => vault.checkKdfParams({ memory_kib: 64 << 20, iterations: 3, parallelism: 4 })), 'kdf_policy')
  vault.checkKdfParams(INSECURE, PERMISSIVE)
  assert.equal(codeOf(() => vault.checkKdfParams({ ...INSECURE, extra: 1 })), 'malformed')
  assert.equal(b64len(vault.generateKdfSalt()), 16)
})
const b64len = (s) => Buffer.from(s, 'base64url').length

test('async KDF runs off the event loop and honours AbortSignal for queued work', async () => {
  const cfg = { params: { memory_kib: 8192, iterations: 2, parallelism: 1 }, salt: vault.generateKdfSalt() }
  let ticks = 0
  const timer = setInterval(() => ticks++, 1)
  const busy = Array.from({ length: 4 }, () => vault.deriveMasterKeys('pw', cfg, { policy: PERMISSIVE }))
  const ac = new AbortController()
  const queued = vault.deriveMasterKeys('pw', cfg, { policy: PERMISSIVE, signal: ac.signal })
  ac.abort()
  await assert.rejects(queued, (e) => e.name === 'AbortError')
  const keys = await Promise.all(busy)
  clearInterval(timer)
  assert.ok(keys.every((k) => k.authKey.equals(keys[0].authKey)))
  assert.ok(ticks > 0, 'the event loop kept turning')
  const sync = vault.deriveMasterKeysSync('pw', cfg, { policy: PERMISSIVE })
  assert.ok(sync.kek.equals(keys[0].kek))
})

test('items: strict objects, every type, overview, list with partial failures', async () => {
  const vk = vault.VaultKey.generate()
  assert.equal(vk.keyVersion, 1)
  assert.equal(codeOf(() => vault.validateItem({ title: 'x', data: { type: 'nope' } })), 'malformed')
  assert.equal(codeOf(() => vault.validateItem({ title: 'x', data: { type: 'secure_note' }, extra: 1 })), 'malformed')
  assert.equal(codeOf(() => vk.encryptItem(vault.generateItemId(), -1, { title: 'x', data: { type: 'secure_note' } })), 'invalid_argument')
  assert.equal(codeOf(() => vk.encryptItem('not-a-uuid', 1, { title: 'x', data: { type: 'secure_note' } })), 'malformed')
  const enc = vk.encryptItem(vault.generateItemId(), 1, { title: 'Note', data: { type: 'secure_note' }, notes: 'n' })
  const other = vault.VaultKey.generate().encryptItem(vault.generateItemId(), 1, { title: 'x', data: { type: 'secure_note' } })
  const input = [enc, { ...enc, overview: enc.details }, other, 42, { ...enc, details: '!!' }]
  for (const rows of [vk.decryptListSync(input), await vk.decryptList(input)]) {
    assert.deepEqual(rows.map((r) => r.ok), [true, false, false, false, false])
    assert.deepEqual(rows.map((r) => r.code ?? 'ok'), ['ok', 'decrypt', 'decrypt', 'malformed', 'malformed'])
    assert.equal(rows[2].item, other.item)
    assert.equal(rows[3].item, null)
  }
  // The stored items as JSON text (e.g. a database column) give the same rows.
  const fromText = await vk.decryptList(JSON.stringify(input))
  assert.deepEqual(fromText.map((r) => r.code ?? 'ok'), ['ok', 'decrypt', 'decrypt', 'malformed', 'malformed'])
  assert.equal(codeOf(() => vk.decryptListSync('{"not":"an array"}')), 'malformed')
  // Objects JSON.stringify cannot handle (a BigInt revision) take the per-object path.
  const big = vk.decryptListSync([{ ...enc, revision: BigInt(enc.revision) }, 42])
  assert.deepEqual(big.map((r) => r.code ?? 'ok'), ['ok', 'malformed'])
  assert.deepEqual(vk.decryptOverview(JSON.stringify(enc)).overview, { v: 1, kind: 'secure_note', title: 'Note' })
  assert.deepEqual(vk.decryptOverview(enc).overview, { v: 1, kind: 'secure_note', title: 'Note' })
  assert.deepEqual(vault.parseDotenv('# c\nA=1\nexport B="two"\n'), [{ key: 'A', value: '1' }, { key: 'B', value: 'two' }])
})

test('envelopes with explicit contexts', () => {
  const key = vault.SymmetricKey.generate()
  const ctx = { kind: 'vault_meta', vault: vault.generateVaultId(), key_version: 3 }
  const text = vault.sealEnvelope(key, ctx, Buffer.from('hello'), { algorithm: 'aes256-gcm' })
  assert.deepEqual(vault.openEnvelope(key, ctx, text), Buffer.from('hello'))
  assert.deepEqual(vault.openEnvelope(key, ctx, Buffer.from(text, 'base64url')), Buffer.from('hello'))
  assert.equal(codeOf(() => vault.openEnvelope(key, { ...ctx, key_version: 4 }, text)), 'decrypt')
  assert.equal(codeOf(() => vault.openEnvelope(key, { kind: 'nope' }, text)), 'malformed')
  assert.equal(vault.envelopeAad(ctx, 'aes256-gcm').length, 4 + 3 + 16 + 4)
})

test('normalizeIdentifier: one canonical form per account, look-alikes refused', () => {
  assert.equal(vault.normalizeIdentifier('Alice@Example.COM'), 'alice@example.com')
  assert.equal(vault.normalizeIdentifier('\uff41lice@example.com'), 'alice@example.com')
  assert.equal(vault.normalizeIdentifier('ali\u0301ce@example.com'), 'al\u00edce@example.com')
  assert.equal(vault.normalizeIdentifier('\u0438\u0432\u0430\u043d@example.com'), '\u0438\u0432\u0430\u043d@example.com')
  for (const bad of ['\u0430lice@example.com', 'alice\u200b@example.com', 'alice @example.com', '']) {
    assert.equal(codeOf(() => vault.normalizeIdentifier(bad)), 'malformed', JSON.stringify(bad))
  }
})
