//! Accounts: creation, offline unlock (Argon2id off the event loop), password
//! change by re-wrapping, and the account-level operations (vaults, grants).

use crate::convert::{Opts, from_js, message, to_js};
use crate::error::{OrNapi, OrThrow, Result};
use crate::kdf::{params_opt, policy_opt, secret_key_opt};
use crate::keys::SymmetricKey;
use crate::rng::{Rng, Source, for_task, with_rng};
use crate::task::{IntoJs, Job, spawn};
use crate::vault::VaultKey;
use napi::bindgen_prelude::{AbortSignal, AsyncTask, ClassInstance, Object};
use napi::{Env, Unknown};
use napi_derive::napi;
use vault_core::{EncryptedAccount, KdfParams, PublicIdentity, Role, VaultGrant, VaultMeta};
use zeroize::Zeroizing;

/// An account record (`EncryptedAccount`) given as an object or JSON text,
/// parsed exactly like the core's `EncryptedAccount::from_json`.
pub(crate) fn record(env: &Env, value: Unknown<'_>) -> Result<EncryptedAccount> {
    message(env, value, "account record", EncryptedAccount::from_json)
}

/// A public identity object.
pub(crate) fn identity(env: &Env, value: Unknown<'_>) -> Result<PublicIdentity> {
    from_js(env, value, "public identity")
}

/// An unlocked account: the account key and identity keys, in native memory.
#[napi]
pub struct UnlockedAccount {
    pub(crate) inner: vault_core::UnlockedAccount,
}

/// A new account, or a password change: what to upload and the auth key.
pub struct Credentials {
    account: Option<vault_core::UnlockedAccount>,
    creds: vault_core::NewCredentials,
}

impl IntoJs for Credentials {
    type Js<'e> = Object<'e>;
    fn into_js<'e>(self, env: &'e Env) -> Result<Object<'e>> {
        let mut o = Object::new(env).or_napi()?;
        if let Some(account) = self.account {
            o.set("account", UnlockedAccount { inner: account })
                .or_napi()?;
        }
        o.set("encrypted", to_js(env, &self.creds.encrypted)?)
            .or_napi()?;
        o.set("authKey", SymmetricKey::from(self.creds.auth_key.clone()))
            .or_napi()?;
        Ok(o)
    }
}

impl IntoJs for vault_core::UnlockedAccount {
    type Js<'e> = UnlockedAccount;
    fn into_js(self, _env: &Env) -> Result<UnlockedAccount> {
        Ok(UnlockedAccount { inner: self })
    }
}

struct CreateInput {
    password: Zeroizing<String>,
    secret_key: Option<vault_core::SecretKey>,
    params: KdfParams,
    rng: Source,
}

fn create_input(
    env: &Env,
    password: String,
    options: Option<Object<'_>>,
) -> Result<(CreateInput, Option<AbortSignal>)> {
    let opts = Opts::new(options);
    let mut rng = opts.get::<ClassInstance<'_, Rng>>("rng")?;
    let input = CreateInput {
        password: Zeroizing::new(password),
        secret_key: secret_key_opt(&opts)?,
        params: params_opt(env, &opts)?,
        rng: for_task(rng.as_deref_mut())?,
    };
    Ok((input, opts.get::<AbortSignal>("signal")?))
}

fn create(mut i: CreateInput) -> vault_core::Result<Credentials> {
    let (account, creds) = vault_core::UnlockedAccount::create(
        &i.password,
        i.secret_key.as_ref(),
        i.params,
        &mut i.rng,
    )?;
    Ok(Credentials {
        account: Some(account),
        creds,
    })
}

/// Creates an account (fresh keys, wrapped under the password) on a worker
/// thread. Resolves to `{ account, encrypted, authKey }`: upload
/// `encrypted`, feed `authKey` to SRP/OPAQUE registration, keep `account`.
/// Options: `params` (default `kdfPreset('default')`), `secretKey`, `rng`,
/// `signal`.
#[napi(
    ts_args_type = "password: string, options?: { params?: KdfParams, secretKey?: SecretKey, rng?: Rng, signal?: AbortSignal }",
    ts_return_type = "Promise<NewAccount>"
)]
pub fn create_account(
    env: &Env,
    password: String,
    options: Option<Object<'_>>,
) -> Result<AsyncTask<Job<Credentials>>> {
    let (input, signal) = create_input(env, password, options)?;
    Ok(spawn(move || create(input), signal))
}

/// Synchronous twin of `createAccount`.
#[napi(
    ts_args_type = "password: string, options?: { params?: KdfParams, secretKey?: SecretKey, rng?: Rng }",
    ts_return_type = "NewAccount"
)]
pub fn create_account_sync<'e>(
    env: &'e Env,
    password: String,
    options: Option<Object<'_>>,
) -> Result<Object<'e>> {
    let (input, _) = create_input(env, password, options)?;
    create(input).or_throw()?.into_js(env)
}

struct UnlockInput {
    record: EncryptedAccount,
    password: Zeroizing<String>,
    secret_key: Option<vault_core::SecretKey>,
    policy: vault_core::KdfPolicy,
}

fn unlock_input(
    env: &Env,
    record_value: Unknown<'_>,
    password: String,
    options: Option<Object<'_>>,
) -> Result<(UnlockInput, Option<AbortSignal>)> {
    let opts = Opts::new(options);
    let input = UnlockInput {
        record: record(env, record_value)?,
        password: Zeroizing::new(password),
        secret_key: secret_key_opt(&opts)?,
        policy: policy_opt(env, &opts)?,
    };
    Ok((input, opts.get::<AbortSignal>("signal")?))
}

fn unlock(i: &UnlockInput) -> vault_core::Result<vault_core::UnlockedAccount> {
    i.record
        .unlock(&i.password, i.secret_key.as_ref(), &i.policy)
}

/// Unlocks an account record with the password, offline, on a worker thread.
/// The record's KDF params are checked against `policy` first (default
/// `kdfPolicy()`), since the record came from a server. A wrong password
/// rejects with `decrypt`. Options: `secretKey`, `policy`, `signal`.
#[napi(
    ts_args_type = "record: EncryptedAccount | string, password: string, options?: { secretKey?: SecretKey, policy?: KdfPolicy, signal?: AbortSignal }",
    ts_return_type = "Promise<UnlockedAccount>"
)]
pub fn unlock_account(
    env: &Env,
    record: Unknown<'_>,
    password: String,
    options: Option<Object<'_>>,
) -> Result<AsyncTask<Job<vault_core::UnlockedAccount>>> {
    let (input, signal) = unlock_input(env, record, password, options)?;
    Ok(spawn(move || unlock(&input), signal))
}

/// Synchronous twin of `unlockAccount`.
#[napi(
    ts_args_type = "record: EncryptedAccount | string, password: string, options?: { secretKey?: SecretKey, policy?: KdfPolicy }"
)]
pub fn unlock_account_sync(
    env: &Env,
    record: Unknown<'_>,
    password: String,
    options: Option<Object<'_>>,
) -> Result<UnlockedAccount> {
    let (input, _) = unlock_input(env, record, password, options)?;
    Ok(UnlockedAccount {
        inner: unlock(&input).or_throw()?,
    })
}

/// Unlocks with an already-derived master KEK (from `deriveMasterKeys`).
#[napi]
pub fn unlock_account_with_kek(
    env: &Env,
    #[napi(ts_arg_type = "EncryptedAccount | string")] record_value: Unknown<'_>,
    kek: &SymmetricKey,
) -> Result<UnlockedAccount> {
    Ok(UnlockedAccount {
        inner: record(env, record_value)?
            .unlock_with_kek(&kek.inner)
            .or_throw()?,
    })
}

/// Unlocks with the account key itself (quick unlock from the OS keychain,
/// recovery).
#[napi]
pub fn unlock_account_with_account_key(
    env: &Env,
    #[napi(ts_arg_type = "EncryptedAccount | string")] record_value: Unknown<'_>,
    account_key: &SymmetricKey,
) -> Result<UnlockedAccount> {
    Ok(UnlockedAccount {
        inner: record(env, record_value)?
            .unlock_with_account_key(account_key.inner.clone())
            .or_throw()?,
    })
}

/// Validates an account record (object or JSON text) the way unlock would
/// parse it and returns it as an object: `malformed` for unknown members,
/// `unsupported_version` for a newer record.
#[napi(ts_return_type = "EncryptedAccount")]
pub fn parse_account_record<'e>(
    env: &'e Env,
    #[napi(ts_arg_type = "EncryptedAccount | string")] value: Unknown<'_>,
) -> Result<Unknown<'e>> {
    to_js(env, &record(env, value)?)
}

struct ChangeInput {
    account: vault_core::UnlockedAccount,
    current: EncryptedAccount,
    password: Zeroizing<String>,
    secret_key: Option<vault_core::SecretKey>,
    params: KdfParams,
    rng: Source,
}

fn change(mut i: ChangeInput) -> vault_core::Result<Credentials> {
    let creds = i.account.change_password(
        &i.current,
        &i.password,
        i.secret_key.as_ref(),
        i.params,
        &mut i.rng,
    )?;
    Ok(Credentials {
        account: None,
        creds,
    })
}

#[napi]
impl UnlockedAccount {
    /// The account id (UUID text).
    #[napi(getter)]
    pub fn account_id(&self) -> String {
        self.inner.account_id().to_string()
    }

    /// The self-signed public identity to publish in the directory.
    #[napi(ts_return_type = "PublicIdentity")]
    pub fn public_identity<'e>(&self, env: &'e Env) -> Result<Unknown<'e>> {
        to_js(env, self.inner.public_identity())
    }

    /// The identity fingerprint (six groups of five digits) to compare out of
    /// band before sharing with someone new.
    #[napi(getter)]
    pub fn fingerprint(&self) -> String {
        self.inner.fingerprint()
    }

    /// The account key, as a handle. Explicit export (recovery kits, quick
    /// unlock through the OS keychain).
    #[napi]
    pub fn export_account_key(&self) -> SymmetricKey {
        SymmetricKey::from(self.inner.account_key().clone())
    }

    fn change_input(
        &self,
        env: &Env,
        current: Unknown<'_>,
        new_password: String,
        options: Option<Object<'_>>,
    ) -> Result<(ChangeInput, Option<AbortSignal>)> {
        let opts = Opts::new(options);
        let mut rng = opts.get::<ClassInstance<'_, Rng>>("rng")?;
        let input = ChangeInput {
            account: self.inner.clone(),
            current: record(env, current)?,
            password: Zeroizing::new(new_password),
            secret_key: secret_key_opt(&opts)?,
            params: params_opt(env, &opts)?,
            rng: for_task(rng.as_deref_mut())?,
        };
        Ok((input, opts.get::<AbortSignal>("signal")?))
    }

    /// Changes the password on a worker thread: a new salt (and params), the
    /// same account key re-wrapped; no vault or item changes. Resolves to
    /// `{ encrypted, authKey }`: upload the record together with the new SRP
    /// verifier / OPAQUE record. Options: `params` (default
    /// `kdfPreset('default')`), `secretKey`, `rng`, `signal`.
    #[napi(
        ts_args_type = "current: EncryptedAccount | string, newPassword: string, options?: { params?: KdfParams, secretKey?: SecretKey, rng?: Rng, signal?: AbortSignal }",
        ts_return_type = "Promise<NewCredentials>"
    )]
    pub fn change_password(
        &self,
        env: &Env,
        current: Unknown<'_>,
        new_password: String,
        options: Option<Object<'_>>,
    ) -> Result<AsyncTask<Job<Credentials>>> {
        let (input, signal) = self.change_input(env, current, new_password, options)?;
        Ok(spawn(move || change(input), signal))
    }

    /// Synchronous twin of `changePassword`.
    #[napi(
        ts_args_type = "current: EncryptedAccount | string, newPassword: string, options?: { params?: KdfParams, secretKey?: SecretKey, rng?: Rng }",
        ts_return_type = "NewCredentials"
    )]
    pub fn change_password_sync<'e>(
        &self,
        env: &'e Env,
        current: Unknown<'_>,
        new_password: String,
        options: Option<Object<'_>>,
    ) -> Result<Object<'e>> {
        let (input, _) = self.change_input(env, current, new_password, options)?;
        change(input).or_throw()?.into_js(env)
    }

    /// Creates a vault: a fresh id and key, the sealed metadata, and the key
    /// wrapped for this account. Returns `{ vaultKey, vault, wrapped }`.
    #[napi(ts_return_type = "NewVault")]
    pub fn create_vault<'e>(
        &self,
        env: &'e Env,
        #[napi(ts_arg_type = "VaultMeta")] meta: Unknown<'_>,
        rng: Option<&mut Rng>,
    ) -> Result<Object<'e>> {
        let meta: VaultMeta = from_js(env, meta, "vault meta")?;
        let (key, vault, wrapped) =
            with_rng(rng, |r| self.inner.create_vault(&meta, r).or_throw())?;
        let mut o = Object::new(env).or_napi()?;
        o.set("vaultKey", VaultKey::from(key)).or_napi()?;
        o.set("vault", to_js(env, &vault)?).or_napi()?;
        o.set("wrapped", to_js(env, &wrapped)?).or_napi()?;
        Ok(o)
    }

    /// Wraps a vault key under this account's key (own vaults, accepted grants).
    #[napi(ts_return_type = "WrappedVaultKey")]
    pub fn wrap_vault_key<'e>(
        &self,
        env: &'e Env,
        key: &VaultKey,
        rng: Option<&mut Rng>,
    ) -> Result<Unknown<'e>> {
        let w = with_rng(rng, |r| self.inner.wrap_vault_key(&key.inner, r).or_throw())?;
        to_js(env, &w)
    }

    /// Unwraps a vault key wrapped for this account.
    #[napi]
    pub fn unwrap_vault_key(
        &self,
        env: &Env,
        #[napi(ts_arg_type = "WrappedVaultKey")] wrapped: Unknown<'_>,
    ) -> Result<VaultKey> {
        let w = from_js(env, wrapped, "wrapped vault key")?;
        Ok(VaultKey::from(self.inner.unwrap_vault_key(&w).or_throw()?))
    }

    /// Grants a vault key to `recipient` (their public identity) with `role`:
    /// HPKE-sealed to their X25519 key and signed with this account's
    /// Ed25519 key. Compare fingerprints out of band first.
    #[napi(ts_return_type = "VaultGrant")]
    pub fn grant_vault<'e>(
        &self,
        env: &'e Env,
        key: &VaultKey,
        #[napi(ts_arg_type = "PublicIdentity")] recipient: Unknown<'_>,
        #[napi(ts_arg_type = "Role")] role: Unknown<'_>,
        rng: Option<&mut Rng>,
    ) -> Result<Unknown<'e>> {
        let recipient = identity(env, recipient)?;
        let role: Role = from_js(env, role, "role")?;
        let g = with_rng(rng, |r| {
            self.inner
                .grant_vault(&key.inner, &recipient, role, r)
                .or_throw()
        })?;
        to_js(env, &g)
    }

    /// Verifies a grant addressed to this account against the sender's
    /// public identity, then opens it: the vault key.
    #[napi]
    pub fn open_grant(
        &self,
        env: &Env,
        #[napi(ts_arg_type = "VaultGrant | string")] grant: Unknown<'_>,
        #[napi(ts_arg_type = "PublicIdentity")] sender: Unknown<'_>,
    ) -> Result<VaultKey> {
        let grant = message(env, grant, "grant", VaultGrant::from_json)?;
        let sender = identity(env, sender)?;
        Ok(VaultKey::from(
            self.inner.open_grant(&grant, &sender).or_throw()?,
        ))
    }
}
