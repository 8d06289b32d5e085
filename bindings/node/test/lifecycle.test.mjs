// Account lifecycle without a server: device quick unlock (the device key
// round-trips through "the keystore" as bytes), PIN unlock with its attempt
// counter and lockout, the recovery kit (words and a Shamir split), and
// account key rotation outdating every old wrap.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { vault, INSECURE, PERMISSIVE, codeOf, asyncCodeOf } from './helpers.mjs'

const PW = 'lifecycle correct horse'
const PIN = '482913'

function setup () {
  const { account, encrypted } = vault.createAccountSync(PW, { params: INSECURE })
  const { vaultKey, wrapped } = account.createVault({ name: 'Personal' })
  return { account, record: encrypted, vaultKey, wrapped }
}

test('device unlock: the device key round-trips through the keystore', () => {
  const { account, record, vaultKey, wrapped } = setup()
  assert.equal(account.keyGeneration, 1)
  const device = vault.newDeviceId()
  assert.match(device, /^[0-9a-f-]{36}$/)
  const { deviceKey, wrap } = account.enableDeviceUnlock(device)
  assert.equal(wrap.device, device)
  assert.equal(wrap.generation, 1)

  // What the app keeps: the key's bytes in the keystore, the wrap as JSON.
  const keystore = deviceKey.exportBytes()
  const stored = JSON.stringify(wrap)
  const again = vault.unlockAccountWithDevice(stored, vault.SymmetricKey.fromBytes(keystore), JSON.stringify(record))
  assert.equal(again.accountId, account.accountId)
  assert.ok(again.unwrapVaultKey(wrapped).equals(vaultKey))

  assert.equal(codeOf(() => vault.unlockAccountWithDevice(wrap, vault.SymmetricKey.generate(), record)), 'decrypt')
  assert.equal(codeOf(() => vault.unlockAccountWithDevice({ ...wrap, device: vault.newDeviceId() }, deviceKey, record)), 'decrypt')
  assert.equal(codeOf(() => vault.unlockAccountWithDevice({ ...wrap, extra: 1 }, deviceKey, record)), 'malformed')
  assert.equal(codeOf(() => account.enableDeviceUnlock('not-a-uuid')), 'malformed')
  // An app-chosen device key works the same way.
  const own = vault.SymmetricKey.generate()
  const w2 = account.deviceUnlockWithKey(device, own)
  assert.equal(vault.unlockAccountWithDevice(w2, own, record).accountId, account.accountId)
})

test('PIN unlock: attempts are counted in the record, the last wrong one erases it', async () => {
  const { account, record } = setup()
  const device = vault.newDeviceId()
  let stored = await account.enablePinUnlock(device, PIN, 3, { params: INSECURE })
  assert.equal(stored.failed_attempts, 0)
  assert.equal(stored.max_attempts, 3)
  assert.equal(stored.device_bound, false)
  assert.equal(vault.pinRemainingAttempts(stored), 3)
  const opts = { policy: PERMISSIVE }
  // Every attempt resolves with the record to store, whatever happened.
  const tryPin = async (pin) => {
    const r = await vault.unlockAccountWithPin(JSON.stringify(stored), pin, record, opts)
    stored = r.pinUnlock
    return r
  }

  let r = await tryPin('000000')
  assert.deepEqual([r.ok, r.code, r.remainingAttempts], [false, 'authentication_failed', 2])
  assert.equal(stored.failed_attempts, 1)
  r = await tryPin(PIN)
  assert.equal(r.ok, true)
  assert.equal(r.account.accountId, account.accountId)
  assert.equal(r.remainingAttempts, 3, 'a right PIN resets the count')
  assert.equal(stored.failed_attempts, 0)

  assert.equal((await tryPin('111111')).remainingAttempts, 2)
  assert.equal((await tryPin('222222')).remainingAttempts, 1)
  r = await tryPin('333333')
  assert.deepEqual([r.ok, r.code, r.remainingAttempts], [false, 'locked_out', 0])
  assert.equal(stored.wrapped, null, 'the wrap is erased')
  r = await tryPin(PIN)
  assert.deepEqual([r.ok, r.code], [false, 'locked_out'], 'even the right PIN')
  // The sync twin gives the same answer.
  r = vault.unlockAccountWithPinSync(stored, PIN, record, opts)
  assert.deepEqual([r.ok, r.code, r.pinUnlock], [false, 'locked_out', stored])
  // The password always works.
  assert.equal(vault.unlockAccountSync(record, PW, opts).accountId, account.accountId)

  // Default policy: PIN params below its floor are refused, before counting.
  const fresh = account.enablePinUnlockSync(device, PIN, 3, { params: INSECURE })
  r = await vault.unlockAccountWithPin(fresh, PIN, record)
  assert.deepEqual([r.ok, r.code, r.pinUnlock], [false, 'kdf_policy', fresh])

  // Bad setups throw.
  assert.equal(codeOf(() => account.enablePinUnlockSync(device, '123', 3, { params: INSECURE })), 'invalid_argument')
  assert.equal(codeOf(() => account.enablePinUnlockSync(device, PIN, 0, { params: INSECURE })), 'invalid_argument')
  assert.equal(codeOf(() => account.enablePinUnlockSync(device, PIN, 1000, { params: INSECURE })), 'invalid_argument')
  assert.equal(await asyncCodeOf(account.enablePinUnlock(device, '12', 3, { params: INSECURE })), 'invalid_argument')
  assert.equal(codeOf(() => vault.unlockAccountWithPinSync({ ...fresh, v: 2 }, PIN, record, opts)), 'unsupported_version')
})

test('PIN unlock bound to a device secret needs it', async () => {
  const { account, record } = setup()
  const secret = vault.SymmetricKey.generate()
  const pin = await account.enablePinUnlock(vault.newDeviceId(), PIN, 5, { params: INSECURE, deviceSecret: secret })
  assert.equal(pin.device_bound, true)
  const opts = { policy: PERMISSIVE }
  let r = await vault.unlockAccountWithPin(pin, PIN, record, opts)
  assert.deepEqual([r.ok, r.code, r.pinUnlock.failed_attempts], [false, 'invalid_argument', 0])
  r = await vault.unlockAccountWithPin(pin, PIN, record, { ...opts, deviceSecret: vault.SymmetricKey.generate() })
  assert.deepEqual([r.ok, r.code, r.remainingAttempts], [false, 'authentication_failed', 4])
  r = await vault.unlockAccountWithPin(r.pinUnlock, PIN, record, { ...opts, deviceSecret: secret })
  assert.equal(r.ok, true)
  assert.equal(r.remainingAttempts, 5)
})

test('recovery kit offline: words, a 2-of-3 split, recover, new password', async () => {
  const { account, record, vaultKey, wrapped } = setup()
  const kit = account.createRecoveryKit()
  assert.equal(kit.words.split(' ').length, 24)
  assert.equal(kit.key.exportWords(), kit.words)
  assert.ok(vault.checkRecoveryAuthToken(kit.wrap, kit.key.authToken()))
  const shares = kit.key.split(2, 3)
  const back = vault.RecoveryKey.combine([vault.Share.fromText(shares[2].toText()), shares[0]])
  assert.ok(back.equals(kit.key))
  assert.equal(codeOf(() => vault.RecoveryKey.combine([shares[1]])), 'shamir')

  const recovered = vault.recoverAccount(kit.wrap, back, record)
  assert.ok(recovered.unwrapVaultKey(wrapped).equals(vaultKey))
  const words = kit.words.toUpperCase().replaceAll(' ', '\n  ')
  assert.equal(vault.recoverAccountWithWords(JSON.stringify(kit.wrap), words, record).accountId, account.accountId)
  const typo = kit.words.split(' ')
  typo[5] = typo[5] === 'abandon' ? 'ability' : 'abandon'
  assert.ok(['checksum', 'decrypt'].includes(codeOf(() => vault.recoverAccountWithWords(kit.wrap, typo.join(' '), record))))
  assert.equal(codeOf(() => vault.recoverAccount(kit.wrap, vault.RecoveryKey.generate(), record)), 'decrypt')

  const changed = await recovered.changePassword(record, 'a new password', { params: INSECURE })
  assert.equal(vault.unlockAccountSync(changed.encrypted, 'a new password', { policy: PERMISSIVE }).accountId, account.accountId)
  // The kit wraps the account key, not the password: it still opens the new record.
  assert.equal(vault.recoverAccount(kit.wrap, kit.key, changed.encrypted).accountId, account.accountId)
})

test('account key rotation outdates device, PIN and recovery wraps', async () => {
  const { account, record, vaultKey, wrapped } = setup()
  const device = vault.newDeviceId()
  const { deviceKey, wrap } = account.enableDeviceUnlock(device)
  const pin = account.enablePinUnlockSync(device, PIN, 3, { params: INSECURE })
  const kit = account.createRecoveryKit()

  assert.equal(await asyncCodeOf(account.rotateAccountKey(record, 'wrong password', [wrapped], { policy: PERMISSIVE })),
    'authentication_failed')
  const { account: rotated, change } = await account.rotateAccountKey(record, PW, [wrapped], { policy: PERMISSIVE })
  assert.equal(rotated.keyGeneration, 2)
  assert.equal(change.from_generation, 1)
  assert.equal(change.record.key_generation, 2)
  assert.ok(!rotated.exportAccountKey().equals(account.exportAccountKey()))
  assert.ok(rotated.unwrapVaultKey(change.vault_keys[0]).equals(vaultKey))
  assert.equal(codeOf(() => account.unwrapVaultKey(change.vault_keys[0])), 'decrypt')

  assert.equal(codeOf(() => vault.unlockAccountWithDevice(wrap, deviceKey, change.record)), 'stale_wrap')
  const r = vault.unlockAccountWithPinSync(pin, PIN, change.record, { policy: PERMISSIVE })
  assert.deepEqual([r.ok, r.code, r.pinUnlock], [false, 'stale_wrap', pin])
  assert.equal(codeOf(() => vault.recoverAccount(kit.wrap, kit.key, change.record)), 'stale_wrap')
  assert.equal(codeOf(() => account.rotateAccountKeySync(change.record, PW, [], { policy: PERMISSIVE })), 'stale_wrap')

  // Set up again under the new key; the password path never stopped working.
  const again = rotated.enableDeviceUnlock(device)
  assert.equal(vault.unlockAccountWithDevice(again.wrap, again.deviceKey, change.record).keyGeneration, 2)
  assert.equal(vault.unlockAccountSync(change.record, PW, { policy: PERMISSIVE }).keyGeneration, 2)
  assert.equal(vault.recoverAccount(rotated.recoveryWrap(kit.key), kit.key, change.record).keyGeneration, 2)
})
