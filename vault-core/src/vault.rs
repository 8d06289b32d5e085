//! Vaults: a random vault key per vault and generation, wrapped for each
//! member, sealing the vault's metadata and wrapping its item keys.

use crate::account::UnlockedAccount;
use crate::context::Context;
use crate::envelope::Envelope;
use crate::error::{Error, Result};
use crate::ids::{AccountId, VaultId};
use crate::item::EncryptedItem;
use crate::secret::SymmetricKey;

/// A vault key of one generation. Zeroized on drop (through [`SymmetricKey`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultKey {
    pub(crate) vault: VaultId,
    pub(crate) key_version: u32,
    pub(crate) key: SymmetricKey,
}

/// Vault metadata, sealed under the vault key.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VaultMeta {
    /// Display name.
    pub name: String,
    /// Optional description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// A vault as the server stores it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EncryptedVault {
    /// The vault.
    pub vault: VaultId,
    /// Generation of the key that sealed `meta`.
    pub key_version: u32,
    /// [`VaultMeta`] as JSON, sealed with `Context::VaultMeta`.
    pub meta: Envelope,
}

/// A vault key wrapped under one member's account key.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WrappedVaultKey {
    /// The vault.
    pub vault: VaultId,
    /// The member.
    pub account: AccountId,
    /// Key generation.
    pub key_version: u32,
    /// The key, sealed with `Context::VaultKey`.
    pub envelope: Envelope,
}

impl VaultKey {
    /// A fresh key, generation 1, for a new vault.
    pub fn generate(vault: VaultId, rng: &mut impl rand_core::CryptoRng) -> Self {
        VaultKey {
            vault,
            key_version: 1,
            key: SymmetricKey::generate(rng),
        }
    }
    /// The vault this key belongs to.
    pub fn vault_id(&self) -> VaultId {
        self.vault
    }
    /// Key generation.
    pub fn key_version(&self) -> u32 {
        self.key_version
    }
    /// Rebuilds a vault key from exported bytes.
    pub fn from_parts(vault: VaultId, key_version: u32, key: SymmetricKey) -> Self {
        VaultKey {
            vault,
            key_version,
            key,
        }
    }
    /// The raw key (explicit export).
    pub fn key(&self) -> &SymmetricKey {
        &self.key
    }

    /// Seals vault metadata.
    pub fn seal_meta(
        &self,
        meta: &VaultMeta,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<EncryptedVault> {
        let json = zeroize::Zeroizing::new(
            serde_json::to_vec(meta).map_err(|_| Error::InvalidArgument("vault meta"))?,
        );
        Ok(EncryptedVault {
            vault: self.vault,
            key_version: self.key_version,
            meta: Envelope::seal(&self.key, &self.meta_ctx(), &json, rng)?,
        })
    }

    /// Opens vault metadata.
    pub fn open_meta(&self, v: &EncryptedVault) -> Result<VaultMeta> {
        if v.vault != self.vault || v.key_version != self.key_version {
            return Err(Error::Decrypt);
        }
        let pt = v.meta.open(&self.key, &self.meta_ctx())?;
        serde_json::from_slice(&pt).map_err(|_| Error::malformed("vault meta", "invalid JSON"))
    }

    fn meta_ctx(&self) -> Context {
        Context::VaultMeta {
            vault: self.vault,
            key_version: self.key_version,
        }
    }

    /// Rotation after revoking a member: a new key generation, every item key
    /// re-wrapped under it (item contents are not touched), and the metadata
    /// re-sealed. Share the new key with the remaining members only.
    ///
    /// Returns an error if any item does not belong to this vault and generation
    /// or fails to unwrap: a rotation must be all-or-nothing.
    pub fn rotate(
        &self,
        meta: &EncryptedVault,
        items: &[EncryptedItem],
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<(VaultKey, EncryptedVault, Vec<EncryptedItem>)> {
        let next = VaultKey {
            vault: self.vault,
            key_version: self
                .key_version
                .checked_add(1)
                .ok_or(Error::InvalidArgument("key version exhausted"))?,
            key: SymmetricKey::generate(rng),
        };
        let meta = next.seal_meta(&self.open_meta(meta)?, rng)?;
        let items = items
            .iter()
            .map(|it| {
                let item_key = self.unwrap_item_key(it)?;
                let mut out = it.clone();
                out.key_version = next.key_version;
                out.item_key = next.wrap_item_key(&item_key, it.item, rng)?;
                Ok(out)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((next, meta, items))
    }
}

impl UnlockedAccount {
    /// Creates a vault: a fresh id and key, sealed metadata, and the key wrapped
    /// for this account (the owner).
    ///
    /// ```
    /// use vault_core::{UnlockedAccount, KdfParams, VaultMeta};
    /// let mut rng = vault_core::rng::os_rng();
    /// let (acct, _) = UnlockedAccount::create("pw", None, KdfParams::INSECURE_TEST_ONLY, &mut rng).unwrap();
    /// let (key, vault, wrapped) = acct.create_vault(&VaultMeta { name: "Personal".into(), ..Default::default() }, &mut rng).unwrap();
    /// assert_eq!(acct.unwrap_vault_key(&wrapped).unwrap(), key);
    /// assert_eq!(key.open_meta(&vault).unwrap().name, "Personal");
    /// ```
    pub fn create_vault(
        &self,
        meta: &VaultMeta,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<(VaultKey, EncryptedVault, WrappedVaultKey)> {
        let key = VaultKey::generate(VaultId::generate(rng), rng);
        let sealed = key.seal_meta(meta, rng)?;
        let wrapped = self.wrap_vault_key(&key, rng)?;
        Ok((key, sealed, wrapped))
    }

    /// Wraps a vault key under this account's key (own vaults, accepted grants).
    pub fn wrap_vault_key(
        &self,
        key: &VaultKey,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<WrappedVaultKey> {
        let ctx = Context::VaultKey {
            account: self.account,
            vault: key.vault,
            key_version: key.key_version,
        };
        Ok(WrappedVaultKey {
            vault: key.vault,
            account: self.account,
            key_version: key.key_version,
            envelope: Envelope::seal(&self.account_key, &ctx, key.key.expose_secret(), rng)?,
        })
    }

    /// Unwraps a vault key wrapped for this account.
    pub fn unwrap_vault_key(&self, w: &WrappedVaultKey) -> Result<VaultKey> {
        if w.account != self.account {
            return Err(Error::Decrypt);
        }
        let ctx = Context::VaultKey {
            account: self.account,
            vault: w.vault,
            key_version: w.key_version,
        };
        Ok(VaultKey {
            vault: w.vault,
            key_version: w.key_version,
            key: w.envelope.open_key(&self.account_key, &ctx)?,
        })
    }
}
