package dev.vault

import dev.vault.ffi.*

/** The usage example of bindings/kotlin/README.md, compiled and run by the suite. */
fun readmeExample() {
    // --- README example start
    // Sign-up. Argon2id runs here (64 MiB): call it off the main thread.
    val secretKey = SecretKey.generate()                  // goes into the Emergency Kit
    val created = createAccount("correct horse battery", secretKey)   // KdfParams.DEFAULT
    val recordJson = created.credentials.encrypted.toJson()           // upload: the server stores it
    // The identifier as typed, in its one canonical form: before SRP / OPAQUE, always.
    val identifier = normalizeIdentifier("Alice@Example.COM")        // "alice@example.com"
    val srpRecord = srpRegister(identifier, created.credentials.authKey,
        SrpGroup.RFC5054_GROUP3072, VaultRng.os)                      // upload too

    // A vault and a login item.
    val me = created.account
    val vault = me.createVault("Personal")
    val encrypted = vault.key.encryptItem(
        Item(title = "Bank", data = ItemData.Login("alice", "s3cret", listOf("https://bank.example"), "")),
    )

    // The list screen: one entry per item, failures in their slot.
    val (rows, failures) = vault.key.decryptList(listOf(encrypted)).partitionRows()
    println("${rows.first().overview.title}: ${rows.first().overview.subtitle}, ${failures.size} failed")

    // Later, offline: unlock from the stored record (default KDF policy).
    val again = EncryptedAccount.fromJson(recordJson)
        .unlock("correct horse battery", SecretKey.parse(secretKey.toDisplayString()))
    val key = again.unwrapVaultKey(vault.wrappedKey)
    val item = key.decryptItem(encrypted)
    check((item.data as ItemData.Login).password == "s3cret")

    try {
        EncryptedAccount.fromJson(recordJson).unlock("wrong password", secretKey)
    } catch (e: VaultException) {
        println("unlock failed: ${e.errorCode}")   // "decrypt"
    }
    // --- README example end
    check(srpRecord.verifier().size == 384)
    check(identifier == "alice@example.com")
}
