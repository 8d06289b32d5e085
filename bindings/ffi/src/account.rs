//! Accounts: creation, offline unlock, password change (re-wrap only).

use crate::convert;
use crate::error::Result;
use crate::identity::PublicIdentity;
use crate::kdf::{KdfConfig, KdfParams, KdfPolicy};
use crate::keys::SymmetricKey;
use crate::rng::Rng;
use crate::secret_key::SecretKey;
use std::sync::Arc;

/// What the server stores for an account: public data and wrapped keys only.
/// Send it as [`EncryptedAccount::to_json`]; read it back with
/// [`encrypted_account_from_json`].
#[derive(uniffi::Record, Clone, Debug, PartialEq, Eq)]
pub struct EncryptedAccount {
    /// Record version (1).
    pub v: u8,
    /// The account id (UUID text).
    pub account: String,
    /// KDF params and salt for the password.
    pub kdf: KdfConfig,
    /// Generation of the account key: 1 at creation, +1 per rotation (bound
    /// into the wrap of the account key). Omitted from the JSON when 1.
    #[uniffi(default = 1)]
    pub key_generation: u32,
    /// Account key under the master KEK (envelope text form).
    pub wrapped_account_key: String,
    /// Identity private keys under the account key (envelope text form).
    pub wrapped_identity: String,
    /// The self-signed public identity.
    pub public_identity: PublicIdentity,
}

impl From<&vault_core::EncryptedAccount> for EncryptedAccount {
    fn from(a: &vault_core::EncryptedAccount) -> Self {
        EncryptedAccount {
            v: a.v,
            account: a.account.to_string(),
            kdf: a.kdf.into(),
            key_generation: a.key_generation,
            wrapped_account_key: a.wrapped_account_key.to_text(),
            wrapped_identity: a.wrapped_identity.to_text(),
            public_identity: (&a.public_identity).into(),
        }
    }
}

impl TryFrom<&EncryptedAccount> for vault_core::EncryptedAccount {
    type Error = crate::error::VaultError;
    fn try_from(a: &EncryptedAccount) -> Result<Self> {
        Ok(vault_core::EncryptedAccount {
            v: a.v,
            account: convert::id(&a.account)?,
            kdf: (&a.kdf).try_into()?,
            key_generation: a.key_generation,
            wrapped_account_key: convert::envelope(&a.wrapped_account_key)?,
            wrapped_identity: convert::envelope(&a.wrapped_identity)?,
            public_identity: (&a.public_identity).try_into()?,
        })
    }
}

#[uniffi::export]
impl EncryptedAccount {
    /// Unlocks with the password (offline: no server needed), after checking
    /// the stored KDF params against `policy`. A wrong password is error code
    /// `decrypt`.
    pub fn unlock(
        &self,
        password: &str,
        secret_key: Option<Arc<SecretKey>>,
        policy: KdfPolicy,
    ) -> Result<Arc<UnlockedAccount>> {
        let rec = vault_core::EncryptedAccount::try_from(self)?;
        let acct = rec.unlock(
            password,
            secret_key.as_deref().map(|s| &s.0),
            &policy.into(),
        )?;
        Ok(UnlockedAccount::wrap(acct))
    }

    /// Unlocks with an already-derived master KEK.
    pub fn unlock_with_kek(&self, kek: &SymmetricKey) -> Result<Arc<UnlockedAccount>> {
        let rec = vault_core::EncryptedAccount::try_from(self)?;
        Ok(UnlockedAccount::wrap(rec.unlock_with_kek(&kek.0)?))
    }

    /// Unlocks with the account key itself (the quick-unlock and recovery
    /// methods do this for you). A key of another generation is `decrypt`.
    pub fn unlock_with_account_key(
        &self,
        account_key: &SymmetricKey,
    ) -> Result<Arc<UnlockedAccount>> {
        let rec = vault_core::EncryptedAccount::try_from(self)?;
        Ok(UnlockedAccount::wrap(
            rec.unlock_with_account_key(account_key.0.clone())?,
        ))
    }

    /// The canonical JSON form (what the server stores).
    pub fn to_json(&self) -> Result<String> {
        convert::to_json(&vault_core::EncryptedAccount::try_from(self)?)
    }
}

/// Parses an account record from JSON, rejecting unknown fields and versions.
#[uniffi::export]
pub fn encrypted_account_from_json(json: &str) -> Result<EncryptedAccount> {
    Ok((&vault_core::EncryptedAccount::from_json(json)?).into())
}

/// The result of creating an account or changing its password.
#[derive(uniffi::Record, Clone, Debug)]
pub struct NewCredentials {
    /// The record to upload.
    pub encrypted: EncryptedAccount,
    /// Feed it to the SRP / OPAQUE registration; never store it.
    pub auth_key: Arc<SymmetricKey>,
}

impl From<vault_core::NewCredentials> for NewCredentials {
    fn from(c: vault_core::NewCredentials) -> Self {
        NewCredentials {
            encrypted: (&c.encrypted).into(),
            auth_key: SymmetricKey::wrap(c.auth_key),
        }
    }
}

/// A newly created account: unlocked, plus what to upload.
#[derive(uniffi::Record, Clone, Debug)]
pub struct AccountCreated {
    /// The unlocked account.
    pub account: Arc<UnlockedAccount>,
    /// The record and auth key for registration.
    pub credentials: NewCredentials,
}

/// Creates an account with fresh keys, wrapped under `password` (and the
/// optional Secret Key) with `params`.
#[uniffi::export]
pub fn create_account(
    password: &str,
    secret_key: Option<Arc<SecretKey>>,
    params: KdfParams,
    rng: &Rng,
) -> Result<AccountCreated> {
    let (acct, creds) = rng.with(|r| {
        vault_core::UnlockedAccount::create(
            password,
            secret_key.as_deref().map(|s| &s.0),
            params.into(),
            r,
        )
    })?;
    Ok(AccountCreated {
        account: UnlockedAccount::wrap(acct),
        credentials: creds.into(),
    })
}

/// An unlocked account: the account key and identity keys, in Rust memory
/// only. Vault and sharing operations are methods on it.
#[derive(uniffi::Object, Debug)]
pub struct UnlockedAccount(pub(crate) vault_core::UnlockedAccount);

impl UnlockedAccount {
    pub(crate) fn wrap(a: vault_core::UnlockedAccount) -> Arc<Self> {
        Arc::new(UnlockedAccount(a))
    }
}

#[uniffi::export]
impl UnlockedAccount {
    /// This account's id (UUID text).
    pub fn account_id(&self) -> String {
        self.0.account_id().to_string()
    }

    /// This account's public identity (publish it in the directory).
    pub fn public_identity(&self) -> PublicIdentity {
        self.0.public_identity().into()
    }

    /// The identity fingerprint to read out to people you share with.
    pub fn fingerprint(&self) -> String {
        self.0.fingerprint()
    }

    /// The account key: an explicit export (recovery kit, or a platform
    /// keystore wrap for quick unlock).
    pub fn account_key(&self) -> Arc<SymmetricKey> {
        SymmetricKey::wrap(self.0.account_key().clone())
    }

    /// Changes the password: new salt and params, the same account key
    /// re-wrapped; no vault or item is touched. `current` must be of the
    /// generation in memory (else `stale_wrap`). Upload the new record together
    /// with the new SRP verifier / OPAQUE record.
    pub fn change_password(
        &self,
        current: &EncryptedAccount,
        new_password: &str,
        secret_key: Option<Arc<SecretKey>>,
        params: KdfParams,
        rng: &Rng,
    ) -> Result<NewCredentials> {
        let current = vault_core::EncryptedAccount::try_from(current)?;
        let creds = rng.with(|r| {
            self.0.change_password(
                &current,
                new_password,
                secret_key.as_deref().map(|s| &s.0),
                params.into(),
                r,
            )
        })?;
        Ok(creds.into())
    }
}
