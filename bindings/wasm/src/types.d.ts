
// ---------------------------------------------------------------------------
// The wasm package's own declarations (hand-written). The data types (Item,
// EncryptedAccount, SyncChange, ErrorCode, …) are generated from vault-core's
// serde types into bindings/ts-types/vault-types.d.ts, which lib.rs emits
// just before this file; everything here reuses them by name. How this
// package differs from the Node one is listed once, in that file's header.
// ---------------------------------------------------------------------------

/**
 * What every export throws: a JS `Error` with `name === "VaultError"`, a
 * stable `code`, and a message that never contains secret material.
 */
export interface VaultError extends Error {
  name: "VaultError";
  code: ErrorCode;
}

/** Named Argon2id presets. */
export type KdfPreset = "default" | "constrained" | "sensitive";

/** Named KDF policies (`kdfPolicy(name)`). */
export type KdfPolicyName = "default" | "permissive_test_only";

/** Where a sealed blob belongs (test builds' raw-envelope helpers): `EnvelopeContext`. */
export type Context = EnvelopeContext;

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
