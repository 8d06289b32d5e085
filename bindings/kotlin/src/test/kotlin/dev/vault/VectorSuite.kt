package dev.vault

import dev.vault.ffi.*
import java.io.File
import java.util.Base64

/**
 * Replays every file in `test-vectors/` through the Kotlin bindings, doing the
 * same checks as `vault-core/tests/vectors.rs`: deterministic operations
 * (given `Rng.seeded(seed_hex)`) reproduce the committed bytes exactly, and
 * every `fail_*` vector fails with its recorded error code. Needs a library
 * built with `--features test-vectors`.
 */
class VectorSuite(private val dir: File) {
    /** One result per vector: `operation/name` and the failure, if any. */
    data class Outcome(val name: String, val error: Throwable?)

    fun run(): List<Outcome> {
        val out = ArrayList<Outcome>()
        val seen = HashSet<String>()
        for ((op, replay) in suites) {
            seen.add("$op.json")
            for (v in load(op)) {
                val name = "$op/${v.str("name")}"
                out.add(Outcome(name, runCatching { replay(v) }.exceptionOrNull()))
            }
        }
        val missing = dir.listFiles().orEmpty().map { it.name }
            .filter { it.endsWith(".json") && it !in seen }.sorted()
        out.add(Outcome("every vector file is replayed",
            runCatching { eq(missing, emptyList<String>(), "files without a replay") }.exceptionOrNull()))
        return out
    }

    private val suites: List<Pair<String, (J) -> Unit>> = listOf(
        "kdf" to ::replayKdf, "hkdf" to ::replayHkdf, "envelope" to ::replayEnvelope, "secret_key" to ::replaySecretKey,
        "account" to ::replayAccount, "vault" to ::replayVault, "item" to ::replayItem, "list" to ::replayList,
        "grant" to ::replayGrant, "fingerprint" to ::replayFingerprint, "shamir" to ::replayShamir,
        "srp" to ::replaySrp, "opaque" to ::replayOpaque, "prelogin" to ::replayPrelogin,
        "lifecycle" to ::replayLifecycle, "ed25519" to ::replayEd25519, "identifiers" to ::replayIdentifiers,
        "sync" to ::replaySync,
    )

    private fun load(op: String): List<J> {
        val doc = J(MiniJson.parse(File(dir, "$op.json").readText()))
        eq(doc.str("operation"), op, "operation")
        eq(doc.long("format_version"), 1L, "format_version")
        val v = doc.list("vectors")
        check(v.isNotEmpty()) { "$op: no vectors" }
        return v
    }

    // -----------------------------------------------------------------------
    // Replays

    private fun replayKdf(v: J) {
        val cfg = kdfConfig(v["kdf"])
        val pw = v.str("password")
        if (v.isFail) {
            eq(v.str("policy"), "default", "policy")
            eq(code { kdfDeriveMasterKeys(pw, null, cfg, kdfPolicyDefault()) }, v.str("error"), "error")
            return
        }
        val st = kdfStretch(pw, cfg.salt, cfg.params)
        eq(st.exposeSecret().hex(), v.str("stretched_hex"), "stretched")
        val keys = kdfDeriveMasterKeys(pw, secretKey(v), cfg, PERMISSIVE)
        eq(keys.authKey.exposeSecret().hex(), v.str("auth_key_hex"), "auth key")
        eq(keys.kek.exposeSecret().hex(), v.str("kek_hex"), "kek")
    }

    private fun replayHkdf(v: J) {
        val st = SymmetricKey.fromBytes(v.hex("stretched_hex"))
        val salt = b64url(v.str("salt"))
        val plain = kdfMasterKeysFromStretched(st, null, salt)
        eq(plain.authKey.exposeSecret().hex(), v.str("auth_key_hex"), "auth key")
        eq(plain.kek.exposeSecret().hex(), v.str("kek_hex"), "kek")
        val sk = SecretKey.fromBytes(v.hex("secret_key_hex"))
        val mixed = kdfMasterKeysFromStretched(st, sk, salt)
        eq(mixed.authKey.exposeSecret().hex(), v["with_secret_key"].str("auth_key_hex"), "auth key+sk")
        eq(mixed.kek.exposeSecret().hex(), v["with_secret_key"].str("kek_hex"), "kek+sk")
    }

    private fun replayEnvelope(v: J) {
        val key = SymmetricKey.fromBytes(v.hex("key_hex"))
        val ctx = context(v["context"])
        if (v.isFail) {
            val got = if (v.has("envelope_text")) {
                code { Envelope.fromText(v.str("envelope_text")).open(key, ctx) }
            } else {
                code { Envelope.fromBytes(v.hex("envelope_hex")).open(key, ctx) }
            }
            eq(got, v.str("error"), "error")
            return
        }
        val alg = algorithm(v.str("algorithm"))
        eq(ctx.aadBytes(1u, alg).hex(), v.str("aad_hex"), "aad")
        val pt = v.hex("plaintext_hex")
        val env = hazmatSealWithNonce(key, alg, ctx, v.hex("nonce_hex"), pt)
        eq(env.toBytes().hex(), v.str("envelope_hex"), "envelope bytes")
        eq(env.toText(), v.str("envelope_text"), "envelope text")
        eq(Envelope.fromText(v.str("envelope_text")).open(key, ctx).hex(), pt.hex(), "opened")
    }

    private fun replaySecretKey(v: J) {
        if (v.isFail) {
            eq(code { SecretKey.parse(v.str("text")) }, v.str("error"), "error")
            return
        }
        val sk = SecretKey.fromBytes(v.hex("bytes_hex"))
        eq(sk.toDisplayString(), v.str("text"), "text")
        for (t in v.list("also_parses")) eq(SecretKey.parse(t.s), sk, "parse ${t.s}")
    }

    private fun replayAccount(v: J) {
        if (v.isFail) {
            eq(code { encryptedAccountFromJson(v.str("record_json")) }, v.str("error"), "error")
            return
        }
        val pw = v.str("password")
        val sk = secretKey(v)
        val params = kdfParams(v["params"])
        val created = createAccount(pw, sk, params, seeded(v.str("seed_hex")))
        eq(json(created.credentials.encrypted.toJson()), v["encrypted"].raw, "encrypted")
        eq(created.credentials.authKey.exposeSecret().hex(), v.str("auth_key_hex"), "auth key")
        eq(created.account.fingerprint(), v.str("fingerprint"), "fingerprint")

        val stored = encryptedAccountFromJson(v["encrypted"].json())
        val unlocked = stored.unlock(pw, sk, PERMISSIVE)
        eq(unlocked.accountKey().exposeSecret().hex(), v.str("account_key_hex"), "account key")
        val wrong = v["fail_wrong_password"]
        eq(code { stored.unlock(wrong.str("password"), sk, PERMISSIVE) }, wrong.str("error"), "wrong password")

        val c = v["change_password"]
        val changed = unlocked.changePassword(stored, c.str("new_password"), sk, params, seeded(c.str("seed_hex")))
        eq(json(changed.encrypted.toJson()), c["encrypted"].raw, "changed record")
        eq(changed.authKey.exposeSecret().hex(), c.str("auth_key_hex"), "changed auth key")
        val after = encryptedAccountFromJson(c["encrypted"].json())
        eq(after.unlock(c.str("new_password"), sk, PERMISSIVE).accountKey().exposeSecret().hex(),
            v.str("account_key_hex"), "account key after change")
        eq(code { after.unlock(pw, sk, PERMISSIVE) }, v["fail_old_password_after_change"].str("error"), "old password")
    }

    private fun replayVault(v: J) {
        val owner = accountFromSeed("pw", v.str("owner_seed_hex"))
        val meta = VaultMeta(v["meta"].str("name"), v["meta"].strOr("description", ""))
        val created = owner.createVault(meta, seeded(v.str("seed_hex")))
        val vk = created.key
        eq(vk, vaultKey(v["vault_key"]), "vault key")
        eq(json(created.vault.toJson()), v["encrypted_vault"].raw, "encrypted vault")
        eq(json(created.wrappedKey.toJson()), v["wrapped_key"].raw, "wrapped key")
        eq(owner.unwrapVaultKey(wrappedVaultKeyFromJson(v["wrapped_key"].json())), vk, "unwrap")
        eq(vk.openMeta(encryptedVaultFromJson(v["encrypted_vault"].json())), meta, "meta")

        val items = encryptedItemsFromJson(v["items"].json())
        val r = v["rotate"]
        val rot = vk.rotate(created.vault, items, seeded(r.str("seed_hex")))
        eq(rot.key, vaultKey(r["vault_key"]), "rotated key")
        eq(json(rot.vault.toJson()), r["encrypted_vault"].raw, "rotated vault")
        eq(rot.items.map { json(it.toJson()) }, r["items"].raw, "rotated items")
        val wrapped = owner.wrapVaultKey(rot.key, seeded(r.str("wrap_seed_hex")))
        eq(json(wrapped.toJson()), r["wrapped_key"].raw, "rotated wrap")
        eq(owner.accountKey().exposeSecret().hex(), v.str("owner_account_key_hex"), "owner account key")
        for ((p, it) in v.list("items_plaintext").zip(rot.items)) {
            eq(rot.key.decryptItem(it), item(p), "rotated item plaintext")
        }
        for ((old, new) in items.zip(rot.items)) {
            eq(vk.decryptItem(old), rot.key.decryptItem(new), "same contents")
            eq(old.details, new.details, "rotation must not re-encrypt contents")
            eq(code { vk.decryptItem(new) }, r.str("fail_old_key_on_rotated_item"), "old key on rotated item")
        }
    }

    private fun replayItem(v: J) {
        val vk = vaultKey(v["vault_key"])
        val enc = encryptedItemFromJson(v["encrypted"].json())
        if (v.isFail) {
            eq(code { vk.decryptItem(enc) }, v.str("error"), "error")
            return
        }
        val want = item(v["item"])
        val again = vk.encryptItemWith(v.str("item_id"), v.long("revision").toULong(), want,
            algorithm(v.str("algorithm")), seeded(v.str("seed_hex")))
        eq(json(again.toJson()), v["encrypted"].raw, "encrypted")
        eq(vk.decryptItem(enc), want, "decrypted")
        eq(vk.decryptOverview(enc).overview, overview(v["overview"]), "overview")
        eq(want.overview(), overview(v["overview"]), "Item.overview()")
    }

    private fun replayList(v: J) {
        val vk = vaultKey(v["vault_key"])
        val results = vk.decryptList(encryptedItemsFromJson(v["items"].json()))
        val expected = v.list("results")
        eq(results.size, expected.size, "count")
        check(results.any { it is ListEntry.Failed } && results.any { it is ListEntry.Row })
        for ((i, pair) in results.zip(expected).withIndex()) {
            val (got, want) = pair
            if (want.has("ok")) {
                val row = (got as? ListEntry.Row)?.row ?: error("slot $i: $got")
                eq(row.item, want["ok"].str("item"), "slot $i item")
                eq(row.revision, want["ok"].long("revision").toULong(), "slot $i revision")
                eq(row.overview, overview(want["ok"]["overview"]), "slot $i overview")
            } else {
                val failed = got as? ListEntry.Failed ?: error("slot $i: $got")
                eq(failed.code, want.str("error"), "slot $i error")
            }
        }
    }

    private fun replayGrant(v: J) {
        val senderId = publicIdentityFromJson(v["sender_identity"].json())
        val grant = vaultGrantFromJson(v["grant"].json())
        if (v.isFail) {
            val who = accountFromSeed("x", v.str("recipient_seed_hex"))
            eq(code { who.openGrant(grant, senderId) }, v.str("error"), "error")
            return
        }
        val sender = accountFromSeed("alice", v.str("sender_seed_hex"))
        val recipient = accountFromSeed("bob", v.str("recipient_seed_hex"))
        eq(json(sender.publicIdentity().toJson()), v["sender_identity"].raw, "sender identity")
        eq(json(recipient.publicIdentity().toJson()), v["recipient_identity"].raw, "recipient identity")
        val vk = vaultKey(v["vault_key"])
        val again = sender.grantVault(vk, recipient.publicIdentity(), role(v.str("role")), seeded(v.str("seed_hex")))
        eq(json(again.toJson()), v["grant"].raw, "grant")
        eq(vaultGrantHpkeInfo(vk.vaultId(), vk.keyVersion(), senderId, recipient.publicIdentity()).hex(),
            v.str("hpke_info_hex"), "hpke info")
        eq(recipient.openGrant(grant, senderId), vk, "opened")
    }

    private fun replayFingerprint(v: J) {
        val id = publicIdentityFromJson(v["identity"].json())
        if (v.isFail) {
            eq(code { id.verify() }, v.str("error"), "error")
            return
        }
        id.verify()
        eq(id.fingerprint(), v.str("fingerprint"), "fingerprint")
    }

    private fun replayEd25519(v: J) {
        val check: () -> Unit = when (v.str("case")) {
            "verify" -> { { hazmatEd25519Verify(v.hex("public_key_hex"), v.hex("message_hex"), v.hex("signature_hex")) } }
            "identity" -> {
                val id = publicIdentityFromJson(v["identity"].json())
                eq(json(id.toJson()), v["identity"].raw, "identity round trip")
                ({ id.verify() })
            }
            else -> error("unknown case ${v.str("case")}")
        }
        eq(code(check), if (v.isFail) v.str("error") else "NO ERROR", "verify")
    }

    private fun replayIdentifiers(v: J) {
        val input = v.str("input")
        if (v.isFail) {
            eq(code { normalizeIdentifier(input) }, v.str("error"), "error")
            return
        }
        val canonical = v.str("canonical")
        eq(normalizeIdentifier(input), canonical, "canonical")
        eq(normalizeIdentifier(canonical), canonical, "idempotent")
    }

    private fun replaySync(v: J) {
        val type = v.str("type")
        val text = v.str("json")
        if (v.isFail) {
            eq(code { hazmatSyncWireCanonical(type, text) }, v.str("error"), "error")
            // The engine's own entry points refuse the same text and change nothing.
            val engine = SyncEngine()
            val before = engine.toJson()
            when (type) {
                "pull_page" -> eq(code { engine.applyPull(text) }, v.str("error"), "applyPull")
                "push_response" -> eq(code { engine.applyPush(text) }, v.str("error"), "applyPush")
            }
            eq(engine.toJson(), before, "engine unchanged")
            return
        }
        val canonical = v.str("canonical")
        eq(hazmatSyncWireCanonical(type, text), canonical, "canonical")
        eq(hazmatSyncWireCanonical(type, canonical), canonical, "fixed point")
    }

    private fun replayShamir(v: J) {
        if (v.isFail) {
            val got = if (v.has("share_text")) {
                code { Share.fromText(v.str("share_text")) }
            } else {
                code { shamirCombine(v.list("share_bytes_hex").map { Share.fromBytes(unhex(it.s)) }) }
            }
            eq(got, v.str("error"), "error")
            return
        }
        val secret = v.hex("secret_hex")
        val k = v.long("threshold").toInt()
        val shares = shamirSplit(secret, k.toUByte(), v.long("shares").toInt().toUByte(), seeded(v.str("seed_hex")))
        eq(shares.map { it.toText() }, v.list("share_texts").map { it.s }, "share texts")
        val parsed = v.list("share_texts").map { Share.fromText(it.s) }
        for (i in 0..parsed.size - k) {
            eq(shamirCombine(parsed.subList(i, i + k)).exposeSecret().hex(), secret.hex(), "window $i")
        }
        for ((s, h) in shares.zip(v.list("share_bytes_hex"))) eq(s.toBytes().hex(), h.s, "share bytes")
    }

    private fun replaySrp(v: J) {
        val id = v.str("identifier")
        val auth = SymmetricKey.fromBytes(v.hex("auth_key_hex"))
        val group = when (v.str("group")) {
            "rfc5054-3072" -> SrpGroup.RFC5054_GROUP3072
            "rfc5054-4096" -> SrpGroup.RFC5054_GROUP4096
            else -> error("group")
        }
        val record = srpRegister(id, auth, group, seeded(v.str("register_seed_hex")))
        eq(json(record.toJson()), v["registration"].raw, "registration")
        val started = srpLoginStart(id, auth, group, seeded(v.str("client_seed_hex")))
        eq(json(started.hello.toJson()), v["client_hello"].raw, "client hello")
        // The server side is driven from the committed messages, as a server would.
        val stored = SrpRegistration.fromJson(v["registration"].json())
        val helloIn = SrpClientHello.fromJson(v["client_hello"].json())
        val server = srpServerStart(stored, helloIn, seeded(v.str("server_seed_hex")))
        eq(json(server.challenge.toJson()), v["server_challenge"].raw, "server challenge")
        val answered = started.state.processChallenge(SrpServerChallenge.fromJson(v["server_challenge"].json()))
        eq(json(answered.proof.toJson()), v["client_proof"].raw, "client proof")
        val finished = server.state.finish(SrpClientProof.fromJson(v["client_proof"].json()))
        eq(json(finished.proof.toJson()), v["server_proof"].raw, "server proof")
        val key = answered.state.verifyServer(finished.proof)
        eq(key.exposeSecret().hex(), v.str("session_key_hex"), "session key")
        eq(key, finished.sessionKey, "same key both sides")
        eq(code { answered.state.verifyServer(finished.proof) }, "invalid_argument", "state reuse")

        val f = v["fail_wrong_password"]
        val server2 = srpServerStart(stored, helloIn, seeded(v.str("server_seed_hex")))
        val bad = SrpClientProof.fromJson(f["client_proof"].json())
        eq(code { server2.state.finish(bad) }, f.str("error"), "wrong password")
    }

    private fun replayOpaque(v: J) {
        val id = v.str("identifier")
        val auth = SymmetricKey.fromBytes(v.hex("auth_key_hex"))
        if (v.isFail) {
            val ke2 = OpaqueKe2.fromJson(v["ke2"].json())
            val login = opaqueLoginStart(id, auth, Rng.seeded(ByteArray(32)))
            eq(code { login.state.finish(ke2, Rng.seeded(ByteArray(32))) }, v.str("error"), "error")
            return
        }
        fun s(k: String) = seeded(v["seeds"].str(k))
        val setup = OpaqueServerSetup.generate(s("setup"))
        eq(json(setup.toJson()), v["server_setup"].raw, "server setup")
        eq(setup.publicKey().hex(), v.str("server_public_key_hex"), "server public key")
        val reg = opaqueRegistrationStart(id, auth, s("registration_start"))
        eq(json(reg.request.toJson()), v["registration_request"].raw, "registration request")
        val response = setup.registrationResponse(id,
            OpaqueRegistrationRequest.fromJson(v["registration_request"].json()))
        eq(json(response.toJson()), v["registration_response"].raw, "registration response")
        val registered = reg.state.finish(response, s("registration_finish"))
        eq(json(registered.record.toJson()), v["registration_record"].raw, "record")
        eq(registered.exportKey.exposeSecret().hex(), v.str("export_key_hex"), "export key")
        val record = OpaqueRegistrationRecord.fromJson(v["registration_record"].json())
        val login = opaqueLoginStart(id, auth, s("login_start"))
        eq(json(login.ke1.toJson()), v["ke1"].raw, "ke1")
        val server = opaqueServerLoginStart(setup, id, record, OpaqueKe1.fromJson(v["ke1"].json()), s("login_server"))
        eq(json(server.ke2.toJson()), v["ke2"].raw, "ke2")
        val done = login.state.finish(server.ke2, s("login_finish"))
        eq(json(done.ke3.toJson()), v["ke3"].raw, "ke3")
        eq(done.sessionKey.exposeSecret().hex(), v.str("session_key_hex"), "session key")
        eq(server.state.finish(OpaqueKe3.fromJson(v["ke3"].json())), done.sessionKey, "same key both sides")
    }

    private fun replayPrelogin(v: J) {
        val server = PreloginServer(SymmetricKey.fromBytes(v.hex("server_secret_hex")),
            kdfParams(v["kdf_params"]), SrpGroup.RFC5054_GROUP3072)
        val id = v.str("identifier")
        val fake = server.fakeResponse(id)
        eq(json(fake.toJson()), v["srp_response"].raw, "srp response")
        eq(json(server.respondOpaque(id, null).toJson()), v["opaque_response"].raw, "opaque response")
        eq(json(server.fakeSrpRecord(id).toJson()), v["fake_srp_record"].raw, "fake srp record")
        // The client side: parse, check against the policy, read the SRP part.
        val client = PreloginResponse.fromJson(v["srp_response"].json())
        eq(client, fake, "parsed response")
        val cfg = client.checkedKdf(kdfPolicyDefault())
        val want = kdfConfig(v["srp_response"]["kdf"])
        eq(cfg.params, want.params, "checked kdf params")
        eq(cfg.salt.hex(), want.salt.hex(), "checked kdf salt")
        val srp = client.srp() ?: error("no srp part")
        eq(srp.group.wireName(), v["srp_response"]["srp"].str("group"), "srp group")
        eq(srp.salt.hex(), b64url(v["srp_response"]["srp"].str("salt")).hex(), "srp salt")
    }

    /** lifecycle.json: quick unlock, recovery kit, account key rotation (`case` names the replay). */
    private fun replayLifecycle(v: J) {
        val name = v.str("name")
        check(v.isFail == (v.has("error") && v.str("error").isNotEmpty())) { "fail_* vectors carry an error" }
        fun record(d: J) = encryptedAccountFromJson(d.json())
        fun unlocked(rec: J, keyHex: String) =
            record(rec).unlockWithAccountKey(SymmetricKey.fromBytes(unhex(keyHex)))
        fun optKey(d: J, k: String) = if (d.isNull(k)) null else SymmetricKey.fromBytes(d.hex(k))
        fun keyHex(a: UnlockedAccount) = a.accountKey().exposeSecret().hex()
        when (v.str("case")) {
            "context" -> {
                val ctx = context(v["context"])
                val alg = algorithm(v.str("algorithm"))
                eq(ctx.kind().toLong(), v.long("kind"), "kind")
                eq(ctx.aadBytes(1u, alg).hex(), v.str("aad_hex"), "aad")
                val key = SymmetricKey.fromBytes(v.hex("key_hex"))
                val env = hazmatSealWithNonce(key, alg, ctx, v.hex("nonce_hex"), v.hex("plaintext_hex"))
                eq(env.toBytes().hex(), v.str("envelope_hex"), "envelope")
                eq(env.toText(), v.str("envelope_text"), "envelope text")
                eq(env.open(key, ctx).hex(), v.str("plaintext_hex"), "opened")
            }
            "device_unlock" -> {
                val rec = record(v["record"])
                val acct = unlocked(v["record"], v.str("account_key_hex"))
                eq(acct.keyGeneration().toLong(), (v["record"].raw as Map<*, *>)["key_generation"] as? Long ?: 1L,
                    "key generation")
                val rng = seeded(v.str("seed_hex"))
                val (key, wrap) = if (v["generate_key"].raw == true) {
                    val e = acct.enableDeviceUnlock(v.str("device"), rng)
                    e.deviceKey to e.wrap
                } else {
                    val k = SymmetricKey.fromBytes(v.hex("device_key_hex"))
                    k to acct.deviceUnlockWithKey(v.str("device"), k, rng)
                }
                eq(key.exposeSecret().hex(), v.str("device_key_hex"), "device key")
                eq(json(wrap.toJson()), v["wrap"].raw, "wrap")
                val stored = deviceUnlockFromJson(v["wrap"].json())
                eq(stored, wrap, "parsed wrap")
                eq(keyHex(stored.unlock(key, rec)), v.str("account_key_hex"), "unlocked")
            }
            "pin_unlock" -> {
                val rec = record(v["record"])
                val acct = unlocked(v["record"], v.str("account_key_hex"))
                val wrap = acct.enablePinUnlock(v.str("device"), v.str("pin"), kdfParams(v["params"]),
                    optKey(v, "device_secret_hex"), v.long("max_attempts").toInt().toUByte(), seeded(v.str("seed_hex")))
                eq(json(wrap.toJson()), v["wrap"].raw, "wrap")
                eq(kdfStretch(v.str("pin"), b64url(v["wrap"]["kdf"].str("salt")), kdfParams(v["params"]))
                    .exposeSecret().hex(), v.str("stretched_hex"), "stretched PIN")
                var state = PinUnlock.fromJson(v["wrap"].json())
                eq(state.remainingAttempts().toLong(), v.long("max_attempts"), "remaining")
                for ((i, a) in v.list("attempts").withIndex()) {
                    val got = code { state.unlock(a.str("pin"), optKey(a, "device_secret_hex"), rec, PERMISSIVE) }
                    if (a.isNull("error")) {
                        eq(got, "NO ERROR", "attempt $i")
                        eq(keyHex(state.unlock(a.str("pin"), optKey(a, "device_secret_hex"), rec, PERMISSIVE)),
                            v.str("account_key_hex"), "attempt $i key")
                    } else {
                        eq(got, a.str("error"), "attempt $i")
                    }
                    eq(json(state.toJson()), a["state"].raw, "state after attempt $i")
                    eq(state.isErased(), a["state"].isNull("wrapped"), "erased after attempt $i")
                    // What the app persists after each attempt is what it reads back next time.
                    state = PinUnlock.fromJson(a["state"].json())
                }
            }
            "recovery_kit" -> {
                val rec = record(v["record"])
                val acct = unlocked(v["record"], v.str("account_key_hex"))
                val kit = acct.createRecoveryKit(seeded(v.str("seed_hex")))
                eq(kit.key.exposeSecret().hex(), v.str("recovery_key_hex"), "recovery key")
                eq(kit.words, v.str("words"), "words")
                eq(kit.key.toWords(), v.str("words"), "toWords")
                eq(json(kit.wrap.toJson()), v["wrap"].raw, "wrap")
                eq(kit.key.authToken().exposeSecret().hex(), v.str("auth_token_hex"), "auth token")
                for (t in v.list("also_parses")) eq(RecoveryKey.fromWords(t.s), kit.key, "parses")
                val stored = recoveryWrapFromJson(v["wrap"].json())
                eq(stored.checkAuthToken(kit.key.authToken()), true, "auth token accepted")
                eq(stored.checkAuthToken(acct.accountKey()), false, "other token refused")
                eq(keyHex(recoverAccount(v.str("words"), stored, rec)), v.str("account_key_hex"), "recovered")
                eq(keyHex(stored.recover(RecoveryKey.fromWords(v.str("words")), rec)), v.str("account_key_hex"),
                    "recovered with the key")
            }
            "recovery_words" -> {
                if (v.isFail) {
                    eq(code { RecoveryKey.fromWords(v.str("words")) }, v.str("error"), "error")
                    return
                }
                val key = RecoveryKey.fromBytes(v.hex("recovery_key_hex"))
                eq(key.toWords(), v.str("words"), "words")
                eq(RecoveryKey.fromWords(v.str("words")), key, "parsed")
            }
            "recovery_split" -> {
                val key = RecoveryKey.fromBytes(v.hex("recovery_key_hex"))
                val k = v.long("threshold").toInt()
                val shares = key.split(k.toUByte(), v.long("shares").toInt().toUByte(), seeded(v.str("seed_hex")))
                eq(shares.map { it.toText() }, v.list("share_texts").map { it.s }, "share texts")
                for ((s, h) in shares.zip(v.list("share_bytes_hex"))) eq(s.toBytes().hex(), h.s, "share bytes")
                val parsed = v.list("share_texts").map { Share.fromText(it.s) }
                for (i in 0..parsed.size - k) {
                    val back = RecoveryKey.combine(parsed.subList(i, i + k))
                    eq(back, key, "window $i")
                    eq(back.toWords(), v.str("words"), "words of window $i")
                }
            }
            "rotation" -> {
                val rec = record(v["record"])
                val acct = unlocked(v["record"], v.str("account_key_hex"))
                val own = v.list("own_wraps").map { wrappedVaultKeyFromJson(it.json()) }
                val pw = v.str("password")
                val rotated = acct.rotateAccountKey(rec, pw, null, PERMISSIVE, own, seeded(v.str("seed_hex")))
                eq(keyHex(rotated.account), v.str("new_account_key_hex"), "new account key")
                eq(rotated.account.keyGeneration(), rec.keyGeneration + 1u, "new generation")
                eq(json(rotated.change.toJson()), v["change"].raw, "change set")
                val stored = accountKeyRotationFromJson(v["change"].json())
                eq(json(stored.toJson()), v["change"].raw, "parsed change set")
                val again = stored.record.unlock(pw, null, PERMISSIVE)
                eq(keyHex(again), v.str("new_account_key_hex"), "new record unlocks with the password")
                for ((w, k) in stored.vaultKeys.zip(v.list("vault_keys"))) {
                    eq(again.unwrapVaultKey(w), vaultKey(k), "re-wrapped vault key")
                    eq(code { acct.unwrapVaultKey(w) }, "decrypt", "old account key on a new wrap")
                }
                eq(code { stored.record.unlockWithAccountKey(acct.accountKey()) },
                    v.str("fail_old_account_key_on_new_record"), "old account key on the new record")
            }
            "device_open" -> {
                val wrap = deviceUnlockFromJson(v["wrap"].json())
                eq(code { wrap.unlock(SymmetricKey.fromBytes(v.hex("device_key_hex")), record(v["record"])) },
                    v.str("error"), name)
            }
            "pin_attempt" -> {
                val state = PinUnlock.fromJson(v["before"].json())
                eq(code { state.unlock(v.str("pin"), optKey(v, "device_secret_hex"), record(v["record"]), PERMISSIVE) },
                    v.str("error"), name)
                eq(json(state.toJson()), v["state"].raw, "state")
            }
            "recovery_open" -> {
                val wrap = recoveryWrapFromJson(v["wrap"].json())
                eq(code { recoverAccount(v.str("words"), wrap, record(v["record"])) }, v.str("error"), name)
            }
            "record_unlock" ->
                eq(code { record(v["record"]).unlock(v.str("password"), null, PERMISSIVE) }, v.str("error"), name)
            "rotate" -> {
                val acct = unlocked(v["unlock_record"], v.str("account_key_hex"))
                eq(code {
                    acct.rotateAccountKey(record(v["record"]), v.str("password"), null, PERMISSIVE, emptyList(),
                        Rng.seeded(ByteArray(32)))
                }, v.str("error"), name)
            }
            "parse" -> {
                val text = v.str("json")
                val got = when (v.str("type")) {
                    "device_unlock" -> code { deviceUnlockFromJson(text) }
                    "pin_unlock" -> code { PinUnlock.fromJson(text) }
                    "recovery_wrap" -> code { recoveryWrapFromJson(text) }
                    "account_key_rotation" -> code { accountKeyRotationFromJson(text) }
                    else -> error("unknown type")
                }
                eq(got, v.str("error"), name)
            }
            else -> error("unknown case ${v.str("case")}")
        }
    }

    // -----------------------------------------------------------------------
    // Builders from vector JSON

    private fun secretKey(v: J): SecretKey? =
        if (v.isNull("secret_key_hex")) null else SecretKey.fromBytes(v.hex("secret_key_hex"))

    private fun kdfParams(d: J) = KdfParams(d.long("memory_kib").toUInt(), d.long("iterations").toUInt(),
        d.long("parallelism").toUInt())

    private fun kdfConfig(d: J) = KdfConfig(kdfParams(d["params"]), b64url(d.str("salt")))

    private fun vaultKey(d: J) = VaultKey.fromParts(d.str("vault"), d.long("key_version").toUInt(),
        SymmetricKey.fromBytes(d.hex("key_hex")))

    private fun accountFromSeed(password: String, seedHex: String) =
        createAccount(password, null, kdfParamsInsecureTestOnly(), seeded(seedHex)).account

    private fun context(d: J): EnvelopeContext = when (d.str("kind")) {
        "account_key" -> EnvelopeContext.AccountKey(d.str("account"))
        "identity_keys" -> EnvelopeContext.IdentityKeys(d.str("account"))
        "vault_key" -> EnvelopeContext.VaultKey(d.str("account"), d.str("vault"), d.long("key_version").toUInt())
        "vault_meta" -> EnvelopeContext.VaultMeta(d.str("vault"), d.long("key_version").toUInt())
        "item_key" -> EnvelopeContext.ItemKey(d.str("vault"), d.str("item"), d.long("key_version").toUInt())
        "item_overview" -> EnvelopeContext.ItemOverview(d.str("vault"), d.str("item"), d.long("revision").toULong())
        "item_details" -> EnvelopeContext.ItemDetails(d.str("vault"), d.str("item"), d.long("revision").toULong())
        "account_key_generation" ->
            EnvelopeContext.AccountKeyGeneration(d.str("account"), d.long("generation").toUInt())
        "device_unlock" ->
            EnvelopeContext.DeviceUnlock(d.str("account"), d.str("device"), d.long("generation").toUInt())
        "pin_unlock" -> EnvelopeContext.PinUnlock(d.str("account"), d.str("device"), d.long("generation").toUInt())
        "recovery_key" -> EnvelopeContext.RecoveryKey(d.str("account"), d.long("generation").toUInt())
        else -> error("unknown context kind")
    }

    private fun itemData(d: J): ItemData = when (d.str("type")) {
        "login" -> ItemData.Login(d.strOr("username", ""), d.strOr("password", ""),
            d.listOr("uris").map { it.s }, d.strOr("totp", ""))
        "secure_note" -> ItemData.SecureNote
        "api_key" -> ItemData.ApiKey(d.listOr("entries").map { EnvEntry(it.str("key"), it.str("value")) })
        "card" -> ItemData.Card(d.strOr("cardholder", ""), d.strOr("brand", ""), d.strOr("number", ""),
            d.strOr("exp_month", ""), d.strOr("exp_year", ""), d.strOr("code", ""))
        "identity" -> ItemData.Identity(d.strOr("full_name", ""), d.strOr("email", ""), d.strOr("phone", ""),
            d.strOr("address", ""), d.strOr("document_number", ""))
        "ssh_key" -> ItemData.SshKey(d.strOr("private_key", ""), d.strOr("public_key", ""),
            d.strOr("fingerprint", ""))
        else -> error("unknown item type")
    }

    /** An Item record from the item JSON of docs/format.md §6.3. */
    private fun item(d: J) = Item(
        title = d.str("title"), data = itemData(d["data"]), notes = d.strOr("notes", ""),
        tags = d.listOr("tags").map { it.s }, favorite = d.boolOr("favorite", false),
        customFields = d.listOr("custom_fields").map {
            CustomField(it.str("name"), it.str("value"), fieldKind(it.strOr("kind", "text")))
        },
    )

    /** An Overview record from the overview JSON of docs/format.md §6.2. */
    private fun overview(d: J) = Overview(
        v = d.long("v").toInt().toUByte(), kind = itemKind(d.str("kind")), title = d.str("title"),
        subtitle = d.strOr("subtitle", ""), iconUrl = if (d.has("icon_url")) d.str("icon_url") else null,
        tags = d.listOr("tags").map { it.s }, favorite = d.boolOr("favorite", false),
    )

    private fun fieldKind(s: String) = when (s) {
        "text" -> FieldKind.TEXT
        "hidden" -> FieldKind.HIDDEN
        "url" -> FieldKind.URL
        "boolean" -> FieldKind.BOOLEAN
        else -> error("field kind $s")
    }

    private fun itemKind(s: String) = when (s) {
        "login" -> ItemKind.LOGIN
        "secure_note" -> ItemKind.SECURE_NOTE
        "api_key" -> ItemKind.API_KEY
        "card" -> ItemKind.CARD
        "identity" -> ItemKind.IDENTITY
        "ssh_key" -> ItemKind.SSH_KEY
        else -> error("item kind $s")
    }

    private fun algorithm(s: String) = when (s) {
        "x-cha-cha20-poly1305" -> Algorithm.X_CHA_CHA20_POLY1305
        "aes256-gcm" -> Algorithm.AES256_GCM
        else -> error("algorithm $s")
    }

    private fun role(s: String) = when (s) {
        "owner" -> Role.OWNER
        "editor" -> Role.EDITOR
        "viewer" -> Role.VIEWER
        else -> error("role $s")
    }

    companion object {
        val PERMISSIVE: KdfPolicy = kdfPolicyPermissiveTestOnly()

        fun seeded(hex: String): Rng = Rng.seeded(unhex(hex))

        /** The error code `block` fails with, or `NO ERROR`. */
        fun code(block: () -> Any?): String = try {
            block()
            "NO ERROR"
        } catch (e: VaultException) {
            e.code()
        }

        fun <T> eq(got: T, want: T, what: String) {
            if (got != want) throw AssertionError("$what:\n  got  $got\n  want $want")
        }

        fun json(text: String): Any? = MiniJson.parse(text)

        fun unhex(s: String): ByteArray = ByteArray(s.length / 2) { s.substring(2 * it, 2 * it + 2).toInt(16).toByte() }

        fun b64url(s: String): ByteArray = Base64.getUrlDecoder().decode(s)
    }
}

/** Hex of a byte array. */
fun ByteArray.hex(): String = joinToString("") { "%02x".format(it) }

/** A read-only view of a parsed JSON value with typed accessors. */
class J(val raw: Any?) {
    private val map: Map<*, *> get() = raw as? Map<*, *> ?: error("not an object: $raw")
    operator fun get(k: String) = J(map[k] ?: error("missing $k"))
    fun has(k: String) = map.containsKey(k)
    fun isNull(k: String) = map[k] == null
    fun str(k: String) = map[k] as? String ?: error("$k is not a string")
    fun strOr(k: String, d: String) = (map[k] ?: d) as String
    fun long(k: String) = map[k] as? Long ?: error("$k is not an integer")
    fun boolOr(k: String, d: Boolean) = (map[k] ?: d) as Boolean
    fun list(k: String) = (map[k] as? List<*> ?: error("$k is not a list")).map { J(it) }
    fun listOr(k: String) = (map[k] as? List<*>).orEmpty().map { J(it) }
    fun hex(k: String) = VectorSuite.unhex(str(k))
    val s: String get() = raw as? String ?: error("not a string: $raw")
    val isFail: Boolean get() = str("name").startsWith("fail_")
    fun json(): String = MiniJson.write(raw)
}
