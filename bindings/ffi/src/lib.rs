//! # vault-ffi
//!
//! UniFFI bindings of [`vault_core`] for Kotlin (Android and the JVM), Swift
//! (Apple platforms) and Python (test harness only). Glue only: type
//! conversion and one flat error type, [`VaultError`], whose
//! [`code`](VaultError::code) equals `vault_core::Error::code()`. Any logic
//! belongs in vault-core.
//!
//! Shapes:
//! - **Keys are objects** ([`SymmetricKey`], [`SecretKey`], [`VaultKey`],
//!   [`SecretBytes`], [`Share`], protocol states): their bytes leave Rust
//!   only through an explicit `expose_secret()` / `to_bytes()`.
//! - **Data is records** ([`EncryptedAccount`], [`EncryptedItem`],
//!   [`VaultGrant`], [`Item`], …): envelopes as their text form, ids as UUID
//!   text, with `to_json()` methods and `*_from_json()` functions for the
//!   canonical JSON the server stores.
//! - **Randomness is injected** through an [`Rng`] object: `Rng.os()` in
//!   apps; `Rng.seeded(seed)` exists only with the `test-vectors` feature.
//! - **Protocols are state objects** that each step consumes: using one twice
//!   is `invalid_argument`.
//! - **Identifiers** go through [`normalize_identifier`] before anything is
//!   derived from them (SRP, OPAQUE, directory look-ups): one canonical
//!   form per account (`docs/format.md` §15).
//! - **Sync** is the [`SyncEngine`] object: the app performs the HTTP requests
//!   it plans, wire messages travel as JSON text.
//!
//! Where IO happens: nowhere. The app carries every message and record over
//! its own HTTP stack and storage.
//!
//! Generate the foreign sources with `bindings/ffi/generate.sh`.

mod account;
mod convert;
mod envelope;
mod error;
mod identifier;
mod identity;
mod item;
mod kdf;
mod keys;
mod lifecycle;
mod machine;
mod opaque;
mod prelogin;
mod rng;
mod secret_key;
mod shamir;
mod sharing;
mod srp;
mod sync;
#[cfg(feature = "test-vectors")]
mod testing;
mod vault;

pub use account::{
    AccountCreated, EncryptedAccount, NewCredentials, UnlockedAccount, create_account,
    encrypted_account_from_json,
};
pub use envelope::{Algorithm, Envelope, EnvelopeContext};
pub use error::VaultError;
pub use identifier::normalize_identifier;
pub use identity::{PublicIdentity, public_identity_from_json};
pub use item::{
    CustomField, EncryptedItem, EncryptedItemList, EnvEntry, FieldKind, Item, ItemData, ItemKind,
    ListEntry, ListRow, Overview, encrypted_item_from_json, encrypted_items_from_json, new_item_id,
    parse_dotenv,
};
pub use kdf::{
    KdfConfig, KdfParams, KdfPolicy, MasterKeys, kdf_derive_master_keys,
    kdf_master_keys_from_stretched, kdf_params_constrained, kdf_params_default,
    kdf_params_insecure_test_only, kdf_params_preset, kdf_params_sensitive, kdf_policy_default,
    kdf_policy_permissive_test_only, kdf_stretch,
};
pub use keys::{SecretBytes, SymmetricKey};
pub use lifecycle::{
    AccountKeyRotated, AccountKeyRotation, DeviceUnlock, DeviceUnlockEnabled, PinUnlock,
    RecoveryKey, RecoveryKit, RecoveryWrap, account_key_rotation_from_json,
    device_unlock_from_json, new_device_id, recover_account, recovery_wrap_from_json,
};
pub use machine::{
    SchemaSecret, SealPurpose, SecretEntry, ServiceKeyring, ServiceToken, normalize_secret_name,
    parse_secrets_schema,
};
pub use opaque::{
    OpaqueClientLogin, OpaqueClientRegistration, OpaqueKe1, OpaqueKe2, OpaqueKe3,
    OpaqueLoginFinished, OpaqueLoginStarted, OpaqueRegistrationFinished, OpaqueRegistrationRecord,
    OpaqueRegistrationRequest, OpaqueRegistrationResponse, OpaqueRegistrationStarted,
    opaque_login_start, opaque_registration_start,
};
pub use prelogin::{PreloginRequest, PreloginResponse, SrpPrelogin};
pub use rng::Rng;
pub use secret_key::SecretKey;
pub use shamir::{Share, shamir_combine, shamir_split};
pub use sharing::{Role, VaultGrant, vault_grant_from_json, vault_grant_hpke_info};
pub use srp::{
    SrpChallengeAnswered, SrpClientAwaitingChallenge, SrpClientAwaitingServerProof, SrpClientHello,
    SrpClientProof, SrpGroup, SrpLoginStarted, SrpRegistration, SrpServerChallenge, SrpServerProof,
    srp_login_start, srp_register,
};
pub use sync::{
    AutoAction, AutoResolution, Conflict, ConflictCause, ItemRef, ItemState, MemberKey,
    PullOutcome, PushOutcome, SyncAck, SyncEngine, VaultMembership,
};
#[cfg(feature = "test-vectors")]
pub use testing::*;
pub use vault::{
    EncryptedVault, VaultCreated, VaultKey, VaultMeta, VaultRotation, WrappedVaultKey,
    encrypted_vault_from_json, wrapped_vault_key_from_json,
};

uniffi::setup_scaffolding!();
