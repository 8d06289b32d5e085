//! Vaults: vault keys, sealed metadata, member wraps, rotation, and item
//! encryption under a vault key.

use crate::account::UnlockedAccount;
use crate::convert;
use crate::envelope::Algorithm;
use crate::error::Result;
use crate::item::{EncryptedItem, EncryptedItemList, Item, ListEntry, ListRow};
use crate::keys::SymmetricKey;
use crate::rng::Rng;
use std::sync::Arc;

/// Vault metadata, sealed under the vault key.
#[derive(uniffi::Record, Clone, Debug, Default, PartialEq, Eq)]
pub struct VaultMeta {
    /// Display name.
    pub name: String,
    /// Optional description.
    #[uniffi(default = "")]
    pub description: String,
}

impl From<vault_core::VaultMeta> for VaultMeta {
    fn from(m: vault_core::VaultMeta) -> Self {
        VaultMeta {
            name: m.name,
            description: m.description,
        }
    }
}

impl From<&VaultMeta> for vault_core::VaultMeta {
    fn from(m: &VaultMeta) -> Self {
        vault_core::VaultMeta {
            name: m.name.clone(),
            description: m.description.clone(),
        }
    }
}

/// A vault as the server stores it.
#[derive(uniffi::Record, Clone, Debug, PartialEq, Eq)]
pub struct EncryptedVault {
    /// The vault (UUID text).
    pub vault: String,
    /// Generation of the key that sealed `meta`.
    pub key_version: u32,
    /// The metadata envelope (text form).
    pub meta: String,
}

impl From<&vault_core::EncryptedVault> for EncryptedVault {
    fn from(v: &vault_core::EncryptedVault) -> Self {
        EncryptedVault {
            vault: v.vault.to_string(),
            key_version: v.key_version,
            meta: v.meta.to_text(),
        }
    }
}

impl TryFrom<&EncryptedVault> for vault_core::EncryptedVault {
    type Error = crate::error::VaultError;
    fn try_from(v: &EncryptedVault) -> Result<Self> {
        Ok(vault_core::EncryptedVault {
            vault: convert::id(&v.vault)?,
            key_version: v.key_version,
            meta: convert::envelope(&v.meta)?,
        })
    }
}

#[uniffi::export]
impl EncryptedVault {
    /// The canonical JSON form.
    pub fn to_json(&self) -> Result<String> {
        convert::to_json(&vault_core::EncryptedVault::try_from(self)?)
    }
}

/// Parses an encrypted vault from JSON.
#[uniffi::export]
pub fn encrypted_vault_from_json(json: &str) -> Result<EncryptedVault> {
    let v: vault_core::EncryptedVault = convert::from_json(json, "encrypted vault")?;
    Ok((&v).into())
}

/// A vault key wrapped under one member's account key.
#[derive(uniffi::Record, Clone, Debug, PartialEq, Eq)]
pub struct WrappedVaultKey {
    /// The vault (UUID text).
    pub vault: String,
    /// The member (account id, UUID text).
    pub account: String,
    /// Key generation.
    pub key_version: u32,
    /// The wrapped key (envelope text form).
    pub envelope: String,
}

impl From<&vault_core::WrappedVaultKey> for WrappedVaultKey {
    fn from(w: &vault_core::WrappedVaultKey) -> Self {
        WrappedVaultKey {
            vault: w.vault.to_string(),
            account: w.account.to_string(),
            key_version: w.key_version,
            envelope: w.envelope.to_text(),
        }
    }
}

impl TryFrom<&WrappedVaultKey> for vault_core::WrappedVaultKey {
    type Error = crate::error::VaultError;
    fn try_from(w: &WrappedVaultKey) -> Result<Self> {
        Ok(vault_core::WrappedVaultKey {
            vault: convert::id(&w.vault)?,
            account: convert::id(&w.account)?,
            key_version: w.key_version,
            envelope: convert::envelope(&w.envelope)?,
        })
    }
}

#[uniffi::export]
impl WrappedVaultKey {
    /// The canonical JSON form.
    pub fn to_json(&self) -> Result<String> {
        convert::to_json(&vault_core::WrappedVaultKey::try_from(self)?)
    }
}

/// Parses a wrapped vault key from JSON.
#[uniffi::export]
pub fn wrapped_vault_key_from_json(json: &str) -> Result<WrappedVaultKey> {
    let w: vault_core::WrappedVaultKey = convert::from_json(json, "wrapped vault key")?;
    Ok((&w).into())
}

/// A vault key of one generation. Opaque; equality is constant-time.
#[derive(uniffi::Object, Debug, PartialEq, Eq)]
#[uniffi::export(Eq, Debug)]
pub struct VaultKey(pub(crate) vault_core::VaultKey);

impl VaultKey {
    pub(crate) fn wrap(k: vault_core::VaultKey) -> Arc<Self> {
        Arc::new(VaultKey(k))
    }
}

/// A new vault: its key, the sealed record and the owner's wrap.
#[derive(uniffi::Record, Clone, Debug)]
pub struct VaultCreated {
    /// The vault key (generation 1).
    pub key: Arc<VaultKey>,
    /// Upload: the vault with sealed metadata.
    pub vault: EncryptedVault,
    /// Upload: the key wrapped for the creating account.
    pub wrapped_key: WrappedVaultKey,
}

/// The result of a rotation: the next key generation, the re-sealed
/// metadata and every item with its item key re-wrapped (contents untouched).
#[derive(uniffi::Record, Clone, Debug)]
pub struct VaultRotation {
    /// The new key generation. Wrap it for, and grant it to, remaining members only.
    pub key: Arc<VaultKey>,
    /// The metadata sealed under the new key.
    pub vault: EncryptedVault,
    /// The items, re-wrapped, in the order given.
    pub items: Vec<EncryptedItem>,
}

fn core_items(items: &[EncryptedItem]) -> Result<Vec<vault_core::EncryptedItem>> {
    items
        .iter()
        .map(vault_core::EncryptedItem::try_from)
        .collect()
}

#[uniffi::export]
impl VaultKey {
    /// A fresh generation-1 key for a new vault id (most apps use
    /// [`UnlockedAccount::create_vault`] instead).
    #[uniffi::constructor]
    pub fn generate(vault_id: &str, rng: &Rng) -> Result<Arc<Self>> {
        let vault = convert::id(vault_id)?;
        Ok(Self::wrap(
            rng.with(|r| vault_core::VaultKey::generate(vault, r)),
        ))
    }

    /// Rebuilds a vault key from exported parts.
    #[uniffi::constructor]
    pub fn from_parts(vault_id: &str, key_version: u32, key: &SymmetricKey) -> Result<Arc<Self>> {
        Ok(Self::wrap(vault_core::VaultKey::from_parts(
            convert::id(vault_id)?,
            key_version,
            key.0.clone(),
        )))
    }

    /// The vault this key belongs to (UUID text).
    pub fn vault_id(&self) -> String {
        self.0.vault_id().to_string()
    }

    /// Key generation.
    pub fn key_version(&self) -> u32 {
        self.0.key_version()
    }

    /// The raw key: an explicit export.
    pub fn key(&self) -> Arc<SymmetricKey> {
        SymmetricKey::wrap(self.0.key().clone())
    }

    /// Seals vault metadata under this key.
    pub fn seal_meta(&self, meta: &VaultMeta, rng: &Rng) -> Result<EncryptedVault> {
        let meta = vault_core::VaultMeta::from(meta);
        let v = rng.with(|r| self.0.seal_meta(&meta, r))?;
        Ok((&v).into())
    }

    /// Opens vault metadata sealed under this key.
    pub fn open_meta(&self, vault: &EncryptedVault) -> Result<VaultMeta> {
        let v = vault_core::EncryptedVault::try_from(vault)?;
        Ok(self.0.open_meta(&v)?.into())
    }

    /// Rotation after revoking a member: the next key generation, metadata
    /// re-sealed, every item key re-wrapped. All or nothing.
    pub fn rotate(
        &self,
        vault: &EncryptedVault,
        items: Vec<EncryptedItem>,
        rng: &Rng,
    ) -> Result<VaultRotation> {
        let v = vault_core::EncryptedVault::try_from(vault)?;
        let items = core_items(&items)?;
        let (next, meta, items) = rng.with(|r| self.0.rotate(&v, &items, r))?;
        Ok(VaultRotation {
            key: Self::wrap(next),
            vault: (&meta).into(),
            items: items.iter().map(EncryptedItem::from).collect(),
        })
    }

    /// Encrypts `item` as revision `revision` of `item_id` under a fresh item
    /// key, with the default algorithm.
    pub fn encrypt_item(
        &self,
        item_id: &str,
        revision: u64,
        item: &Item,
        rng: &Rng,
    ) -> Result<EncryptedItem> {
        self.encrypt_item_with(item_id, revision, item, Algorithm::default(), rng)
    }

    /// As [`encrypt_item`](Self::encrypt_item) with an explicit algorithm for
    /// the item's contents.
    pub fn encrypt_item_with(
        &self,
        item_id: &str,
        revision: u64,
        item: &Item,
        algorithm: Algorithm,
        rng: &Rng,
    ) -> Result<EncryptedItem> {
        let id = convert::id(item_id)?;
        let item = vault_core::Item::from(item);
        let enc = rng.with(|r| {
            self.0
                .encrypt_item_with(id, revision, &item, algorithm.into(), r)
        })?;
        Ok((&enc).into())
    }

    /// Decrypts an item's details (the whole item).
    pub fn decrypt_item(&self, item: &EncryptedItem) -> Result<Item> {
        let enc = vault_core::EncryptedItem::try_from(item)?;
        Ok((&self.0.decrypt_item(&enc)?).into())
    }

    /// Decrypts only the overview: one key unwrap, one small open.
    pub fn decrypt_overview(&self, item: &EncryptedItem) -> Result<ListRow> {
        let enc = vault_core::EncryptedItem::try_from(item)?;
        Ok(self.0.decrypt_overview(&enc)?.into())
    }

    /// Decrypts the list screen: one entry per item, in order. A corrupt,
    /// foreign or unparsable item yields `Failed` in its slot; the others
    /// still decrypt.
    pub fn decrypt_list(&self, items: Vec<EncryptedItem>) -> Vec<ListEntry> {
        items
            .iter()
            .map(|it| {
                vault_core::EncryptedItem::try_from(it)
                    .map_err(|e| ListEntry::Failed {
                        code: e.code(),
                        reason: e.reason(),
                    })
                    .map(|enc| ListEntry::from(self.0.decrypt_overview(&enc)))
                    .unwrap_or_else(|failed| failed)
            })
            .collect()
    }

    /// [`decrypt_list`](Self::decrypt_list) over items already parsed into an
    /// [`EncryptedItemList`]: the fast path for a list screen.
    pub fn decrypt_item_list(&self, items: &EncryptedItemList) -> Vec<ListEntry> {
        self.0
            .decrypt_list(&items.0)
            .into_iter()
            .map(ListEntry::from)
            .collect()
    }
}

#[uniffi::export]
impl UnlockedAccount {
    /// Creates a vault: a fresh id and key, sealed metadata, and the key
    /// wrapped for this account (the owner).
    pub fn create_vault(&self, meta: &VaultMeta, rng: &Rng) -> Result<VaultCreated> {
        let meta = vault_core::VaultMeta::from(meta);
        let (key, vault, wrapped) = rng.with(|r| self.0.create_vault(&meta, r))?;
        Ok(VaultCreated {
            key: VaultKey::wrap(key),
            vault: (&vault).into(),
            wrapped_key: (&wrapped).into(),
        })
    }

    /// Wraps a vault key under this account's key (own vaults, accepted grants).
    pub fn wrap_vault_key(&self, key: &VaultKey, rng: &Rng) -> Result<WrappedVaultKey> {
        let w = rng.with(|r| self.0.wrap_vault_key(&key.0, r))?;
        Ok((&w).into())
    }

    /// Unwraps a vault key wrapped for this account.
    pub fn unwrap_vault_key(&self, wrapped: &WrappedVaultKey) -> Result<Arc<VaultKey>> {
        let w = vault_core::WrappedVaultKey::try_from(wrapped)?;
        Ok(VaultKey::wrap(self.0.unwrap_vault_key(&w)?))
    }
}
