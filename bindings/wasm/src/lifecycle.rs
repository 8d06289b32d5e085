//! Account lifecycle: quick unlock with a device key or a PIN, the recovery
//! kit (24 words, a server-stored wrap, Shamir split) and account key
//! rotation. Formats: `docs/format.md` §14.
//!
//! Device and PIN wraps stay on the device (e.g. in IndexedDB), the device
//! key / device secret in a non-extractable store the platform offers. A
//! `PinUnlock` counts wrong PINs inside its own record: store `toJson()`
//! after **every** `unlock`, whatever it returned.

use crate::account::{JsAccount, record};
use crate::convert::{bytes_to_js, fixed, from_js, parse_with, to_js};
use crate::error::Result;
use crate::kdf::{params, policy};
use crate::keys::{JsSecretKey, JsSymmetricKey};
use crate::rng::{JsRng, with_rng};
use crate::shamir::{JsShare, parse_shares};
use vault_core::{
    AccountKeyRotation, DeviceId, DeviceUnlock, PinUnlock, RecoveryKey, RecoveryWrap, SecretKey,
    SymmetricKey, UnlockedAccount, WrappedVaultKey,
};
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

fn device_id(text: &str) -> Result<DeviceId> {
    crate::convert::from_str(text, "device id")
}

fn device_unlock(value: &JsValue) -> Result<DeviceUnlock> {
    parse_with(value, "device unlock", DeviceUnlock::from_json)
}

fn recovery_wrap(value: &JsValue) -> Result<RecoveryWrap> {
    parse_with(value, "recovery wrap", RecoveryWrap::from_json)
}

/// A fresh random device id (UUID text) for this install.
#[wasm_bindgen(js_name = newDeviceId)]
pub fn new_device_id(
    #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
) -> String {
    with_rng(rng, DeviceId::generate).to_string()
}

/// Parses a stored device unlock strictly and returns it as an object.
#[wasm_bindgen(js_name = parseDeviceUnlock, unchecked_return_type = "DeviceUnlock")]
pub fn parse_device_unlock(json: &str) -> Result<JsValue> {
    to_js(&DeviceUnlock::from_json(json)?)
}

/// Parses a recovery wrap strictly and returns it as an object.
#[wasm_bindgen(js_name = parseRecoveryWrap, unchecked_return_type = "RecoveryWrap")]
pub fn parse_recovery_wrap(json: &str) -> Result<JsValue> {
    to_js(&RecoveryWrap::from_json(json)?)
}

/// Parses an account key rotation change set strictly and returns it as an object.
#[wasm_bindgen(js_name = parseAccountKeyRotation, unchecked_return_type = "AccountKeyRotation")]
pub fn parse_account_key_rotation(json: &str) -> Result<JsValue> {
    to_js(&AccountKeyRotation::from_json(json)?)
}

/// Whether `token` is the auth token of the kit `wrap` belongs to
/// (constant-time; what the server checks).
#[wasm_bindgen(js_name = checkRecoveryAuthToken)]
pub fn check_recovery_auth_token(
    #[wasm_bindgen(unchecked_param_type = "RecoveryWrap | string")] wrap: JsValue,
    token: &JsSymmetricKey,
) -> Result<bool> {
    Ok(recovery_wrap(&wrap)?.check_auth_token(&token.0))
}

/// What `Account.enableDeviceUnlock` returns.
#[wasm_bindgen]
pub struct DeviceUnlockEnabled {
    key: SymmetricKey,
    wrap: DeviceUnlock,
}

#[wasm_bindgen]
impl DeviceUnlockEnabled {
    /// The fresh device key: keep it in the platform's key store.
    #[wasm_bindgen(getter, js_name = deviceKey)]
    pub fn device_key(&self) -> JsSymmetricKey {
        JsSymmetricKey(self.key.clone())
    }

    /// The wrap to store beside the app's data.
    #[wasm_bindgen(getter, unchecked_return_type = "DeviceUnlock")]
    pub fn wrap(&self) -> Result<JsValue> {
        to_js(&self.wrap)
    }
}

/// The account key under a PIN-derived key, with its attempt counter, as a
/// handle. Store `toJson()` after every `unlock`: a wrong PIN counts, a
/// right one resets the count, the `maxAttempts`-th wrong PIN in a row
/// erases the wrap (`locked_out`; only the password can set a PIN again).
#[wasm_bindgen(js_name = PinUnlock)]
pub struct JsPinUnlock(PinUnlock);

impl JsPinUnlock {
    fn attempt(
        &mut self,
        pin: String,
        device_secret: Option<&SymmetricKey>,
        record: &JsValue,
        policy: &Option<JsValue>,
    ) -> Result<JsAccount> {
        // The JS engine normalises (NFKD): no Unicode tables in the module.
        let pin = crate::password::password(pin)?;
        let rec = self::record(record)?;
        let policy = self::policy(policy)?;
        Ok(JsAccount(self.0.unlock(
            &pin,
            device_secret,
            &rec,
            &policy,
        )?))
    }
}

#[wasm_bindgen(js_class = PinUnlock)]
impl JsPinUnlock {
    /// Parses a stored PIN unlock (object or JSON text) strictly.
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(
        #[wasm_bindgen(unchecked_param_type = "PinUnlockRecord | string")] value: JsValue,
    ) -> Result<JsPinUnlock> {
        Ok(JsPinUnlock(parse_with(
            &value,
            "PIN unlock",
            PinUnlock::from_json,
        )?))
    }

    /// The record to store (again after every attempt).
    #[wasm_bindgen(js_name = toJson, unchecked_return_type = "PinUnlockRecord")]
    pub fn to_json(&self) -> Result<JsValue> {
        to_js(&self.0)
    }

    /// Unlocks `record` with the PIN, counting the attempt: a wrong PIN
    /// throws `authentication_failed`, the last allowed one `locked_out`.
    /// The stored PIN params are checked against `policy` (default policy
    /// if omitted). Store `toJson()` afterwards, whatever happened.
    pub fn unlock(
        &mut self,
        pin: String,
        #[wasm_bindgen(unchecked_param_type = "EncryptedAccount | string")] record: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "KdfPolicy")] policy: Option<JsValue>,
    ) -> Result<JsAccount> {
        self.attempt(pin, None, &record, &policy)
    }

    /// `unlock` for a PIN unlock bound to a device secret.
    #[wasm_bindgen(js_name = unlockWithDeviceSecret)]
    pub fn unlock_with_device_secret(
        &mut self,
        pin: String,
        #[wasm_bindgen(js_name = "deviceSecret")] device_secret: &JsSymmetricKey,
        #[wasm_bindgen(unchecked_param_type = "EncryptedAccount | string")] record: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "KdfPolicy")] policy: Option<JsValue>,
    ) -> Result<JsAccount> {
        self.attempt(pin, Some(&device_secret.0), &record, &policy)
    }

    /// Wrong PINs left before the wrap is erased (0 once it is).
    #[wasm_bindgen(getter, js_name = remainingAttempts)]
    pub fn remaining_attempts(&self) -> u8 {
        self.0.remaining_attempts()
    }

    /// Wrong PINs in a row so far.
    #[wasm_bindgen(getter, js_name = failedAttempts)]
    pub fn failed_attempts(&self) -> u8 {
        self.0.failed_attempts
    }

    /// Wrong PINs allowed in a row.
    #[wasm_bindgen(getter, js_name = maxAttempts)]
    pub fn max_attempts(&self) -> u8 {
        self.0.max_attempts
    }

    /// Whether the wrap needs the device secret.
    #[wasm_bindgen(getter, js_name = deviceBound)]
    pub fn device_bound(&self) -> bool {
        self.0.device_bound
    }

    /// Whether the wrap was erased after too many wrong PINs.
    #[wasm_bindgen(getter)]
    pub fn erased(&self) -> bool {
        self.0.wrapped.is_none()
    }

    /// Account key generation the wrap holds.
    #[wasm_bindgen(getter)]
    pub fn generation(&self) -> u32 {
        self.0.generation
    }
}

/// The recovery key (32 bytes, shown once as 24 words) as a handle.
#[wasm_bindgen(js_name = RecoveryKey)]
pub struct JsRecoveryKey(RecoveryKey);

#[wasm_bindgen(js_class = RecoveryKey)]
impl JsRecoveryKey {
    /// A fresh random recovery key.
    pub fn generate(
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> JsRecoveryKey {
        JsRecoveryKey(with_rng(rng, RecoveryKey::generate))
    }

    /// Parses the 24 words (case and spacing do not matter): a word outside
    /// the list or a wrong count throws `malformed`, a typo usually `checksum`.
    #[wasm_bindgen(js_name = fromWords)]
    pub fn from_words(words: String) -> Result<JsRecoveryKey> {
        let words = Zeroizing::new(words);
        Ok(JsRecoveryKey(RecoveryKey::from_words(&words)?))
    }

    /// Imports the 32 raw bytes.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<JsRecoveryKey> {
        let bytes = Zeroizing::new(bytes);
        let raw = Zeroizing::new(fixed::<32>(&bytes, "a recovery key is 32 bytes")?);
        Ok(JsRecoveryKey(RecoveryKey::from_bytes(*raw)))
    }

    /// Joins shares made by `split` (text `"VS1-…"` or binary forms).
    pub fn combine(
        #[wasm_bindgen(unchecked_param_type = "Array<string | Uint8Array>")] shares: js_sys::Array,
    ) -> Result<JsRecoveryKey> {
        Ok(JsRecoveryKey(RecoveryKey::combine(&parse_shares(
            &shares,
        )?)?))
    }

    /// Explicit export: the 24 words, separated by single spaces. Show them once.
    #[wasm_bindgen(js_name = exportWords)]
    pub fn export_words(&self) -> String {
        self.0.to_words().expose_secret().to_owned()
    }

    /// Explicit export: the 32 raw bytes.
    #[wasm_bindgen(js_name = exportBytes)]
    pub fn export_bytes(&self) -> js_sys::Uint8Array {
        bytes_to_js(self.0.expose_secret())
    }

    /// The token that proves knowledge of the key to the server (which keeps
    /// only its SHA-256, the wrap's `verifier`).
    #[wasm_bindgen(js_name = authToken)]
    pub fn auth_token(&self) -> JsSymmetricKey {
        JsSymmetricKey(self.0.auth_token())
    }

    /// Splits the key into `shares` Shamir shares, any `threshold` of which
    /// recover it.
    pub fn split(
        &self,
        threshold: u8,
        shares: u8,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<Vec<JsShare>> {
        let out = with_rng(rng, |r| self.0.split(threshold, shares, r))?;
        Ok(out.into_iter().map(JsShare).collect())
    }

    /// Constant-time comparison.
    pub fn equals(&self, other: &JsRecoveryKey) -> bool {
        self.0 == other.0
    }
}

/// What `Account.createRecoveryKit` returns.
#[wasm_bindgen]
pub struct RecoveryKit {
    key: RecoveryKey,
    wrap: RecoveryWrap,
}

#[wasm_bindgen]
impl RecoveryKit {
    /// The recovery key (split it, or free it).
    #[wasm_bindgen(getter)]
    pub fn key(&self) -> JsRecoveryKey {
        JsRecoveryKey(self.key.clone())
    }

    /// The 24 words: show them once, never store them.
    #[wasm_bindgen(getter)]
    pub fn words(&self) -> String {
        self.key.to_words().expose_secret().to_owned()
    }

    /// The wrap to upload (replaces any older kit).
    #[wasm_bindgen(getter, unchecked_return_type = "RecoveryWrap")]
    pub fn wrap(&self) -> Result<JsValue> {
        to_js(&self.wrap)
    }
}

/// What `Account.rotateAccountKey` returns.
#[wasm_bindgen]
pub struct RotatedAccount {
    account: UnlockedAccount,
    change: AccountKeyRotation,
}

#[wasm_bindgen]
impl RotatedAccount {
    /// The account, unlocked under the new account key.
    #[wasm_bindgen(getter)]
    pub fn account(&self) -> JsAccount {
        JsAccount(self.account.clone())
    }

    /// The change set to upload in one request.
    #[wasm_bindgen(getter, unchecked_return_type = "AccountKeyRotation")]
    pub fn change(&self) -> Result<JsValue> {
        to_js(&self.change)
    }
}

impl JsAccount {
    fn pin(
        &self,
        device: &str,
        pin: String,
        params: &JsValue,
        max_attempts: u8,
        device_secret: Option<&SymmetricKey>,
        rng: Option<JsRng>,
    ) -> Result<JsPinUnlock> {
        // The JS engine normalises (NFKD): no Unicode tables in the module.
        let pin = crate::password::password(pin)?;
        let device = device_id(device)?;
        let params = self::params(params)?;
        let wrap = with_rng(rng, |r| {
            self.0
                .enable_pin_unlock(device, &pin, params, device_secret, max_attempts, r)
        })?;
        Ok(JsPinUnlock(wrap))
    }

    fn rotate(
        &self,
        current: &JsValue,
        password: String,
        secret_key: Option<&SecretKey>,
        own_wraps: &JsValue,
        policy: &Option<JsValue>,
        rng: Option<JsRng>,
    ) -> Result<RotatedAccount> {
        let password = crate::password::password(password)?;
        let current = self::record(current)?;
        let own: Vec<WrappedVaultKey> = from_js(own_wraps, "own vault key wraps")?;
        let policy = self::policy(policy)?;
        let (account, change) = with_rng(rng, |r| {
            self.0
                .rotate_account_key(&current, &password, secret_key, &policy, &own, r)
        })?;
        Ok(RotatedAccount { account, change })
    }
}

#[wasm_bindgen(js_class = Account)]
impl JsAccount {
    /// Generation of the account key (1 until the first rotation).
    #[wasm_bindgen(getter, js_name = keyGeneration)]
    pub fn key_generation(&self) -> u32 {
        self.0.key_generation()
    }

    /// Enables device quick unlock with a fresh device key (returned: keep
    /// it in the platform's key store) and the wrap to store locally.
    #[wasm_bindgen(js_name = enableDeviceUnlock)]
    pub fn enable_device_unlock(
        &self,
        device: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<DeviceUnlockEnabled> {
        let device = device_id(device)?;
        let (key, wrap) = with_rng(rng, |r| self.0.enable_device_unlock(device, r))?;
        Ok(DeviceUnlockEnabled { key, wrap })
    }

    /// Enables device quick unlock under a device key the app already has.
    #[wasm_bindgen(js_name = deviceUnlockWithKey, unchecked_return_type = "DeviceUnlock")]
    pub fn device_unlock_with_key(
        &self,
        device: &str,
        #[wasm_bindgen(js_name = "deviceKey")] device_key: &JsSymmetricKey,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<JsValue> {
        let device = device_id(device)?;
        to_js(&with_rng(rng, |r| {
            self.0.device_unlock_with_key(device, &device_key.0, r)
        })?)
    }

    /// Unlocks `record` with a device wrap and its device key. A wrap of an
    /// older account key generation throws `stale_wrap` (unlock with the
    /// password and enable it again); a wrong key or device `decrypt`.
    #[wasm_bindgen(js_name = unlockWithDevice)]
    pub fn unlock_with_device(
        #[wasm_bindgen(unchecked_param_type = "DeviceUnlock | string")] wrap: JsValue,
        #[wasm_bindgen(js_name = "deviceKey")] device_key: &JsSymmetricKey,
        #[wasm_bindgen(unchecked_param_type = "EncryptedAccount | string")] record: JsValue,
    ) -> Result<JsAccount> {
        let wrap = device_unlock(&wrap)?;
        let rec = self::record(&record)?;
        Ok(JsAccount(wrap.unlock(&device_key.0, &rec)?))
    }

    /// Enables PIN unlock: Argon2id over the PIN with its own `params`;
    /// `maxAttempts` (1..=100) wrong PINs in a row erase the wrap. Prefer
    /// `enablePinUnlockWithDeviceSecret` where a non-extractable device
    /// secret exists: without one, a copy of the record can be guessed
    /// offline. Slow (Argon2id).
    #[wasm_bindgen(js_name = enablePinUnlock)]
    pub fn enable_pin_unlock(
        &self,
        device: &str,
        pin: String,
        #[wasm_bindgen(unchecked_param_type = "KdfParams")] params: JsValue,
        #[wasm_bindgen(js_name = "maxAttempts")] max_attempts: u8,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<JsPinUnlock> {
        self.pin(device, pin, &params, max_attempts, None, rng)
    }

    /// `enablePinUnlock` with a device secret mixed into the PIN key.
    #[wasm_bindgen(js_name = enablePinUnlockWithDeviceSecret)]
    pub fn enable_pin_unlock_with_device_secret(
        &self,
        device: &str,
        pin: String,
        #[wasm_bindgen(unchecked_param_type = "KdfParams")] params: JsValue,
        #[wasm_bindgen(js_name = "maxAttempts")] max_attempts: u8,
        #[wasm_bindgen(js_name = "deviceSecret")] device_secret: &JsSymmetricKey,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<JsPinUnlock> {
        self.pin(
            device,
            pin,
            &params,
            max_attempts,
            Some(&device_secret.0),
            rng,
        )
    }

    /// Makes a recovery kit: a fresh recovery key, its 24 words and the wrap
    /// to upload.
    #[wasm_bindgen(js_name = createRecoveryKit)]
    pub fn create_recovery_kit(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<RecoveryKit> {
        let (key, wrap) = with_rng(rng, |r| self.0.create_recovery_kit(r))?;
        Ok(RecoveryKit { key, wrap })
    }

    /// Wraps this account key under an existing recovery key.
    #[wasm_bindgen(js_name = recoveryWrap, unchecked_return_type = "RecoveryWrap")]
    pub fn recovery_wrap(
        &self,
        key: &JsRecoveryKey,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<JsValue> {
        to_js(&with_rng(rng, |r| self.0.recovery_wrap(&key.0, r))?)
    }

    /// Opens a recovery wrap with the recovery key and unlocks `record`;
    /// then set a new password with `changePassword`. An older generation's
    /// wrap throws `stale_wrap`, the wrong key `decrypt`.
    pub fn recover(
        #[wasm_bindgen(unchecked_param_type = "RecoveryWrap | string")] wrap: JsValue,
        key: &JsRecoveryKey,
        #[wasm_bindgen(unchecked_param_type = "EncryptedAccount | string")] record: JsValue,
    ) -> Result<JsAccount> {
        let wrap = recovery_wrap(&wrap)?;
        let rec = self::record(&record)?;
        Ok(JsAccount(wrap.recover(&key.0, &rec)?))
    }

    /// `Account.recover` from the kit's 24 words.
    #[wasm_bindgen(js_name = recoverWithWords)]
    pub fn recover_with_words(
        #[wasm_bindgen(unchecked_param_type = "RecoveryWrap | string")] wrap: JsValue,
        words: String,
        #[wasm_bindgen(unchecked_param_type = "EncryptedAccount | string")] record: JsValue,
    ) -> Result<JsAccount> {
        let key = JsRecoveryKey::from_words(words)?;
        Self::recover(wrap, &key, record)
    }

    /// Rotates the account key: `current` is the record the server holds,
    /// `password` must open it, `ownWraps` are all of this account's vault
    /// key wraps. Returns the account under the new key and the change set
    /// to upload in one request. Device, PIN and recovery wraps of the old
    /// generation stop working (`stale_wrap`). Slow (Argon2id).
    #[wasm_bindgen(js_name = rotateAccountKey)]
    pub fn rotate_account_key(
        &self,
        #[wasm_bindgen(unchecked_param_type = "EncryptedAccount | string")] current: JsValue,
        password: String,
        #[wasm_bindgen(
            js_name = "ownWraps",
            unchecked_param_type = "WrappedVaultKey[] | string"
        )]
        own_wraps: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "KdfPolicy")] policy: Option<JsValue>,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<RotatedAccount> {
        self.rotate(&current, password, None, &own_wraps, &policy, rng)
    }

    /// `rotateAccountKey` for an account that uses a Secret Key.
    #[wasm_bindgen(js_name = rotateAccountKeyWithSecretKey)]
    pub fn rotate_account_key_with_secret_key(
        &self,
        #[wasm_bindgen(unchecked_param_type = "EncryptedAccount | string")] current: JsValue,
        password: String,
        #[wasm_bindgen(js_name = "secretKey")] secret_key: &JsSecretKey,
        #[wasm_bindgen(
            js_name = "ownWraps",
            unchecked_param_type = "WrappedVaultKey[] | string"
        )]
        own_wraps: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "KdfPolicy")] policy: Option<JsValue>,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<RotatedAccount> {
        self.rotate(
            &current,
            password,
            Some(&secret_key.0),
            &own_wraps,
            &policy,
            rng,
        )
    }
}
