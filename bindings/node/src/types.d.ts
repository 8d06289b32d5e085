// ---------------------------------------------------------------------------
// The Node package's own declarations (hand-written: bindings/node/src/types.d.ts).
// The data types above are generated from vault-core's serde types
// (bindings/ts-types); these reuse them by name. How this package differs
// from the wasm one is listed once, in the header of those types.
// ---------------------------------------------------------------------------

/** The codes of `VaultError` (the older name of `ErrorCode`). */
export type VaultErrorCode = ErrorCode

/** What this addon throws (and what async functions reject with). The message never contains a secret. */
export interface VaultError extends Error {
  code: VaultErrorCode
}

/** `createAccount`'s result. */
export interface NewAccount {
  account: UnlockedAccount
  /** Upload this. */
  encrypted: EncryptedAccount
  /** Feed to `srpRegister` / `OpaqueClientRegistration.start`; never store it. */
  authKey: SymmetricKey
}
/** `changePassword`'s result. */
export interface NewCredentials {
  encrypted: EncryptedAccount
  authKey: SymmetricKey
}

/** `createVault`'s result. */
export interface NewVault {
  vaultKey: VaultKey
  vault: EncryptedVault
  wrapped: WrappedVaultKey
}
/** `rotate`'s result. */
export interface RotatedVault {
  vaultKey: VaultKey
  vault: EncryptedVault
  items: EncryptedItem[]
}

/** One decrypted list row. */
export interface ListRow {
  ok: true
  item: string
  revision: number
  overview: Overview
}
/** One list slot that could not be decrypted (`item`/`revision` are null when the input was not an item). */
export interface ListRowError {
  ok: false
  item: string | null
  revision: number | null
  code: VaultErrorCode
  message: string
}
/** One result of `decryptList`. */
export type ListResult = ListRow | ListRowError

/** Pre-login, server → client (`PreloginResponseJson`). */
export type PreloginResponse = PreloginResponseJson

// --- Account lifecycle (docs/format.md §14) --------------------------------

/** `enableDeviceUnlock`'s result. */
export interface DeviceUnlockEnabled {
  /** The fresh device key: keep it in the platform keystore. */
  deviceKey: SymmetricKey
  /** Store beside the app's data. */
  wrap: DeviceUnlock
}
/**
 * The account key under a PIN-derived key, with its attempt counter
 * (`PinUnlockRecord`). Stored on the device only; store it again after every
 * `unlockAccountWithPin`.
 */
export type PinUnlock = PinUnlockRecord
/** One PIN attempt: store `pinUnlock` whatever `ok` is. */
export type PinUnlockResult =
  | { ok: true; account: UnlockedAccount; remainingAttempts: number; pinUnlock: PinUnlock }
  | {
      ok: false
      /** `authentication_failed` (wrong PIN), `locked_out`, `stale_wrap`, `invalid_argument`, `kdf_policy`. */
      code: VaultErrorCode
      message: string
      remainingAttempts: number
      pinUnlock: PinUnlock
    }
/** `createRecoveryKit`'s result. */
export interface RecoveryKit {
  key: RecoveryKey
  /** The 24 words: show them once, never store them. */
  words: string
  /** Upload this (it replaces any older kit). */
  wrap: RecoveryWrap
}
/** `rotateAccountKey`'s result. */
export interface RotatedAccount {
  /** The account, unlocked under the new key. */
  account: UnlockedAccount
  change: AccountKeyRotation
}

// --- The high-level client (VaultClient: vault-sync's client) --------------

/** `VaultClient.open`'s options. */
export interface VaultClientOptions {
  /** Floor and ceiling for KDF parameters from the server (default: `kdfPolicy()`). */
  policy?: KdfPolicy
  /** The account's Secret Key, if it uses one. */
  secretKey?: SecretKey
  /** Per-request timeout in ms (default 60000). */
  timeoutMs?: number
  /** Connection timeout in ms (default 10000). */
  connectTimeoutMs?: number
  /** Plain `http://` to hosts other than loopback (tokens are bearer secrets; default false). */
  allowInsecureHttp?: boolean
  /** Appended to the title of the local copy when a conflict keeps both (default `' (conflict)'`). */
  conflictSuffix?: string
}
/** Where a `VaultClient` stands (nulls before the first login). */
export interface ClientStatus {
  unlocked: boolean
  account: string | null
  identifier: string | null
  server_url: string | null
  /** This account's identity fingerprint (six groups of five digits), to read out to people who share with you. */
  fingerprint: string | null
  /** Local edits waiting for a sync (null while locked). */
  pending: number | null
}
/** What one `sync()` did. */
export interface SyncReport {
  /** Feed pages applied. */
  pages: number
  /** Feed entries received. */
  pulled: number
  /** Local edits the server stored. */
  pushed: number
  /** Vaults whose membership, keys or metadata changed (or that went away). */
  vaults_changed: string[]
  /** Items whose visible state changed through the feed. */
  items_changed: number
  /** Conflicts resolved by the default policy (keep both versions). */
  resolved: { vault: string; item: string; action: AutoAction }[]
  /** Local edits still queued. */
  pending: number
  /** Conflicts left for the user. */
  conflicts_left: number
}
/** One vault as `vaults()` lists it. */
export interface VaultSummary {
  vault: string
  /** Its name, or `'<locked vault>'` if its key is not open. */
  name: string
  description: string
  role: Role
  key_version: number
  /** Live items (local edits applied). */
  items: number
  /** Who shared it with you (null for your own). */
  shared_by: string | null
}
/** One row of `listItems()` (only the overview is decrypted). */
export interface ItemSummary {
  vault: string
  item: string
  revision: number
  overview: Overview
  /** A local edit of it waits for a sync. */
  pending: boolean
}
/** A user from the directory, pinned on first sight. */
export interface Contact {
  account: string
  identifier: string | null
  /** Compare with theirs out of band before sharing. */
  fingerprint: string
  /** You compared the fingerprint (`share(…, expectedFingerprint)` matched). */
  verified: boolean
}
/** One member of a vault. */
export interface Member {
  account: string
  identifier: string | null
  role: Role
  key_version: number
  fingerprint: string | null
  verified: boolean
  /** This is you. */
  you: boolean
}
/** Where an emergency contact stands. */
export type EmergencyState = 'idle' | 'requested' | 'released'
/** One emergency contact, seen from either side (`owner` named `contact`). */
export interface EmergencyAccess {
  owner: string
  contact: string
  /** The other party's identifier (the contact's for its owner, the owner's for the contact). */
  identifier: string | null
  /** The other party's identity fingerprint: compare it out of band. */
  fingerprint: string | null
  verified: boolean
  state: EmergencyState
  /** The waiting period after a request, in seconds. */
  wait_secs: number
  /** When the contact asked (Unix ms). */
  requested_at_ms: number | null
  /** When the vaults may be claimed (Unix ms). */
  release_at_ms: number | null
  /** The granted vaults and the key generation each grant holds. */
  vaults: { vault: string; key_version: number }[]
  /** (The owner's view.) Vaults whose grant is older than the newest key: `reissueEmergencyGrants`. */
  stale: string[]
}
/** `emergencyStatus()`: both sides. */
export interface EmergencyOverview {
  /** The contacts you named. */
  as_owner: EmergencyAccess[]
  /** The owners who named you. */
  as_contact: EmergencyAccess[]
}
/** What `claimEmergencyAccess` released. */
export interface EmergencyRelease {
  /** Vaults you now hold as a viewer (already synced). */
  released: string[]
  /** Vaults whose grant the owner's key rotation left behind: not released. */
  stale: string[]
}
/** The fixed codes of `VaultClient` failures; server answers carry the server's code (`authentication_failed`, `conflict`, `rate_limited`, `forbidden`, …). */
export type ClientErrorCode =
  | 'network'
  | 'protocol'
  | 'server_not_authenticated'
  | 'replica'
  | 'busy'
  | 'not_logged_in'
  | 'session_expired'
  | 'wrong_device'
  | 'identity_changed'
  | 'fingerprint_mismatch'
  | 'not_found'
  | 'ambiguous'
  | 'invalid'
  /** The binding's own: a call that needs the keys while the client is locked. */
  | 'locked'
/** What `VaultClient` promises reject with. The message never contains a secret. */
export interface VaultClientError extends Error {
  code: ClientErrorCode | VaultErrorCode | (string & {})
  /** Whose fault: retry later (`network`, `server`), fix the request or log in again (`rejected`), or local (`local`). */
  fault?: 'network' | 'server' | 'rejected' | 'local'
  /** The server could not be reached: retry later; local edits stay queued. */
  offline?: boolean
  /** A wrong password or unknown account (online: `authentication_failed`; offline unlock: `decrypt`). */
  authFailure?: boolean
  /** When rate limited: seconds to wait. */
  retryAfter?: number
}

// --- Service secrets (createSecretsClient: the vault-secrets client) -------

/**
 * `secrets.schema.json`, parsed (docs/secrets.md "The schema file"): the
 * secrets a service declares. Checked by vault-core (unknown keywords,
 * `default` and `examples` especially, are refused).
 */
export interface SecretsSchemaDocument {
  $schema?: string
  $id?: string
  title?: string
  description?: string
  type?: 'object'
  properties?: { [name: string]: { type?: 'string'; description?: string; title?: string } }
  required?: readonly string[]
  additionalProperties?: boolean
}
/** `createSecretsClient`'s options; each falls back to its environment variable. */
export interface SecretsClientOptions {
  /** The server: `https://…`, or `http://` to this machine only (`VAULT_SERVER`). */
  server?: string
  /** The `vst1.…` service token (`VAULT_SERVICE_TOKEN`). This or `tokenFile` replaces both token variables. */
  token?: string
  /** A file holding the token, not readable by group or others (`VAULT_SERVICE_TOKEN_FILE`). */
  tokenFile?: string
  /** Extra CA certificates, PEM (`VAULT_CA_FILE`). */
  caFile?: string
  /** Plain `http://` to a host other than this machine (the token is a bearer secret; `VAULT_ALLOW_HTTP`; default false). */
  allowInsecureHttp?: boolean
  /** How long opened values are served from memory, in ms (`VAULT_SECRETS_CACHE_TTL` in seconds; default 60000; 0: no cache). */
  cacheTtlMs?: number
  /** Per-call timeout in ms (default 30000). */
  timeoutMs?: number
  /** Connection timeout in ms (default 10000). */
  connectTimeoutMs?: number
  /** The schema (parsed, or its JSON text): `getAll` reads its names; reads send each name's description along. */
  schema?: SecretsSchemaDocument | string
}
/** A secrets type: every member a string (optional members may be missing). */
export type SecretValuesOf<S> = { [K in keyof S]?: string }
/** The secrets type of a client without one: any name, any value possibly missing. */
export type SecretValues = Record<string, string | undefined>
/** The codes of `SecretsError`: the server's stable codes, then the client's own. */
export type SecretsErrorCode =
  | 'secret_not_found'
  | 'access_requested'
  | 'access_denied'
  | 'unauthenticated'
  | 'pending_approval'
  | 'denied'
  | 'not_allowed_from_address'
  | 'rate_limited'
  | 'too_many_pending'
  | 'already_registered'
  | 'project_not_found'
  | 'unavailable'
  | 'audit_unavailable'
  | 'malformed'
  | 'unsupported_version'
  | 'too_many_streams'
  | 'internal'
  /** The server could not be reached (or TLS failed). */
  | 'network'
  | 'timeout'
  /** Options, environment variables or the token file are unusable (thrown by `createSecretsClient`). */
  | 'config'
  /** Not a valid secret name, an unknown option, `getAll` without a schema. */
  | 'invalid_argument'
  /** An answer of the server that does not check out. */
  | 'protocol'
  /** The client was closed. */
  | 'closed'
  | VaultErrorCode
  | (string & {})
/** What `createSecretsClient` throws and `SecretsClient` promises reject with. The message never holds a value, a secret name or the token. */
export interface SecretsError extends Error {
  code: SecretsErrorCode
  /** When rate limited: seconds to wait, if the server said. */
  retryAfter?: number
}
/** One result of `getSecrets`. */
export type SecretResult<K extends string = string> =
  | { name: K; ok: true; value: string }
  | { name: K; ok: false; code: SecretsErrorCode; message: string }
/** One entry of `listSecrets`. */
export interface SecretEntry {
  name: string
  value: string
}
/**
 * A `SecretsClientBase` typed by a secrets interface `S` (what
 * `scripts/schema-dts.mjs` or `vault secrets schema typescript` generates
 * from the schema): `getSecret` and `getSecrets` take only `S`'s names,
 * `getAll` resolves to `S`.
 */
export interface SecretsClient<S extends SecretValuesOf<S> = SecretValues> extends SecretsClientBase {
  getSecret<K extends keyof S & string>(name: K): Promise<string>
  getSecrets<K extends keyof S & string>(names: readonly K[]): Promise<SecretResult<K>[]>
  getAll(): Promise<S>
}

// ---------------------------------------------------------------------------
// Functions and classes (generated from the Rust doc comments).
// ---------------------------------------------------------------------------
