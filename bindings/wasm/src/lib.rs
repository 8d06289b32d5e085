//! # vault-wasm
//!
//! WebAssembly bindings of [`vault_core`] for browsers, Manifest V3 extensions
//! and Node, built with wasm-bindgen. Glue only: type conversion and one flat
//! error type; every decision is vault-core's.
//!
//! - **Keys are handles.** `SymmetricKey`, `SecretKey`, `VaultKey`,
//!   `Account`, `SecretBytes` hold key material inside the module (zeroized
//!   when freed); bytes leave only through methods named `export…`.
//! - **Records and messages are plain JS objects** in the documented wire
//!   shape (`docs/format.md`, `docs/protocol.md`): snake_case fields,
//!   base64url binary, UUID ids. They cross the boundary as JSON and are
//!   parsed strictly by vault-core (unknown fields rejected, versions checked);
//!   a JSON string is accepted wherever an object is.
//! - **Errors** are thrown as JS `Error`s named `VaultError` with a stable
//!   `code` (vault-core's `Error::code`) and a message without secrets.
//! - **Randomness** is injected like in the core: an optional last `rng`
//!   argument, defaulting to `crypto.getRandomValues`. Deterministic RNGs
//!   exist only in test builds (`test-vectors` feature).
//! - **Account lifecycle**: device and PIN quick unlock (`enableDeviceUnlock`,
//!   `PinUnlock`), the recovery kit (`createRecoveryKit`, `RecoveryKey`,
//!   `Account.recover`) and account key rotation (`rotateAccountKey`).
//! - **Identifiers** go through `normalizeIdentifier` before anything is
//!   derived from them (SRP, OPAQUE, directory look-ups): one canonical form
//!   per account (`docs/format.md` §15).
//! - **Sync** is the `SyncEngine` class (vault-core's sans-IO engine): it
//!   plans the requests and merges the answers; the app does the `fetch`.
//! - **Passwords** are normalised (NFKD) by the JS engine and verified by
//!   vault-core (`kdf::NfkdPassword`), so no Unicode decomposition tables ship.
//! - **No IO, no threads, no eval**: Argon2id runs on the calling thread, so
//!   pages call it from a Web Worker (`worker.js` + `worker-client.js` in the
//!   npm package).
//!
//! ```js
//! import init, { Account, kdfPreset } from "vault-wasm";
//! await init();
//! const created = Account.create("correct horse", kdfPreset("default"));
//! const alice = created.account;            // upload created.record
//! const vault = alice.createVault({ name: "Personal" });
//! const item = vault.key.encryptItem(crypto.randomUUID(), 1,
//!   { title: "Bank", data: { type: "login", username: "me", password: "pw" } });
//! console.log(vault.key.decryptList([item])[0].ok.overview.title);   // "Bank"
//! ```

mod account;
mod convert;
mod error;
mod identifier;
mod kdf;
mod keys;
mod lifecycle;
mod opaque;
mod password;
mod prelogin;
mod rng;
mod shamir;
mod sharing;
mod srp;
mod sync;
#[cfg(feature = "test-vectors")]
mod testing;
mod vault;

pub use account::{JsAccount, NewAccount, NewCredentials, NewVault, parse_account_record};
pub use error::VaultError;
pub use identifier::normalize_identifier;
pub use kdf::{
    MasterKeys, check_kdf_params, default_kdf_policy, derive_master_keys,
    derive_master_keys_with_secret_key, kdf_policy, kdf_preset, master_keys_from_stretched,
    master_keys_from_stretched_with_secret_key, permissive_kdf_policy_test_only, stretch,
};
pub use keys::{JsSecretBytes, JsSecretKey, JsSymmetricKey};
pub use lifecycle::{
    DeviceUnlockEnabled, JsPinUnlock, JsRecoveryKey, RecoveryKit, RotatedAccount,
    check_recovery_auth_token, new_device_id, parse_account_key_rotation, parse_device_unlock,
    parse_recovery_wrap,
};
pub use opaque::{OpaqueLogin, OpaqueLoginResult, OpaqueRegistration, OpaqueRegistrationResult};
pub use prelogin::{JsPreloginResponse, prelogin_request};
pub use rng::JsRng;
pub use shamir::{JsShare, shamir_combine, shamir_split};
pub use sharing::{grant_hpke_info, identity_fingerprint, verify_grant, verify_identity};
pub use srp::{SrpLogin, srp_register};
pub use sync::{JsSyncEngine, VaultKeyRing};
#[cfg(feature = "test-vectors")]
pub use testing::{
    TestOpaqueServer, TestOpaqueServerLogin, TestPreloginServer, TestSrpServer, Testing,
};
pub use vault::{JsVaultKey, RotatedVault, item_overview, new_item_id, parse_dotenv};

use wasm_bindgen::prelude::*;

// The data types, generated once from vault-core's serde types for this
// package and the Node one (bindings/ts-types; `cargo run -p vault-ts-types`).
// Custom sections are text for the .d.ts only: wasm-bindgen strips them from
// the module.
#[wasm_bindgen(typescript_custom_section)]
const TS_DATA_TYPES: &str = include_str!("../../ts-types/vault-types.d.ts");

// This package's own declarations (VaultError, ListResult, …), over those types.
#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = include_str!("types.d.ts");

/// The version of this module (the workspace version).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Whether this module was built with the `test-vectors` feature (a
/// deterministic RNG is available). Always `false` in a shipped module.
#[wasm_bindgen(js_name = isTestBuild)]
pub fn is_test_build() -> bool {
    cfg!(feature = "test-vectors")
}
