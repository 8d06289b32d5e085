//! Password stretching: Argon2id parameters, presets, the client's policy for
//! parameters that come from a server, and the derived auth key and KEK.

use crate::error::{Result, malformed};
use crate::keys::SymmetricKey;
use crate::secret_key::SecretKey;
use std::sync::Arc;

/// Argon2id parameters (version 0x13). The field defaults are the `default`
/// preset (64 MiB, t=3, p=4).
#[derive(uniffi::Record, Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB (`m`).
    #[uniffi(default = 65536)]
    pub memory_kib: u32,
    /// Passes over memory (`t`).
    #[uniffi(default = 3)]
    pub iterations: u32,
    /// Lanes (`p`).
    #[uniffi(default = 4)]
    pub parallelism: u32,
}

impl From<vault_core::KdfParams> for KdfParams {
    fn from(p: vault_core::KdfParams) -> Self {
        KdfParams {
            memory_kib: p.memory_kib,
            iterations: p.iterations,
            parallelism: p.parallelism,
        }
    }
}

impl From<KdfParams> for vault_core::KdfParams {
    fn from(p: KdfParams) -> Self {
        vault_core::KdfParams {
            memory_kib: p.memory_kib,
            iterations: p.iterations,
            parallelism: p.parallelism,
        }
    }
}

/// Floor and ceiling for KDF parameters received from a server. The field
/// defaults are the default policy (floor 19 MiB / t=2, ceiling 1 GiB / t=10 / p=16).
#[derive(uniffi::Record, Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfPolicy {
    /// Least memory accepted (KiB).
    #[uniffi(default = 19456)]
    pub min_memory_kib: u32,
    /// Most memory accepted (KiB).
    #[uniffi(default = 1048576)]
    pub max_memory_kib: u32,
    /// Fewest passes accepted.
    #[uniffi(default = 2)]
    pub min_iterations: u32,
    /// Most passes accepted.
    #[uniffi(default = 10)]
    pub max_iterations: u32,
    /// Most lanes accepted.
    #[uniffi(default = 16)]
    pub max_parallelism: u32,
}

impl From<vault_core::KdfPolicy> for KdfPolicy {
    fn from(p: vault_core::KdfPolicy) -> Self {
        KdfPolicy {
            min_memory_kib: p.min_memory_kib,
            max_memory_kib: p.max_memory_kib,
            min_iterations: p.min_iterations,
            max_iterations: p.max_iterations,
            max_parallelism: p.max_parallelism,
        }
    }
}

impl From<KdfPolicy> for vault_core::KdfPolicy {
    fn from(p: KdfPolicy) -> Self {
        vault_core::KdfPolicy {
            min_memory_kib: p.min_memory_kib,
            max_memory_kib: p.max_memory_kib,
            min_iterations: p.min_iterations,
            max_iterations: p.max_iterations,
            max_parallelism: p.max_parallelism,
        }
    }
}

#[uniffi::export]
impl KdfPolicy {
    /// Rejects parameters outside the floor and ceiling (error code `kdf_policy`).
    pub fn check(&self, params: KdfParams) -> Result<()> {
        Ok(vault_core::KdfPolicy::from(*self).check(&params.into())?)
    }
}

/// Everything public a client needs to re-derive its keys: params and the
/// per-account 16-byte salt.
#[derive(uniffi::Record, Clone, Debug, PartialEq, Eq)]
pub struct KdfConfig {
    /// Argon2id parameters.
    pub params: KdfParams,
    /// The account's KDF salt (16 bytes, public).
    pub salt: Vec<u8>,
}

impl From<vault_core::KdfConfig> for KdfConfig {
    fn from(c: vault_core::KdfConfig) -> Self {
        KdfConfig {
            params: c.params.into(),
            salt: c.salt.0.to_vec(),
        }
    }
}

impl TryFrom<&KdfConfig> for vault_core::KdfConfig {
    type Error = crate::error::VaultError;
    fn try_from(c: &KdfConfig) -> Result<Self> {
        Ok(vault_core::KdfConfig {
            params: c.params.into(),
            salt: salt(&c.salt)?,
        })
    }
}

pub(crate) fn salt(bytes: &[u8]) -> Result<vault_core::KdfSalt> {
    let s: [u8; 16] = bytes
        .try_into()
        .map_err(|_| malformed("KDF salt", "a salt is 16 bytes"))?;
    Ok(vault_core::KdfSalt(s))
}

/// The two keys derived from a password.
#[derive(uniffi::Record, Clone, Debug)]
pub struct MasterKeys {
    /// Password input of SRP-6a / OPAQUE registration and login. Never store it.
    pub auth_key: Arc<SymmetricKey>,
    /// Wraps the account key. Never leaves the device.
    pub kek: Arc<SymmetricKey>,
}

impl From<vault_core::MasterKeys> for MasterKeys {
    fn from(m: vault_core::MasterKeys) -> Self {
        MasterKeys {
            auth_key: SymmetricKey::wrap(m.auth_key),
            kek: SymmetricKey::wrap(m.kek),
        }
    }
}

/// The `default` preset: 64 MiB, t=3, p=4, for new accounts on every platform.
#[uniffi::export]
pub fn kdf_params_default() -> KdfParams {
    vault_core::KdfParams::DEFAULT.into()
}

/// The `constrained` preset: 32 MiB, t=4, p=2, for old phones and memory-tight
/// extensions.
#[uniffi::export]
pub fn kdf_params_constrained() -> KdfParams {
    vault_core::KdfParams::CONSTRAINED.into()
}

/// The `sensitive` preset: 256 MiB, t=4, p=4, for high-value accounts on desktops.
#[uniffi::export]
pub fn kdf_params_sensitive() -> KdfParams {
    vault_core::KdfParams::SENSITIVE.into()
}

/// Tiny parameters for tests only (64 KiB, t=1, p=1); the default policy rejects them.
#[uniffi::export]
pub fn kdf_params_insecure_test_only() -> KdfParams {
    vault_core::KdfParams::INSECURE_TEST_ONLY.into()
}

/// A preset by name: `default`, `constrained` or `sensitive`.
#[uniffi::export]
pub fn kdf_params_preset(name: &str) -> Result<KdfParams> {
    Ok(vault_core::KdfParams::preset(name)?.into())
}

/// The default policy for parameters from a server: floor 19 MiB and t=2
/// (OWASP's Argon2id minimum), ceiling 1 GiB, t=10, p=16.
#[uniffi::export]
pub fn kdf_policy_default() -> KdfPolicy {
    vault_core::KdfPolicy::default().into()
}

/// A policy that accepts anything Argon2 can run. For tests only.
#[uniffi::export]
pub fn kdf_policy_permissive_test_only() -> KdfPolicy {
    vault_core::KdfPolicy::PERMISSIVE_TEST_ONLY.into()
}

/// Argon2id alone: the NFKD-normalised password stretched to 32 bytes.
#[uniffi::export]
pub fn kdf_stretch(password: &str, salt: Vec<u8>, params: KdfParams) -> Result<Arc<SymmetricKey>> {
    let salt = self::salt(&salt)?;
    Ok(SymmetricKey::wrap(vault_core::kdf::stretch(
        password,
        &salt,
        &params.into(),
    )?))
}

/// Derives the auth key and master KEK from the password, the optional Secret
/// Key and the account's KDF config, after checking the params against `policy`.
#[uniffi::export]
pub fn kdf_derive_master_keys(
    password: &str,
    secret_key: Option<Arc<SecretKey>>,
    config: &KdfConfig,
    policy: KdfPolicy,
) -> Result<MasterKeys> {
    let cfg = vault_core::KdfConfig::try_from(config)?;
    let keys = vault_core::kdf::derive_master_keys(
        password,
        secret_key.as_deref().map(|s| &s.0),
        &cfg,
        &policy.into(),
    )?;
    Ok(keys.into())
}

/// The HKDF half of [`kdf_derive_master_keys`], for a caller that already
/// ran Argon2id ([`kdf_stretch`]).
#[uniffi::export]
pub fn kdf_master_keys_from_stretched(
    stretched: &SymmetricKey,
    secret_key: Option<Arc<SecretKey>>,
    salt: Vec<u8>,
) -> Result<MasterKeys> {
    let salt = self::salt(&salt)?;
    Ok(vault_core::kdf::master_keys_from_stretched(
        &stretched.0,
        secret_key.as_deref().map(|s| &s.0),
        &salt,
    )
    .into())
}
