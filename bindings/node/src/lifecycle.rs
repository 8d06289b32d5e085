//! Account lifecycle: quick unlock with a device key or a PIN, the recovery
//! kit (24 words, a server-stored wrap, Shamir split) and account key
//! rotation (`docs/format.md` §14). The same operations as the FFI's and
//! the wasm binding's `lifecycle`, in this binding's idioms: records are
//! plain objects in their JSON shape, keys are handles, Argon2id work (PIN
//! enable / unlock, rotation) returns a promise and has a `…Sync` twin.
//!
//! Device and PIN wraps stay on the device; the device key / device secret
//! belong in the platform keystore. A PIN unlock counts wrong PINs inside
//! its own record, so `unlockAccountWithPin` never rejects for a failed
//! attempt: it resolves with the updated record (`pinUnlock`), which the app
//! stores after **every** attempt, whatever the outcome.

use crate::account::{UnlockedAccount, record};
use crate::convert::{Opts, from_js, message, parse_id, to_js};
use crate::error::{OrNapi, OrThrow, Result, invalid};
use crate::kdf::{params_opt, policy_opt, secret_key_opt};
use crate::keys::SymmetricKey;
use crate::rng::{Rng, Source, for_task, with_rng};
use crate::shamir::Share;
use crate::task::{IntoJs, Job, spawn};
use napi::bindgen_prelude::{AbortSignal, AsyncTask, Buffer, ClassInstance, Object};
use napi::{Env, Unknown};
use napi_derive::napi;
use vault_core::{
    AccountKeyRotation, DeviceId, DeviceUnlock, EncryptedAccount, KdfParams, KdfPolicy, PinUnlock,
    RecoveryWrap, WrappedVaultKey,
};
use zeroize::Zeroizing;

fn device_id(text: &str) -> Result<DeviceId> {
    parse_id(text)
}

fn device_unlock(env: &Env, value: Unknown<'_>) -> Result<DeviceUnlock> {
    message(env, value, "device unlock", DeviceUnlock::from_json)
}

fn pin_unlock(env: &Env, value: Unknown<'_>) -> Result<PinUnlock> {
    message(env, value, "PIN unlock", PinUnlock::from_json)
}

fn recovery_wrap(env: &Env, value: Unknown<'_>) -> Result<RecoveryWrap> {
    message(env, value, "recovery wrap", RecoveryWrap::from_json)
}

/// The `deviceSecret` member of an options object (a `SymmetricKey` handle).
fn device_secret_opt(opts: &Opts<'_>) -> Result<Option<vault_core::SymmetricKey>> {
    Ok(opts
        .get::<ClassInstance<'_, SymmetricKey>>("deviceSecret")?
        .map(|k| k.inner.clone()))
}

// ------------------------------------------------------------ parsing

/// A fresh random device id (UUID text) for this install: name the device
/// in its device and PIN wraps.
#[napi]
pub fn new_device_id(rng: Option<&mut Rng>) -> Result<String> {
    with_rng(rng, |r| Ok(DeviceId::generate(r).to_string()))
}

/// Validates a stored device unlock (object or JSON text) and returns it as
/// an object: `malformed` for unknown members, `unsupported_version` for a
/// newer layout.
#[napi(ts_return_type = "DeviceUnlock")]
pub fn parse_device_unlock<'e>(
    env: &'e Env,
    #[napi(ts_arg_type = "DeviceUnlock | string")] value: Unknown<'_>,
) -> Result<Unknown<'e>> {
    to_js(env, &device_unlock(env, value)?)
}

/// Validates a stored PIN unlock (object or JSON text) and returns it as an
/// object.
#[napi(ts_return_type = "PinUnlock")]
pub fn parse_pin_unlock<'e>(
    env: &'e Env,
    #[napi(ts_arg_type = "PinUnlock | string")] value: Unknown<'_>,
) -> Result<Unknown<'e>> {
    to_js(env, &pin_unlock(env, value)?)
}

/// Validates a recovery wrap (object or JSON text) and returns it as an
/// object.
#[napi(ts_return_type = "RecoveryWrap")]
pub fn parse_recovery_wrap<'e>(
    env: &'e Env,
    #[napi(ts_arg_type = "RecoveryWrap | string")] value: Unknown<'_>,
) -> Result<Unknown<'e>> {
    to_js(env, &recovery_wrap(env, value)?)
}

/// Validates an account key rotation change set (object or JSON text) and
/// returns it as an object.
#[napi(ts_return_type = "AccountKeyRotation")]
pub fn parse_account_key_rotation<'e>(
    env: &'e Env,
    #[napi(ts_arg_type = "AccountKeyRotation | string")] value: Unknown<'_>,
) -> Result<Unknown<'e>> {
    to_js(
        env,
        &message(
            env,
            value,
            "account key rotation",
            AccountKeyRotation::from_json,
        )?,
    )
}

/// Wrong PINs left before a PIN unlock's wrap is erased (0 once it is).
#[napi]
pub fn pin_remaining_attempts(
    env: &Env,
    #[napi(ts_arg_type = "PinUnlock | string")] pin_unlock_record: Unknown<'_>,
) -> Result<u32> {
    Ok(u32::from(
        pin_unlock(env, pin_unlock_record)?.remaining_attempts(),
    ))
}

// ------------------------------------------------------------ device unlock

/// Unlocks `record` with a device wrap and its device key (no Argon2id). A
/// wrap of an older account key generation throws `stale_wrap` (unlock with
/// the password and enable device unlock again); the wrong key or device
/// `decrypt`.
#[napi]
pub fn unlock_account_with_device(
    env: &Env,
    #[napi(ts_arg_type = "DeviceUnlock | string")] wrap: Unknown<'_>,
    device_key: &SymmetricKey,
    #[napi(ts_arg_type = "EncryptedAccount | string")] record_value: Unknown<'_>,
) -> Result<UnlockedAccount> {
    let wrap = device_unlock(env, wrap)?;
    let rec = record(env, record_value)?;
    Ok(UnlockedAccount {
        inner: wrap.unlock(&device_key.inner, &rec).or_throw()?,
    })
}

// ------------------------------------------------------------ PIN unlock

/// One PIN attempt's outcome and the record to store afterwards.
pub struct PinAttempt {
    record: PinUnlock,
    outcome: vault_core::Result<vault_core::UnlockedAccount>,
}

impl IntoJs for PinAttempt {
    type Js<'e> = Object<'e>;
    fn into_js<'e>(self, env: &'e Env) -> Result<Object<'e>> {
        let mut o = Object::new(env).or_napi()?;
        o.set("ok", self.outcome.is_ok()).or_napi()?;
        match self.outcome {
            Ok(account) => {
                o.set("account", UnlockedAccount { inner: account })
                    .or_napi()?;
            }
            Err(e) => {
                o.set("code", e.code()).or_napi()?;
                o.set("message", e.to_string()).or_napi()?;
            }
        }
        o.set(
            "remainingAttempts",
            u32::from(self.record.remaining_attempts()),
        )
        .or_napi()?;
        o.set("pinUnlock", to_js(env, &self.record)?).or_napi()?;
        Ok(o)
    }
}

struct PinAttemptInput {
    record: PinUnlock,
    pin: Zeroizing<String>,
    account: EncryptedAccount,
    device_secret: Option<vault_core::SymmetricKey>,
    policy: KdfPolicy,
}

fn pin_attempt_input(
    env: &Env,
    pin_unlock_record: Unknown<'_>,
    pin: String,
    account: Unknown<'_>,
    options: Option<Object<'_>>,
) -> Result<(PinAttemptInput, Option<AbortSignal>)> {
    let pin = Zeroizing::new(pin);
    let opts = Opts::new(options);
    let input = PinAttemptInput {
        record: pin_unlock(env, pin_unlock_record)?,
        pin,
        account: record(env, account)?,
        device_secret: device_secret_opt(&opts)?,
        policy: policy_opt(env, &opts)?,
    };
    Ok((input, opts.get::<AbortSignal>("signal")?))
}

fn pin_attempt(mut i: PinAttemptInput) -> PinAttempt {
    let outcome = i
        .record
        .unlock(&i.pin, i.device_secret.as_ref(), &i.account, &i.policy);
    PinAttempt {
        record: i.record,
        outcome,
    }
}

/// Unlocks `record` with the PIN (and `deviceSecret`, if the wrap was made
/// with one) on a worker thread, counting the attempt. Never rejects for a
/// failed attempt: resolves to `{ ok, account?, code?, message?,
/// remainingAttempts, pinUnlock }`, and `pinUnlock`, the updated record, is
/// what to store now, **whatever `ok` is**. Codes: `authentication_failed`
/// (a wrong PIN), `locked_out` (the last allowed wrong PIN erased the wrap,
/// or it was erased before: unlock with the password), `stale_wrap` (an
/// older account key generation), `invalid_argument` (a device secret
/// missing or not expected), `kdf_policy` (the stored PIN params fall
/// outside `policy`, default `kdfPolicy()`). Only malformed inputs throw.
/// Options: `deviceSecret`, `policy`, `signal`.
#[napi(
    ts_args_type = "pinUnlock: PinUnlock | string, pin: string, record: EncryptedAccount | string, options?: { deviceSecret?: SymmetricKey, policy?: KdfPolicy, signal?: AbortSignal }",
    ts_return_type = "Promise<PinUnlockResult>"
)]
pub fn unlock_account_with_pin(
    env: &Env,
    pin_unlock_record: Unknown<'_>,
    pin: String,
    record: Unknown<'_>,
    options: Option<Object<'_>>,
) -> Result<AsyncTask<Job<PinAttempt>>> {
    let (input, signal) = pin_attempt_input(env, pin_unlock_record, pin, record, options)?;
    Ok(spawn(move || Ok(pin_attempt(input)), signal))
}

/// Synchronous twin of `unlockAccountWithPin` (the same result object).
#[napi(
    ts_args_type = "pinUnlock: PinUnlock | string, pin: string, record: EncryptedAccount | string, options?: { deviceSecret?: SymmetricKey, policy?: KdfPolicy }",
    ts_return_type = "PinUnlockResult"
)]
pub fn unlock_account_with_pin_sync<'e>(
    env: &'e Env,
    pin_unlock_record: Unknown<'_>,
    pin: String,
    record: Unknown<'_>,
    options: Option<Object<'_>>,
) -> Result<Object<'e>> {
    let (input, _) = pin_attempt_input(env, pin_unlock_record, pin, record, options)?;
    pin_attempt(input).into_js(env)
}

/// A new PIN unlock record, as the worker's result.
pub struct NewPinUnlock(PinUnlock);

impl IntoJs for NewPinUnlock {
    type Js<'e> = Unknown<'e>;
    fn into_js<'e>(self, env: &'e Env) -> Result<Unknown<'e>> {
        to_js(env, &self.0)
    }
}

struct EnablePinInput {
    account: vault_core::UnlockedAccount,
    device: DeviceId,
    pin: Zeroizing<String>,
    params: KdfParams,
    device_secret: Option<vault_core::SymmetricKey>,
    max_attempts: u8,
    rng: Source,
}

fn enable_pin(mut i: EnablePinInput) -> vault_core::Result<NewPinUnlock> {
    i.account
        .enable_pin_unlock(
            i.device,
            &i.pin,
            i.params,
            i.device_secret.as_ref(),
            i.max_attempts,
            &mut i.rng,
        )
        .map(NewPinUnlock)
}

// ------------------------------------------------------------ recovery

/// The recovery key (32 random bytes, shown once as 24 BIP-39 words), as a
/// handle. Its bytes and words leave native memory only through the
/// explicit `export*` methods.
#[napi]
pub struct RecoveryKey {
    pub(crate) inner: vault_core::RecoveryKey,
}

#[napi]
impl RecoveryKey {
    /// A fresh random recovery key.
    #[napi(factory)]
    pub fn generate(rng: Option<&mut Rng>) -> Result<Self> {
        with_rng(rng, |r| {
            Ok(RecoveryKey {
                inner: vault_core::RecoveryKey::generate(r),
            })
        })
    }

    /// Parses the 24 words (case and spacing do not matter): a word outside
    /// the list or a wrong count throws `malformed`, a typo that swapped one
    /// valid word for another usually `checksum`.
    #[napi(factory)]
    pub fn from_words(words: String) -> Result<Self> {
        let words = Zeroizing::new(words);
        Ok(RecoveryKey {
            inner: vault_core::RecoveryKey::from_words(&words).or_throw()?,
        })
    }

    /// Imports the 32 raw bytes.
    #[napi(factory)]
    pub fn from_bytes(bytes: Buffer) -> Result<Self> {
        let arr: Zeroizing<[u8; 32]> = Zeroizing::new(
            bytes
                .as_ref()
                .try_into()
                .map_err(|_| invalid("a recovery key is 32 bytes"))?,
        );
        Ok(RecoveryKey {
            inner: vault_core::RecoveryKey::from_bytes(*arr),
        })
    }

    /// Joins shares made by `split`; throws `shamir` if they do not hold a
    /// recovery key (too few, mixed or tampered).
    #[napi(factory)]
    pub fn combine(shares: Vec<&Share>) -> Result<Self> {
        let shares: Vec<vault_core::Share> = shares.iter().map(|s| s.inner.clone()).collect();
        Ok(RecoveryKey {
            inner: vault_core::RecoveryKey::combine(&shares).or_throw()?,
        })
    }

    /// The 24 words, separated by single spaces. Explicit export: show them
    /// once, never store them.
    #[napi]
    pub fn export_words(&self) -> String {
        self.inner.to_words().expose_secret().to_owned()
    }

    /// The 32 raw bytes. Explicit export.
    #[napi]
    pub fn export_bytes(&self) -> Buffer {
        Buffer::from(self.inner.expose_secret().to_vec())
    }

    /// The token that proves knowledge of the key to the server (which
    /// keeps only its SHA-256, the wrap's `verifier`).
    #[napi]
    pub fn auth_token(&self) -> SymmetricKey {
        SymmetricKey::from(self.inner.auth_token())
    }

    /// Splits the key into `shares` Shamir shares, any `threshold` of which
    /// recover it (2 <= threshold <= shares <= 255).
    #[napi]
    pub fn split(&self, threshold: u32, shares: u32, rng: Option<&mut Rng>) -> Result<Vec<Share>> {
        let t = u8::try_from(threshold).map_err(|_| invalid("threshold must be 2..=255"))?;
        let n = u8::try_from(shares).map_err(|_| invalid("shares must be 2..=255"))?;
        let out = with_rng(rng, |r| self.inner.split(t, n, r).or_throw())?;
        Ok(out.into_iter().map(Share::from).collect())
    }

    /// Constant-time comparison.
    #[napi]
    pub fn equals(&self, other: &RecoveryKey) -> bool {
        self.inner == other.inner
    }
}

/// Whether `token` is the auth token of the kit `wrap` belongs to
/// (constant-time; what a server checks at recovery login).
#[napi]
pub fn check_recovery_auth_token(
    env: &Env,
    #[napi(ts_arg_type = "RecoveryWrap | string")] wrap: Unknown<'_>,
    token: &SymmetricKey,
) -> Result<bool> {
    Ok(recovery_wrap(env, wrap)?.check_auth_token(&token.inner))
}

/// Opens a recovery wrap with the recovery key and unlocks `record` (no
/// Argon2id); then set a new password with `changePassword`. An older
/// generation's wrap throws `stale_wrap`, the wrong key `decrypt`.
#[napi]
pub fn recover_account(
    env: &Env,
    #[napi(ts_arg_type = "RecoveryWrap | string")] wrap: Unknown<'_>,
    key: &RecoveryKey,
    #[napi(ts_arg_type = "EncryptedAccount | string")] record_value: Unknown<'_>,
) -> Result<UnlockedAccount> {
    let wrap = recovery_wrap(env, wrap)?;
    let rec = record(env, record_value)?;
    Ok(UnlockedAccount {
        inner: wrap.recover(&key.inner, &rec).or_throw()?,
    })
}

/// `recoverAccount` from the kit's 24 words (`malformed` / `checksum` for
/// words that do not parse).
#[napi]
pub fn recover_account_with_words(
    env: &Env,
    #[napi(ts_arg_type = "RecoveryWrap | string")] wrap: Unknown<'_>,
    words: String,
    #[napi(ts_arg_type = "EncryptedAccount | string")] record_value: Unknown<'_>,
) -> Result<UnlockedAccount> {
    let key = RecoveryKey::from_words(words)?;
    recover_account(env, wrap, &key, record_value)
}

// ------------------------------------------------------------ rotation

/// What `rotateAccountKey` resolves to.
pub struct Rotated {
    account: vault_core::UnlockedAccount,
    change: AccountKeyRotation,
}

impl IntoJs for Rotated {
    type Js<'e> = Object<'e>;
    fn into_js<'e>(self, env: &'e Env) -> Result<Object<'e>> {
        let mut o = Object::new(env).or_napi()?;
        o.set(
            "account",
            UnlockedAccount {
                inner: self.account,
            },
        )
        .or_napi()?;
        o.set("change", to_js(env, &self.change)?).or_napi()?;
        Ok(o)
    }
}

struct RotateInput {
    account: vault_core::UnlockedAccount,
    current: EncryptedAccount,
    password: Zeroizing<String>,
    secret_key: Option<vault_core::SecretKey>,
    policy: KdfPolicy,
    own_wraps: Vec<WrappedVaultKey>,
    rng: Source,
}

fn rotate(mut i: RotateInput) -> vault_core::Result<Rotated> {
    let (account, change) = i.account.rotate_account_key(
        &i.current,
        i.password.as_str(),
        i.secret_key.as_ref(),
        &i.policy,
        &i.own_wraps,
        &mut i.rng,
    )?;
    Ok(Rotated { account, change })
}

// ------------------------------------------------------------ account methods

#[napi]
impl UnlockedAccount {
    /// Generation of the account key in memory (1 until the first rotation).
    #[napi(getter)]
    pub fn key_generation(&self) -> u32 {
        self.inner.key_generation()
    }

    /// Enables device quick unlock with a fresh device key: `{ deviceKey,
    /// wrap }`. Keep `deviceKey` in the platform keystore (export its bytes
    /// once for that) and `wrap` beside the app's data; nothing goes to the
    /// server.
    #[napi(ts_return_type = "DeviceUnlockEnabled")]
    pub fn enable_device_unlock<'e>(
        &self,
        env: &'e Env,
        device: String,
        rng: Option<&mut Rng>,
    ) -> Result<Object<'e>> {
        let device = device_id(&device)?;
        let (key, wrap) = with_rng(rng, |r| {
            self.inner.enable_device_unlock(device, r).or_throw()
        })?;
        let mut o = Object::new(env).or_napi()?;
        o.set("deviceKey", SymmetricKey::from(key)).or_napi()?;
        o.set("wrap", to_js(env, &wrap)?).or_napi()?;
        Ok(o)
    }

    /// Enables device quick unlock under a device key the app already has.
    #[napi(ts_return_type = "DeviceUnlock")]
    pub fn device_unlock_with_key<'e>(
        &self,
        env: &'e Env,
        device: String,
        device_key: &SymmetricKey,
        rng: Option<&mut Rng>,
    ) -> Result<Unknown<'e>> {
        let device = device_id(&device)?;
        let wrap = with_rng(rng, |r| {
            self.inner
                .device_unlock_with_key(device, &device_key.inner, r)
                .or_throw()
        })?;
        to_js(env, &wrap)
    }

    fn enable_pin_input(
        &self,
        env: &Env,
        device: &str,
        pin: String,
        max_attempts: u32,
        options: Option<Object<'_>>,
    ) -> Result<(EnablePinInput, Option<AbortSignal>)> {
        let pin = Zeroizing::new(pin);
        let opts = Opts::new(options);
        let mut rng = opts.get::<ClassInstance<'_, Rng>>("rng")?;
        let input = EnablePinInput {
            account: self.inner.clone(),
            device: device_id(device)?,
            pin,
            params: params_opt(env, &opts)?,
            device_secret: device_secret_opt(&opts)?,
            max_attempts: u8::try_from(max_attempts)
                .map_err(|_| invalid("maxAttempts is 1..=100"))?,
            rng: for_task(rng.as_deref_mut())?,
        };
        Ok((input, opts.get::<AbortSignal>("signal")?))
    }

    /// Enables PIN unlock on a worker thread: Argon2id over the PIN with its
    /// own `params` (default `kdfPreset('default')`) and a fresh salt,
    /// optionally mixed with a `deviceSecret` the hardware keystore holds
    /// (strongly advised: without one, a copy of the record can be guessed
    /// offline). `maxAttempts` (1..=100) wrong PINs in a row erase the wrap.
    /// Resolves to the `PinUnlock` record to store on the device. Options:
    /// `params`, `deviceSecret`, `rng`, `signal`.
    #[napi(
        ts_args_type = "device: string, pin: string, maxAttempts: number, options?: { params?: KdfParams, deviceSecret?: SymmetricKey, rng?: Rng, signal?: AbortSignal }",
        ts_return_type = "Promise<PinUnlock>"
    )]
    pub fn enable_pin_unlock(
        &self,
        env: &Env,
        device: String,
        pin: String,
        max_attempts: u32,
        options: Option<Object<'_>>,
    ) -> Result<AsyncTask<Job<NewPinUnlock>>> {
        let (input, signal) = self.enable_pin_input(env, &device, pin, max_attempts, options)?;
        Ok(spawn(move || enable_pin(input), signal))
    }

    /// Synchronous twin of `enablePinUnlock`.
    #[napi(
        ts_args_type = "device: string, pin: string, maxAttempts: number, options?: { params?: KdfParams, deviceSecret?: SymmetricKey, rng?: Rng }",
        ts_return_type = "PinUnlock"
    )]
    pub fn enable_pin_unlock_sync<'e>(
        &self,
        env: &'e Env,
        device: String,
        pin: String,
        max_attempts: u32,
        options: Option<Object<'_>>,
    ) -> Result<Unknown<'e>> {
        let (input, _) = self.enable_pin_input(env, &device, pin, max_attempts, options)?;
        enable_pin(input).or_throw()?.into_js(env)
    }

    /// Makes a recovery kit: `{ key, words, wrap }`, a fresh recovery key,
    /// its 24 words (show them once, never store them) and the wrap to
    /// upload (it replaces any older kit).
    #[napi(ts_return_type = "RecoveryKit")]
    pub fn create_recovery_kit<'e>(
        &self,
        env: &'e Env,
        rng: Option<&mut Rng>,
    ) -> Result<Object<'e>> {
        let (key, wrap) = with_rng(rng, |r| self.inner.create_recovery_kit(r).or_throw())?;
        let words = key.to_words();
        let mut o = Object::new(env).or_napi()?;
        o.set("words", words.expose_secret()).or_napi()?;
        o.set("key", RecoveryKey { inner: key }).or_napi()?;
        o.set("wrap", to_js(env, &wrap)?).or_napi()?;
        Ok(o)
    }

    /// Wraps this account key under an existing recovery key (again after a
    /// rotation, or from combined shares).
    #[napi(ts_return_type = "RecoveryWrap")]
    pub fn recovery_wrap<'e>(
        &self,
        env: &'e Env,
        key: &RecoveryKey,
        rng: Option<&mut Rng>,
    ) -> Result<Unknown<'e>> {
        let wrap = with_rng(rng, |r| self.inner.recovery_wrap(&key.inner, r).or_throw())?;
        to_js(env, &wrap)
    }

    fn rotate_input(
        &self,
        env: &Env,
        current: Unknown<'_>,
        password: String,
        own_wraps: Unknown<'_>,
        options: Option<Object<'_>>,
    ) -> Result<(RotateInput, Option<AbortSignal>)> {
        let password = Zeroizing::new(password);
        let opts = Opts::new(options);
        let mut rng = opts.get::<ClassInstance<'_, Rng>>("rng")?;
        let input = RotateInput {
            account: self.inner.clone(),
            current: record(env, current)?,
            password,
            secret_key: secret_key_opt(&opts)?,
            policy: policy_opt(env, &opts)?,
            own_wraps: from_js(env, own_wraps, "own vault key wraps")?,
            rng: for_task(rng.as_deref_mut())?,
        };
        Ok((input, opts.get::<AbortSignal>("signal")?))
    }

    /// Rotates the account key on a worker thread: `current` is the record
    /// the server holds, `password` (and `secretKey`, if the account has
    /// one) must open it, `ownWraps` are all of this account's
    /// `WrappedVaultKey`s (every vault and key version). Resolves to `{
    /// account, change }`: the account under the new key and the change set
    /// to upload in one request. Device, PIN and recovery wraps of the old
    /// generation stop working (`stale_wrap`). A wrong password rejects
    /// with `authentication_failed`, a record that is not this account's
    /// current one with `stale_wrap`. Options: `secretKey`, `policy`
    /// (default `kdfPolicy()`), `rng`, `signal`.
    #[napi(
        ts_args_type = "current: EncryptedAccount | string, password: string, ownWraps: WrappedVaultKey[], options?: { secretKey?: SecretKey, policy?: KdfPolicy, rng?: Rng, signal?: AbortSignal }",
        ts_return_type = "Promise<RotatedAccount>"
    )]
    pub fn rotate_account_key(
        &self,
        env: &Env,
        current: Unknown<'_>,
        password: String,
        own_wraps: Unknown<'_>,
        options: Option<Object<'_>>,
    ) -> Result<AsyncTask<Job<Rotated>>> {
        let (input, signal) = self.rotate_input(env, current, password, own_wraps, options)?;
        Ok(spawn(move || rotate(input), signal))
    }

    /// Synchronous twin of `rotateAccountKey`.
    #[napi(
        ts_args_type = "current: EncryptedAccount | string, password: string, ownWraps: WrappedVaultKey[], options?: { secretKey?: SecretKey, policy?: KdfPolicy, rng?: Rng }",
        ts_return_type = "RotatedAccount"
    )]
    pub fn rotate_account_key_sync<'e>(
        &self,
        env: &'e Env,
        current: Unknown<'_>,
        password: String,
        own_wraps: Unknown<'_>,
        options: Option<Object<'_>>,
    ) -> Result<Object<'e>> {
        let (input, _) = self.rotate_input(env, current, password, own_wraps, options)?;
        rotate(input).or_throw()?.into_js(env)
    }
}
