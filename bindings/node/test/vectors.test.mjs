// Replays every file in test-vectors/ through the binding: deterministic
// operations reproduce the committed bytes exactly; every fail_* vector
// fails with its recorded error code.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import {
  vault, load, isFail, unhex, hex, seeded, key32, PERMISSIVE, INSECURE, codeOf, asyncCodeOf,
  vaultKey, accountFromSeed, vectorFiles,
} from './helpers.mjs'

const { hazmat } = vault
const replayed = new Set()
const secretKeyOf = (h) => (h ? vault.SecretKey.fromBytes(unhex(h)) : undefined)

test('the addon is the test-vectors build', () => {
  assert.equal(typeof hazmat?.seededRng, 'function')
})

describe('kdf.json', () => {
  replayed.add('kdf')
  for (const v of load('kdf')) {
    test(v.name, async () => {
      if (isFail(v)) {
        assert.equal(v.policy, 'default')
        assert.equal(codeOf(() => vault.deriveMasterKeysSync(v.password, v.kdf)), v.error)
        assert.equal(await asyncCodeOf(vault.deriveMasterKeys(v.password, v.kdf)), v.error)
        assert.equal(codeOf(() => vault.checkKdfParams(v.kdf.params)), v.error)
        return
      }
      const sk = secretKeyOf(v.secret_key_hex)
      assert.equal(hex(vault.stretchSync(v.password, v.kdf).exportBytes()), v.stretched_hex)
      assert.equal(hex((await vault.stretch(v.password, v.kdf)).exportBytes()), v.stretched_hex)
      const opts = { secretKey: sk, policy: PERMISSIVE }
      const keys = vault.deriveMasterKeysSync(v.password, v.kdf, opts)
      assert.equal(hex(keys.authKey.exportBytes()), v.auth_key_hex)
      assert.equal(hex(keys.kek.exportBytes()), v.kek_hex)
      const again = await vault.deriveMasterKeys(v.password, v.kdf, opts)
      assert.ok(again.authKey.equals(keys.authKey) && again.kek.equals(keys.kek))
    })
  }
})

describe('hkdf.json', () => {
  replayed.add('hkdf')
  for (const v of load('hkdf')) {
    test(v.name, () => {
      const st = key32(v.stretched_hex)
      const plain = vault.masterKeysFromStretched(st, v.salt)
      assert.equal(hex(plain.authKey.exportBytes()), v.auth_key_hex)
      assert.equal(hex(plain.kek.exportBytes()), v.kek_hex)
      const mixed = vault.masterKeysFromStretched(st, v.salt, secretKeyOf(v.secret_key_hex))
      assert.equal(hex(mixed.authKey.exportBytes()), v.with_secret_key.auth_key_hex)
      assert.equal(hex(mixed.kek.exportBytes()), v.with_secret_key.kek_hex)
    })
  }
})

describe('envelope.json', () => {
  replayed.add('envelope')
  for (const v of load('envelope')) {
    test(v.name, () => {
      const key = key32(v.key_hex)
      if (isFail(v)) {
        const input = v.envelope_text ?? unhex(v.envelope_hex)
        assert.equal(codeOf(() => vault.openEnvelope(key, v.context, input)), v.error)
        return
      }
      assert.equal(hex(vault.envelopeAad(v.context, v.algorithm)), v.aad_hex)
      const pt = unhex(v.plaintext_hex)
      const env = hazmat.sealEnvelopeWithNonce(key, v.context, v.algorithm, unhex(v.nonce_hex), pt)
      assert.equal(hex(env.bytes), v.envelope_hex)
      assert.equal(env.text, v.envelope_text)
      assert.deepEqual(vault.openEnvelope(key, v.context, v.envelope_text), pt)
      assert.deepEqual(vault.openEnvelope(key, v.context, unhex(v.envelope_hex)), pt)
    })
  }
})

describe('secret_key.json', () => {
  replayed.add('secret_key')
  for (const v of load('secret_key')) {
    test(v.name, () => {
      if (isFail(v)) {
        assert.equal(codeOf(() => vault.SecretKey.parse(v.text)), v.error)
        return
      }
      const sk = vault.SecretKey.fromBytes(unhex(v.bytes_hex))
      assert.equal(sk.toDisplayString(), v.text)
      for (const t of v.also_parses) assert.ok(vault.SecretKey.parse(t).equals(sk), t)
    })
  }
})

describe('account.json', () => {
  replayed.add('account')
  for (const v of load('account')) {
    test(v.name, async () => {
      if (isFail(v)) {
        assert.equal(codeOf(() => vault.parseAccountRecord(v.record_json)), v.error)
        assert.equal(
          codeOf(() => vault.unlockAccountSync(v.record_json, 'pw', { policy: PERMISSIVE })),
          v.error,
        )
        return
      }
      const sk = secretKeyOf(v.secret_key_hex)
      const created = vault.createAccountSync(v.password, {
        secretKey: sk, params: v.params, rng: seeded(v.seed_hex),
      })
      assert.deepEqual(created.encrypted, v.encrypted)
      assert.equal(hex(created.authKey.exportBytes()), v.auth_key_hex)
      assert.equal(created.account.fingerprint, v.fingerprint)
      // The async twin with the same seed gives the same record.
      const viaAsync = await vault.createAccount(v.password, {
        secretKey: sk, params: v.params, rng: seeded(v.seed_hex),
      })
      assert.deepEqual(viaAsync.encrypted, v.encrypted)

      const unlocked = vault.unlockAccountSync(v.encrypted, v.password, { secretKey: sk, policy: PERMISSIVE })
      assert.equal(hex(unlocked.exportAccountKey().exportBytes()), v.account_key_hex)
      const unlockedAsync = await vault.unlockAccount(JSON.stringify(v.encrypted), v.password, {
        secretKey: sk, policy: PERMISSIVE,
      })
      assert.equal(unlockedAsync.accountId, v.encrypted.account)
      const wrong = v.fail_wrong_password
      assert.equal(
        codeOf(() => vault.unlockAccountSync(v.encrypted, wrong.password, { secretKey: sk, policy: PERMISSIVE })),
        wrong.error,
      )
      assert.equal(
        await asyncCodeOf(vault.unlockAccount(v.encrypted, wrong.password, { secretKey: sk, policy: PERMISSIVE })),
        wrong.error,
      )

      const c = v.change_password
      const changed = unlocked.changePasswordSync(v.encrypted, c.new_password, {
        secretKey: sk, params: v.params, rng: seeded(c.seed_hex),
      })
      assert.deepEqual(changed.encrypted, c.encrypted)
      assert.equal(hex(changed.authKey.exportBytes()), c.auth_key_hex)
      const changedAsync = await unlocked.changePassword(v.encrypted, c.new_password, {
        secretKey: sk, params: v.params, rng: seeded(c.seed_hex),
      })
      assert.deepEqual(changedAsync.encrypted, c.encrypted)
      const after = vault.unlockAccountSync(c.encrypted, c.new_password, { secretKey: sk, policy: PERMISSIVE })
      assert.equal(hex(after.exportAccountKey().exportBytes()), v.account_key_hex)
      assert.equal(
        codeOf(() => vault.unlockAccountSync(c.encrypted, v.password, { secretKey: sk, policy: PERMISSIVE })),
        v.fail_old_password_after_change.error,
      )
    })
  }
})

describe('vault.json', () => {
  replayed.add('vault')
  for (const v of load('vault')) {
    test(v.name, () => {
      const owner = accountFromSeed('pw', v.owner_seed_hex)
      const { vaultKey: vk, vault: enc, wrapped } = owner.createVault(v.meta, seeded(v.seed_hex))
      assert.ok(vk.equals(vaultKey(v.vault_key)))
      assert.deepEqual(enc, v.encrypted_vault)
      assert.deepEqual(wrapped, v.wrapped_key)
      assert.ok(owner.unwrapVaultKey(v.wrapped_key).equals(vk))
      assert.deepEqual(vk.openMeta(v.encrypted_vault), v.meta)

      const r = v.rotate
      const rotated = vk.rotate(enc, v.items, seeded(r.seed_hex))
      assert.ok(rotated.vaultKey.equals(vaultKey(r.vault_key)))
      assert.equal(rotated.vaultKey.keyVersion, r.vault_key.key_version)
      assert.deepEqual(rotated.vault, r.encrypted_vault)
      assert.deepEqual(rotated.items, r.items)
      assert.deepEqual(owner.wrapVaultKey(rotated.vaultKey, seeded(r.wrap_seed_hex)), r.wrapped_key)
      assert.equal(hex(owner.exportAccountKey().exportBytes()), v.owner_account_key_hex)
      v.items_plaintext.forEach((p, i) => assert.deepEqual(rotated.vaultKey.decryptItem(rotated.items[i]), p))
      v.items.forEach((old, i) => {
        const neu = rotated.items[i]
        assert.deepEqual(vk.decryptItem(old), rotated.vaultKey.decryptItem(neu))
        assert.equal(old.details, neu.details, 'rotation must not re-encrypt contents')
        assert.equal(codeOf(() => vk.decryptItem(neu)), r.fail_old_key_on_rotated_item)
      })
    })
  }
})

describe('item.json', () => {
  replayed.add('item')
  for (const v of load('item')) {
    test(v.name, () => {
      const vk = vaultKey(v.vault_key)
      if (isFail(v)) {
        assert.equal(codeOf(() => vk.decryptItem(v.encrypted)), v.error)
        return
      }
      const again = vk.encryptItem(v.item_id, v.revision, v.item, {
        algorithm: v.algorithm, rng: seeded(v.seed_hex),
      })
      assert.deepEqual(again, v.encrypted)
      assert.deepEqual(vk.decryptItem(v.encrypted), v.item)
      const row = vk.decryptOverview(v.encrypted)
      assert.deepEqual(row.overview, v.overview)
      assert.deepEqual(vault.itemOverview(v.item), v.overview)
      assert.equal(row.item, v.item_id)
      assert.equal(row.revision, v.revision)
    })
  }
})

describe('list.json', () => {
  replayed.add('list')
  for (const v of load('list')) {
    const check = (results) => {
      assert.equal(results.length, v.results.length)
      assert.ok(results.some((r) => r.ok) && results.some((r) => !r.ok))
      results.forEach((got, i) => {
        const want = v.results[i]
        assert.equal(got.item, v.items[i].item)
        assert.equal(got.revision, v.items[i].revision)
        if (got.ok) {
          assert.deepEqual(got.overview, want.ok.overview)
          assert.equal(got.item, want.ok.item)
        } else {
          assert.equal(got.code, want.error, `row ${i}`)
          assert.equal(want.ok, undefined)
        }
      })
    }
    test(`${v.name} (sync)`, () => check(vaultKey(v.vault_key).decryptListSync(v.items)))
    test(`${v.name} (async)`, async () => check(await vaultKey(v.vault_key).decryptList(v.items)))
  }
})

describe('grant.json', () => {
  replayed.add('grant')
  for (const v of load('grant')) {
    test(v.name, () => {
      if (isFail(v)) {
        const who = accountFromSeed('x', v.recipient_seed_hex)
        assert.equal(who.accountId, v.recipient_account)
        assert.equal(codeOf(() => who.openGrant(v.grant, v.sender_identity)), v.error)
        return
      }
      const sender = accountFromSeed('alice', v.sender_seed_hex)
      const recipient = accountFromSeed('bob', v.recipient_seed_hex)
      assert.deepEqual(sender.publicIdentity(), v.sender_identity)
      assert.deepEqual(recipient.publicIdentity(), v.recipient_identity)
      const vk = vaultKey(v.vault_key)
      assert.deepEqual(sender.grantVault(vk, recipient.publicIdentity(), v.role, seeded(v.seed_hex)), v.grant)
      assert.equal(
        hex(vault.grantHpkeInfo(vk.vaultId, vk.keyVersion, v.sender_identity, recipient.publicIdentity())),
        v.hpke_info_hex,
      )
      vault.verifyGrant(v.grant, v.sender_identity)
      assert.ok(recipient.openGrant(v.grant, v.sender_identity).equals(vk))
      assert.ok(recipient.openGrant(JSON.stringify(v.grant), v.sender_identity).equals(vk))
    })
  }
})

describe('fingerprint.json', () => {
  replayed.add('fingerprint')
  for (const v of load('fingerprint')) {
    test(v.name, () => {
      if (isFail(v)) {
        assert.equal(codeOf(() => vault.verifyIdentity(v.identity)), v.error)
        return
      }
      vault.verifyIdentity(v.identity)
      assert.equal(vault.identityFingerprint(v.identity), v.fingerprint)
    })
  }
})

describe('ed25519.json', () => {
  replayed.add('ed25519')
  for (const v of load('ed25519')) {
    test(v.name, () => {
      let run
      if (v.case === 'verify') {
        run = () => hazmat.ed25519Verify(unhex(v.public_key_hex), unhex(v.message_hex), unhex(v.signature_hex))
      } else if (v.case === 'identity') {
        run = () => vault.verifyIdentity(v.identity)
      } else {
        assert.fail(`unknown case ${v.case}`)
      }
      assert.equal(codeOf(run), isFail(v) ? v.error : 'NO ERROR')
    })
  }
})

describe('identifiers.json', () => {
  replayed.add('identifiers')
  for (const v of load('identifiers')) {
    test(v.name, () => {
      if (isFail(v)) {
        assert.equal(codeOf(() => vault.normalizeIdentifier(v.input)), v.error)
        return
      }
      assert.equal(vault.normalizeIdentifier(v.input), v.canonical)
      assert.equal(vault.normalizeIdentifier(v.canonical), v.canonical, 'idempotent')
    })
  }
})

describe('sync.json', () => {
  replayed.add('sync')
  for (const v of load('sync')) {
    test(v.name, () => {
      if (isFail(v)) {
        assert.equal(codeOf(() => hazmat.syncWireCanonical(v.type, v.json)), v.error)
        // The engine's own entry points refuse the same text and change nothing.
        const apply = { pull_page: 'applyPull', push_response: 'applyPush' }[v.type]
        if (apply) {
          const engine = new vault.SyncEngine()
          const before = engine.toJson()
          assert.equal(codeOf(() => engine[apply](v.json)), v.error, apply)
          assert.equal(engine.toJson(), before)
        }
        return
      }
      assert.equal(hazmat.syncWireCanonical(v.type, v.json), v.canonical)
      assert.equal(hazmat.syncWireCanonical(v.type, v.canonical), v.canonical, 'canonical is a fixed point')
    })
  }
})

describe('shamir.json', () => {
  replayed.add('shamir')
  for (const v of load('shamir')) {
    test(v.name, () => {
      if (isFail(v)) {
        const code = v.share_text !== undefined
          ? codeOf(() => vault.Share.fromText(v.share_text))
          : codeOf(() => vault.shamirCombine(v.share_bytes_hex.map((h) => vault.Share.fromBytes(unhex(h)))))
        assert.equal(code, v.error)
        return
      }
      const secret = unhex(v.secret_hex)
      const shares = vault.shamirSplit(secret, v.threshold, v.shares, seeded(v.seed_hex))
      assert.deepEqual(shares.map((s) => s.toText()), v.share_texts)
      assert.deepEqual(shares.map((s) => hex(s.toBytes())), v.share_bytes_hex)
      const parsed = v.share_texts.map((t) => vault.Share.fromText(t))
      parsed.forEach((s, i) => {
        assert.equal(s.index, i + 1)
        assert.equal(s.threshold, v.threshold)
      })
      for (let i = 0; i + v.threshold <= parsed.length; i++) {
        const back = vault.shamirCombine(parsed.slice(i, i + v.threshold))
        assert.deepEqual(back.exportBytes(), secret)
      }
    })
  }
})

describe('srp.json', () => {
  replayed.add('srp')
  for (const v of load('srp')) {
    test(v.name, () => {
      const auth = key32(v.auth_key_hex)
      const record = vault.srpRegister(v.identifier, auth, v.group, seeded(v.register_seed_hex))
      assert.deepEqual(record, v.registration)
      const { client, hello } = vault.SrpClientLogin.start(v.identifier, auth, v.group, seeded(v.client_seed_hex))
      assert.deepEqual(hello, v.client_hello)
      // The server is driven from the committed messages, as a server would be.
      const started = vault.SrpServerLogin.start(v.registration, v.client_hello, seeded(v.server_seed_hex))
      assert.deepEqual(started.challenge, v.server_challenge)
      // Persisted between the two requests.
      const server = vault.SrpServerLogin.fromJson(started.server.toJson())
      assert.equal(server.identifier, v.identifier)
      assert.equal(server.group, v.group)
      assert.deepEqual(client.processChallenge(JSON.stringify(v.server_challenge)), v.client_proof)
      const done = server.finish(v.client_proof)
      assert.deepEqual(done.serverProof, v.server_proof)
      assert.equal(hex(done.sessionKey.exportBytes()), v.session_key_hex)
      const key = client.verifyServer(done.serverProof)
      assert.equal(hex(key.exportBytes()), v.session_key_hex)
      assert.ok(key.equals(done.sessionKey))

      const f = v.fail_wrong_password
      const again = vault.SrpServerLogin.start(v.registration, v.client_hello, seeded(v.server_seed_hex))
      assert.equal(codeOf(() => again.server.finish(f.client_proof)), f.error)
    })
  }
})

describe('opaque.json', () => {
  replayed.add('opaque')
  for (const v of load('opaque')) {
    test(v.name, () => {
      const auth = key32(v.auth_key_hex)
      if (isFail(v)) {
        const { client } = vault.OpaqueClientLogin.start(v.identifier, auth, seeded('00'.repeat(32)))
        assert.equal(codeOf(() => client.finish(v.ke2, seeded('00'.repeat(32)))), v.error)
        return
      }
      const s = (k) => seeded(v.seeds[k])
      const setup = vault.OpaqueServerSetup.generate(s('setup'))
      assert.deepEqual(JSON.parse(setup.toJson()), v.server_setup)
      assert.equal(hex(setup.publicKey), v.server_public_key_hex)
      const reg = vault.OpaqueClientRegistration.start(v.identifier, auth, s('registration_start'))
      assert.deepEqual(reg.request, v.registration_request)
      const response = setup.registrationResponse(v.identifier, v.registration_request)
      assert.deepEqual(response, v.registration_response)
      const registered = reg.client.finish(response, s('registration_finish'))
      assert.deepEqual(registered.record, v.registration_record)
      assert.equal(hex(registered.exportKey.exportBytes()), v.export_key_hex)
      assert.equal(hex(registered.serverPublicKey), v.server_public_key_hex)

      const login = vault.OpaqueClientLogin.start(v.identifier, auth, s('login_start'))
      assert.deepEqual(login.ke1, v.ke1)
      const restored = vault.OpaqueServerSetup.fromJson(v.server_setup)
      const started = vault.OpaqueServerLogin.start(restored, v.identifier, v.registration_record, v.ke1, s('login_server'))
      assert.deepEqual(started.ke2, v.ke2)
      const done = login.client.finish(started.ke2, s('login_finish'))
      assert.deepEqual(done.ke3, v.ke3)
      assert.equal(hex(done.sessionKey.exportBytes()), v.session_key_hex)
      assert.equal(hex(done.exportKey.exportBytes()), v.export_key_hex)
      const server = vault.OpaqueServerLogin.fromJson(started.server.toJson())
      assert.ok(server.finish(JSON.stringify(v.ke3)).equals(done.sessionKey))
    })
  }
})

describe('prelogin.json', () => {
  replayed.add('prelogin')
  for (const v of load('prelogin')) {
    test(v.name, () => {
      const server = new vault.PreloginServer(key32(v.server_secret_hex), v.kdf_params, v.srp_group)
      assert.deepEqual(server.fakeResponse(v.identifier), v.srp_response)
      assert.deepEqual(server.respond(v.identifier, null), v.srp_response)
      assert.deepEqual(server.respondOpaque(v.identifier, null), v.opaque_response)
      assert.deepEqual(server.fakeSrpRecord(v.identifier), v.fake_srp_record)
    })
  }
})

describe('lifecycle.json', () => {
  replayed.add('lifecycle')
  const keyHex = (a) => hex(a.exportAccountKey().exportBytes())
  const unlocked = (record, h) => vault.unlockAccountWithAccountKey(record, key32(h))
  const optKey = (h) => (h ? key32(h) : undefined)
  // One PIN attempt, sync or async: the result always carries the record to store.
  const attempt = (state, pin, secretHex, record, sync) => {
    const opts = { deviceSecret: optKey(secretHex), policy: PERMISSIVE }
    return sync
      ? vault.unlockAccountWithPinSync(state, pin, record, opts)
      : vault.unlockAccountWithPin(state, pin, record, opts)
  }
  const remaining = (st) => (st.wrapped === null ? 0 : st.max_attempts - st.failed_attempts)
  const checkAttempt = (r, want, state, accountKeyHex, what) => {
    if (want === null) {
      assert.equal(r.ok, true, what)
      assert.equal(keyHex(r.account), accountKeyHex, what)
    } else {
      assert.equal(r.ok, false, what)
      assert.equal(r.code, want, what)
      assert.equal(typeof r.message, 'string')
      assert.equal(r.account, undefined)
    }
    assert.deepEqual(r.pinUnlock, state, `${what}: the record to store`)
    assert.equal(r.remainingAttempts, remaining(state), `${what}: remainingAttempts`)
  }
  const cases = new Map()

  for (const v of load('lifecycle')) {
    cases.set(v.case, (cases.get(v.case) ?? 0) + 1)
    test(v.name, async () => {
      assert.equal(isFail(v), v.error !== undefined, 'fail_* vectors carry an error')
      switch (v.case) {
        case 'context': {
          const key = key32(v.key_hex)
          const aad = vault.envelopeAad(v.context, v.algorithm)
          assert.equal(hex(aad), v.aad_hex)
          assert.equal(aad[6], v.kind, 'kind byte')
          const pt = unhex(v.plaintext_hex)
          const env = hazmat.sealEnvelopeWithNonce(key, v.context, v.algorithm, unhex(v.nonce_hex), pt)
          assert.equal(hex(env.bytes), v.envelope_hex)
          assert.equal(env.text, v.envelope_text)
          assert.deepEqual(vault.openEnvelope(key, v.context, v.envelope_text), pt)
          return
        }
        case 'device_unlock': {
          const acct = unlocked(v.record, v.account_key_hex)
          assert.equal(acct.keyGeneration, v.record.key_generation ?? 1)
          let deviceKey, wrap
          if (v.generate_key) {
            ;({ deviceKey, wrap } = acct.enableDeviceUnlock(v.device, seeded(v.seed_hex)))
          } else {
            deviceKey = key32(v.device_key_hex)
            wrap = acct.deviceUnlockWithKey(v.device, deviceKey, seeded(v.seed_hex))
          }
          assert.equal(hex(deviceKey.exportBytes()), v.device_key_hex)
          assert.deepEqual(wrap, v.wrap)
          assert.equal(wrap.generation, v.record.key_generation ?? 1)
          assert.deepEqual(vault.parseDeviceUnlock(JSON.stringify(v.wrap)), v.wrap)
          assert.equal(keyHex(vault.unlockAccountWithDevice(v.wrap, deviceKey, v.record)), v.account_key_hex)
          assert.equal(
            keyHex(vault.unlockAccountWithDevice(JSON.stringify(v.wrap), deviceKey, JSON.stringify(v.record))),
            v.account_key_hex,
          )
          return
        }
        case 'pin_unlock': {
          const acct = unlocked(v.record, v.account_key_hex)
          const opts = (seed) => ({ params: v.params, deviceSecret: optKey(v.device_secret_hex), rng: seeded(seed) })
          const wrap = acct.enablePinUnlockSync(v.device, v.pin, v.max_attempts, opts(v.seed_hex))
          assert.deepEqual(wrap, v.wrap)
          assert.deepEqual(await acct.enablePinUnlock(v.device, v.pin, v.max_attempts, opts(v.seed_hex)), v.wrap)
          assert.equal(wrap.device_bound, v.device_secret_hex !== null)
          assert.equal(hex(vault.stretchSync(v.pin, v.wrap.kdf).exportBytes()), v.stretched_hex)
          assert.equal(vault.pinRemainingAttempts(v.wrap), v.max_attempts)
          for (const sync of [true, false]) {
            let state = v.wrap
            for (const [i, a] of v.attempts.entries()) {
              const r = await attempt(state, a.pin, a.device_secret_hex, v.record, sync)
              checkAttempt(r, a.error, a.state, v.account_key_hex, `${sync ? 'sync' : 'async'} attempt ${i}`)
              // What the app stores after each attempt is what it reads back next time.
              state = JSON.stringify(r.pinUnlock)
            }
          }
          return
        }
        case 'recovery_kit': {
          const acct = unlocked(v.record, v.account_key_hex)
          const kit = acct.createRecoveryKit(seeded(v.seed_hex))
          assert.equal(hex(kit.key.exportBytes()), v.recovery_key_hex)
          assert.equal(kit.words, v.words)
          assert.equal(kit.key.exportWords(), v.words)
          assert.deepEqual(kit.wrap, v.wrap)
          assert.equal(hex(kit.key.authToken().exportBytes()), v.auth_token_hex)
          for (const t of v.also_parses) assert.ok(vault.RecoveryKey.fromWords(t).equals(kit.key), t)
          assert.deepEqual(vault.parseRecoveryWrap(JSON.stringify(v.wrap)), v.wrap)
          assert.ok(vault.checkRecoveryAuthToken(v.wrap, kit.key.authToken()))
          assert.ok(!vault.checkRecoveryAuthToken(v.wrap, acct.exportAccountKey()))
          assert.equal(keyHex(vault.recoverAccountWithWords(v.wrap, v.words, v.record)), v.account_key_hex)
          assert.equal(keyHex(vault.recoverAccount(JSON.stringify(v.wrap), vault.RecoveryKey.fromWords(v.words), v.record)),
            v.account_key_hex)
          const again = acct.recoveryWrap(kit.key)
          assert.equal(keyHex(vault.recoverAccount(again, kit.key, v.record)), v.account_key_hex, 'a fresh wrap of the same key')
          return
        }
        case 'recovery_words': {
          if (isFail(v)) {
            assert.equal(codeOf(() => vault.RecoveryKey.fromWords(v.words)), v.error)
            return
          }
          const k = vault.RecoveryKey.fromBytes(unhex(v.recovery_key_hex))
          assert.equal(k.exportWords(), v.words)
          assert.ok(vault.RecoveryKey.fromWords(v.words).equals(k))
          return
        }
        case 'recovery_split': {
          const k = vault.RecoveryKey.fromBytes(unhex(v.recovery_key_hex))
          assert.equal(k.exportWords(), v.words)
          const shares = k.split(v.threshold, v.shares, seeded(v.seed_hex))
          assert.deepEqual(shares.map((s) => s.toText()), v.share_texts)
          assert.deepEqual(shares.map((s) => hex(s.toBytes())), v.share_bytes_hex)
          for (let i = 0; i + v.threshold <= v.share_texts.length; i++) {
            const texts = v.share_texts.slice(i, i + v.threshold)
            const back = vault.RecoveryKey.combine(texts.map((t) => vault.Share.fromText(t)))
            assert.ok(back.equals(k), `window ${i}`)
            assert.equal(back.exportWords(), v.words)
            const bytes = v.share_bytes_hex.slice(i, i + v.threshold).map((h) => vault.Share.fromBytes(unhex(h)))
            assert.ok(vault.RecoveryKey.combine(bytes).equals(k))
          }
          return
        }
        case 'rotation': {
          const acct = unlocked(v.record, v.account_key_hex)
          const opts = () => ({ policy: PERMISSIVE, rng: seeded(v.seed_hex) })
          const rotated = acct.rotateAccountKeySync(v.record, v.password, v.own_wraps, opts())
          assert.equal(keyHex(rotated.account), v.new_account_key_hex)
          assert.equal(rotated.account.keyGeneration, acct.keyGeneration + 1)
          assert.deepEqual(rotated.change, v.change)
          const viaAsync = await acct.rotateAccountKey(v.record, v.password, v.own_wraps, opts())
          assert.deepEqual(viaAsync.change, v.change)
          assert.equal(keyHex(viaAsync.account), v.new_account_key_hex)
          assert.deepEqual(vault.parseAccountKeyRotation(JSON.stringify(v.change)), v.change)
          const again = vault.unlockAccountSync(v.change.record, v.password, { policy: PERMISSIVE })
          assert.equal(keyHex(again), v.new_account_key_hex)
          assert.equal(again.keyGeneration, v.change.record.key_generation)
          assert.equal(v.change.vault_keys.length, v.vault_keys.length)
          v.change.vault_keys.forEach((w, i) => {
            assert.ok(again.unwrapVaultKey(w).equals(vaultKey(v.vault_keys[i])), `vault key ${i}`)
            assert.equal(codeOf(() => acct.unwrapVaultKey(w)), 'decrypt')
          })
          assert.equal(
            codeOf(() => vault.unlockAccountWithAccountKey(v.change.record, acct.exportAccountKey())),
            v.fail_old_account_key_on_new_record,
          )
          return
        }
        case 'device_open':
          assert.equal(codeOf(() => vault.unlockAccountWithDevice(v.wrap, key32(v.device_key_hex), v.record)), v.error)
          return
        case 'pin_attempt':
          for (const sync of [true, false]) {
            const r = await attempt(v.before, v.pin, v.device_secret_hex, v.record, sync)
            checkAttempt(r, v.error, v.state, null, sync ? 'sync' : 'async')
          }
          return
        case 'recovery_open':
          assert.equal(codeOf(() => vault.recoverAccountWithWords(v.wrap, v.words, v.record)), v.error)
          return
        case 'record_unlock':
          assert.equal(codeOf(() => vault.unlockAccountSync(v.record, v.password, { policy: PERMISSIVE })), v.error)
          // (A record that does not parse throws before the promise exists.)
          assert.equal(await asyncCodeOf((async () => vault.unlockAccount(v.record, v.password, { policy: PERMISSIVE }))()),
            v.error)
          return
        case 'rotate': {
          const acct = unlocked(v.unlock_record, v.account_key_hex)
          const opts = () => ({ policy: PERMISSIVE, rng: seeded('00'.repeat(32)) })
          assert.equal(codeOf(() => acct.rotateAccountKeySync(v.record, v.password, [], opts())), v.error)
          assert.equal(await asyncCodeOf(acct.rotateAccountKey(v.record, v.password, [], opts())), v.error)
          return
        }
        case 'parse': {
          const parse = {
            device_unlock: vault.parseDeviceUnlock,
            pin_unlock: vault.parsePinUnlock,
            recovery_wrap: vault.parseRecoveryWrap,
            account_key_rotation: vault.parseAccountKeyRotation,
          }[v.type]
          assert.equal(typeof parse, 'function', v.type)
          assert.equal(codeOf(() => parse(v.json)), v.error)
          return
        }
        default:
          assert.fail(`unknown case ${v.case}`)
      }
    })
  }

  test('every lifecycle case is covered', () => {
    const min = {
      context: 8, device_unlock: 3, pin_unlock: 2, recovery_kit: 1, recovery_words: 4, recovery_split: 1,
      rotation: 1, device_open: 3, pin_attempt: 3, recovery_open: 2, record_unlock: 2, rotate: 2, parse: 4,
    }
    for (const [c, n] of Object.entries(min)) assert.ok((cases.get(c) ?? 0) >= n, `${c}: ${cases.get(c) ?? 0}`)
  })
})

test('every file in test-vectors/ is replayed', () => {
  assert.deepEqual([...replayed].sort(), vectorFiles())
})
