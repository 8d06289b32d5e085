//! # vault-node
//!
//! The Node.js binding of `vault-core`, built with napi-rs. Glue only: it
//! converts types, maps every failure onto the core's one error type (thrown
//! as a JS `Error` with a stable `code`), and moves slow work (Argon2id,
//! bulk list decryption) off the event loop. Everything that touches a
//! secret happens in `vault-core`.
//!
//! - Keys are class handles (`SymmetricKey`, `VaultKey`, `UnlockedAccount`,
//!   `RecoveryKey`, …); their bytes leave native memory only through
//!   `export*` methods.
//! - Account lifecycle (`lifecycle.rs`): device and PIN quick unlock, the
//!   recovery kit, account key rotation; the records an app stores (a PIN
//!   unlock's attempt counter included) cross as plain objects.
//! - Data (records, items, grants, protocol messages) are plain JS objects
//!   in exactly the JSON shape of `docs/format.md` / `docs/protocol.md`.
//! - Randomness is injected like in the core: an optional `rng`, defaulting
//!   to the OS CSPRNG; a seeded RNG exists only with the `test-vectors`
//!   feature, for replaying `test-vectors/`.
//! - Identifiers go through `normalizeIdentifier` before anything is derived
//!   from them (SRP, OPAQUE, directory look-ups): one canonical form per
//!   account (`docs/format.md` §15).
//! - Sync is the `SyncEngine` class: the sans-IO engine's plan/apply steps;
//!   the app performs the HTTP requests it plans.
//! - Where IO happens: only in `VaultClient`, the high-level client of
//!   `vault-sync` (HTTP to the server, an encrypted SQLite replica in a
//!   device directory), and in the service secrets client
//!   (`createSecretsClient`: `vault-secrets` over gRPC, values decrypted in
//!   this process), both driven on napi's tokio runtime. Everything else
//!   does no IO: the caller moves bytes; this crate and the core compute.
//!
//! The JS API and its TypeScript types are generated from the `#[napi]`
//! items below (doc comments become `index.d.ts`); the data-object types
//! are declared in `dts-header.d.ts`.

// napi-derive registers exports only outside `cfg(test)`; the lib test
// harness therefore sees every exported function as unused.
#![cfg_attr(test, allow(dead_code))]

mod account;
mod client;
mod convert;
mod envelope;
mod error;
#[cfg(feature = "test-vectors")]
mod hazmat;
mod identifier;
mod kdf;
mod keys;
mod lifecycle;
mod opaque;
mod prelogin;
mod rng;
mod secrets_client;
mod shamir;
mod sharing;
mod srp;
mod sync;
mod task;
mod vault;
