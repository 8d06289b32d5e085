// Cross-checks against node:crypto, independently of vault-core: wherever
// Node has the primitive, the binding's bytes (and the vectors) are
// recomputed or opened with it, following docs/format.md.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import { vault, load, isFail, unhex, hex, b64u, key32, INSECURE } from './helpers.mjs'

const hkdf = (ikm, salt, info) => Buffer.from(crypto.hkdfSync('sha256', ikm, salt, info, 32))
const xor = (a, b) => Buffer.from(a.map((x, i) => x ^ b[i]))
const idBytes = (uuid) => Buffer.from(uuid.replaceAll('-', ''), 'hex')
const be = (n, bytes) => { const b = Buffer.alloc(bytes); b.writeBigUInt64BE(BigInt(n), 0); return b.subarray(8 - bytes) }
const be32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b }
const be64 = (n) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b }

// docs/format.md §1.2: auth key and KEK from the stretched key.
function subkeys(stretched, salt, secretKey) {
  let ikm = stretched
  if (secretKey) ikm = xor(stretched, hkdf(secretKey, salt, 'VLT1 secret-key'))
  return { auth: hkdf(ikm, 'VLT1 stretched', 'VLT1 auth'), kek: hkdf(ikm, 'VLT1 stretched', 'VLT1 kek') }
}

test('HKDF-SHA256 (crypto.hkdfSync) reproduces the hkdf and kdf vectors and the binding', () => {
  for (const v of load('hkdf')) {
    const st = unhex(v.stretched_hex)
    const salt = b64u(v.salt)
    const plain = subkeys(st, salt)
    assert.equal(hex(plain.auth), v.auth_key_hex)
    assert.equal(hex(plain.kek), v.kek_hex)
    const mixed = subkeys(st, salt, unhex(v.secret_key_hex))
    assert.equal(hex(mixed.auth), v.with_secret_key.auth_key_hex)
    assert.equal(hex(mixed.kek), v.with_secret_key.kek_hex)
    const viaBinding = vault.masterKeysFromStretched(key32(v.stretched_hex), v.salt, vault.SecretKey.fromBytes(unhex(v.secret_key_hex)))
    assert.deepEqual(viaBinding.authKey.exportBytes(), mixed.auth)
  }
  for (const v of load('kdf').filter((v) => !isFail(v))) {
    const k = subkeys(unhex(v.stretched_hex), b64u(v.kdf.salt), v.secret_key_hex && unhex(v.secret_key_hex))
    assert.equal(hex(k.auth), v.auth_key_hex, v.name)
    assert.equal(hex(k.kek), v.kek_hex, v.name)
  }
})

test('Argon2id (crypto.argon2Sync) reproduces the stretched keys', (t) => {
  if (typeof crypto.argon2Sync !== 'function') {
    t.skip(`node:crypto has no Argon2 in Node ${process.version} (added in 24.7)`)
    return
  }
  for (const v of load('kdf').filter((v) => !isFail(v))) {
    const out = crypto.argon2Sync('argon2id', {
      message: Buffer.from(v.password.normalize('NFKD')), nonce: b64u(v.kdf.salt),
      parallelism: v.kdf.params.parallelism, tagLength: 32, memory: v.kdf.params.memory_kib, passes: v.kdf.params.iterations,
    })
    assert.equal(hex(out), v.stretched_hex, v.name)
  }
})

// Envelope v1 (docs/format.md §2): version || alg || nonce || ciphertext || tag.
function parts(env) {
  const nlen = env[1] === 1 ? 24 : 12
  return { alg: env[1], nonce: env.subarray(2, 2 + nlen), ct: env.subarray(2 + nlen, env.length - 16), tag: env.subarray(env.length - 16) }
}

function aesGcmOpen(key, { nonce, ct, tag }, aad) {
  const d = crypto.createDecipheriv('aes-256-gcm', key, nonce)
  d.setAAD(aad)
  d.setAuthTag(tag)
  return Buffer.concat([d.update(ct), d.final()])
}

// XChaCha20 = HChaCha20 subkey + ChaCha20-Poly1305 (IETF) with nonce 0^4 || nonce[16..24].
const rotl = (v, c) => ((v << c) | (v >>> (32 - c))) >>> 0
function hchacha20(key, nonce16) {
  const s = new Uint32Array(16)
  s.set([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574])
  for (let i = 0; i < 8; i++) s[4 + i] = key.readUInt32LE(4 * i)
  for (let i = 0; i < 4; i++) s[12 + i] = nonce16.readUInt32LE(4 * i)
  const qr = (a, b, c, d) => {
    s[a] += s[b]; s[d] = rotl(s[d] ^ s[a], 16); s[c] += s[d]; s[b] = rotl(s[b] ^ s[c], 12)
    s[a] += s[b]; s[d] = rotl(s[d] ^ s[a], 8); s[c] += s[d]; s[b] = rotl(s[b] ^ s[c], 7)
  }
  for (let i = 0; i < 10; i++) {
    qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
    qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)
  }
  const out = Buffer.alloc(32)
  for (let i = 0; i < 4; i++) { out.writeUInt32LE(s[i], 4 * i); out.writeUInt32LE(s[12 + i], 16 + 4 * i) }
  return out
}
function xchachaOpen(key, { nonce, ct, tag }, aad) {
  const sub = hchacha20(key, nonce.subarray(0, 16))
  const d = crypto.createDecipheriv('chacha20-poly1305', sub, Buffer.concat([Buffer.alloc(4), nonce.subarray(16)]), { authTagLength: 16 })
  d.setAAD(aad, { plaintextLength: ct.length })
  d.setAuthTag(tag)
  return Buffer.concat([d.update(ct), d.final()])
}
const openAny = (key, env, aad) => (env[1] === 2 ? aesGcmOpen : xchachaOpen)(key, parts(env), aad)

test('HChaCha20 in JS matches draft-irtf-cfrg-xchacha §2.2.1', () => {
  const key = Buffer.from([...Array(32).keys()])
  const nonce = unhex('000000090000004a0000000031415927')
  assert.equal(hex(hchacha20(key, nonce)), '82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc')
})

test('node:crypto opens every valid envelope vector (AES-256-GCM and XChaCha20-Poly1305)', () => {
  let aes = 0
  for (const v of load('envelope').filter((v) => !isFail(v))) {
    const env = unhex(v.envelope_hex)
    assert.equal(hex(vault.envelopeAad(v.context, v.algorithm)), v.aad_hex)
    assert.equal(hex(openAny(unhex(v.key_hex), env, unhex(v.aad_hex))), v.plaintext_hex, v.name)
    if (env[1] === 2) aes++
  }
  assert.ok(aes >= 7)
})

test("node:crypto opens a binding-sealed item's parts (item key, overview, details)", () => {
  const vk = vault.VaultKey.generate()
  const itemId = vault.generateItemId()
  const item = { title: 'Bank', data: { type: 'login', username: 'me', password: 'pw', uris: ['https://bank.example'] } }
  for (const algorithm of ['aes256-gcm', 'x-cha-cha20-poly1305']) {
    const enc = vk.encryptItem(itemId, 7, item, { algorithm })
    const vaultId = idBytes(enc.vault)
    const iid = idBytes(enc.item)
    const head = (env, kind) => Buffer.concat([Buffer.from('VLT1'), Buffer.from([1, env[1], kind])])
    // docs/format.md §3: item_key = kind 5 (vault || item || key_version BE32); overview 6, details 7 (vault || item || revision BE64).
    const wrapped = b64u(enc.item_key)
    const itemKey = openAny(vk.exportKey().exportBytes(), wrapped, Buffer.concat([head(wrapped, 5), vaultId, iid, be32(enc.key_version)]))
    assert.equal(itemKey.length, 32)
    const ov = b64u(enc.overview)
    const de = b64u(enc.details)
    assert.equal(ov[1], algorithm === 'aes256-gcm' ? 2 : 1)
    const overview = JSON.parse(openAny(itemKey, ov, Buffer.concat([head(ov, 6), vaultId, iid, be64(7)])))
    assert.deepEqual(overview, vk.decryptOverview(enc).overview)
    const details = JSON.parse(openAny(itemKey, de, Buffer.concat([head(de, 7), vaultId, iid, be64(7)])))
    assert.deepEqual(details, { v: 1, item: vk.decryptItem(enc) })
    // The same AAD with another revision fails in node:crypto too.
    assert.throws(() => openAny(itemKey, de, Buffer.concat([head(de, 7), vaultId, iid, be64(8)])))
  }
})

const ed25519Public = (raw) => crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' })
const pkcs8 = (prefix, seed) => crypto.createPrivateKey({ key: Buffer.concat([unhex(prefix), seed]), format: 'der', type: 'pkcs8' })
const rawPublic = (priv) => b64u(crypto.createPublicKey(priv).export({ format: 'jwk' }).x)
const identityMessage = (id) => Buffer.concat([Buffer.from('VLT1 identity'), idBytes(id.account), b64u(id.x25519), b64u(id.ed25519)])

test('Ed25519 (crypto.verify/sign) checks identities and grants; X25519 keys match their secrets', () => {
  const acct = vault.createAccountSync('pw', { params: INSECURE }).account
  const id = acct.publicIdentity()
  assert.ok(crypto.verify(null, identityMessage(id), ed25519Public(b64u(id.ed25519)), b64u(id.signature)))
  const secrets = vault.hazmat.exportIdentitySecrets(acct)
  const x = pkcs8('302e020100300506032b656e04220420', secrets.subarray(0, 32))
  const e = pkcs8('302e020100300506032b657004220420', secrets.subarray(32))
  assert.deepEqual(rawPublic(x), b64u(id.x25519))
  assert.deepEqual(rawPublic(e), b64u(id.ed25519))
  // Ed25519 is deterministic: node:crypto's signature is the core's, bit for bit.
  assert.deepEqual(crypto.sign(null, identityMessage(id), e), b64u(id.signature))

  for (const v of load('fingerprint')) {
    const ok = crypto.verify(null, identityMessage(v.identity), ed25519Public(b64u(v.identity.ed25519)), b64u(v.identity.signature))
    assert.equal(ok, !isFail(v), v.name)
  }
  const roles = { owner: 1, editor: 2, viewer: 3 }
  for (const v of load('grant')) {
    const g = v.grant
    const msg = Buffer.concat([Buffer.from('VLT1 grant-sig'), Buffer.from([g.v]), idBytes(g.vault), be32(g.key_version),
      idBytes(g.sender), idBytes(g.recipient), Buffer.from([roles[g.role]]), b64u(g.enc), b64u(g.ciphertext)])
    const ok = crypto.verify(null, msg, ed25519Public(b64u(v.sender_identity.ed25519)), b64u(g.signature))
    const tamperedOrForeign = ['fail_role_escalated', 'fail_ciphertext_tampered', 'fail_wrong_sender_identity', 'fail_unknown_grant_version', 'fail_ciphertext_wrong_length']
    assert.equal(ok, !tamperedOrForeign.includes(v.name), v.name)
    const x = pkcs8('302e020100300506032b656e04220420', unhex(v.recipient_x25519_secret_hex))
    if (v.recipient_identity) assert.deepEqual(rawPublic(x), b64u(v.recipient_identity.x25519))
  }
})

test('fingerprints (SHA-256, docs/format.md §8) recomputed with node:crypto', () => {
  const fp = (id) => {
    const d = crypto.createHash('sha256').update('VLT1 fingerprint').update(idBytes(id.account)).update(b64u(id.ed25519)).update(b64u(id.x25519)).digest()
    return [0, 1, 2, 3, 4, 5].map((i) => String(Number(d.readUIntBE(5 * i, 5) % 100000)).padStart(5, '0')).join(' ')
  }
  for (const v of load('fingerprint').filter((v) => !isFail(v))) assert.equal(fp(v.identity), v.fingerprint)
  const acct = vault.createAccountSync('pw', { params: INSECURE }).account
  assert.equal(fp(acct.publicIdentity()), acct.fingerprint)
})

test('SRP-6a verifier v = g^x mod N recomputed with node:crypto SHA-256 and BigInt (RFC 5054)', () => {
  const N = BigInt('0xFFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF')
  const modpow = (b, e, m) => { let r = 1n; b %= m; while (e > 0n) { if (e & 1n) r = (r * b) % m; b = (b * b) % m; e >>= 1n } return r }
  const sha = (...xs) => { const h = crypto.createHash('sha256'); xs.forEach((x) => h.update(x)); return h.digest() }
  const check = (identifier, authKeyBytes, record) => {
    const P = Buffer.from(hex(authKeyBytes)) // docs/protocol.md: P = lowercase hex of the auth key
    const x = BigInt('0x' + hex(sha(b64u(record.salt), sha(Buffer.from(identifier + ':'), P))))
    const v = modpow(5n, x, N).toString(16).padStart(768, '0')
    assert.equal(hex(b64u(record.verifier)), v)
  }
  for (const v of load('srp').filter((v) => v.group === 'rfc5054-3072')) check(v.identifier, unhex(v.auth_key_hex), v.registration)
  const authKey = vault.SymmetricKey.generate()
  check('carol@example.com', authKey.exportBytes(), vault.srpRegister('carol@example.com', authKey))
})
