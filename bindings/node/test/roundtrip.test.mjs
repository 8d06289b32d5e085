// End-to-end scenarios through the binding, as a Node backend would run them.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { vault, INSECURE, PERMISSIVE, codeOf, asyncCodeOf } from './helpers.mjs'

const ITEMS = [
  { title: 'Database', data: { type: 'login', username: 'admin', password: 's3cret', uris: ['https://db.example'] }, tags: ['prod'] },
  { title: 'Wi-Fi', data: { type: 'secure_note' }, notes: 'SSID home / pass hunter2' },
  { title: 'Stripe', data: { type: 'api_key', entries: vault.parseDotenv('STRIPE_KEY=sk_live_1\nexport STRIPE_WEBHOOK="whsec_2"\n') } },
  { title: 'Visa', data: { type: 'card', cardholder: 'A', brand: 'Visa', number: '4111 1111 1111 1111', exp_month: '12', exp_year: '2030', code: '123' } },
  { title: 'Passport', data: { type: 'identity', full_name: 'Alice Example', email: 'a@example.com', phone: '+1 555', address: '1 Main St', document_number: 'X1234567' } },
  { title: 'Deploy key', data: { type: 'ssh_key', private_key: '-----BEGIN OPENSSH PRIVATE KEY-----', public_key: 'ssh-ed25519 AAAA', fingerprint: 'SHA256:abc' },
    custom_fields: [{ name: 'host', value: 'prod-1', kind: 'text' }, { name: 'pin', value: '0000', kind: 'hidden' }], favorite: true },
]

test('two accounts share a vault; the other side decrypts every item type', async () => {
  const alice = await vault.createAccount('alice pw', { params: INSECURE })
  const bob = await vault.createAccount('bob pw', { params: INSECURE, secretKey: vault.SecretKey.generate() })
  // What the server would store and hand out (JSON round trips included).
  const aliceRecord = JSON.parse(JSON.stringify(alice.encrypted))
  const bobIdentity = JSON.parse(JSON.stringify(bob.account.publicIdentity()))
  vault.verifyIdentity(bobIdentity)
  assert.equal(vault.identityFingerprint(bobIdentity), bob.account.fingerprint)

  const { vaultKey, vault: encVault, wrapped } = alice.account.createVault({ name: 'Team', description: 'shared' })
  const stored = ITEMS.map((item, i) => vaultKey.encryptItem(vault.generateItemId(), i + 1, item,
    { algorithm: i % 2 ? 'aes256-gcm' : 'x-cha-cha20-poly1305' }))
  const grant = JSON.parse(JSON.stringify(alice.account.grantVault(vaultKey, bobIdentity, 'editor')))
  assert.equal(grant.role, 'editor')

  // Bob, later, from stored data only.
  const bobKey = bob.account.openGrant(grant, alice.account.publicIdentity())
  assert.ok(bobKey.equals(vaultKey))
  assert.deepEqual(bobKey.openMeta(encVault), { name: 'Team', description: 'shared' })
  const wire = JSON.parse(JSON.stringify(stored))
  wire.forEach((enc, i) => assert.deepEqual(bobKey.decryptItem(enc), ITEMS[i]))
  const rows = await bobKey.decryptList(wire)
  assert.deepEqual(rows.map((r) => r.overview.title), ITEMS.map((i) => i.title))
  assert.equal(rows[3].overview.subtitle, 'Visa •••• 1111')
  assert.equal(rows[2].overview.subtitle, 'STRIPE_KEY, STRIPE_WEBHOOK')
  // Bob keeps the key wrapped under his own account key.
  const bobWrapped = bob.account.wrapVaultKey(bobKey)
  assert.ok(bob.account.unwrapVaultKey(bobWrapped).equals(vaultKey))
  assert.equal(codeOf(() => alice.account.unwrapVaultKey(bobWrapped)), 'decrypt')
  assert.ok(alice.account.unwrapVaultKey(wrapped).equals(vaultKey))

  // Offline unlock and password change: no item is touched.
  const again = await vault.unlockAccount(aliceRecord, 'alice pw', { policy: PERMISSIVE })
  assert.equal(again.accountId, alice.account.accountId)
  const changed = await again.changePassword(aliceRecord, 'new pw', { params: INSECURE })
  assert.equal(await asyncCodeOf(vault.unlockAccount(changed.encrypted, 'alice pw', { policy: PERMISSIVE })), 'decrypt')
  const after = vault.unlockAccountSync(changed.encrypted, 'new pw', { policy: PERMISSIVE })
  assert.ok(after.unwrapVaultKey(wrapped).equals(vaultKey))
  // Quick unlock with an exported account key, and with the master KEK.
  const viaKey = vault.unlockAccountWithAccountKey(changed.encrypted, after.exportAccountKey())
  assert.equal(viaKey.fingerprint, alice.account.fingerprint)
  const keys = await vault.deriveMasterKeys('new pw', changed.encrypted.kdf, { policy: PERMISSIVE })
  assert.ok(keys.authKey.equals(changed.authKey))
  assert.equal(vault.unlockAccountWithKek(changed.encrypted, keys.kek).accountId, alice.account.accountId)

  // Revocation: rotate, re-share with the remaining member only.
  const rotated = vaultKey.rotate(encVault, stored)
  assert.equal(rotated.vaultKey.keyVersion, 2)
  assert.equal(codeOf(() => bobKey.decryptItem(rotated.items[0])), 'decrypt')
  assert.deepEqual(rotated.vaultKey.decryptItem(rotated.items[5]), ITEMS[5])
})

test('Secret Key: two-secret derivation needs both secrets', async () => {
  const sk = vault.SecretKey.generate()
  const text = sk.toDisplayString()
  assert.match(text, /^VK1-/)
  assert.ok(vault.SecretKey.parse(text.toLowerCase().replaceAll('-', ' ')).equals(sk))
  const acct = vault.createAccountSync('pw', { params: INSECURE, secretKey: sk })
  assert.equal(codeOf(() => vault.unlockAccountSync(acct.encrypted, 'pw', { policy: PERMISSIVE })), 'decrypt')
  const ok = vault.unlockAccountSync(acct.encrypted, 'pw', { policy: PERMISSIVE, secretKey: vault.SecretKey.fromBytes(sk.exportBytes()) })
  assert.equal(ok.accountId, acct.account.accountId)
})

test('Shamir: split an exported account key, recover it from any two', () => {
  const acct = vault.createAccountSync('pw', { params: INSECURE })
  const secret = acct.account.exportAccountKey().exportBytes()
  const shares = vault.shamirSplit(secret, 2, 3)
  const texts = shares.map((s) => s.toText())
  const back = vault.shamirCombine([vault.Share.fromText(texts[2]), vault.Share.fromText(texts[0])])
  assert.deepEqual(back.exportBytes(), secret)
  assert.equal(codeOf(() => vault.shamirCombine([shares[0]])), 'shamir')
  assert.equal(vault.unlockAccountWithAccountKey(acct.encrypted, vault.SymmetricKey.fromBytes(back.exportBytes())).accountId,
    acct.account.accountId)
})
