//! Account lifecycle: quick unlock with a device key or a PIN, the recovery
//! kit (24 words, a server-stored wrap, Shamir split) and account key
//! rotation. Formats: `docs/format.md` §14.
//!
//! Device and PIN wraps stay on the device: keep their JSON beside the app's
//! data (the device key / device secret in the platform keystore). A
//! [`PinUnlock`] counts wrong PINs inside its own record: persist
//! [`PinUnlock::to_json`] after **every** [`PinUnlock::unlock`], whatever it
//! returned.

use crate::account::{EncryptedAccount, UnlockedAccount};
use crate::convert;
use crate::error::Result;
use crate::kdf::{KdfParams, KdfPolicy};
use crate::keys::{SymmetricKey, zeroizing};
use crate::rng::Rng;
use crate::secret_key::SecretKey;
use crate::shamir::Share;
use crate::vault::WrappedVaultKey;
use std::sync::{Arc, Mutex, PoisonError};

/// The account key wrapped under a device key (biometric quick unlock).
/// Stored on the device only; read it back with [`device_unlock_from_json`].
#[derive(uniffi::Record, Clone, Debug, PartialEq, Eq)]
pub struct DeviceUnlock {
    /// Layout version (1).
    pub v: u8,
    /// The account id (UUID text).
    pub account: String,
    /// The device id (UUID text).
    pub device: String,
    /// Account key generation the wrap holds.
    pub generation: u32,
    /// The account key under the device key (envelope text form).
    pub wrapped: String,
}

impl From<&vault_core::DeviceUnlock> for DeviceUnlock {
    fn from(w: &vault_core::DeviceUnlock) -> Self {
        DeviceUnlock {
            v: w.v,
            account: w.account.to_string(),
            device: w.device.to_string(),
            generation: w.generation,
            wrapped: w.wrapped.to_text(),
        }
    }
}

impl TryFrom<&DeviceUnlock> for vault_core::DeviceUnlock {
    type Error = crate::error::VaultError;
    fn try_from(w: &DeviceUnlock) -> Result<Self> {
        Ok(vault_core::DeviceUnlock {
            v: w.v,
            account: convert::id(&w.account)?,
            device: convert::id(&w.device)?,
            generation: w.generation,
            wrapped: convert::envelope(&w.wrapped)?,
        })
    }
}

#[uniffi::export]
impl DeviceUnlock {
    /// Unlocks `record` with the device key from the keystore. A wrap of an
    /// older account key generation is `stale_wrap` (unlock with the
    /// password and enable device unlock again); the wrong key or device is
    /// `decrypt`.
    pub fn unlock(
        &self,
        device_key: &SymmetricKey,
        record: &EncryptedAccount,
    ) -> Result<Arc<UnlockedAccount>> {
        let wrap = vault_core::DeviceUnlock::try_from(self)?;
        let record = vault_core::EncryptedAccount::try_from(record)?;
        Ok(UnlockedAccount::wrap(wrap.unlock(&device_key.0, &record)?))
    }

    /// The JSON form to store on the device.
    pub fn to_json(&self) -> Result<String> {
        convert::to_json(&vault_core::DeviceUnlock::try_from(self)?)
    }
}

/// Parses a stored device unlock, rejecting unknown fields and versions.
#[uniffi::export]
pub fn device_unlock_from_json(json: &str) -> Result<DeviceUnlock> {
    Ok((&vault_core::DeviceUnlock::from_json(json)?).into())
}

/// What [`UnlockedAccount::enable_device_unlock`] returns.
#[derive(uniffi::Record, Clone, Debug)]
pub struct DeviceUnlockEnabled {
    /// The fresh device key: put it in the platform keystore behind biometry
    /// (`expose_secret()` once, for the keystore wrap).
    pub device_key: Arc<SymmetricKey>,
    /// The wrap to store beside the app's data.
    pub wrap: DeviceUnlock,
}

/// The account key wrapped under a PIN-derived key, with its attempt
/// counter. Stored on the device only. Thread-safe (one lock).
///
/// Persist [`PinUnlock::to_json`] after every [`PinUnlock::unlock`]: a wrong
/// PIN counts, a right one resets the count, and the `max_attempts`-th wrong
/// PIN in a row erases the wrap (error code `locked_out`; only the password
/// can set a PIN again).
#[derive(uniffi::Object, Debug)]
pub struct PinUnlock(Mutex<vault_core::PinUnlock>);

impl PinUnlock {
    fn wrap(p: vault_core::PinUnlock) -> Arc<Self> {
        Arc::new(PinUnlock(Mutex::new(p)))
    }

    fn with<T>(&self, f: impl FnOnce(&mut vault_core::PinUnlock) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[uniffi::export]
impl PinUnlock {
    /// Parses a stored PIN unlock, rejecting unknown fields and versions.
    #[uniffi::constructor]
    pub fn from_json(json: &str) -> Result<Arc<Self>> {
        Ok(Self::wrap(vault_core::PinUnlock::from_json(json)?))
    }

    /// The JSON form to store (again after every attempt).
    pub fn to_json(&self) -> Result<String> {
        self.with(|p| convert::to_json(p))
    }

    /// Unlocks `record` with the PIN (and the device secret, if the wrap was
    /// made with one), counting the attempt. A wrong PIN is
    /// `authentication_failed`, the last allowed one `locked_out`. The stored
    /// PIN params are checked against `policy` first. Persist
    /// [`to_json`](Self::to_json) afterwards, whatever the outcome.
    pub fn unlock(
        &self,
        pin: &str,
        device_secret: Option<Arc<SymmetricKey>>,
        record: &EncryptedAccount,
        policy: KdfPolicy,
    ) -> Result<Arc<UnlockedAccount>> {
        let record = vault_core::EncryptedAccount::try_from(record)?;
        let acct = self.with(|p| {
            p.unlock(
                pin,
                device_secret.as_deref().map(|s| &s.0),
                &record,
                &policy.into(),
            )
        })?;
        Ok(UnlockedAccount::wrap(acct))
    }

    /// Wrong PINs left before the wrap is erased (0 once it is).
    pub fn remaining_attempts(&self) -> u8 {
        self.with(|p| p.remaining_attempts())
    }

    /// Wrong PINs in a row so far.
    pub fn failed_attempts(&self) -> u8 {
        self.with(|p| p.failed_attempts)
    }

    /// Wrong PINs allowed in a row.
    pub fn max_attempts(&self) -> u8 {
        self.with(|p| p.max_attempts)
    }

    /// Whether the wrap needs the keystore's device secret.
    pub fn device_bound(&self) -> bool {
        self.with(|p| p.device_bound)
    }

    /// Whether the wrap was erased after too many wrong PINs.
    pub fn is_erased(&self) -> bool {
        self.with(|p| p.wrapped.is_none())
    }

    /// The account id (UUID text).
    pub fn account(&self) -> String {
        self.with(|p| p.account.to_string())
    }

    /// The device id (UUID text).
    pub fn device(&self) -> String {
        self.with(|p| p.device.to_string())
    }

    /// Account key generation the wrap holds.
    pub fn generation(&self) -> u32 {
        self.with(|p| p.generation)
    }
}

/// The recovery key: 32 random bytes shown once as 24 BIP-39 words. Opaque;
/// equality is constant-time; `Debug` is redacted.
#[derive(uniffi::Object, Debug, PartialEq, Eq)]
#[uniffi::export(Eq, Debug)]
pub struct RecoveryKey(pub(crate) vault_core::RecoveryKey);

impl RecoveryKey {
    fn wrap(k: vault_core::RecoveryKey) -> Arc<Self> {
        Arc::new(RecoveryKey(k))
    }
}

#[uniffi::export]
impl RecoveryKey {
    /// A fresh random recovery key.
    #[uniffi::constructor]
    pub fn generate(rng: &Rng) -> Arc<Self> {
        Self::wrap(rng.with(vault_core::RecoveryKey::generate))
    }

    /// From the 32 raw bytes.
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>> {
        let bytes = zeroizing(bytes);
        let arr = convert::array::<32>(&bytes, "recovery key", "a recovery key is 32 bytes")?;
        Ok(Self::wrap(vault_core::RecoveryKey::from_bytes(arr)))
    }

    /// Parses the 24 words (case and spacing do not matter). A word outside
    /// the list or a wrong count is `malformed`; a typo that swapped one
    /// valid word for another is usually `checksum`.
    #[uniffi::constructor]
    pub fn from_words(words: &str) -> Result<Arc<Self>> {
        Ok(Self::wrap(vault_core::RecoveryKey::from_words(words)?))
    }

    /// Joins shares made by [`split`](Self::split) (error code `shamir` if
    /// they do not hold a recovery key).
    #[uniffi::constructor]
    pub fn combine(shares: Vec<Arc<Share>>) -> Result<Arc<Self>> {
        let shares: Vec<vault_core::Share> = shares.iter().map(|s| s.0.clone()).collect();
        Ok(Self::wrap(vault_core::RecoveryKey::combine(&shares)?))
    }

    /// The 24 words, separated by single spaces: show them once.
    pub fn to_words(&self) -> String {
        self.0.to_words().expose_secret().to_owned()
    }

    /// The 32 raw bytes: an explicit export.
    pub fn expose_secret(&self) -> Vec<u8> {
        self.0.expose_secret().to_vec()
    }

    /// The token that proves knowledge of the key to the server (which
    /// keeps only its SHA-256, the wrap's `verifier`).
    pub fn auth_token(&self) -> Arc<SymmetricKey> {
        SymmetricKey::wrap(self.0.auth_token())
    }

    /// Splits the key into `shares` Shamir shares, any `threshold` of which
    /// recover it (2 <= threshold <= shares <= 255).
    pub fn split(&self, threshold: u8, shares: u8, rng: &Rng) -> Result<Vec<Arc<Share>>> {
        let out = rng.with(|r| self.0.split(threshold, shares, r))?;
        Ok(out.into_iter().map(|s| Arc::new(Share(s))).collect())
    }
}

/// What the server stores for a recovery kit: the account key under the
/// recovery key, and the SHA-256 of the recovery auth token.
#[derive(uniffi::Record, Clone, Debug, PartialEq, Eq)]
pub struct RecoveryWrap {
    /// Layout version (1).
    pub v: u8,
    /// The account id (UUID text).
    pub account: String,
    /// Account key generation the wrap holds.
    pub generation: u32,
    /// The account key under the recovery key (envelope text form).
    pub wrapped: String,
    /// SHA-256 of the auth token (32 bytes).
    pub verifier: Vec<u8>,
}

impl From<&vault_core::RecoveryWrap> for RecoveryWrap {
    fn from(w: &vault_core::RecoveryWrap) -> Self {
        RecoveryWrap {
            v: w.v,
            account: w.account.to_string(),
            generation: w.generation,
            wrapped: w.wrapped.to_text(),
            verifier: w.verifier.to_vec(),
        }
    }
}

impl TryFrom<&RecoveryWrap> for vault_core::RecoveryWrap {
    type Error = crate::error::VaultError;
    fn try_from(w: &RecoveryWrap) -> Result<Self> {
        Ok(vault_core::RecoveryWrap {
            v: w.v,
            account: convert::id(&w.account)?,
            generation: w.generation,
            wrapped: convert::envelope(&w.wrapped)?,
            verifier: convert::array(&w.verifier, "recovery wrap", "a verifier is 32 bytes")?,
        })
    }
}

#[uniffi::export]
impl RecoveryWrap {
    /// Opens the wrap with the recovery key and unlocks `record`; then set a
    /// new password with `change_password`. An older generation's wrap is
    /// `stale_wrap`, the wrong key `decrypt`.
    pub fn recover(
        &self,
        key: &RecoveryKey,
        record: &EncryptedAccount,
    ) -> Result<Arc<UnlockedAccount>> {
        let wrap = vault_core::RecoveryWrap::try_from(self)?;
        let record = vault_core::EncryptedAccount::try_from(record)?;
        Ok(UnlockedAccount::wrap(wrap.recover(&key.0, &record)?))
    }

    /// Whether `token` is this kit's auth token (constant-time; what the
    /// server checks).
    pub fn check_auth_token(&self, token: &SymmetricKey) -> Result<bool> {
        Ok(vault_core::RecoveryWrap::try_from(self)?.check_auth_token(&token.0))
    }

    /// The canonical JSON form (what the server stores).
    pub fn to_json(&self) -> Result<String> {
        convert::to_json(&vault_core::RecoveryWrap::try_from(self)?)
    }
}

/// Parses a recovery wrap from JSON, rejecting unknown fields and versions.
#[uniffi::export]
pub fn recovery_wrap_from_json(json: &str) -> Result<RecoveryWrap> {
    Ok((&vault_core::RecoveryWrap::from_json(json)?).into())
}

/// Recovers an account from the kit's words, the stored wrap and the account
/// record ([`RecoveryKey::from_words`] then [`RecoveryWrap::recover`]).
#[uniffi::export]
pub fn recover_account(
    words: &str,
    wrap: &RecoveryWrap,
    record: &EncryptedAccount,
) -> Result<Arc<UnlockedAccount>> {
    let key = vault_core::RecoveryKey::from_words(words)?;
    let wrap = vault_core::RecoveryWrap::try_from(wrap)?;
    let record = vault_core::EncryptedAccount::try_from(record)?;
    Ok(UnlockedAccount::wrap(wrap.recover(&key, &record)?))
}

/// What [`UnlockedAccount::create_recovery_kit`] returns.
// `Debug` is hand-written: the words are the recovery secret (see item.rs).
#[derive(uniffi::Record, Clone)]
pub struct RecoveryKit {
    /// The recovery key (split it with `split`, or drop it).
    pub key: Arc<RecoveryKey>,
    /// Its 24 words: show them once, never store them.
    pub words: String,
    /// The wrap to upload (replaces any older kit).
    pub wrap: RecoveryWrap,
}

impl core::fmt::Debug for RecoveryKit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RecoveryKit")
            .field("key", &self.key)
            .field("words", &crate::item::Redacted)
            .field("wrap", &self.wrap)
            .finish()
    }
}

/// The change set of one account key rotation: upload it in one request.
#[derive(uniffi::Record, Clone, Debug, PartialEq, Eq)]
pub struct AccountKeyRotation {
    /// The generation it replaces.
    pub from_generation: u32,
    /// The new account record (next generation).
    pub record: EncryptedAccount,
    /// Every own vault key wrap, re-wrapped under the new account key.
    pub vault_keys: Vec<WrappedVaultKey>,
}

impl From<&vault_core::AccountKeyRotation> for AccountKeyRotation {
    fn from(c: &vault_core::AccountKeyRotation) -> Self {
        AccountKeyRotation {
            from_generation: c.from_generation,
            record: (&c.record).into(),
            vault_keys: c.vault_keys.iter().map(Into::into).collect(),
        }
    }
}

impl TryFrom<&AccountKeyRotation> for vault_core::AccountKeyRotation {
    type Error = crate::error::VaultError;
    fn try_from(c: &AccountKeyRotation) -> Result<Self> {
        Ok(vault_core::AccountKeyRotation {
            from_generation: c.from_generation,
            record: (&c.record).try_into()?,
            vault_keys: c
                .vault_keys
                .iter()
                .map(TryInto::try_into)
                .collect::<Result<_>>()?,
        })
    }
}

#[uniffi::export]
impl AccountKeyRotation {
    /// The canonical JSON form (the upload).
    pub fn to_json(&self) -> Result<String> {
        convert::to_json(&vault_core::AccountKeyRotation::try_from(self)?)
    }
}

/// Parses a rotation change set from JSON, rejecting unknown fields.
#[uniffi::export]
pub fn account_key_rotation_from_json(json: &str) -> Result<AccountKeyRotation> {
    Ok((&vault_core::AccountKeyRotation::from_json(json)?).into())
}

/// What [`UnlockedAccount::rotate_account_key`] returns.
#[derive(uniffi::Record, Clone, Debug)]
pub struct AccountKeyRotated {
    /// The account, unlocked under the new key.
    pub account: Arc<UnlockedAccount>,
    /// The change set to upload.
    pub change: AccountKeyRotation,
}

/// A fresh random device id (UUID text) for this app install.
#[uniffi::export]
pub fn new_device_id(rng: &Rng) -> String {
    rng.with(vault_core::DeviceId::generate).to_string()
}

fn device_id(text: &str) -> Result<vault_core::DeviceId> {
    convert::id(text)
}

#[uniffi::export]
impl UnlockedAccount {
    /// Generation of the account key in memory (1 until the first rotation).
    pub fn key_generation(&self) -> u32 {
        self.0.key_generation()
    }

    /// Enables device quick unlock with a fresh device key (returned: keep it
    /// in the platform keystore behind biometry) and the wrap to store.
    pub fn enable_device_unlock(&self, device: &str, rng: &Rng) -> Result<DeviceUnlockEnabled> {
        let device = device_id(device)?;
        let (key, wrap) = rng.with(|r| self.0.enable_device_unlock(device, r))?;
        Ok(DeviceUnlockEnabled {
            device_key: SymmetricKey::wrap(key),
            wrap: (&wrap).into(),
        })
    }

    /// Enables device quick unlock under a device key the app already has.
    pub fn device_unlock_with_key(
        &self,
        device: &str,
        device_key: &SymmetricKey,
        rng: &Rng,
    ) -> Result<DeviceUnlock> {
        let device = device_id(device)?;
        let wrap = rng.with(|r| self.0.device_unlock_with_key(device, &device_key.0, r))?;
        Ok((&wrap).into())
    }

    /// Enables PIN unlock: Argon2id over the PIN with its own `params`,
    /// optionally mixed with a `device_secret` the hardware keystore holds
    /// (strongly advised). `max_attempts` (1..=100) wrong PINs in a row erase
    /// the wrap. Store the result's JSON on the device.
    pub fn enable_pin_unlock(
        &self,
        device: &str,
        pin: &str,
        params: KdfParams,
        device_secret: Option<Arc<SymmetricKey>>,
        max_attempts: u8,
        rng: &Rng,
    ) -> Result<Arc<PinUnlock>> {
        let device = device_id(device)?;
        let wrap = rng.with(|r| {
            self.0.enable_pin_unlock(
                device,
                pin,
                params.into(),
                device_secret.as_deref().map(|s| &s.0),
                max_attempts,
                r,
            )
        })?;
        Ok(PinUnlock::wrap(wrap))
    }

    /// Makes a recovery kit: a fresh recovery key, its 24 words (show them
    /// once) and the wrap to upload.
    pub fn create_recovery_kit(&self, rng: &Rng) -> Result<RecoveryKit> {
        let (key, wrap) = rng.with(|r| self.0.create_recovery_kit(r))?;
        Ok(RecoveryKit {
            words: key.to_words().expose_secret().to_owned(),
            key: RecoveryKey::wrap(key),
            wrap: (&wrap).into(),
        })
    }

    /// Wraps this account key under an existing recovery key (e.g. again
    /// after a rotation, from combined shares).
    pub fn recovery_wrap(&self, key: &RecoveryKey, rng: &Rng) -> Result<RecoveryWrap> {
        Ok((&rng.with(|r| self.0.recovery_wrap(&key.0, r))?).into())
    }

    /// Rotates the account key: `current` is the record the server holds,
    /// `password` (and the Secret Key, if any) must open it, `own_wraps` are
    /// all of this account's vault key wraps. Returns the account under the
    /// new key and the change set to upload in one request. Device, PIN and
    /// recovery wraps of the old generation stop working (`stale_wrap`).
    pub fn rotate_account_key(
        &self,
        current: &EncryptedAccount,
        password: &str,
        secret_key: Option<Arc<SecretKey>>,
        policy: KdfPolicy,
        own_wraps: Vec<WrappedVaultKey>,
        rng: &Rng,
    ) -> Result<AccountKeyRotated> {
        let current = vault_core::EncryptedAccount::try_from(current)?;
        let own: Vec<vault_core::WrappedVaultKey> = own_wraps
            .iter()
            .map(TryInto::try_into)
            .collect::<Result<_>>()?;
        let (account, change) = rng.with(|r| {
            self.0.rotate_account_key(
                &current,
                password,
                secret_key.as_deref().map(|s| &s.0),
                &policy.into(),
                &own,
                r,
            )
        })?;
        Ok(AccountKeyRotated {
            account: UnlockedAccount::wrap(account),
            change: (&change).into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The recovery words never show in `{:?}` (see item.rs's tests).
    #[test]
    fn recovery_kit_debug_is_redacted() {
        let rng = Rng::os();
        let created = crate::account::create_account(
            "pw",
            None,
            crate::kdf::kdf_params_insecure_test_only(),
            &rng,
        )
        .unwrap();
        let kit = created.account.create_recovery_kit(&rng).unwrap();
        let words: Vec<&str> = kit.words.split_whitespace().collect();
        assert_eq!(words.len(), 24);
        for text in [format!("{kit:?}"), format!("{kit:#?}")] {
            assert!(
                text.contains("words") && text.contains("<redacted>"),
                "{text}"
            );
            assert!(!text.contains(&kit.words), "{text}");
            // No run of three consecutive words either.
            for w in words.windows(3) {
                assert!(!text.contains(&w.join(" ")), "{text}");
            }
            assert!(!text.contains(&kit.key.to_words()), "{text}");
        }
    }
}
