
// ---------------------------------------------------------------------------
// Data types (hand-written, emitted into the generated .d.ts by the crate).
// Field names and encodings are the wire formats of docs/format.md and
// docs/protocol.md: snake_case fields, unpadded base64url for bytes, UUID
// text for ids. Objects are parsed strictly: unknown fields are `malformed`.
// ---------------------------------------------------------------------------

/** Unpadded base64url (RFC 4648 §5) text. */
export type Base64Url = string;
/** A lowercase hyphenated UUID (account, vault and item ids). */
export type Uuid = string;
/** An envelope in its text form (unpadded base64url of the binary envelope). */
export type EnvelopeText = string;

/** Stable error codes: `VaultError.code`. */
export type ErrorCode =
  | "decrypt"
  | "malformed"
  | "unsupported_version"
  | "unsupported_algorithm"
  | "kdf_policy"
  | "checksum"
  | "bad_signature"
  | "shamir"
  | "invalid_peer_value"
  | "invalid_argument"
  | "authentication_failed"
  | "stale_wrap"
  | "locked_out";

/**
 * What every export throws: a JS `Error` with `name === "VaultError"`, a
 * stable `code`, and a message that never contains secret material.
 */
export interface VaultError extends Error {
  name: "VaultError";
  code: ErrorCode;
}

/** Argon2id parameters (version 0x13, 32-byte output). */
export interface KdfParams {
  /** Memory in KiB (`m`). */
  memory_kib: number;
  /** Passes (`t`). */
  iterations: number;
  /** Lanes (`p`). */
  parallelism: number;
}

/** Named Argon2id presets. */
export type KdfPreset = "default" | "constrained" | "sensitive";

/** Named KDF policies (`kdfPolicy(name)`). */
export type KdfPolicyName = "default" | "permissive_test_only";

/** A KDF config: params plus the account's 16-byte salt. */
export interface KdfConfig {
  params: KdfParams;
  salt: Base64Url;
}

/** Floor and ceiling for KDF params received from a server. */
export interface KdfPolicy {
  min_memory_kib: number;
  max_memory_kib: number;
  min_iterations: number;
  max_iterations: number;
  max_parallelism: number;
}

/** A user's self-signed public identity (published in the directory). */
export interface PublicIdentity {
  account: Uuid;
  /** Receives grants (32 bytes). */
  x25519: Base64Url;
  /** Signs grants (32 bytes). */
  ed25519: Base64Url;
  /** Ed25519 self-signature (64 bytes). */
  signature: Base64Url;
}

/** What the server stores for an account: public data and wrapped keys only. */
export interface EncryptedAccount {
  v: number;
  account: Uuid;
  kdf: KdfConfig;
  /** Account key generation: 1 at creation (then omitted), +1 per rotation. */
  key_generation?: number;
  wrapped_account_key: EnvelopeText;
  wrapped_identity: EnvelopeText;
  public_identity: PublicIdentity;
}

/** Vault metadata (sealed under the vault key). */
export interface VaultMeta {
  name: string;
  description?: string;
}

/** A vault as the server stores it. */
export interface EncryptedVault {
  vault: Uuid;
  key_version: number;
  meta: EnvelopeText;
}

/** A vault key wrapped under one member's account key. */
export interface WrappedVaultKey {
  vault: Uuid;
  account: Uuid;
  key_version: number;
  envelope: EnvelopeText;
}

/** What a member may do with a vault. */
export type Role = "owner" | "editor" | "viewer";

/** A signed HPKE grant of one vault key generation to one recipient. */
export interface VaultGrant {
  v: number;
  vault: Uuid;
  key_version: number;
  sender: Uuid;
  recipient: Uuid;
  role: Role;
  /** HPKE encapsulated key (32 bytes). */
  enc: Base64Url;
  /** HPKE ciphertext of the vault key (48 bytes). */
  ciphertext: Base64Url;
  /** Sender's Ed25519 signature (64 bytes). */
  signature: Base64Url;
}

/** Item content encryption algorithm. */
export type Algorithm = "x-cha-cha20-poly1305" | "aes256-gcm";

/** How a custom field is displayed. */
export type FieldKind = "text" | "hidden" | "url" | "boolean";

/** A user-defined field. */
export interface CustomField {
  name: string;
  value: string;
  kind?: FieldKind;
}

/** One `KEY=VALUE` pair of an API-key item. */
export interface EnvEntry {
  key: string;
  value: string;
}

/** A website or app login. */
export interface LoginData {
  type: "login";
  username?: string;
  password?: string;
  uris?: string[];
  /** TOTP secret (otpauth:// URI or base32). */
  totp?: string;
}
/** Free text only (the item's `notes` hold it). */
export interface SecureNoteData {
  type: "secure_note";
}
/** An API key or a set of environment-style secrets. */
export interface ApiKeyData {
  type: "api_key";
  entries?: EnvEntry[];
}
/** A payment card. */
export interface CardData {
  type: "card";
  cardholder?: string;
  brand?: string;
  number?: string;
  exp_month?: string;
  exp_year?: string;
  code?: string;
}
/** A person's identity details. */
export interface IdentityData {
  type: "identity";
  full_name?: string;
  email?: string;
  phone?: string;
  address?: string;
  document_number?: string;
}
/** An SSH key pair. */
export interface SshKeyData {
  type: "ssh_key";
  private_key?: string;
  public_key?: string;
  fingerprint?: string;
}

/** The type-specific part of an item (tagged by `type`). */
export type ItemData =
  | LoginData
  | SecureNoteData
  | ApiKeyData
  | CardData
  | IdentityData
  | SshKeyData;

/** The kind of an item, as shown in lists. */
export type ItemKind = ItemData["type"];

/** An item's plaintext. */
export interface Item {
  title: string;
  data: ItemData;
  notes?: string;
  tags?: string[];
  favorite?: boolean;
  custom_fields?: CustomField[];
}

/** What a list screen shows for an item (sealed apart from the details). */
export interface Overview {
  v: number;
  kind: ItemKind;
  title: string;
  subtitle?: string;
  icon_url?: string;
  tags?: string[];
  favorite?: boolean;
}

/** An item as the server stores it. */
export interface EncryptedItem {
  vault: Uuid;
  item: Uuid;
  revision: number;
  key_version: number;
  item_key: EnvelopeText;
  overview: EnvelopeText;
  details: EnvelopeText;
}

/** One decrypted list-screen row. */
export interface ListRow {
  item: Uuid;
  revision: number;
  overview: Overview;
}

/** One slot of `VaultKey.decryptList`: a row, or why that item failed. */
export type ListResult =
  | { ok: ListRow; error?: undefined }
  | { ok?: undefined; error: { code: ErrorCode; message: string } };

/** SRP-6a groups (RFC 5054). */
export type SrpGroup = "rfc5054-3072" | "rfc5054-4096";

/** What the server stores after SRP registration. */
export interface SrpRegistration {
  v: number;
  group: SrpGroup;
  salt: Base64Url;
  /** `PAD(v)`, len(N) bytes. */
  verifier: Base64Url;
}
/** SRP login step 1, client → server. */
export interface SrpClientHello {
  v: number;
  group: SrpGroup;
  identifier: string;
  a_pub: Base64Url;
}
/** SRP login step 2, server → client. */
export interface SrpServerChallenge {
  v: number;
  group: SrpGroup;
  salt: Base64Url;
  b_pub: Base64Url;
}
/** SRP login step 3, client → server. */
export interface SrpClientProof {
  v: number;
  m1: Base64Url;
}
/** SRP login step 4, server → client. */
export interface SrpServerProof {
  v: number;
  m2: Base64Url;
}

/** OPAQUE registration message 1, client → server. */
export interface OpaqueRegistrationRequest {
  v: number;
  registration_request: Base64Url;
}
/** OPAQUE registration message 2, server → client. */
export interface OpaqueRegistrationResponse {
  v: number;
  registration_response: Base64Url;
}
/** OPAQUE registration message 3 (what the server stores). */
export interface OpaqueRegistrationRecord {
  v: number;
  registration_record: Base64Url;
}
/** OPAQUE login message 1, client → server. */
export interface OpaqueKe1 {
  v: number;
  ke1: Base64Url;
}
/** OPAQUE login message 2, server → client. */
export interface OpaqueKe2 {
  v: number;
  ke2: Base64Url;
}
/** OPAQUE login message 3, client → server. */
export interface OpaqueKe3 {
  v: number;
  ke3: Base64Url;
}

/** Pre-login request, client → server. */
export interface PreloginRequest {
  v: number;
  identifier: string;
}
/** The SRP part of a pre-login answer. */
export interface SrpPrelogin {
  group: SrpGroup;
  salt: Base64Url;
}
/** Pre-login answer, server → client (as JSON). */
export interface PreloginResponseJson {
  v: number;
  kdf: KdfConfig;
  srp?: SrpPrelogin;
}

/** Where a sealed blob belongs (test builds' raw-envelope helpers). */
export type Context =
  | { kind: "account_key"; account: Uuid }
  | { kind: "identity_keys"; account: Uuid }
  | { kind: "vault_key"; account: Uuid; vault: Uuid; key_version: number }
  | { kind: "vault_meta"; vault: Uuid; key_version: number }
  | { kind: "item_key"; vault: Uuid; item: Uuid; key_version: number }
  | { kind: "item_overview"; vault: Uuid; item: Uuid; revision: number }
  | { kind: "item_details"; vault: Uuid; item: Uuid; revision: number }
  | { kind: "account_key_generation"; account: Uuid; generation: number }
  | { kind: "device_unlock"; account: Uuid; device: Uuid; generation: number }
  | { kind: "pin_unlock"; account: Uuid; device: Uuid; generation: number }
  | { kind: "recovery_key"; account: Uuid; generation: number };

// ---------------------------------------------------------------------------
// Account lifecycle (docs/format.md §14).
// ---------------------------------------------------------------------------

/** The account key under a device key (kept on the device only). */
export interface DeviceUnlock {
  v: number;
  account: Uuid;
  device: Uuid;
  /** Account key generation the wrap holds. */
  generation: number;
  wrapped: EnvelopeText;
}

/** The stored form of a `PinUnlock` (kept on the device only; store it after every attempt). */
export interface PinUnlockRecord {
  v: number;
  account: Uuid;
  device: Uuid;
  generation: number;
  /** The PIN's own Argon2id params and salt. */
  kdf: KdfConfig;
  /** Whether a device secret is mixed into the PIN key. */
  device_bound: boolean;
  max_attempts: number;
  failed_attempts: number;
  /** `null` once erased after too many wrong PINs. */
  wrapped: EnvelopeText | null;
}

/** What the server stores for a recovery kit. */
export interface RecoveryWrap {
  v: number;
  account: Uuid;
  generation: number;
  wrapped: EnvelopeText;
  /** SHA-256 of the recovery auth token (32 bytes). */
  verifier: Base64Url;
}

/** The change set of one account key rotation (uploaded in one request). */
export interface AccountKeyRotation {
  from_generation: number;
  record: EncryptedAccount;
  vault_keys: WrappedVaultKey[];
}

// ---------------------------------------------------------------------------
// Sync (docs/protocol.md): wire messages and SyncEngine results.
// ---------------------------------------------------------------------------

/** An opaque position in the change feed, chosen by the server. */
export type SyncCursor = string;
/** Pull, client → server: the changes after `since` (absent on the first sync). */
export interface PullRequest {
  v: 1;
  since?: SyncCursor;
}
/** A vault key as one member receives it: own wrap, or another member's grant. */
export type MemberKey = { wrapped: WrappedVaultKey } | { grant: VaultGrant };
/** One entry of the change feed. */
export type SyncChange =
  | { type: "vault"; vault: Uuid; role: Role; meta?: EncryptedVault | null; keys: MemberKey[] }
  | { type: "vault_removed"; vault: Uuid }
  | { type: "item"; item: EncryptedItem }
  | { type: "tombstone"; vault: Uuid; item: Uuid; revision: number };
/** Pull, server → client: one page of the feed. */
export interface PullPage {
  v: 1;
  since: SyncCursor | null;
  next: SyncCursor;
  has_more: boolean;
  changes: SyncChange[];
}
/** One compare-and-swap write (`item.revision` is always `base + 1`). */
export type PushWrite =
  | { action: "upsert"; op: number; base: number; item: EncryptedItem }
  | { action: "delete"; op: number; vault: Uuid; item: Uuid; base: number };
/** Push, client → server. */
export interface PushRequest {
  v: 1;
  writes: PushWrite[];
}
/** An item as the server holds it. */
export type ItemState =
  | { state: "live"; item: EncryptedItem }
  | { state: "deleted"; vault: Uuid; item: Uuid; revision: number };
/** Why the server refused a write (unknown reasons read as `other`). */
export type RejectReason = "forbidden" | "not_found" | "invalid" | "too_large" | "stale_key" | "other";
/** The outcome of one write. */
export type PushResult =
  | { status: "ok"; op: number; revision: number }
  | { status: "conflict"; op: number; current: ItemState }
  | { status: "rejected"; op: number; reason: RejectReason };
/** Push, server → client: one result per write processed. */
export interface PushResponse {
  v: 1;
  results: PushResult[];
}
/** A write the server now holds. */
export interface SyncAck {
  vault: Uuid;
  item: Uuid;
  revision: number;
  op: number;
}
/** What `applyPull` did. */
export interface PullOutcome {
  /** False if the page did not answer the engine's cursor (a replay): nothing changed. */
  applied: boolean;
  /** Pull again right away. */
  has_more: boolean;
  /** Items whose visible state may have changed. */
  changed: { vault: Uuid; item: Uuid }[];
  /** Vaults whose membership, meta or keys changed, or that were removed. */
  vaults_changed: string[];
  acknowledged: SyncAck[];
  /** Ids of the conflicts this page created. */
  conflicts: number[];
}
/** What `applyPush` did. */
export interface PushOutcome {
  acknowledged: SyncAck[];
  conflicts: number[];
  /** Results for writes no longer queued. */
  ignored: number;
  /** Whether anything was settled; a push loop stops when false. */
  progressed: boolean;
}
/** Why a local edit became a conflict. */
export type ConflictCause =
  | { kind: "diverged"; server: ItemState }
  | { kind: "rejected"; reason: RejectReason }
  | { kind: "vault_unavailable" };
/** A local edit the server did not take, kept (as ciphertext) until resolved. */
export interface Conflict {
  id: number;
  vault: Uuid;
  item: Uuid;
  /** The server revision the local edits started from. */
  base: number;
  /** The user's latest local version, or `"delete"`. */
  local: { upsert: EncryptedItem } | "delete";
  cause: ConflictCause;
}
/** What `resolveDefault` did with one conflict. */
export type AutoAction =
  | { kind: "kept_both"; copy: Uuid }
  | { kind: "kept_server_identical" }
  | { kind: "recreated" }
  | { kind: "kept_server_edit" }
  | { kind: "both_deleted" }
  | { kind: "resealed" }
  | { kind: "left"; error: { code: ErrorCode; message: string } | null };
/** One conflict `resolveDefault` looked at. */
export interface AutoResolution {
  conflict: Conflict;
  action: AutoAction;
}
/** The user's membership of one vault, as the feed last described it. */
export interface VaultMembership {
  vault: Uuid;
  role: Role;
  meta: EncryptedVault | null;
  keys: MemberKey[];
}
