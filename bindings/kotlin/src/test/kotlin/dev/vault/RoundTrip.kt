package dev.vault

import dev.vault.VectorSuite.Companion.code
import dev.vault.VectorSuite.Companion.eq
import dev.vault.ffi.*

/**
 * End-to-end scenarios through the idiomatic wrapper (dev.vault) and the
 * generated API: two accounts share a vault and the other side decrypts;
 * SRP, OPAQUE and pre-login through their JSON messages.
 */
object RoundTrip {
    private val p = KdfParams.INSECURE_TEST_ONLY
    private val permissive = KdfPolicy.PERMISSIVE_TEST_ONLY

    fun shareAVault() {
        // Two users. Bob also has a Secret Key (two-secret key derivation).
        val aliceNew = createAccount("alice pw", null, p)
        val bobSk = SecretKey.generate()
        val bobNew = createAccount("bob pw", bobSk, p)
        val alice = aliceNew.account
        val bob = bobNew.account
        // Records travel as JSON, as they would through the server.
        val aliceRec = EncryptedAccount.fromJson(aliceNew.credentials.encrypted.toJson())
        val bobRec = EncryptedAccount.fromJson(bobNew.credentials.encrypted.toJson())

        // Alice makes a vault with two items.
        val created = alice.createVault("Team", "shared")
        val login = Item(
            title = "Database",
            data = ItemData.Login("admin", "s3cret", listOf("https://db.example"), ""),
            notes = "rotate monthly", tags = listOf("prod"), favorite = true,
            customFields = listOf(CustomField("port", "5432", FieldKind.TEXT)),
        )
        val card = Item(title = "Card", data = ItemData.Card("A", "Visa", "4111 1111 1111 1111", "1", "2030", "123"))
        val enc = listOf(created.key.encryptItem(login), created.key.encryptItem(card, algorithm = Algorithm.AES256_GCM))
        val encJson = enc.map { it.toJson() }

        // Bob publishes his identity; Alice verifies it and grants him the vault.
        val bobPublic = PublicIdentity.fromJson(bob.publicIdentity().toJson())
        bobPublic.verify()
        eq(bobPublic.fingerprint(), bob.fingerprint(), "fingerprint")
        val grantJson = alice.grantVault(created.key, bobPublic, Role.EDITOR).toJson()

        // Bob, on another device: unlock offline, open the grant, read.
        val bob2 = bobRec.unlock("bob pw", SecretKey.parse(bobSk.toDisplayString()), permissive)
        eq(code { bobRec.unlock("bob pw", null, permissive) }, "decrypt", "the Secret Key is needed")
        val alicePublic = PublicIdentity.fromJson(alice.publicIdentity().toJson())
        val grant = VaultGrant.fromJson(grantJson)
        grant.verify(alicePublic)
        val bobKey = bob2.openGrant(grant, alicePublic)
        eq(bobKey, created.key, "same vault key")
        eq(bobKey.openMeta(created.vault).name, "Team", "meta")
        eq(encJson.map { bobKey.decryptItem(EncryptedItem.fromJson(it)) }, listOf(login, card), "items")
        val (rows, failed) = bobKey.decryptList(encJson.map { EncryptedItem.fromJson(it) }).partitionRows()
        eq(rows.map { it.overview.subtitle }, listOf("admin", "Visa •••• 1111"), "list rows")
        eq(failed, emptyList<Pair<Int, String>>(), "list failures")

        // Bob keeps the key under his own account key; Alice cannot open that wrap.
        val wrapped = bob2.wrapVaultKey(bobKey)
        eq(bob.unwrapVaultKey(wrapped), created.key, "bob's wrap")
        eq(code { alice.unwrapVaultKey(wrapped) }, "decrypt", "alice vs bob's wrap")
        eq(code { alice.openGrant(grant, alicePublic) }, "invalid_argument", "grant not addressed to alice")

        // Revoking Bob: rotation re-wraps item keys; his old key stops working.
        val rot = created.key.rotate(created.vault, enc)
        eq(code { bobKey.decryptItem(rot.items[0]) }, "decrypt", "revoked")
        eq(rot.key.decryptItem(rot.items[0]), login, "rotated")

        // Alice changes her password: the old one fails, the account key stays.
        val changed = alice.changePassword(aliceRec, "new pw", null, p)
        val again = changed.encrypted.unlock("new pw", null, permissive)
        eq(again.accountKey(), alice.accountKey(), "same account key")
        try {
            changed.encrypted.unlock("alice pw", null, permissive)
            throw AssertionError("old password still works")
        } catch (e: VaultException.Decrypt) {
            eq(e.errorCode, "decrypt", "typed exception")
        }
        // Exported key bytes are wiped after use.
        val copy = alice.accountKey().withSecretBytes { it }
        eq(copy.all { it == 0.toByte() }, true, "wiped")
    }

    fun loginProtocols() {
        val rng = Rng.os()
        val auth = SymmetricKey.generate(rng)
        // SRP through JSON, both sides agree on K.
        val rec = srpRegister("alice@example.com", auth, SrpGroup.RFC5054_GROUP3072, rng)
        val st = srpLoginStart("alice@example.com", auth, rec.group(), rng)
        val srv = srpServerStart(SrpRegistration.fromJson(rec.toJson()), SrpClientHello.fromJson(st.hello.toJson()), rng)
        val ans = st.state.processChallenge(SrpServerChallenge.fromJson(srv.challenge.toJson()))
        val fin = srv.state.finish(SrpClientProof.fromJson(ans.proof.toJson()))
        eq(ans.state.verifyServer(SrpServerProof.fromJson(fin.proof.toJson())), fin.sessionKey, "srp keys")
        // OPAQUE: register, log in; a wrong password is authentication_failed.
        val setup = OpaqueServerSetup.generate(rng)
        val reg = opaqueRegistrationStart("alice", auth, rng)
        val done = reg.state.finish(setup.registrationResponse("alice", reg.request), rng)
        eq(code { reg.state.finish(setup.registrationResponse("alice", reg.request), rng) },
            "invalid_argument", "state reuse")
        val lg = opaqueLoginStart("alice", auth, rng)
        val s = opaqueServerLoginStart(setup, "alice", done.record, lg.ke1, rng)
        val ok = lg.state.finish(s.ke2, rng)
        eq(s.state.finish(ok.ke3), ok.sessionKey, "opaque keys")
        eq(ok.exportKey, done.exportKey, "export key")
        val wrong = opaqueLoginStart("alice", SymmetricKey.generate(rng), rng)
        val s2 = opaqueServerLoginStart(setup, "alice", done.record, wrong.ke1, rng)
        eq(code { wrong.state.finish(s2.ke2, rng) }, "authentication_failed", "wrong password")
        // A hostile pre-login answer (16 KiB) is refused by the default policy.
        val resp = PreloginResponse.fromJson(
            """{"v":1,"kdf":{"params":{"memory_kib":16,"iterations":1,"parallelism":1},"salt":"AAAAAAAAAAAAAAAAAAAAAA"}}""")
        eq(code { resp.checkedKdf(KdfPolicy.DEFAULT) }, "kdf_policy", "downgrade refused")
        eq(resp.srp(), null, "no srp part")
        eq(PreloginRequest("alice@example.com").toJson(), """{"v":1,"identifier":"alice@example.com"}""", "request")
    }

    fun sharesAndSecretKeys() {
        val secret = "recovery secret".toByteArray()
        val shares = shamirSplit(secret, 2u, 3u, VaultRng.os)
        val texts = shares.map { it.toText() }
        eq(shamirCombine(listOf(Share.fromText(texts[2]), Share.fromText(texts[0]))).exposeSecret().toList(),
            secret.toList(), "2 of 3")
        eq(code { shamirCombine(listOf(Share.fromText(texts[1]))) }, "shamir", "too few")
        val sk = SecretKey.generate()
        eq(SecretKey.parse(sk.toDisplayString().lowercase().replace('-', ' ')), sk, "forgiving parse")
        eq(code { SecretKey.parse("VK1-00000") }, "malformed", "short")
        eq(KdfParams(), KdfParams.DEFAULT, "record defaults are the default preset")
        eq(KdfPolicy(), KdfPolicy.DEFAULT, "record defaults are the default policy")
        eq(code { kdfParamsPreset("nope") }, "invalid_argument", "unknown preset")
        eq(parseDotenv("export A=1\n# c\nB=\"two\"\n"), listOf(EnvEntry("A", "1"), EnvEntry("B", "two")), "dotenv")
    }
}
