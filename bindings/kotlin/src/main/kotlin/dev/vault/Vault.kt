// Idiomatic Kotlin over the generated UniFFI bindings (package dev.vault.ffi).
//
// Everything here is a one-line delegation: defaults for the RNG and
// revision, companion-style JSON parsers, KDF presets as constants, and
// helpers that wipe exported secret bytes. The generated API stays fully
// usable on its own.
@file:Suppress("unused")

package dev.vault

import dev.vault.ffi.EncryptedAccount
import dev.vault.ffi.EncryptedItem
import dev.vault.ffi.EncryptedVault
import dev.vault.ffi.Item
import dev.vault.ffi.KdfParams
import dev.vault.ffi.KdfPolicy
import dev.vault.ffi.ListEntry
import dev.vault.ffi.ListRow
import dev.vault.ffi.NewCredentials
import dev.vault.ffi.PublicIdentity
import dev.vault.ffi.Rng
import dev.vault.ffi.Role
import dev.vault.ffi.SecretBytes
import dev.vault.ffi.SecretKey
import dev.vault.ffi.SymmetricKey
import dev.vault.ffi.UnlockedAccount
import dev.vault.ffi.VaultCreated
import dev.vault.ffi.VaultException
import dev.vault.ffi.VaultGrant
import dev.vault.ffi.VaultKey
import dev.vault.ffi.VaultMeta
import dev.vault.ffi.VaultRotation
import dev.vault.ffi.WrappedVaultKey
import dev.vault.ffi.AccountCreated
import dev.vault.ffi.Algorithm

/**
 * The process-wide randomness source: the operating system's CSPRNG. Every
 * overload below without an `rng` parameter uses it.
 */
object VaultRng {
    /** One shared, thread-safe handle to the OS CSPRNG. */
    val os: Rng by lazy { Rng.os() }
}

// ---------------------------------------------------------------------------
// Errors

/** The stable error code (`decrypt`, `malformed`, `kdf_policy`, …) as a property. */
val VaultException.errorCode: String get() = code()

// ---------------------------------------------------------------------------
// KDF presets and policies

/** 64 MiB, t=3, p=4: the default for new accounts. */
val KdfParams.Companion.DEFAULT: KdfParams get() = dev.vault.ffi.kdfParamsDefault()

/** 32 MiB, t=4, p=2: old phones and memory-tight processes. */
val KdfParams.Companion.CONSTRAINED: KdfParams get() = dev.vault.ffi.kdfParamsConstrained()

/** 256 MiB, t=4, p=4: high-value accounts on desktops. */
val KdfParams.Companion.SENSITIVE: KdfParams get() = dev.vault.ffi.kdfParamsSensitive()

/** Tiny parameters for tests only; [KdfPolicy.Companion.DEFAULT] rejects them. */
val KdfParams.Companion.INSECURE_TEST_ONLY: KdfParams get() = dev.vault.ffi.kdfParamsInsecureTestOnly()

/** The default floor/ceiling for parameters that come from a server. */
val KdfPolicy.Companion.DEFAULT: KdfPolicy get() = dev.vault.ffi.kdfPolicyDefault()

/** Accepts anything Argon2 can run. Tests only. */
val KdfPolicy.Companion.PERMISSIVE_TEST_ONLY: KdfPolicy get() = dev.vault.ffi.kdfPolicyPermissiveTestOnly()

// ---------------------------------------------------------------------------
// JSON (the canonical forms the server stores)

/** Parses an account record; unknown fields and versions are rejected. */
fun EncryptedAccount.Companion.fromJson(json: String): EncryptedAccount =
    dev.vault.ffi.encryptedAccountFromJson(json)

/** Parses an encrypted item. */
fun EncryptedItem.Companion.fromJson(json: String): EncryptedItem = dev.vault.ffi.encryptedItemFromJson(json)

/** Parses a JSON array of encrypted items (a server's list response). */
fun EncryptedItem.Companion.listFromJson(json: String): List<EncryptedItem> =
    dev.vault.ffi.encryptedItemsFromJson(json)

/** Parses an encrypted vault. */
fun EncryptedVault.Companion.fromJson(json: String): EncryptedVault = dev.vault.ffi.encryptedVaultFromJson(json)

/** Parses a wrapped vault key. */
fun WrappedVaultKey.Companion.fromJson(json: String): WrappedVaultKey =
    dev.vault.ffi.wrappedVaultKeyFromJson(json)

/** Parses a vault grant. */
fun VaultGrant.Companion.fromJson(json: String): VaultGrant = dev.vault.ffi.vaultGrantFromJson(json)

/** Parses a public identity. */
fun PublicIdentity.Companion.fromJson(json: String): PublicIdentity = dev.vault.ffi.publicIdentityFromJson(json)

// ---------------------------------------------------------------------------
// Accounts, vaults and items with the OS RNG
//
// Account creation, unlock and password change run Argon2id (about 0.1–1 s
// with the default preset): call them off the main thread, e.g. inside
// `withContext(Dispatchers.Default) { … }`.

/** Creates an account; see [dev.vault.ffi.createAccount]. */
fun createAccount(
    password: String,
    secretKey: SecretKey? = null,
    params: KdfParams = KdfParams.DEFAULT,
): AccountCreated = dev.vault.ffi.createAccount(password, secretKey, params, VaultRng.os)

/** A fresh Secret Key from the OS RNG. */
fun SecretKey.Companion.generate(): SecretKey = SecretKey.generate(VaultRng.os)

/** A fresh random item id. */
fun newItemId(): String = dev.vault.ffi.newItemId(VaultRng.os)

/** Unlocks with the default policy for the record's KDF params. */
fun EncryptedAccount.unlock(password: String, secretKey: SecretKey? = null): UnlockedAccount =
    unlock(password, secretKey, KdfPolicy.DEFAULT)

/** Changes the password (re-wrap only); see [UnlockedAccount.changePassword]. */
fun UnlockedAccount.changePassword(
    current: EncryptedAccount,
    newPassword: String,
    secretKey: SecretKey? = null,
    params: KdfParams = KdfParams.DEFAULT,
): NewCredentials = changePassword(current, newPassword, secretKey, params, VaultRng.os)

/** Creates a vault owned by this account. */
fun UnlockedAccount.createVault(name: String, description: String = ""): VaultCreated =
    createVault(VaultMeta(name, description), VaultRng.os)

/** Wraps a vault key under this account's key. */
fun UnlockedAccount.wrapVaultKey(key: VaultKey): WrappedVaultKey = wrapVaultKey(key, VaultRng.os)

/** Grants a vault key to [recipient]; compare fingerprints out of band first. */
fun UnlockedAccount.grantVault(key: VaultKey, recipient: PublicIdentity, role: Role): VaultGrant =
    grantVault(key, recipient, role, VaultRng.os)

/** Encrypts an item (a new id and revision 1 unless given). */
fun VaultKey.encryptItem(
    item: Item,
    itemId: String = newItemId(),
    revision: ULong = 1uL,
    algorithm: Algorithm = Algorithm.X_CHA_CHA20_POLY1305,
): EncryptedItem = encryptItemWith(itemId, revision, item, algorithm, VaultRng.os)

/** Seals vault metadata. */
fun VaultKey.sealMeta(meta: VaultMeta): EncryptedVault = sealMeta(meta, VaultRng.os)

/** Rotates the vault key (after revoking a member). */
fun VaultKey.rotate(vault: EncryptedVault, items: List<EncryptedItem>): VaultRotation =
    rotate(vault, items, VaultRng.os)

// ---------------------------------------------------------------------------
// List rows

/** The row, or null if this item failed to decrypt. */
val ListEntry.rowOrNull: ListRow? get() = (this as? ListEntry.Row)?.row

/** Splits a list decryption into rows and failures (`index` to `code`). */
fun List<ListEntry>.partitionRows(): Pair<List<ListRow>, List<Pair<Int, String>>> {
    val rows = ArrayList<ListRow>(size)
    val failed = ArrayList<Pair<Int, String>>()
    forEachIndexed { i, e ->
        when (e) {
            is ListEntry.Row -> rows.add(e.row)
            is ListEntry.Failed -> failed.add(i to e.code)
        }
    }
    return rows to failed
}

// ---------------------------------------------------------------------------
// Exported secrets: hand the bytes to a block, then wipe them

/** Runs [block] with the key's 32 bytes, then zero-fills the copy. */
inline fun <T> SymmetricKey.withSecretBytes(block: (ByteArray) -> T): T {
    val b = exposeSecret()
    try {
        return block(b)
    } finally {
        b.fill(0)
    }
}

/** Runs [block] with the secret bytes, then zero-fills the copy. */
inline fun <T> SecretBytes.withSecretBytes(block: (ByteArray) -> T): T {
    val b = exposeSecret()
    try {
        return block(b)
    } finally {
        b.fill(0)
    }
}

/** Runs [block] with the Secret Key's 16 bytes, then zero-fills the copy. */
inline fun <T> SecretKey.withSecretBytes(block: (ByteArray) -> T): T {
    val b = exposeSecret()
    try {
        return block(b)
    } finally {
        b.fill(0)
    }
}
