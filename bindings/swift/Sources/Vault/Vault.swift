// Idiomatic Swift over the UniFFI-generated module `VaultFFI`.
//
// One-line delegations only: the OS RNG as a default, KDF presets as static
// members, JSON initialisers, async variants of the Argon2id-heavy calls,
// and helpers that wipe exported secret bytes. The generated API is
// re-exported and stays fully usable on its own.

@_exported import VaultFFI
import Foundation

/// The process-wide randomness source: the operating system's CSPRNG.
public enum VaultRandom {
    /// One shared, thread-safe handle to the OS CSPRNG.
    public static let os: Rng = Rng.os()
}

// MARK: - Errors

extension VaultError {
    /// The stable error code (`decrypt`, `malformed`, `kdf_policy`, …).
    public var errorCode: String { code() }
}

// MARK: - KDF presets and policies

extension KdfParams {
    /// 64 MiB, t=3, p=4: the default for new accounts.
    public static var `default`: KdfParams { kdfParamsDefault() }
    /// 32 MiB, t=4, p=2: old devices and memory-tight extensions.
    public static var constrained: KdfParams { kdfParamsConstrained() }
    /// 256 MiB, t=4, p=4: high-value accounts on desktops.
    public static var sensitive: KdfParams { kdfParamsSensitive() }
    /// Tiny parameters for tests only; the default policy rejects them.
    public static var insecureTestOnly: KdfParams { kdfParamsInsecureTestOnly() }
}

extension KdfPolicy {
    /// The default floor and ceiling for parameters that come from a server.
    public static var `default`: KdfPolicy { kdfPolicyDefault() }
    /// Accepts anything Argon2 can run. Tests only.
    public static var permissiveTestOnly: KdfPolicy { kdfPolicyPermissiveTestOnly() }
}

// MARK: - JSON (the canonical forms the server stores)

extension EncryptedAccount {
    /// Parses an account record; unknown fields and versions are rejected.
    public init(json: String) throws { self = try encryptedAccountFromJson(json: json) }
}

extension EncryptedItem {
    /// Parses an encrypted item.
    public init(json: String) throws { self = try encryptedItemFromJson(json: json) }
    /// Parses a JSON array of encrypted items (a server's list response).
    public static func list(json: String) throws -> [EncryptedItem] {
        try encryptedItemsFromJson(json: json)
    }
}

extension EncryptedVault {
    /// Parses an encrypted vault.
    public init(json: String) throws { self = try encryptedVaultFromJson(json: json) }
}

extension WrappedVaultKey {
    /// Parses a wrapped vault key.
    public init(json: String) throws { self = try wrappedVaultKeyFromJson(json: json) }
}

extension VaultGrant {
    /// Parses a vault grant.
    public init(json: String) throws { self = try vaultGrantFromJson(json: json) }
}

extension PublicIdentity {
    /// Parses a public identity.
    public init(json: String) throws { self = try publicIdentityFromJson(json: json) }
}

// MARK: - Accounts, vaults and items with the OS RNG
//
// Creating, unlocking and changing the password of an account run Argon2id
// (about 0.1–1 s with the default preset). Call them off the main actor: the
// async variants below do that.

/// Creates an account with the OS RNG.
public func createAccount(
    password: String, secretKey: SecretKey? = nil, params: KdfParams = .default
) throws -> AccountCreated {
    try createAccount(password: password, secretKey: secretKey, params: params, rng: VaultRandom.os)
}

/// Creates an account on a background task (Argon2id stays off the caller's actor).
public func createAccountInBackground(
    password: String, secretKey: SecretKey? = nil, params: KdfParams = .default
) async throws -> AccountCreated {
    try await Task.detached(priority: .userInitiated) {
        try createAccount(password: password, secretKey: secretKey, params: params, rng: VaultRandom.os)
    }.value
}

/// A fresh random item id.
public func newItemId() -> String { newItemId(rng: VaultRandom.os) }

extension SecretKey {
    /// A fresh Secret Key from the OS RNG.
    public static func generate() -> SecretKey { generate(rng: VaultRandom.os) }
}

extension EncryptedAccount {
    /// Unlocks with the default KDF policy.
    public func unlock(password: String, secretKey: SecretKey? = nil) throws -> UnlockedAccount {
        try unlock(password: password, secretKey: secretKey, policy: .default)
    }

    /// Unlocks on a background task (Argon2id stays off the caller's actor).
    public func unlockInBackground(
        password: String, secretKey: SecretKey? = nil, policy: KdfPolicy = .default
    ) async throws -> UnlockedAccount {
        let record = self
        return try await Task.detached(priority: .userInitiated) {
            try record.unlock(password: password, secretKey: secretKey, policy: policy)
        }.value
    }
}

extension UnlockedAccount {
    /// Changes the password (re-wrap only) with the OS RNG.
    public func changePassword(
        current: EncryptedAccount, newPassword: String, secretKey: SecretKey? = nil,
        params: KdfParams = .default
    ) throws -> NewCredentials {
        try changePassword(
            current: current, newPassword: newPassword, secretKey: secretKey, params: params,
            rng: VaultRandom.os)
    }

    /// Creates a vault owned by this account.
    public func createVault(name: String, description: String = "") throws -> VaultCreated {
        try createVault(meta: VaultMeta(name: name, description: description), rng: VaultRandom.os)
    }

    /// Wraps a vault key under this account's key.
    public func wrapVaultKey(_ key: VaultKey) throws -> WrappedVaultKey {
        try wrapVaultKey(key: key, rng: VaultRandom.os)
    }

    /// Grants a vault key to `recipient`; compare fingerprints out of band first.
    public func grantVault(_ key: VaultKey, to recipient: PublicIdentity, role: Role) throws -> VaultGrant {
        try grantVault(key: key, recipient: recipient, role: role, rng: VaultRandom.os)
    }
}

extension VaultKey {
    /// Encrypts an item (a new id and revision 1 unless given).
    public func encrypt(
        _ item: Item, itemId: String = newItemId(), revision: UInt64 = 1,
        algorithm: Algorithm = .xChaCha20Poly1305
    ) throws -> EncryptedItem {
        try encryptItemWith(
            itemId: itemId, revision: revision, item: item, algorithm: algorithm, rng: VaultRandom.os)
    }

    /// Rotates the vault key after revoking a member.
    public func rotate(vault: EncryptedVault, items: [EncryptedItem]) throws -> VaultRotation {
        try rotate(vault: vault, items: items, rng: VaultRandom.os)
    }
}

// MARK: - List rows

extension ListEntry {
    /// The row, or nil if this item failed to decrypt.
    public var listRow: ListRow? {
        if case let .row(row) = self { return row }
        return nil
    }
}

// MARK: - Exported secrets: hand the bytes to a closure, then wipe them

extension SymmetricKey {
    /// Runs `body` with the key's 32 bytes, then zero-fills the copy. Do not
    /// let the bytes escape `body`.
    public func withSecretBytes<T>(_ body: (Data) throws -> T) rethrows -> T {
        var bytes = exposeSecret()
        defer { bytes.resetBytes(in: 0..<bytes.count) }
        return try body(bytes)
    }
}

extension SecretBytes {
    /// Runs `body` with the secret bytes, then zero-fills the copy. Do not
    /// let the bytes escape `body`.
    public func withSecretBytes<T>(_ body: (Data) throws -> T) rethrows -> T {
        var bytes = exposeSecret()
        defer { bytes.resetBytes(in: 0..<bytes.count) }
        return try body(bytes)
    }
}
