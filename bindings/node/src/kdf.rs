//! Password stretching: presets, the floor/ceiling policy for parameters
//! that come from a server, and Argon2id + HKDF off the event loop.

use crate::convert::{Opts, from_js, to_js};
use crate::error::{OrThrow, Result, invalid, malformed};
use crate::keys::{SecretKey, SymmetricKey};
use crate::task::{IntoJs, Job, spawn};
use napi::bindgen_prelude::{AbortSignal, AsyncTask, ClassInstance, Object};
use napi::{Env, Unknown};
use napi_derive::napi;
use vault_core::{KdfConfig, KdfParams, KdfPolicy, KdfSalt};
use zeroize::Zeroizing;

/// The `policy` member of an options object, or the default policy.
pub(crate) fn policy_opt(env: &Env, opts: &Opts<'_>) -> Result<KdfPolicy> {
    Ok(opts
        .get_de::<KdfPolicy>(env, "policy", "KDF policy")?
        .unwrap_or_default())
}

/// The `secretKey` member of an options object (a `SecretKey` handle).
pub(crate) fn secret_key_opt(opts: &Opts<'_>) -> Result<Option<vault_core::SecretKey>> {
    Ok(opts
        .get::<ClassInstance<'_, SecretKey>>("secretKey")?
        .map(|sk| sk.inner.clone()))
}

/// The `params` member of an options object, or `KdfParams.DEFAULT`.
pub(crate) fn params_opt(env: &Env, opts: &Opts<'_>) -> Result<KdfParams> {
    Ok(opts
        .get_de::<KdfParams>(env, "params", "KDF params")?
        .unwrap_or_default())
}

/// Argon2id parameters of a preset: `"default"` (64 MiB, t=3, p=4, for new
/// accounts), `"constrained"` (32 MiB, t=4, p=2) or `"sensitive"` (256 MiB,
/// t=4, p=4).
#[napi(ts_return_type = "KdfParams")]
pub fn kdf_preset(env: &Env, name: String) -> Result<Unknown<'_>> {
    to_js(env, &KdfParams::preset(&name).or_throw()?)
}

/// A KDF policy: `"default"` (floor 19 MiB / t=2, ceiling 1 GiB / t=10 /
/// p=16; what clients should use for parameters from a server) or
/// `"permissive_test_only"` (anything Argon2 can run; tests only).
#[napi(
    ts_args_type = "name?: 'default' | 'permissive_test_only'",
    ts_return_type = "KdfPolicy"
)]
pub fn kdf_policy(env: &Env, name: Option<String>) -> Result<Unknown<'_>> {
    let p = match name.as_deref() {
        None => KdfPolicy::default(),
        Some(name) => KdfPolicy::named(name).or_throw()?,
    };
    to_js(env, &p)
}

/// Checks parameters (e.g. from a pre-login answer) against a policy
/// (default: `kdfPolicy()`); throws `kdf_policy` when they fall outside it.
#[napi]
pub fn check_kdf_params(
    env: &Env,
    #[napi(ts_arg_type = "KdfParams")] params: Unknown<'_>,
    #[napi(ts_arg_type = "KdfPolicy")] policy: Option<Unknown<'_>>,
) -> Result<()> {
    let params: KdfParams = from_js(env, params, "KDF params")?;
    let policy = match policy {
        Some(p) => from_js::<KdfPolicy>(env, p, "KDF policy")?,
        None => KdfPolicy::default(),
    };
    policy.check(&params).or_throw()
}

/// A fresh random KDF salt (base64url), for a new account's `KdfConfig`.
#[napi]
pub fn generate_kdf_salt(rng: Option<&mut crate::rng::Rng>) -> Result<String> {
    crate::rng::with_rng(rng, |r| {
        let salt = KdfSalt::generate(r);
        serde_json::to_value(salt)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .ok_or_else(|| invalid("salt encoding"))
    })
}

/// The auth key and master KEK derived from a password.
#[napi]
pub struct MasterKeys {
    inner: vault_core::MasterKeys,
}

#[napi]
impl MasterKeys {
    /// The auth key: the password input of SRP-6a / OPAQUE. Never stored.
    #[napi(getter)]
    pub fn auth_key(&self) -> SymmetricKey {
        SymmetricKey::from(self.inner.auth_key.clone())
    }
    /// The master KEK: wraps the account key. Never leaves the device.
    #[napi(getter)]
    pub fn kek(&self) -> SymmetricKey {
        SymmetricKey::from(self.inner.kek.clone())
    }
}

impl IntoJs for vault_core::MasterKeys {
    type Js<'e> = MasterKeys;
    fn into_js(self, _env: &Env) -> Result<MasterKeys> {
        Ok(MasterKeys { inner: self })
    }
}

impl IntoJs for vault_core::SymmetricKey {
    type Js<'e> = SymmetricKey;
    fn into_js(self, _env: &Env) -> Result<SymmetricKey> {
        Ok(SymmetricKey::from(self))
    }
}

struct DeriveInput {
    password: Zeroizing<String>,
    config: KdfConfig,
    secret_key: Option<vault_core::SecretKey>,
    policy: KdfPolicy,
}

fn derive_input(
    env: &Env,
    password: String,
    config: Unknown<'_>,
    options: Option<Object<'_>>,
) -> Result<(DeriveInput, Option<AbortSignal>)> {
    let opts = Opts::new(options);
    let input = DeriveInput {
        password: Zeroizing::new(password),
        config: from_js(env, config, "KDF config")?,
        secret_key: secret_key_opt(&opts)?,
        policy: policy_opt(env, &opts)?,
    };
    Ok((input, opts.get::<AbortSignal>("signal")?))
}

fn derive(i: &DeriveInput) -> vault_core::Result<vault_core::MasterKeys> {
    vault_core::kdf::derive_master_keys(&i.password, i.secret_key.as_ref(), &i.config, &i.policy)
}

/// Derives the auth key and master KEK (Argon2id, then HKDF) on a worker
/// thread. Options: `secretKey` (two-secret derivation), `policy` (default
/// `kdfPolicy()`: the config's params are checked first, since they come
/// from a server), `signal` (an `AbortSignal`).
#[napi(
    ts_args_type = "password: string, config: KdfConfig, options?: { secretKey?: SecretKey, policy?: KdfPolicy, signal?: AbortSignal }",
    ts_return_type = "Promise<MasterKeys>"
)]
pub fn derive_master_keys(
    env: &Env,
    password: String,
    config: Unknown<'_>,
    options: Option<Object<'_>>,
) -> Result<AsyncTask<Job<vault_core::MasterKeys>>> {
    let (input, signal) = derive_input(env, password, config, options)?;
    Ok(spawn(move || derive(&input), signal))
}

/// Synchronous twin of `deriveMasterKeys` (blocks the event loop for the
/// whole Argon2id run: use it in scripts and workers only).
#[napi(
    ts_args_type = "password: string, config: KdfConfig, options?: { secretKey?: SecretKey, policy?: KdfPolicy }"
)]
pub fn derive_master_keys_sync(
    env: &Env,
    password: String,
    config: Unknown<'_>,
    options: Option<Object<'_>>,
) -> Result<MasterKeys> {
    let (input, _) = derive_input(env, password, config, options)?;
    Ok(MasterKeys {
        inner: derive(&input).or_throw()?,
    })
}

/// Argon2id alone (`password` NFKD-normalised) to 32 bytes, on a worker
/// thread. No policy check: the caller chose `config`.
#[napi(
    ts_args_type = "password: string, config: KdfConfig, options?: { signal?: AbortSignal }",
    ts_return_type = "Promise<SymmetricKey>"
)]
pub fn stretch(
    env: &Env,
    password: String,
    config: Unknown<'_>,
    options: Option<Object<'_>>,
) -> Result<AsyncTask<Job<vault_core::SymmetricKey>>> {
    let opts = Opts::new(options);
    let config: KdfConfig = from_js(env, config, "KDF config")?;
    let password = Zeroizing::new(password);
    Ok(spawn(
        move || vault_core::kdf::stretch(&password, &config.salt, &config.params),
        opts.get::<AbortSignal>("signal")?,
    ))
}

/// Synchronous twin of `stretch`.
#[napi(ts_args_type = "password: string, config: KdfConfig")]
pub fn stretch_sync(env: &Env, password: String, config: Unknown<'_>) -> Result<SymmetricKey> {
    let config: KdfConfig = from_js(env, config, "KDF config")?;
    let password = Zeroizing::new(password);
    Ok(SymmetricKey::from(
        vault_core::kdf::stretch(&password, &config.salt, &config.params).or_throw()?,
    ))
}

/// The HKDF half of `deriveMasterKeys`, for a caller that already ran
/// Argon2id: `salt` is the account's KDF salt (base64url).
#[napi]
pub fn master_keys_from_stretched(
    env: &Env,
    stretched: &SymmetricKey,
    #[napi(ts_arg_type = "string")] salt: Unknown<'_>,
    secret_key: Option<&SecretKey>,
) -> Result<MasterKeys> {
    let salt: KdfSalt = from_js(env, salt, "KDF salt").map_err(|_| malformed("KDF salt"))?;
    Ok(MasterKeys {
        inner: vault_core::kdf::master_keys_from_stretched(
            &stretched.inner,
            secret_key.map(|s| &s.inner),
            &salt,
        ),
    })
}
