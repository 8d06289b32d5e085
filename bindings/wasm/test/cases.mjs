// The binding's test suite, shared by Node (node --test) and the browser page.
// Plain ES module, no Node APIs: every case is { name, fn } and throws on failure.
//
//   vectorCases(vault, vectors)  replays every file of test-vectors/ byte for
//                                byte (needs a `test-vectors` build: seeded RNG,
//                                hazmat envelope helpers, server halves).
//   roundTripCases(vault)        two accounts, a shared vault, every item type,
//                                read on the other side; error and API checks.
//                                Runs on production builds (OS RNG).

// ---------------------------------------------------------------- helpers --

export const INSECURE = { memory_kib: 64, iterations: 1, parallelism: 1 };

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function unhex(text) {
  if (text.length % 2) throw new Error(`odd hex length: ${text}`);
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function show(v) {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

function fail(msg) {
  throw new Error(msg);
}

export function ok(cond, msg) {
  if (!cond) fail(`assertion failed: ${msg}`);
}

export function eq(actual, expected, msg = "") {
  if (actual !== expected) fail(`${msg}: expected ${show(expected)}, got ${show(actual)}`);
}

function canonical(v) {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object") {
    const o = {};
    for (const k of Object.keys(v).sort()) if (v[k] !== undefined) o[k] = canonical(v[k]);
    return o;
  }
  return v;
}

/** Deep equality of JSON-like values (key order ignored). */
export function deepEq(actual, expected, msg = "") {
  const a = JSON.stringify(canonical(actual));
  const e = JSON.stringify(canonical(expected));
  if (a !== e) fail(`${msg}:\n  expected ${e}\n  got      ${a}`);
}

/** `fn` must throw a VaultError with `code`. */
export function throwsCode(fn, code, msg = "") {
  let err;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  if (!err) fail(`${msg}: expected error ${code}, got NO ERROR`);
  if (!(err instanceof Error)) fail(`${msg}: thrown value is not an Error: ${show(err)}`);
  if (err.name !== "VaultError") fail(`${msg}: expected a VaultError, got ${err.name}: ${err.message}`);
  eq(err.code, code, `${msg}: error code (${err.message})`);
  return err;
}

async function rejectsCode(promise, code, msg = "") {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  if (!err) fail(`${msg}: expected error ${code}, got NO ERROR`);
  eq(err.code, code, `${msg}: error code (${err.message})`);
}

// ------------------------------------------------------------ vector suite --

const BIG = "__u64__";

/**
 * JSON.parse that keeps integers beyond 2^53 exact (as BigInt). The envelope
 * vectors bind a revision of 0x0102030405060708, which a JS number cannot hold.
 */
export function parseVectorJson(text) {
  // Strings are matched first and left as they are: a number-like run
  // inside a JSON document embedded as a string must not be rewritten.
  const marked = text.replace(
    /"(?:[^"\\]|\\.)*"|([:\[,]\s*)(\d{16,})(?=\s*[,}\]])/g,
    (m, pre, digits) => (digits === undefined ? m : `${pre}"${BIG}${digits}"`),
  );
  return JSON.parse(marked, (_k, v) => {
    if (typeof v === "string" && v.startsWith(BIG)) {
      const n = BigInt(v.slice(BIG.length));
      return n > BigInt(Number.MAX_SAFE_INTEGER) ? n : Number(n);
    }
    return v;
  });
}

/** JSON text of a value that may hold BigInts (written as plain integers). */
export function jsonText(value) {
  return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? `${BIG}${v}` : v)).replace(
    new RegExp(`"${BIG}(\\d+)"`, "g"),
    "$1",
  );
}

/** Every vector file this suite replays; a new file in test-vectors/ fails the suite until handled. */
export const VECTOR_FILES = [
  "account",
  "ed25519",
  "envelope",
  "fingerprint",
  "grant",
  "hkdf",
  "identifiers",
  "item",
  "kdf",
  "lifecycle",
  "list",
  "opaque",
  "prelogin",
  "secret_key",
  "shamir",
  "srp",
  "sync",
  "vault",
];

/**
 * @param vault   a vault-wasm module built with the `test-vectors` feature
 * @param vectors { [file]: parsed JSON } for every file in test-vectors/
 */
export function vectorCases(vault, vectors) {
  const { Testing } = vault;
  const rng = (seedHex) => vault.Rng.seeded(unhex(seedHex));
  const key = (h) => vault.SymmetricKey.fromBytes(unhex(h));
  const permissive = vault.permissiveKdfPolicyTestOnly();
  const vaultKey = (v) => vault.VaultKey.fromParts(v.vault, v.key_version, key(v.key_hex));
  const isFail = (v) => v.name.startsWith("fail_");
  const skOf = (v) => (v.secret_key_hex ? vault.SecretKey.fromBytes(unhex(v.secret_key_hex)) : null);
  const account = (password, seed) => vault.Account.create(password, INSECURE, rng(seed)).account;

  const handlers = {
    kdf(v) {
      if (isFail(v)) {
        eq(v.policy, "default", "fail vectors use the default policy");
        throwsCode(() => vault.deriveMasterKeys(v.password, v.kdf), v.error, "derive");
        throwsCode(() => vault.checkKdfParams(v.kdf.params), v.error, "check");
        return;
      }
      const sk = skOf(v);
      const st = vault.stretch(v.password, v.kdf.salt, v.kdf.params);
      eq(hex(st.exportBytes()), v.stretched_hex, "stretched");
      const keys = sk
        ? vault.deriveMasterKeysWithSecretKey(v.password, sk, v.kdf, permissive)
        : vault.deriveMasterKeys(v.password, v.kdf, permissive);
      eq(hex(keys.authKey.exportBytes()), v.auth_key_hex, "auth key");
      eq(hex(keys.kek.exportBytes()), v.kek_hex, "kek");
      const split = sk
        ? vault.masterKeysFromStretchedWithSecretKey(st, sk, v.kdf.salt)
        : vault.masterKeysFromStretched(st, v.kdf.salt);
      ok(split.kek.equals(keys.kek) && split.authKey.equals(keys.authKey), "stretch + HKDF = derive");
    },

    hkdf(v) {
      const st = key(v.stretched_hex);
      const plain = vault.masterKeysFromStretched(st, v.salt);
      eq(hex(plain.authKey.exportBytes()), v.auth_key_hex, "auth key");
      eq(hex(plain.kek.exportBytes()), v.kek_hex, "kek");
      const sk = vault.SecretKey.fromBytes(unhex(v.secret_key_hex));
      const mixed = vault.masterKeysFromStretchedWithSecretKey(st, sk, v.salt);
      eq(hex(mixed.authKey.exportBytes()), v.with_secret_key.auth_key_hex, "auth key (2SKD)");
      eq(hex(mixed.kek.exportBytes()), v.with_secret_key.kek_hex, "kek (2SKD)");
    },

    envelope(v) {
      const k = key(v.key_hex);
      // As JSON text: the context's revision may exceed 2^53 (passed exactly).
      const ctx = jsonText(v.context);
      if (isFail(v)) {
        const env = v.envelope_text !== undefined ? v.envelope_text : unhex(v.envelope_hex);
        throwsCode(() => Testing.openEnvelope(env, k, ctx), v.error, "open");
        return;
      }
      eq(hex(Testing.contextAad(ctx, v.algorithm)), v.aad_hex, "aad");
      const env = Testing.sealWithNonce(k, v.algorithm, ctx, unhex(v.nonce_hex), unhex(v.plaintext_hex));
      eq(hex(env), v.envelope_hex, "envelope bytes");
      eq(Testing.envelopeText(env), v.envelope_text, "envelope text");
      eq(hex(Testing.openEnvelope(v.envelope_text, k, ctx)), v.plaintext_hex, "open text form");
      eq(hex(Testing.openEnvelope(unhex(v.envelope_hex), k, ctx)), v.plaintext_hex, "open binary form");
    },

    secret_key(v) {
      if (isFail(v)) {
        throwsCode(() => vault.SecretKey.parse(v.text), v.error, "parse");
        return;
      }
      const sk = vault.SecretKey.fromBytes(unhex(v.bytes_hex));
      eq(sk.toDisplayString(), v.text, "display form");
      eq(hex(vault.SecretKey.parse(v.text).exportBytes()), v.bytes_hex, "parse");
      for (const t of v.also_parses) ok(vault.SecretKey.parse(t).equals(sk), `also parses ${t}`);
    },

    account(v) {
      if (isFail(v)) {
        throwsCode(() => vault.parseAccountRecord(v.record_json), v.error, "parseAccountRecord");
        throwsCode(() => vault.Account.unlock(v.record_json, "pw", permissive), v.error, "unlock");
        return;
      }
      const sk = skOf(v);
      const pw = v.password;
      const created = sk
        ? vault.Account.createWithSecretKey(pw, sk, v.params, rng(v.seed_hex))
        : vault.Account.create(pw, v.params, rng(v.seed_hex));
      deepEq(created.record, v.encrypted, "record");
      eq(hex(created.authKey.exportBytes()), v.auth_key_hex, "auth key");
      eq(created.account.fingerprint(), v.fingerprint, "fingerprint");
      eq(created.account.accountId, v.encrypted.account, "account id");

      const unlock = (record, password) =>
        sk
          ? vault.Account.unlockWithSecretKey(record, password, sk, permissive)
          : vault.Account.unlock(record, password, permissive);
      const unlocked = unlock(v.encrypted, pw);
      eq(hex(unlocked.exportAccountKey().exportBytes()), v.account_key_hex, "account key");
      throwsCode(() => unlock(v.encrypted, v.fail_wrong_password.password), v.fail_wrong_password.error, "wrong password");
      // The same record as JSON text, and through deriveMasterKeys + unlockWithKek.
      eq(unlock(JSON.stringify(v.encrypted), pw).accountId, v.encrypted.account, "record as JSON text");
      const keys = sk
        ? vault.deriveMasterKeysWithSecretKey(pw, sk, v.encrypted.kdf, permissive)
        : vault.deriveMasterKeys(pw, v.encrypted.kdf, permissive);
      eq(hex(keys.authKey.exportBytes()), v.auth_key_hex, "derived auth key");
      eq(hex(vault.Account.unlockWithKek(v.encrypted, keys.kek).exportAccountKey().exportBytes()), v.account_key_hex, "unlockWithKek");

      const c = v.change_password;
      const changed = sk
        ? unlocked.changePasswordWithSecretKey(v.encrypted, c.new_password, sk, v.params, rng(c.seed_hex))
        : unlocked.changePassword(v.encrypted, c.new_password, v.params, rng(c.seed_hex));
      deepEq(changed.record, c.encrypted, "changed record");
      eq(hex(changed.authKey.exportBytes()), c.auth_key_hex, "changed auth key");
      eq(hex(unlock(c.encrypted, c.new_password).exportAccountKey().exportBytes()), v.account_key_hex, "unlock after change");
      throwsCode(() => unlock(c.encrypted, pw), v.fail_old_password_after_change.error, "old password after change");
    },

    vault(v) {
      const owner = account("pw", v.owner_seed_hex);
      const created = owner.createVault(v.meta, rng(v.seed_hex));
      const vk = created.key;
      ok(vk.equals(vaultKey(v.vault_key)), "vault key");
      eq(vk.vaultId, v.vault_key.vault, "vault id");
      eq(vk.keyVersion, v.vault_key.key_version, "key version");
      eq(hex(vk.exportKey().exportBytes()), v.vault_key.key_hex, "exported key");
      deepEq(created.vault, v.encrypted_vault, "encrypted vault");
      deepEq(created.wrappedKey, v.wrapped_key, "wrapped key");
      ok(owner.unwrapVaultKey(v.wrapped_key).equals(vk), "unwrap");
      deepEq(vk.openMeta(v.encrypted_vault), v.meta, "meta");
      deepEq(vk.sealMeta(v.meta, rng(v.seed_hex)).vault, v.encrypted_vault.vault, "sealMeta vault id");

      const r = v.rotate;
      const rotated = vk.rotate(created.vault, v.items, rng(r.seed_hex));
      ok(rotated.key.equals(vaultKey(r.vault_key)), "rotated key");
      deepEq(rotated.vault, r.encrypted_vault, "rotated vault");
      deepEq(rotated.items, r.items, "rotated items");
      deepEq(owner.wrapVaultKey(rotated.key, rng(r.wrap_seed_hex)), r.wrapped_key, "rotated wrap");
      eq(hex(owner.exportAccountKey().exportBytes()), v.owner_account_key_hex, "owner account key");
      v.items_plaintext.forEach((p, i) => deepEq(rotated.key.decryptItem(r.items[i]), p, `item ${i}`));
      v.items.forEach((old, i) => {
        const fresh = r.items[i];
        deepEq(vk.decryptItem(old), rotated.key.decryptItem(fresh), `same item ${i}`);
        eq(old.details, fresh.details, "rotation must not re-encrypt contents");
        throwsCode(() => vk.decryptItem(fresh), r.fail_old_key_on_rotated_item, "old key on rotated item");
      });
    },

    item(v) {
      const vk = vaultKey(v.vault_key);
      if (isFail(v)) {
        throwsCode(() => vk.decryptItem(v.encrypted), v.error, "decryptItem");
        return;
      }
      const again = vk.encryptItem(v.item_id, v.revision, v.item, v.algorithm, rng(v.seed_hex));
      deepEq(again, v.encrypted, "encrypted item");
      deepEq(vk.decryptItem(v.encrypted), v.item, "item");
      deepEq(vk.decryptItem(JSON.stringify(v.encrypted)), v.item, "item from JSON text");
      const row = vk.decryptOverview(v.encrypted);
      deepEq(row.overview, v.overview, "overview");
      eq(row.item, v.item_id, "row item");
      eq(row.revision, v.revision, "row revision");
      deepEq(vault.itemOverview(v.item), v.overview, "itemOverview");
    },

    list(v) {
      const vk = vaultKey(v.vault_key);
      const results = vk.decryptList(v.items);
      eq(results.length, v.results.length, "result count");
      ok(results.some((r) => r.ok) && results.some((r) => r.error), "partial failure");
      results.forEach((got, i) => {
        const want = v.results[i];
        if (want.ok) {
          ok(got.ok, `slot ${i} should decrypt: ${show(got.error)}`);
          deepEq(got.ok.overview, want.ok.overview, `slot ${i} overview`);
          eq(got.ok.item, want.ok.item, `slot ${i} item`);
          if (want.ok.revision !== undefined) eq(got.ok.revision, want.ok.revision, `slot ${i} revision`);
        } else {
          ok(got.error, `slot ${i} should fail`);
          eq(got.error.code, want.error, `slot ${i} code`);
          ok(typeof got.error.message === "string" && got.error.message.length > 0, "message");
        }
      });
    },

    grant(v) {
      if (isFail(v)) {
        const who = account("x", v.recipient_seed_hex);
        throwsCode(() => who.openGrant(v.grant, v.sender_identity), v.error, "openGrant");
        return;
      }
      const sender = account("alice", v.sender_seed_hex);
      const recipient = account("bob", v.recipient_seed_hex);
      deepEq(sender.publicIdentity(), v.sender_identity, "sender identity");
      deepEq(recipient.publicIdentity(), v.recipient_identity, "recipient identity");
      eq(hex(Testing.exportIdentitySecrets(recipient).slice(0, 32)), v.recipient_x25519_secret_hex, "recipient X25519 secret");
      const vk = vaultKey(v.vault_key);
      deepEq(sender.grantVault(vk, recipient.publicIdentity(), v.role, rng(v.seed_hex)), v.grant, "grant");
      eq(hex(vault.grantHpkeInfo(vk.vaultId, vk.keyVersion, v.sender_identity, recipient.publicIdentity())), v.hpke_info_hex, "hpke info");
      vault.verifyGrant(v.grant, v.sender_identity);
      ok(recipient.openGrant(v.grant, v.sender_identity).equals(vk), "opened key");
    },

    fingerprint(v) {
      if (isFail(v)) {
        throwsCode(() => vault.verifyIdentity(v.identity), v.error, "verifyIdentity");
        return;
      }
      vault.verifyIdentity(v.identity);
      eq(vault.identityFingerprint(v.identity), v.fingerprint, "fingerprint");
    },

    ed25519(v) {
      let run;
      if (v.case === "verify") {
        run = () => Testing.ed25519Verify(unhex(v.public_key_hex), unhex(v.message_hex), unhex(v.signature_hex));
      } else if (v.case === "identity") {
        run = () => vault.verifyIdentity(v.identity);
      } else {
        fail(`unknown case ${v.case}`);
      }
      if (isFail(v)) {
        throwsCode(run, v.error, v.case);
        return;
      }
      run();
    },

    identifiers(v) {
      if (isFail(v)) {
        throwsCode(() => vault.normalizeIdentifier(v.input), v.error, "normalizeIdentifier");
        return;
      }
      eq(vault.normalizeIdentifier(v.input), v.canonical, "canonical");
      eq(vault.normalizeIdentifier(v.canonical), v.canonical, "idempotent");
    },

    sync(v) {
      if (isFail(v)) {
        throwsCode(() => Testing.syncWireCanonical(v.type, v.json), v.error, "parse");
        // The engine's own entry points refuse the same text and change nothing.
        const apply = { pull_page: "applyPull", push_response: "applyPush" }[v.type];
        if (apply) {
          const engine = new vault.SyncEngine();
          const before = engine.toJson();
          throwsCode(() => engine[apply](v.json), v.error, apply);
          eq(engine.toJson(), before, `${apply} left the engine unchanged`);
        }
        return;
      }
      eq(Testing.syncWireCanonical(v.type, v.json), v.canonical, "canonical");
      eq(Testing.syncWireCanonical(v.type, v.canonical), v.canonical, "canonical is a fixed point");
    },

    shamir(v) {
      if (isFail(v)) {
        if (v.share_text !== undefined) {
          throwsCode(() => vault.Share.fromText(v.share_text), v.error, "Share.fromText");
          throwsCode(() => vault.shamirCombine([v.share_text, v.share_text]), v.error, "combine text");
        } else {
          throwsCode(() => vault.shamirCombine(v.share_bytes_hex.map(unhex)), v.error, "combine");
        }
        return;
      }
      const shares = vault.shamirSplit(unhex(v.secret_hex), v.threshold, v.shares, rng(v.seed_hex));
      deepEq(shares.map((s) => s.toText()), v.share_texts, "share texts");
      shares.forEach((s, i) => {
        eq(hex(s.toBytes()), v.share_bytes_hex[i], `share ${i} bytes`);
        eq(s.index, i + 1, "index");
        eq(s.threshold, v.threshold, "threshold");
        eq(vault.Share.fromText(v.share_texts[i]).toText(), v.share_texts[i], "fromText");
      });
      for (let i = 0; i + v.threshold <= v.share_texts.length; i++) {
        const texts = v.share_texts.slice(i, i + v.threshold);
        eq(hex(vault.shamirCombine(texts)), v.secret_hex, `combine texts ${i}`);
        const bytes = v.share_bytes_hex.slice(i, i + v.threshold).map(unhex);
        eq(hex(vault.shamirCombine(bytes)), v.secret_hex, `combine bytes ${i}`);
      }
    },

    srp(v) {
      const auth = key(v.auth_key_hex);
      eq(v.password_p, v.auth_key_hex, "P is the auth key's lowercase hex");
      deepEq(vault.srpRegister(v.identifier, auth, v.group, rng(v.register_seed_hex)), v.registration, "registration");
      const login = vault.SrpLogin.start(v.identifier, auth, v.group, rng(v.client_seed_hex));
      deepEq(login.hello, v.client_hello, "client hello");
      const server = vault.TestSrpServer.start(v.registration, v.client_hello, rng(v.server_seed_hex));
      deepEq(server.challenge, v.server_challenge, "server challenge");
      deepEq(login.processChallenge(v.server_challenge), v.client_proof, "client proof");
      throwsCode(() => login.processChallenge(v.server_challenge), "invalid_argument", "step twice");
      const done = server.finish(v.client_proof);
      deepEq(done.serverProof, v.server_proof, "server proof");
      const k = login.verifyServer(v.server_proof);
      eq(hex(k.exportBytes()), v.session_key_hex, "session key");
      ok(k.equals(done.sessionKey), "client and server keys agree");

      const f = v.fail_wrong_password;
      const wrong = vault.SrpLogin.start(v.identifier, key(f.auth_key_hex), v.group, rng(v.client_seed_hex));
      deepEq(wrong.hello, v.client_hello, "same A with the same seed");
      deepEq(wrong.processChallenge(v.server_challenge), f.client_proof, "wrong-password proof");
      const again = vault.TestSrpServer.start(v.registration, v.client_hello, rng(v.server_seed_hex));
      throwsCode(() => again.finish(f.client_proof), f.error, "server rejects");
    },

    opaque(v, all) {
      const ref = all.find((x) => !isFail(x));
      const s = (name) => rng(ref.seeds[name]);
      const auth = key(v.auth_key_hex);
      if (isFail(v)) {
        const setup = vault.TestOpaqueServer.generate(s("setup"));
        const login = vault.OpaqueLogin.start(v.identifier, auth, s("login_start"));
        deepEq(login.ke1, v.ke1, "ke1");
        const known = v.identifier === ref.identifier;
        const sl = setup.loginStart(v.identifier, known ? ref.registration_record : undefined, v.ke1, s(known ? "login_server" : "fake_server"));
        deepEq(sl.ke2, v.ke2, "ke2");
        throwsCode(() => login.finish(v.ke2, s("login_finish")), v.error, "finish");
        return;
      }
      const setup = vault.TestOpaqueServer.generate(s("setup"));
      deepEq(setup.setupJson(), v.server_setup, "server setup");
      eq(hex(setup.publicKey()), v.server_public_key_hex, "server public key");
      const reg = vault.OpaqueRegistration.start(v.identifier, auth, s("registration_start"));
      deepEq(reg.request, v.registration_request, "registration request");
      const response = setup.registrationResponse(v.identifier, v.registration_request);
      deepEq(response, v.registration_response, "registration response");
      const registered = reg.finish(v.registration_response, s("registration_finish"));
      deepEq(registered.record, v.registration_record, "registration record");
      eq(hex(registered.exportKey.exportBytes()), v.export_key_hex, "export key");
      eq(hex(registered.serverPublicKey), v.server_public_key_hex, "server key in envelope");
      throwsCode(() => reg.finish(v.registration_response), "invalid_argument", "finish twice");
      const login = vault.OpaqueLogin.start(v.identifier, auth, s("login_start"));
      deepEq(login.ke1, v.ke1, "ke1");
      const sl = setup.loginStart(v.identifier, v.registration_record, v.ke1, s("login_server"));
      deepEq(sl.ke2, v.ke2, "ke2");
      const done = login.finish(v.ke2, s("login_finish"));
      deepEq(done.ke3, v.ke3, "ke3");
      eq(hex(done.sessionKey.exportBytes()), v.session_key_hex, "session key");
      eq(hex(done.exportKey.exportBytes()), v.export_key_hex, "export key at login");
      ok(sl.finish(v.ke3).equals(done.sessionKey), "server session key");
    },

    prelogin(v) {
      const server = new vault.TestPreloginServer(key(v.server_secret_hex), v.kdf_params, v.srp_group);
      deepEq(server.fakeResponse(v.identifier), v.srp_response, "SRP fake answer");
      deepEq(server.respondOpaque(v.identifier), v.opaque_response, "OPAQUE fake answer");
      deepEq(server.fakeSrpRecord(v.identifier), v.fake_srp_record, "fake SRP record");
      // The client half.
      deepEq(vault.preloginRequest(v.identifier), { v: 1, identifier: v.identifier }, "request");
      const srp = vault.PreloginResponse.parse(v.srp_response);
      deepEq(srp.toJSON(), v.srp_response, "parsed SRP answer");
      deepEq(srp.checkedKdf(), v.srp_response.kdf, "checked KDF");
      deepEq(srp.srp, v.srp_response.srp, "SRP part");
      const op = vault.PreloginResponse.parse(JSON.stringify(v.opaque_response));
      eq(op.srp, undefined, "no SRP part for OPAQUE");
      deepEq(op.kdf, v.opaque_response.kdf, "OPAQUE KDF");
    },

    lifecycle(v) {
      eq(isFail(v), v.error !== undefined, "fail_* vectors carry an error");
      const unlocked = (record, keyHex) => vault.Account.unlockWithAccountKey(record, key(keyHex));
      const optKey = (h) => (h ? key(h) : null);
      const keyHex = (a) => hex(a.exportAccountKey().exportBytes());
      const attempt = (state, pin, secretHex, record) =>
        secretHex
          ? state.unlockWithDeviceSecret(pin, key(secretHex), record, permissive)
          : state.unlock(pin, record, permissive);
      switch (v.case) {
        case "context": {
          const k = key(v.key_hex);
          eq(hex(Testing.contextAad(v.context, v.algorithm)), v.aad_hex, "aad");
          eq(unhex(v.aad_hex)[6], v.kind, "kind byte");
          const env = Testing.sealWithNonce(k, v.algorithm, v.context, unhex(v.nonce_hex), unhex(v.plaintext_hex));
          eq(hex(env), v.envelope_hex, "envelope bytes");
          eq(Testing.envelopeText(env), v.envelope_text, "envelope text");
          eq(hex(Testing.openEnvelope(v.envelope_text, k, v.context)), v.plaintext_hex, "open");
          return;
        }
        case "device_unlock": {
          const acct = unlocked(v.record, v.account_key_hex);
          eq(acct.keyGeneration, v.record.key_generation ?? 1, "key generation");
          let dk, wrap;
          if (v.generate_key) {
            const e = acct.enableDeviceUnlock(v.device, rng(v.seed_hex));
            dk = e.deviceKey;
            wrap = e.wrap;
          } else {
            dk = key(v.device_key_hex);
            wrap = acct.deviceUnlockWithKey(v.device, dk, rng(v.seed_hex));
          }
          eq(hex(dk.exportBytes()), v.device_key_hex, "device key");
          deepEq(wrap, v.wrap, "wrap");
          deepEq(vault.parseDeviceUnlock(JSON.stringify(v.wrap)), v.wrap, "parseDeviceUnlock");
          eq(keyHex(vault.Account.unlockWithDevice(v.wrap, dk, v.record)), v.account_key_hex, "unlock");
          eq(keyHex(vault.Account.unlockWithDevice(JSON.stringify(v.wrap), dk, JSON.stringify(v.record))),
            v.account_key_hex, "unlock from JSON text");
          return;
        }
        case "pin_unlock": {
          const acct = unlocked(v.record, v.account_key_hex);
          const wrap = v.device_secret_hex
            ? acct.enablePinUnlockWithDeviceSecret(v.device, v.pin, v.params, v.max_attempts, key(v.device_secret_hex), rng(v.seed_hex))
            : acct.enablePinUnlock(v.device, v.pin, v.params, v.max_attempts, rng(v.seed_hex));
          deepEq(wrap.toJson(), v.wrap, "wrap");
          eq(wrap.deviceBound, v.device_secret_hex !== null, "deviceBound");
          eq(wrap.maxAttempts, v.max_attempts, "maxAttempts");
          eq(wrap.generation, v.wrap.generation, "generation");
          eq(hex(vault.stretch(v.pin, v.wrap.kdf.salt, v.params).exportBytes()), v.stretched_hex, "stretched PIN");
          let state = vault.PinUnlock.fromJson(v.wrap);
          v.attempts.forEach((a, i) => {
            if (a.error === null) {
              eq(keyHex(attempt(state, a.pin, a.device_secret_hex, v.record)), v.account_key_hex, `attempt ${i}`);
            } else {
              throwsCode(() => attempt(state, a.pin, a.device_secret_hex, v.record), a.error, `attempt ${i}`);
            }
            deepEq(state.toJson(), a.state, `state after attempt ${i}`);
            eq(state.erased, a.state.wrapped === null, `erased after attempt ${i}`);
            eq(state.failedAttempts, a.state.failed_attempts, `failedAttempts after attempt ${i}`);
            eq(state.remainingAttempts, a.state.wrapped === null ? 0 : a.state.max_attempts - a.state.failed_attempts,
              `remainingAttempts after attempt ${i}`);
            // What the app stores after each attempt is what it reads back next time.
            state = vault.PinUnlock.fromJson(JSON.stringify(a.state));
          });
          return;
        }
        case "recovery_kit": {
          const acct = unlocked(v.record, v.account_key_hex);
          const kit = acct.createRecoveryKit(rng(v.seed_hex));
          eq(hex(kit.key.exportBytes()), v.recovery_key_hex, "recovery key");
          eq(kit.words, v.words, "words");
          eq(kit.key.exportWords(), v.words, "exportWords");
          deepEq(kit.wrap, v.wrap, "wrap");
          eq(hex(kit.key.authToken().exportBytes()), v.auth_token_hex, "auth token");
          for (const t of v.also_parses) ok(vault.RecoveryKey.fromWords(t).equals(kit.key), "also parses");
          deepEq(vault.parseRecoveryWrap(JSON.stringify(v.wrap)), v.wrap, "parseRecoveryWrap");
          ok(vault.checkRecoveryAuthToken(v.wrap, kit.key.authToken()), "auth token accepted");
          ok(!vault.checkRecoveryAuthToken(v.wrap, acct.exportAccountKey()), "other token refused");
          eq(keyHex(vault.Account.recoverWithWords(v.wrap, v.words, v.record)), v.account_key_hex, "recover (words)");
          eq(keyHex(vault.Account.recover(v.wrap, vault.RecoveryKey.fromWords(v.words), v.record)), v.account_key_hex, "recover (key)");
          const again = acct.recoveryWrap(kit.key);
          eq(keyHex(vault.Account.recover(again, kit.key, v.record)), v.account_key_hex, "a fresh wrap of the same key");
          return;
        }
        case "recovery_words": {
          if (isFail(v)) {
            throwsCode(() => vault.RecoveryKey.fromWords(v.words), v.error, "fromWords");
            return;
          }
          const k = vault.RecoveryKey.fromBytes(unhex(v.recovery_key_hex));
          eq(k.exportWords(), v.words, "words");
          ok(vault.RecoveryKey.fromWords(v.words).equals(k), "parsed");
          return;
        }
        case "recovery_split": {
          const k = vault.RecoveryKey.fromBytes(unhex(v.recovery_key_hex));
          const shares = k.split(v.threshold, v.shares, rng(v.seed_hex));
          deepEq(shares.map((s) => s.toText()), v.share_texts, "share texts");
          deepEq(shares.map((s) => hex(s.toBytes())), v.share_bytes_hex, "share bytes");
          for (let i = 0; i + v.threshold <= v.share_texts.length; i++) {
            const back = vault.RecoveryKey.combine(v.share_texts.slice(i, i + v.threshold));
            ok(back.equals(k), `combine texts ${i}`);
            eq(back.exportWords(), v.words, `words of window ${i}`);
            ok(vault.RecoveryKey.combine(v.share_bytes_hex.slice(i, i + v.threshold).map(unhex)).equals(k), `combine bytes ${i}`);
          }
          return;
        }
        case "rotation": {
          const acct = unlocked(v.record, v.account_key_hex);
          const rotated = acct.rotateAccountKey(v.record, v.password, v.own_wraps, permissive, rng(v.seed_hex));
          eq(keyHex(rotated.account), v.new_account_key_hex, "new account key");
          eq(rotated.account.keyGeneration, acct.keyGeneration + 1, "next generation");
          deepEq(rotated.change, v.change, "change set");
          deepEq(vault.parseAccountKeyRotation(JSON.stringify(v.change)), v.change, "parseAccountKeyRotation");
          const again = vault.Account.unlock(v.change.record, v.password, permissive);
          eq(keyHex(again), v.new_account_key_hex, "new record unlocks with the password");
          v.change.vault_keys.forEach((w, i) => {
            ok(again.unwrapVaultKey(w).equals(vaultKey(v.vault_keys[i])), `re-wrapped vault key ${i}`);
            throwsCode(() => acct.unwrapVaultKey(w), "decrypt", "old account key on a new wrap");
          });
          throwsCode(() => vault.Account.unlockWithAccountKey(v.change.record, acct.exportAccountKey()),
            v.fail_old_account_key_on_new_record, "old account key on the new record");
          return;
        }
        case "device_open":
          throwsCode(() => vault.Account.unlockWithDevice(v.wrap, key(v.device_key_hex), v.record), v.error, "unlockWithDevice");
          return;
        case "pin_attempt": {
          const state = vault.PinUnlock.fromJson(v.before);
          throwsCode(() => attempt(state, v.pin, v.device_secret_hex, v.record), v.error, "unlock");
          deepEq(state.toJson(), v.state, "state");
          return;
        }
        case "recovery_open":
          throwsCode(() => vault.Account.recoverWithWords(v.wrap, v.words, v.record), v.error, "recoverWithWords");
          return;
        case "record_unlock":
          throwsCode(() => vault.Account.unlock(v.record, v.password, permissive), v.error, "unlock");
          return;
        case "rotate": {
          const acct = unlocked(v.unlock_record, v.account_key_hex);
          throwsCode(() => acct.rotateAccountKey(v.record, v.password, [], permissive, vault.Rng.seeded(new Uint8Array(32))),
            v.error, "rotateAccountKey");
          return;
        }
        case "parse": {
          const parsers = {
            device_unlock: vault.parseDeviceUnlock,
            pin_unlock: (t) => vault.PinUnlock.fromJson(t),
            recovery_wrap: vault.parseRecoveryWrap,
            account_key_rotation: vault.parseAccountKeyRotation,
          };
          throwsCode(() => parsers[v.type](v.json), v.error, `parse ${v.type}`);
          return;
        }
        default:
          fail(`unknown case ${v.case}`);
      }
    },
  };

  const cases = [
    {
      name: "every file in test-vectors/ is replayed",
      fn() {
        deepEq(Object.keys(vectors).sort(), [...VECTOR_FILES].sort(), "vector files");
        for (const f of VECTOR_FILES) ok(handlers[f], `handler for ${f}`);
      },
    },
  ];
  for (const file of VECTOR_FILES) {
    const doc = vectors[file];
    if (!doc) continue;
    for (const v of doc.vectors) {
      cases.push({
        name: `${file}/${v.name}`,
        fn() {
          eq(doc.operation, file, "operation");
          eq(doc.format_version, 1, "format_version");
          handlers[file](v, doc.vectors);
        },
      });
    }
  }
  return cases;
}

// ------------------------------------------------------ round trip and API --

const ITEMS = [
  {
    title: "Bank",
    data: { type: "login", username: "alice@example.com", password: "p@ss", uris: ["https://bank.example"], totp: "JBSWY3DPEHPK3PXP" },
    notes: "pin 1234",
    tags: ["finance"],
    favorite: true,
    custom_fields: [{ name: "PIN", value: "1234", kind: "hidden" }],
  },
  { title: "Wi-Fi", data: { type: "secure_note" }, notes: "network: home" },
  { title: "Stripe", data: { type: "api_key", entries: [{ key: "STRIPE_KEY", value: "sk_live_x" }] } },
  { title: "Visa", data: { type: "card", cardholder: "Alice", brand: "Visa", number: "4111 1111 1111 1111", exp_month: "12", exp_year: "2030", code: "123" } },
  { title: "Passport", data: { type: "identity", full_name: "Alice A", email: "a@example.com", phone: "1", address: "x", document_number: "P123" } },
  { title: "Deploy key", data: { type: "ssh_key", private_key: "-----BEGIN OPENSSH PRIVATE KEY-----", public_key: "ssh-ed25519 AAAA", fingerprint: "SHA256:abc" } },
];

/** Cases that use only the production surface (OS RNG), sync included. */
export function roundTripCases(vault) {
  return [...productionCases(vault), ...syncCases(vault)];
}

function productionCases(vault) {
  const wire = (x) => JSON.parse(JSON.stringify(x)); // what a server hands back
  return [
    {
      name: "round trip: two accounts, share a vault, decrypt on the other side",
      fn() {
        const alice = vault.Account.create("alice password", INSECURE);
        const bob = vault.Account.create("bob password", INSECURE);
        const aliceAcct = alice.account;
        const bobAcct = bob.account;
        const team = aliceAcct.createVault({ name: "Team", description: "shared" });
        const ids = ITEMS.map(() => vault.newItemId());
        const stored = ITEMS.map((it, i) => wire(team.key.encryptItem(ids[i], 1, it)));
        stored.push(wire(team.key.encryptItem(vault.newItemId(), 1, ITEMS[0], "aes256-gcm")));

        // Fingerprints agree however they are computed (compared out of band).
        eq(vault.identityFingerprint(wire(bobAcct.publicIdentity())), bobAcct.fingerprint(), "fingerprint");
        vault.verifyIdentity(wire(bobAcct.publicIdentity()));
        const grant = wire(aliceAcct.grantVault(team.key, wire(bobAcct.publicIdentity()), "editor"));
        eq(grant.role, "editor", "role");
        vault.verifyGrant(grant, wire(aliceAcct.publicIdentity()));

        // Bob, on his device: unlock offline, open the grant, read everything.
        const bobAgain = vault.Account.unlock(wire(bob.record), "bob password", vault.permissiveKdfPolicyTestOnly());
        eq(bobAgain.accountId, bobAcct.accountId, "bob unlocks offline");
        const bobKey = bobAgain.openGrant(JSON.stringify(grant), wire(aliceAcct.publicIdentity()));
        ok(bobKey.equals(team.key), "same vault key");
        deepEq(bobKey.openMeta(wire(team.vault)), { name: "Team", description: "shared" }, "meta");
        ITEMS.forEach((it, i) => deepEq(bobKey.decryptItem(stored[i]), it, `item ${it.title}`));
        deepEq(bobKey.decryptItem(stored[ITEMS.length]), ITEMS[0], "AES-GCM item");
        const rows = bobKey.decryptList(stored);
        deepEq(rows.map((r) => r.ok.overview.title), [...ITEMS.map((i) => i.title), "Bank"], "list titles");
        deepEq(rows.map((r) => r.ok.overview.kind), ["login", "secure_note", "api_key", "card", "identity", "ssh_key", "login"], "kinds");
        eq(rows[3].ok.overview.subtitle, "Visa •••• 1111", "card subtitle masks the number");

        // Bob keeps the key under his own account key; Bob edits, Alice reads.
        const bobWrap = wire(bobAgain.wrapVaultKey(bobKey));
        ok(bobAgain.unwrapVaultKey(bobWrap).equals(team.key), "bob's own wrap");
        const edited = wire(bobKey.encryptItem(ids[1], 2, { ...ITEMS[1], notes: "network: office" }));
        eq(team.key.decryptItem(edited).notes, "network: office", "alice reads bob's edit");

        // A third account cannot use the grant; tampering is caught.
        const carol = vault.Account.create("carol", INSECURE).account;
        throwsCode(() => carol.openGrant(grant, wire(aliceAcct.publicIdentity())), "invalid_argument", "grant for someone else");
        throwsCode(() => bobAgain.openGrant({ ...grant, role: "owner" }, wire(aliceAcct.publicIdentity())), "bad_signature", "role escalated");
        throwsCode(() => bobAgain.openGrant(grant, wire(carol.publicIdentity())), "bad_signature", "wrong sender");

        // Revocation: rotate, re-share with nobody; Bob's old key fails on rotated items.
        const rotated = team.key.rotate(wire(team.vault), stored);
        eq(rotated.key.keyVersion, 2, "next generation");
        throwsCode(() => bobKey.decryptItem(rotated.items[0]), "decrypt", "revoked");
        deepEq(rotated.key.decryptItem(rotated.items[0]), ITEMS[0], "rotated item");
      },
    },
    {
      name: "normalizeIdentifier: one canonical form per account, look-alikes refused",
      fn() {
        eq(vault.normalizeIdentifier("Alice@Example.COM"), "alice@example.com", "case");
        eq(vault.normalizeIdentifier("\uff41lice@example.com"), "alice@example.com", "fullwidth");
        eq(vault.normalizeIdentifier("ali\u0301ce@example.com"), "al\u00edce@example.com", "NFD to NFC");
        eq(vault.normalizeIdentifier("\u0438\u0432\u0430\u043d@example.com"), "\u0438\u0432\u0430\u043d@example.com", "Cyrillic name");
        throwsCode(() => vault.normalizeIdentifier("\u0430lice@example.com"), "malformed", "Cyrillic a in a Latin name");
        throwsCode(() => vault.normalizeIdentifier("alice\u200b@example.com"), "malformed", "zero-width space");
        throwsCode(() => vault.normalizeIdentifier(""), "malformed", "empty");
      },
    },
    {
      name: "password change and Secret Key (2SKD)",
      fn() {
        const sk = vault.SecretKey.generate();
        const text = sk.toDisplayString();
        ok(/^VK1-/.test(text), "display form");
        ok(vault.SecretKey.parse(text.toLowerCase().replaceAll("-", " ")).equals(sk), "forgiving parse");
        const created = vault.Account.createWithSecretKey("pw one", sk, INSECURE);
        const p = vault.permissiveKdfPolicyTestOnly();
        throwsCode(() => vault.Account.unlock(created.record, "pw one", p), "decrypt", "Secret Key required");
        const a = vault.Account.unlockWithSecretKey(created.record, "pw one", sk, p);
        const changed = a.changePasswordWithSecretKey(created.record, "pw two", sk, INSECURE);
        ok(!changed.authKey.equals(created.authKey), "new auth key");
        eq(vault.Account.unlockWithSecretKey(changed.record, "pw two", sk, p).accountId, a.accountId, "new password");
        throwsCode(() => vault.Account.unlockWithSecretKey(changed.record, "pw one", sk, p), "decrypt", "old password");
        const acctKey = a.exportAccountKey();
        eq(vault.Account.unlockWithAccountKey(changed.record, acctKey).accountId, a.accountId, "quick unlock");
      },
    },
    {
      name: "errors: VaultError with a stable code and no secret in the message",
      fn() {
        const created = vault.Account.create("hunter2-secret", INSECURE);
        const e = throwsCode(() => vault.Account.unlock(created.record, "wrong-guess-xyz", vault.permissiveKdfPolicyTestOnly()), "decrypt", "wrong password");
        eq(e.message, "decryption failed", "opaque message");
        ok(!e.message.includes("wrong-guess-xyz") && !e.message.includes("hunter2"), "no password in message");
        // Records from a server are checked against the client's KDF policy.
        throwsCode(() => vault.Account.unlock(created.record, "hunter2-secret"), "kdf_policy", "tiny params rejected by default policy");
        throwsCode(() => vault.checkKdfParams({ memory_kib: 64 << 20, iterations: 3, parallelism: 4 }), "kdf_policy", "ceiling");
        vault.checkKdfParams(vault.kdfPreset("default"));
        deepEq(vault.kdfPreset("default"), { memory_kib: 65536, iterations: 3, parallelism: 4 }, "default preset");
        deepEq(vault.kdfPreset("constrained"), { memory_kib: 32768, iterations: 4, parallelism: 2 }, "constrained preset");
        deepEq(vault.kdfPreset("sensitive"), { memory_kib: 262144, iterations: 4, parallelism: 4 }, "sensitive preset");
        throwsCode(() => vault.kdfPreset("fast"), "invalid_argument", "unknown preset");
        eq(vault.defaultKdfPolicy().min_memory_kib, 19456, "policy floor");
        // Strict parsing: unknown fields, wrong shapes, bad ids.
        const acct = created.account;
        const team = acct.createVault({ name: "T" });
        const secretItem = { title: "x", data: { type: "login", password: "topsecret-value" } };
        throwsCode(() => team.key.encryptItem(vault.newItemId(), 1, { ...secretItem, extra: 1 }), "malformed", "unknown field");
        const bad = throwsCode(() => team.key.encryptItem(vault.newItemId(), 1, { title: "x", data: { type: "login", password: 42 } }), "malformed", "wrong type");
        ok(!bad.message.includes("42"), "no value in message");
        throwsCode(() => team.key.encryptItem("not-a-uuid", 1, secretItem), "malformed", "bad id");
        throwsCode(() => team.key.encryptItem(vault.newItemId(), -1, secretItem), "invalid_argument", "bad revision");
        throwsCode(() => team.key.encryptItem(vault.newItemId(), 1, secretItem, "rot13"), "malformed", "bad algorithm");
        throwsCode(() => team.key.decryptItem(undefined), "malformed", "missing");
        throwsCode(() => acct.grantVault(team.key, acct.publicIdentity(), "admin"), "malformed", "bad role");
        throwsCode(() => vault.SymmetricKey.fromBytes(new Uint8Array(31)), "malformed", "short key");
        throwsCode(() => vault.SecretKey.parse("VK1-00000-00000-00000-00000-00000-0000"), "checksum", "typo");
        throwsCode(() => vault.shamirCombine([1, 2]), "invalid_argument", "share type");
        const list = team.key.decryptList([]);
        deepEq(list, [], "empty list");
      },
    },
    {
      name: "items: every type round-trips; dotenv; list-row partial failure",
      fn() {
        const acct = vault.Account.create("pw", INSECURE).account;
        const { key } = acct.createVault({ name: "V" });
        const other = acct.createVault({ name: "W" }).key;
        const enc = ITEMS.map((it) => key.encryptItem(vault.newItemId(), 7, it));
        ITEMS.forEach((it, i) => deepEq(key.decryptItem(enc[i]), it, it.title));
        const foreign = other.encryptItem(vault.newItemId(), 1, ITEMS[0]);
        const moved = { ...enc[1], revision: 8 };
        const res = key.decryptList([...enc, foreign, moved]);
        eq(res.filter((r) => r.ok).length, ITEMS.length, "good rows");
        eq(res[ITEMS.length].error.code, "decrypt", "foreign item");
        eq(res[ITEMS.length + 1].error.code, "decrypt", "moved revision");
        const entries = vault.parseDotenv("export A=1\n# comment\nB=\"two\"\n");
        deepEq(entries, [{ key: "A", value: "1" }, { key: "B", value: "two" }], "dotenv");
        throwsCode(() => vault.parseDotenv("not an assignment"), "malformed", "bad dotenv");
        eq(vault.itemOverview(ITEMS[2]).subtitle, "STRIPE_KEY", "api key subtitle");
        ok(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(vault.newItemId()), "uuid v4");
      },
    },
    {
      name: "account lifecycle: device and PIN unlock, recovery kit, key rotation, stale wraps",
      fn() {
        const pol = vault.permissiveKdfPolicyTestOnly();
        const created = vault.Account.create("lifecycle pw", INSECURE);
        const acct = created.account;
        const record = wire(created.record);
        eq(acct.keyGeneration, 1, "generation 1");
        eq(record.key_generation, undefined, "key_generation omitted at 1");
        const device = vault.newDeviceId();
        const enabled = acct.enableDeviceUnlock(device);
        const deviceWrap = wire(enabled.wrap);
        eq(vault.Account.unlockWithDevice(deviceWrap, enabled.deviceKey, record).accountId, acct.accountId, "device unlock");
        const secret = vault.SymmetricKey.generate();
        let pin = acct.enablePinUnlockWithDeviceSecret(device, "2468", INSECURE, 2, secret);
        throwsCode(() => pin.unlock("2468", record, pol), "invalid_argument", "device secret required");
        throwsCode(() => pin.unlockWithDeviceSecret("1111", secret, record, pol), "authentication_failed", "wrong PIN");
        pin = vault.PinUnlock.fromJson(JSON.stringify(pin.toJson()));
        eq(pin.remainingAttempts, 1, "one attempt left");
        eq(pin.unlockWithDeviceSecret("2468", secret, record, pol).accountId, acct.accountId, "PIN unlock");
        eq(pin.remainingAttempts, 2, "counter reset");
        throwsCode(() => acct.enablePinUnlock(device, "12", INSECURE, 3), "invalid_argument", "short PIN");
        const kit = acct.createRecoveryKit();
        eq(kit.words.split(" ").length, 24, "24 words");
        const shares = kit.key.split(2, 3);
        const back = vault.RecoveryKey.combine([shares[2].toText(), shares[0].toBytes()]);
        ok(back.equals(kit.key), "split and combine");
        ok(vault.checkRecoveryAuthToken(wire(kit.wrap), back.authToken()), "auth token");
        eq(vault.Account.recoverWithWords(wire(kit.wrap), back.exportWords(), record).accountId, acct.accountId, "recover");
        const { key: vk, wrappedKey } = acct.createVault({ name: "V" });
        const rotated = acct.rotateAccountKey(record, "lifecycle pw", [wire(wrappedKey)], pol);
        const change = wire(rotated.change);
        eq(change.record.key_generation, 2, "generation 2");
        eq(rotated.account.keyGeneration, 2, "unlocked generation 2");
        ok(rotated.account.unwrapVaultKey(change.vault_keys[0]).equals(vk), "vault key survives");
        throwsCode(() => vault.Account.unlockWithDevice(deviceWrap, enabled.deviceKey, change.record), "stale_wrap", "stale device wrap");
        throwsCode(() => pin.unlockWithDeviceSecret("2468", secret, change.record, pol), "stale_wrap", "stale PIN wrap");
        throwsCode(() => vault.Account.recoverWithWords(wire(kit.wrap), kit.words, change.record), "stale_wrap", "stale kit");
        throwsCode(() => acct.rotateAccountKey(change.record, "lifecycle pw", [], pol), "stale_wrap", "rotate twice from gen 1");
        eq(vault.Account.unlock(change.record, "lifecycle pw", pol).keyGeneration, 2, "password path still works");
      },
    },
    {
      name: "shamir, keys and handles",
      fn() {
        const secret = new Uint8Array(32).map((_, i) => i);
        const shares = vault.shamirSplit(secret, 3, 5);
        eq(shares.length, 5, "five shares");
        const texts = shares.map((s) => s.toText());
        eq(hex(vault.shamirCombine([texts[4], texts[0], texts[2]])), hex(secret), "any three");
        eq(hex(vault.shamirCombine([shares[1].toBytes(), texts[3], texts[4]])), hex(secret), "mixed forms");
        throwsCode(() => vault.shamirCombine(texts.slice(0, 2)), "shamir", "too few");
        const k = vault.SymmetricKey.generate();
        ok(vault.SymmetricKey.fromBytes(k.exportBytes()).equals(k), "key export/import");
        ok(!vault.SymmetricKey.generate().equals(k), "fresh keys differ");
        k.free();
        eq(vault.isTestBuild(), typeof vault.Rng.seeded === "function", "isTestBuild matches the seeded RNG");
        eq(typeof vault.version(), "string", "version");
      },
    },
    {
      name: "SRP and OPAQUE client flows (messages as a server sees them)",
      fn() {
        const auth = vault.SymmetricKey.generate();
        const reg = vault.srpRegister("alice@example.com", auth);
        eq(reg.group, "rfc5054-3072", "default group");
        const login = vault.SrpLogin.start("alice@example.com", auth, reg.group);
        eq(login.hello.identifier, "alice@example.com", "hello");
        throwsCode(() => login.verifyServer({ v: 1, m2: "A".repeat(43) }), "invalid_argument", "out of order");
        throwsCode(() => login.processChallenge({ v: 2, group: "rfc5054-3072", salt: reg.salt, b_pub: reg.verifier }), "unsupported_version", "future version");
        const o = vault.OpaqueRegistration.start("alice@example.com", auth);
        eq(o.request.v, 1, "request version");
        throwsCode(() => o.finish({ v: 1, registration_response: "AAAA" }), "malformed", "bad response");
        const ol = vault.OpaqueLogin.start("alice@example.com", auth);
        eq(Object.keys(ol.ke1).join(), "v,ke1", "ke1 shape");
        const pre = vault.PreloginResponse.parse({ v: 1, kdf: { params: { memory_kib: 1024, iterations: 1, parallelism: 1 }, salt: "AAAAAAAAAAAAAAAAAAAAAA" } });
        throwsCode(() => pre.checkedKdf(), "kdf_policy", "hostile pre-login params");
        throwsCode(() => vault.PreloginResponse.parse({ v: 1, kdf: pre.kdf, extra: true }), "malformed", "unknown field");
      },
    },
  ];
}

// ------------------------------------------------------------------ sync --

/**
 * A toy in-memory sync server (the compare-and-swap rules of
 * docs/protocol.md, one user): item states by `vault/item`, a change log whose
 * length is the cursor, memberships as feed entries. Requests and answers
 * travel as JSON text, as over HTTP.
 */
export class ToySyncServer {
  constructor() {
    this.states = new Map(); // key → ItemState
    this.log = []; // keys and membership entries, in order
  }
  /** Announces a membership (what the server does when a vault is created or shared). */
  addMember(entry) {
    this.log.push({ change: { type: "vault", ...entry } });
  }
  /** GET /v1/sync?since=… */
  pull(requestJson) {
    const req = JSON.parse(requestJson);
    const from = req.since === undefined ? 0 : Number(req.since.slice(2));
    const latest = new Map(); // each item once, in its current state, ordered by last change
    const changes = [];
    for (const e of this.log.slice(from)) {
      if (e.change) changes.push(e.change);
      else {
        latest.delete(e.key);
        latest.set(e.key, true);
      }
    }
    for (const key of latest.keys()) {
      const s = this.states.get(key);
      changes.push(s.state === "live" ? { type: "item", item: s.item } : { type: "tombstone", vault: s.vault, item: s.item, revision: s.revision });
    }
    return JSON.stringify({ v: 1, since: req.since ?? null, next: `c:${this.log.length}`, has_more: false, changes });
  }
  /** POST /v1/push */
  push(requestJson) {
    const req = JSON.parse(requestJson);
    const results = req.writes.map((w) => {
      const vault = w.action === "upsert" ? w.item.vault : w.vault;
      const item = w.action === "upsert" ? w.item.item : w.item;
      const key = `${vault}/${item}`;
      const current = this.states.get(key);
      const revision = current ? (current.state === "live" ? current.item.revision : current.revision) : 0;
      if (!current && w.base > 0) return { status: "rejected", op: w.op, reason: "not_found" };
      if (w.base !== revision) return { status: "conflict", op: w.op, current };
      if (w.action === "upsert" && w.item.revision !== w.base + 1) return { status: "rejected", op: w.op, reason: "invalid" };
      this.states.set(key, w.action === "upsert" ? { state: "live", item: w.item } : { state: "deleted", vault, item, revision: w.base + 1 });
      this.log.push({ key });
      return { status: "ok", op: w.op, revision: w.base + 1 };
    });
    return JSON.stringify({ v: 1, results });
  }
}

/** One device's sync round against the toy server: pull until done, then push until done. */
export function syncRound(engine, server) {
  const pulled = [];
  for (;;) {
    const out = engine.applyPull(server.pull(JSON.stringify(engine.planPull())));
    pulled.push(out);
    if (!out.has_more) break;
  }
  const pushed = [];
  for (let req = engine.planPush(); req; req = engine.planPush()) {
    const out = engine.applyPush(server.push(JSON.stringify(req)));
    pushed.push(out);
    if (!out.progressed) break;
  }
  return { pulled, pushed };
}

/** Two devices of one user sync through the toy server; both edit offline; resolveDefault keeps both. */
export function syncCases(vault) {
  return [
    {
      name: "sync: two devices, push/pull, offline edits conflict, resolveDefault keeps both",
      fn() {
        const server = new ToySyncServer();
        const created = vault.Account.create("sync pw", INSECURE);
        const account = created.account;
        const team = account.createVault({ name: "Home" });
        const vaultId = team.key.vaultId;
        server.addMember({ vault: vaultId, role: "owner", meta: team.vault, keys: [{ wrapped: team.wrappedKey }] });
        const note = (notes) => ({ title: "Router", data: { type: "secure_note" }, notes });

        // Device A creates an item offline, then syncs.
        const a = new vault.SyncEngine();
        const id = vault.newItemId();
        eq(a.nextRevision(vaultId, id), 1, "a new item starts at revision 1");
        a.localUpsert(team.key.encryptItem(id, a.nextRevision(vaultId, id), note("admin / hunter2")));
        eq(a.pendingCount, 1, "queued");
        const r1 = syncRound(a, server);
        eq(r1.pushed[0].acknowledged.length, 1, "acknowledged");
        eq(r1.pushed[0].acknowledged[0].revision, 1, "stored at revision 1");
        eq(a.pendingCount, 0, "nothing queued");

        // Device B (same user, unlocked offline from the record) pulls: the
        // membership brings the wrapped vault key, the feed the item.
        const accountB = vault.Account.unlock(created.record, "sync pw", vault.permissiveKdfPolicyTestOnly());
        const b = new vault.SyncEngine();
        syncRound(b, server);
        const [membership] = b.vaults();
        eq(membership.vault, vaultId, "membership");
        eq(membership.role, "owner", "role");
        const keyB = accountB.unwrapVaultKey(membership.keys[0].wrapped);
        deepEq(keyB.openMeta(membership.meta), { name: "Home" }, "vault meta");
        eq(keyB.decryptItem(b.item(vaultId, id)).notes, "admin / hunter2", "B decrypts A's item");
        deepEq(keyB.decryptList(b.items(vaultId)).map((r) => r.ok.overview.title), ["Router"], "B's list");

        // The state persists as ciphertext only; a replayed page changes nothing.
        const saved = b.toJson();
        ok(!saved.includes("hunter2") && !saved.includes("Router"), "no plaintext in the saved state");
        const b2 = vault.SyncEngine.fromJson(saved);
        eq(b2.toJson(), saved, "state round-trips");
        eq(b2.cursor, b.cursor, "cursor");
        const page = server.pull(JSON.stringify({ v: 1 }));
        eq(b2.applyPull(page).applied, false, "replayed page ignored");

        // Both edit offline. A syncs first; B's push meets a 409.
        a.localUpsert(team.key.encryptItem(id, a.nextRevision(vaultId, id), note("from A")));
        b.localUpsert(keyB.encryptItem(id, b.nextRevision(vaultId, id), note("from B")));
        eq(b.nextRevision(vaultId, id), 2, "an unsent edit is replaced, not chained");
        syncRound(a, server);
        const rb = syncRound(b, server);
        const conflictIds = [...rb.pulled.flatMap((o) => o.conflicts), ...rb.pushed.flatMap((o) => o.conflicts)];
        eq(conflictIds.length, 1, "one conflict");
        const [conflict] = b.conflicts();
        eq(conflict.id, conflictIds[0], "conflict id");
        eq(conflict.cause.kind, "diverged", "cause");
        eq(keyB.decryptItem(conflict.local.upsert).notes, "from B", "the local edit is kept");
        eq(keyB.decryptItem(b.item(vaultId, id)).notes, "from A", "the item shows the server's version");

        // The default policy keeps both: B's version becomes a copy.
        const done = b.resolveDefault(vault.VaultKeyRing.of(keyB), " (conflict)");
        eq(done.length, 1, "one resolution");
        eq(done[0].action.kind, "kept_both", "kept both");
        const copy = done[0].action.copy;
        deepEq(b.conflicts(), [], "no conflicts left");
        eq(b.pendingCount, 1, "the copy is queued");
        syncRound(b, server);
        syncRound(a, server);
        for (const [engine, key, who] of [[a, team.key, "A"], [b, keyB, "B"]]) {
          const rows = key.decryptList(engine.items(vaultId)).map((r) => r.ok.overview.title).sort();
          deepEq(rows, ["Router", "Router (conflict)"], `${who} sees both`);
          eq(key.decryptItem(engine.item(vaultId, copy)).notes, "from B", `${who}: the copy holds B's edit`);
          eq(key.decryptItem(engine.item(vaultId, id)).notes, "from A", `${who}: the item holds A's edit`);
          eq(engine.pendingCount, 0, `${who}: nothing queued`);
        }

        // A deletes the copy; B sees it go.
        a.localDelete(vaultId, copy);
        syncRound(a, server);
        syncRound(b, server);
        eq(b.item(vaultId, copy), undefined, "deleted on B");
        eq(b.items(vaultId).length, 1, "one item left");

        // Strict input: a malformed page changes nothing; ids are checked.
        const before = b.toJson();
        throwsCode(() => b.applyPull({ v: 1, since: b.cursor, next: "c:0", has_more: false, changes: [], extra: 1 }), "malformed", "unknown field");
        throwsCode(() => b.applyPull({ v: 2, since: null, next: "c:0", has_more: false, changes: [] }), "unsupported_version", "future page");
        throwsCode(() => b.nextRevision("not-a-uuid", id), "malformed", "bad vault id");
        throwsCode(() => b.resolveKeepServer(42), "invalid_argument", "unknown conflict");
        throwsCode(() => vault.SyncEngine.fromJson("{}"), "malformed", "bad state");
        eq(b.toJson(), before, "unchanged after errors");
      },
    },
  ];
}

/** Full SRP and OPAQUE logins against the test-build server halves, OS RNG. */
export function serverHalfCases(vault) {
  return [
    {
      name: "SRP and OPAQUE logins end to end (test-build server halves)",
      fn() {
        const auth = vault.SymmetricKey.generate();
        const reg = vault.srpRegister("bob", auth, "rfc5054-4096");
        const login = vault.SrpLogin.start("bob", auth, "rfc5054-4096");
        const server = vault.TestSrpServer.start(reg, JSON.stringify(login.hello));
        const proof = login.processChallenge(JSON.stringify(server.challenge));
        const done = server.finish(proof);
        ok(login.verifyServer(done.serverProof).equals(done.sessionKey), "SRP keys agree");
        const wrong = vault.SrpLogin.start("bob", vault.SymmetricKey.generate(), "rfc5054-4096");
        const s2 = vault.TestSrpServer.start(reg, wrong.hello);
        throwsCode(() => s2.finish(wrong.processChallenge(s2.challenge)), "authentication_failed", "SRP wrong key");

        const setup = vault.TestOpaqueServer.generate();
        const r = vault.OpaqueRegistration.start("bob", auth);
        const rec = r.finish(setup.registrationResponse("bob", r.request)).record;
        const l = vault.OpaqueLogin.start("bob", auth);
        const sl = setup.loginStart("bob", rec, l.ke1);
        const fin = l.finish(sl.ke2);
        ok(sl.finish(fin.ke3).equals(fin.sessionKey), "OPAQUE keys agree");
        const bad = vault.OpaqueLogin.start("bob", vault.SymmetricKey.generate());
        throwsCode(() => bad.finish(setup.loginStart("bob", rec, bad.ke1).ke2), "authentication_failed", "OPAQUE wrong key");
        const ghost = vault.OpaqueLogin.start("ghost", auth);
        throwsCode(() => ghost.finish(setup.loginStart("ghost", undefined, ghost.ke1).ke2), "authentication_failed", "OPAQUE unknown account");
      },
    },
  ];
}

/** Runs cases in order; returns { passed, failed, failures }. (Browser runner.) */
export async function runCases(cases, log = () => {}) {
  let passed = 0;
  const failures = [];
  for (const c of cases) {
    try {
      await c.fn();
      passed++;
      log(`ok - ${c.name}`);
    } catch (e) {
      failures.push({ name: c.name, message: String(e && e.stack ? e.stack : e) });
      log(`not ok - ${c.name}: ${e && e.message}`);
    }
  }
  return { passed, failed: failures.length, failures };
}

export { rejectsCode };
