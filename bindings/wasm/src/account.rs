//! Accounts: create, unlock (offline), change password, vault keys and grants.

use crate::convert::{from_js, from_str, parse_with, to_js};
use crate::error::Result;
use crate::kdf::{params, policy};
use crate::keys::{JsSecretKey, JsSymmetricKey};
use crate::rng::{JsRng, with_rng};
use crate::vault::JsVaultKey;
use vault_core::{
    EncryptedAccount, PublicIdentity, SecretKey, UnlockedAccount, VaultGrant, VaultMeta,
};
use wasm_bindgen::prelude::*;

pub(crate) fn record(value: &JsValue) -> Result<EncryptedAccount> {
    parse_with(value, "account record", EncryptedAccount::from_json)
}

pub(crate) fn identity(value: &JsValue, what: &'static str) -> Result<PublicIdentity> {
    from_js(value, what)
}

/// An unlocked account: its account key and identity keys, inside the module.
#[wasm_bindgen(js_name = Account)]
pub struct JsAccount(pub(crate) UnlockedAccount);

/// What `Account.create` returns: the unlocked account, the record to upload
/// and the auth key for the SRP / OPAQUE registration.
#[wasm_bindgen]
pub struct NewAccount {
    account: UnlockedAccount,
    creds: vault_core::NewCredentials,
}

#[wasm_bindgen]
impl NewAccount {
    /// The unlocked account.
    #[wasm_bindgen(getter)]
    pub fn account(&self) -> JsAccount {
        JsAccount(self.account.clone())
    }

    /// The record to upload (public data and wrapped keys only).
    #[wasm_bindgen(getter, unchecked_return_type = "EncryptedAccount")]
    pub fn record(&self) -> Result<JsValue> {
        to_js(&self.creds.encrypted)
    }

    /// The auth key: register it with SRP or OPAQUE, never store it.
    #[wasm_bindgen(getter, js_name = authKey)]
    pub fn auth_key(&self) -> JsSymmetricKey {
        JsSymmetricKey(self.creds.auth_key.clone())
    }
}

/// What `changePassword` returns: the new record and the new auth key.
#[wasm_bindgen]
pub struct NewCredentials(vault_core::NewCredentials);

#[wasm_bindgen]
impl NewCredentials {
    /// The record to upload, together with the new SRP verifier / OPAQUE record.
    #[wasm_bindgen(getter, unchecked_return_type = "EncryptedAccount")]
    pub fn record(&self) -> Result<JsValue> {
        to_js(&self.0.encrypted)
    }

    /// The new auth key (for the new SRP verifier / OPAQUE registration).
    #[wasm_bindgen(getter, js_name = authKey)]
    pub fn auth_key(&self) -> JsSymmetricKey {
        JsSymmetricKey(self.0.auth_key.clone())
    }
}

/// What `Account.createVault` returns.
#[wasm_bindgen]
pub struct NewVault {
    key: vault_core::VaultKey,
    vault: vault_core::EncryptedVault,
    wrapped: vault_core::WrappedVaultKey,
}

#[wasm_bindgen]
impl NewVault {
    /// The new vault's key.
    #[wasm_bindgen(getter)]
    pub fn key(&self) -> JsVaultKey {
        JsVaultKey(self.key.clone())
    }

    /// The vault record to upload (sealed metadata).
    #[wasm_bindgen(getter, unchecked_return_type = "EncryptedVault")]
    pub fn vault(&self) -> Result<JsValue> {
        to_js(&self.vault)
    }

    /// The vault key wrapped for the creating account (upload it too).
    #[wasm_bindgen(getter, js_name = wrappedKey, unchecked_return_type = "WrappedVaultKey")]
    pub fn wrapped_key(&self) -> Result<JsValue> {
        to_js(&self.wrapped)
    }
}

fn create(
    password: String,
    secret_key: Option<&SecretKey>,
    params: &JsValue,
    rng: Option<JsRng>,
) -> Result<NewAccount> {
    let password = crate::password::password(password)?;
    let params = self::params(params)?;
    let (account, creds) = with_rng(rng, |r| {
        UnlockedAccount::create(&password, secret_key, params, r)
    })?;
    Ok(NewAccount { account, creds })
}

fn unlock(
    record: &JsValue,
    password: String,
    secret_key: Option<&SecretKey>,
    policy: &Option<JsValue>,
) -> Result<JsAccount> {
    let password = crate::password::password(password)?;
    let rec = self::record(record)?;
    Ok(JsAccount(rec.unlock(
        &password,
        secret_key,
        &self::policy(policy)?,
    )?))
}

impl JsAccount {
    fn change(
        &self,
        current: &JsValue,
        new_password: String,
        secret_key: Option<&SecretKey>,
        params: &JsValue,
        rng: Option<JsRng>,
    ) -> Result<NewCredentials> {
        let new_password = crate::password::password(new_password)?;
        let current = self::record(current)?;
        let params = self::params(params)?;
        let creds = with_rng(rng, |r| {
            self.0
                .change_password(&current, &new_password, secret_key, params, r)
        })?;
        Ok(NewCredentials(creds))
    }
}

#[wasm_bindgen(js_class = Account)]
impl JsAccount {
    /// Creates an account: fresh ids and keys, wrapped under the password
    /// with `params`. Slow (Argon2id).
    pub fn create(
        password: String,
        #[wasm_bindgen(unchecked_param_type = "KdfParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<NewAccount> {
        create(password, None, &params, rng)
    }

    /// `Account.create` with a Secret Key mixed into the derivation (2SKD).
    #[wasm_bindgen(js_name = createWithSecretKey)]
    pub fn create_with_secret_key(
        password: String,
        #[wasm_bindgen(js_name = "secretKey")] secret_key: &JsSecretKey,
        #[wasm_bindgen(unchecked_param_type = "KdfParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<NewAccount> {
        create(password, Some(&secret_key.0), &params, rng)
    }

    /// Unlocks a stored record with the password, offline. The record's KDF
    /// params are checked against `policy` (default policy if omitted) first.
    /// A wrong password throws `decrypt`. Slow (Argon2id).
    pub fn unlock(
        #[wasm_bindgen(unchecked_param_type = "EncryptedAccount | string")] record: JsValue,
        password: String,
        #[wasm_bindgen(unchecked_optional_param_type = "KdfPolicy")] policy: Option<JsValue>,
    ) -> Result<JsAccount> {
        unlock(&record, password, None, &policy)
    }

    /// `Account.unlock` for an account created with a Secret Key.
    #[wasm_bindgen(js_name = unlockWithSecretKey)]
    pub fn unlock_with_secret_key(
        #[wasm_bindgen(unchecked_param_type = "EncryptedAccount | string")] record: JsValue,
        password: String,
        #[wasm_bindgen(js_name = "secretKey")] secret_key: &JsSecretKey,
        #[wasm_bindgen(unchecked_optional_param_type = "KdfPolicy")] policy: Option<JsValue>,
    ) -> Result<JsAccount> {
        unlock(&record, password, Some(&secret_key.0), &policy)
    }

    /// Unlocks with an already derived master KEK (`deriveMasterKeys`, e.g. in
    /// a worker). Fast.
    #[wasm_bindgen(js_name = unlockWithKek)]
    pub fn unlock_with_kek(
        #[wasm_bindgen(unchecked_param_type = "EncryptedAccount | string")] record: JsValue,
        kek: &JsSymmetricKey,
    ) -> Result<JsAccount> {
        Ok(JsAccount(self::record(&record)?.unlock_with_kek(&kek.0)?))
    }

    /// Unlocks with the account key itself (quick unlock, recovery). Fast.
    #[wasm_bindgen(js_name = unlockWithAccountKey)]
    pub fn unlock_with_account_key(
        #[wasm_bindgen(unchecked_param_type = "EncryptedAccount | string")] record: JsValue,
        #[wasm_bindgen(js_name = "accountKey")] account_key: &JsSymmetricKey,
    ) -> Result<JsAccount> {
        Ok(JsAccount(
            self::record(&record)?.unlock_with_account_key(account_key.0.clone())?,
        ))
    }

    /// Changes the password: a new salt (and `params`), the same account key
    /// re-wrapped; no vault or item changes. Slow (Argon2id).
    #[wasm_bindgen(js_name = changePassword)]
    pub fn change_password(
        &self,
        #[wasm_bindgen(unchecked_param_type = "EncryptedAccount | string")] current: JsValue,
        #[wasm_bindgen(js_name = "newPassword")] new_password: String,
        #[wasm_bindgen(unchecked_param_type = "KdfParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<NewCredentials> {
        self.change(&current, new_password, None, &params, rng)
    }

    /// `changePassword` for an account that uses a Secret Key.
    #[wasm_bindgen(js_name = changePasswordWithSecretKey)]
    pub fn change_password_with_secret_key(
        &self,
        #[wasm_bindgen(unchecked_param_type = "EncryptedAccount | string")] current: JsValue,
        #[wasm_bindgen(js_name = "newPassword")] new_password: String,
        #[wasm_bindgen(js_name = "secretKey")] secret_key: &JsSecretKey,
        #[wasm_bindgen(unchecked_param_type = "KdfParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<NewCredentials> {
        self.change(&current, new_password, Some(&secret_key.0), &params, rng)
    }

    /// The account id (UUID text).
    #[wasm_bindgen(getter, js_name = accountId)]
    pub fn account_id(&self) -> String {
        self.0.account_id().to_string()
    }

    /// The self-signed public identity to publish in the directory.
    #[wasm_bindgen(js_name = publicIdentity, unchecked_return_type = "PublicIdentity")]
    pub fn public_identity(&self) -> Result<JsValue> {
        to_js(self.0.public_identity())
    }

    /// This account's identity fingerprint (six groups of five digits), to
    /// read out to people you share with.
    pub fn fingerprint(&self) -> String {
        self.0.fingerprint()
    }

    /// Explicit export of the account key (recovery kit, quick-unlock wrap).
    #[wasm_bindgen(js_name = exportAccountKey)]
    pub fn export_account_key(&self) -> JsSymmetricKey {
        JsSymmetricKey(self.0.account_key().clone())
    }

    /// Creates a vault: a fresh id and key, sealed metadata, and the key
    /// wrapped for this account.
    #[wasm_bindgen(js_name = createVault)]
    pub fn create_vault(
        &self,
        #[wasm_bindgen(unchecked_param_type = "VaultMeta | string")] meta: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<NewVault> {
        let meta: VaultMeta = from_js(&meta, "vault meta")?;
        let (key, vault, wrapped) = with_rng(rng, |r| self.0.create_vault(&meta, r))?;
        Ok(NewVault {
            key,
            vault,
            wrapped,
        })
    }

    /// Wraps a vault key under this account's key (own vaults, accepted grants).
    #[wasm_bindgen(js_name = wrapVaultKey, unchecked_return_type = "WrappedVaultKey")]
    pub fn wrap_vault_key(
        &self,
        key: &JsVaultKey,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<JsValue> {
        to_js(&with_rng(rng, |r| self.0.wrap_vault_key(&key.0, r))?)
    }

    /// Unwraps a vault key wrapped for this account.
    #[wasm_bindgen(js_name = unwrapVaultKey)]
    pub fn unwrap_vault_key(
        &self,
        #[wasm_bindgen(unchecked_param_type = "WrappedVaultKey | string")] wrapped: JsValue,
    ) -> Result<JsVaultKey> {
        let w = from_js(&wrapped, "wrapped vault key")?;
        Ok(JsVaultKey(self.0.unwrap_vault_key(&w)?))
    }

    /// Grants a vault key to `recipient` with `role`, sealed to their X25519
    /// key (HPKE) and signed. Compare the recipient's fingerprint out of band
    /// before granting to a new contact.
    #[wasm_bindgen(js_name = grantVault, unchecked_return_type = "VaultGrant")]
    pub fn grant_vault(
        &self,
        key: &JsVaultKey,
        #[wasm_bindgen(unchecked_param_type = "PublicIdentity | string")] recipient: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Role")] role: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<JsValue> {
        let recipient = identity(&recipient, "recipient identity")?;
        let role = from_str(role, "role")?;
        to_js(&with_rng(rng, |r| {
            self.0.grant_vault(&key.0, &recipient, role, r)
        })?)
    }

    /// Verifies a grant addressed to this account against the sender's
    /// identity, then opens it.
    #[wasm_bindgen(js_name = openGrant)]
    pub fn open_grant(
        &self,
        #[wasm_bindgen(unchecked_param_type = "VaultGrant | string")] grant: JsValue,
        #[wasm_bindgen(unchecked_param_type = "PublicIdentity | string")] sender: JsValue,
    ) -> Result<JsVaultKey> {
        let grant = parse_with(&grant, "grant", VaultGrant::from_json)?;
        let sender = identity(&sender, "sender identity")?;
        Ok(JsVaultKey(self.0.open_grant(&grant, &sender)?))
    }
}

/// Parses an account record from JSON text strictly (unknown fields are
/// `malformed`, other versions `unsupported_version`) and returns it as an object.
#[wasm_bindgen(js_name = parseAccountRecord, unchecked_return_type = "EncryptedAccount")]
pub fn parse_account_record(json: &str) -> Result<JsValue> {
    to_js(&EncryptedAccount::from_json(json)?)
}
