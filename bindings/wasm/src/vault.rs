//! Vault keys and items: metadata, item encryption (every item type), the
//! list screen with per-item results, rotation.

use crate::convert::{from_js, from_str, parse_with, revision, to_js};
use crate::error::Result;
use crate::keys::JsSymmetricKey;
use crate::rng::{JsRng, with_rng};
use vault_core::{
    Algorithm, EncryptedItem, EncryptedVault, EnvEntry, Item, ItemId, ListRow, Overview, VaultId,
    VaultMeta,
};
use wasm_bindgen::prelude::*;

/// One list-screen row as JS sees it.
#[derive(serde::Serialize)]
struct RowJs {
    item: ItemId,
    revision: u64,
    overview: Overview,
}

impl From<ListRow> for RowJs {
    fn from(r: ListRow) -> Self {
        RowJs {
            item: r.item,
            revision: r.revision,
            overview: r.overview,
        }
    }
}

/// The error slot of a list result.
#[derive(serde::Serialize)]
struct ErrorJs {
    code: &'static str,
    message: String,
}

/// One slot of `decryptList`: `{ok: row}` or `{error: {code, message}}`.
#[derive(serde::Serialize)]
#[serde(rename_all = "snake_case")]
enum ListResultJs {
    Ok(RowJs),
    Error(ErrorJs),
}

fn items(value: &JsValue) -> Result<Vec<EncryptedItem>> {
    from_js(value, "encrypted items")
}

fn item(value: &JsValue) -> Result<EncryptedItem> {
    parse_with(value, "encrypted item", EncryptedItem::from_json)
}

fn plain_item(value: &JsValue) -> Result<Item> {
    from_js(value, "item")
}

/// The key of one vault generation, as an opaque handle.
#[wasm_bindgen(js_name = VaultKey)]
pub struct JsVaultKey(pub(crate) vault_core::VaultKey);

/// What `VaultKey.rotate` returns: the next key generation, the re-sealed
/// vault record and the items with re-wrapped item keys (contents untouched).
#[wasm_bindgen]
pub struct RotatedVault {
    key: vault_core::VaultKey,
    vault: EncryptedVault,
    items: Vec<EncryptedItem>,
}

#[wasm_bindgen]
impl RotatedVault {
    /// The new vault key (share it with the remaining members only).
    #[wasm_bindgen(getter)]
    pub fn key(&self) -> JsVaultKey {
        JsVaultKey(self.key.clone())
    }

    /// The vault record re-sealed under the new key.
    #[wasm_bindgen(getter, unchecked_return_type = "EncryptedVault")]
    pub fn vault(&self) -> Result<JsValue> {
        to_js(&self.vault)
    }

    /// The items, item keys re-wrapped under the new key.
    #[wasm_bindgen(getter, unchecked_return_type = "EncryptedItem[]")]
    pub fn items(&self) -> Result<JsValue> {
        to_js(&self.items)
    }
}

#[wasm_bindgen(js_class = VaultKey)]
impl JsVaultKey {
    /// Rebuilds a vault key from an explicit export (its vault id, generation
    /// and raw key).
    #[wasm_bindgen(js_name = fromParts)]
    pub fn from_parts(
        #[wasm_bindgen(js_name = "vaultId")] vault_id: &str,
        #[wasm_bindgen(js_name = "keyVersion")] key_version: u32,
        key: &JsSymmetricKey,
    ) -> Result<JsVaultKey> {
        let vault: VaultId = from_str(vault_id, "vault id")?;
        Ok(JsVaultKey(vault_core::VaultKey::from_parts(
            vault,
            key_version,
            key.0.clone(),
        )))
    }

    /// The vault this key belongs to (UUID text).
    #[wasm_bindgen(getter, js_name = vaultId)]
    pub fn vault_id(&self) -> String {
        self.0.vault_id().to_string()
    }

    /// The key generation (1 for a new vault, +1 per rotation).
    #[wasm_bindgen(getter, js_name = keyVersion)]
    pub fn key_version(&self) -> u32 {
        self.0.key_version()
    }

    /// Explicit export of the raw key.
    #[wasm_bindgen(js_name = exportKey)]
    pub fn export_key(&self) -> JsSymmetricKey {
        JsSymmetricKey(self.0.key().clone())
    }

    /// Same vault, generation and key (constant-time on the key).
    pub fn equals(&self, other: &JsVaultKey) -> bool {
        self.0 == other.0
    }

    /// Seals vault metadata (name, description).
    #[wasm_bindgen(js_name = sealMeta, unchecked_return_type = "EncryptedVault")]
    pub fn seal_meta(
        &self,
        #[wasm_bindgen(unchecked_param_type = "VaultMeta | string")] meta: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<JsValue> {
        let meta: VaultMeta = from_js(&meta, "vault meta")?;
        to_js(&with_rng(rng, |r| self.0.seal_meta(&meta, r))?)
    }

    /// Opens vault metadata.
    #[wasm_bindgen(js_name = openMeta, unchecked_return_type = "VaultMeta")]
    pub fn open_meta(
        &self,
        #[wasm_bindgen(unchecked_param_type = "EncryptedVault | string")] vault: JsValue,
    ) -> Result<JsValue> {
        let v: EncryptedVault = from_js(&vault, "encrypted vault")?;
        to_js(&self.0.open_meta(&v)?)
    }

    /// Rotation after revoking a member: a new key generation, every item key
    /// re-wrapped (contents untouched), metadata re-sealed. All or nothing.
    pub fn rotate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "EncryptedVault | string")] vault: JsValue,
        #[wasm_bindgen(unchecked_param_type = "EncryptedItem[] | string")] items: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<RotatedVault> {
        let v: EncryptedVault = from_js(&vault, "encrypted vault")?;
        let its = self::items(&items)?;
        let (key, vault, items) = with_rng(rng, |r| self.0.rotate(&v, &its, r))?;
        Ok(RotatedVault { key, vault, items })
    }

    /// Encrypts `item` as revision `revision` of `itemId` under a fresh item
    /// key: overview and details sealed apart. `algorithm` defaults to
    /// XChaCha20-Poly1305.
    #[wasm_bindgen(js_name = encryptItem, unchecked_return_type = "EncryptedItem")]
    pub fn encrypt_item(
        &self,
        #[wasm_bindgen(js_name = "itemId")] item_id: &str,
        revision: f64,
        #[wasm_bindgen(unchecked_param_type = "Item | string")] item: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Algorithm")] algorithm: Option<String>,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<JsValue> {
        let id: ItemId = from_str(item_id, "item id")?;
        let rev = self::revision(revision)?;
        let item = plain_item(&item)?;
        let alg: Algorithm = match algorithm {
            Some(a) => from_str(&a, "algorithm")?,
            None => Algorithm::default(),
        };
        to_js(&with_rng(rng, |r| {
            self.0.encrypt_item_with(id, rev, &item, alg, r)
        })?)
    }

    /// Decrypts an item's details (the whole item).
    #[wasm_bindgen(js_name = decryptItem, unchecked_return_type = "Item")]
    pub fn decrypt_item(
        &self,
        #[wasm_bindgen(unchecked_param_type = "EncryptedItem | string")] item: JsValue,
    ) -> Result<JsValue> {
        to_js(&self.0.decrypt_item(&self::item(&item)?)?)
    }

    /// Decrypts only the overview (one key unwrap, one small open).
    #[wasm_bindgen(js_name = decryptOverview, unchecked_return_type = "ListRow")]
    pub fn decrypt_overview(
        &self,
        #[wasm_bindgen(unchecked_param_type = "EncryptedItem | string")] item: JsValue,
    ) -> Result<JsValue> {
        to_js(&RowJs::from(self.0.decrypt_overview(&self::item(&item)?)?))
    }

    /// The list screen: one result per item, in order, `{ok: row}` or
    /// `{error: {code, message}}`. A corrupt or foreign item fails alone.
    /// Throws only if `items` is not an array of encrypted items.
    #[wasm_bindgen(js_name = decryptList, unchecked_return_type = "ListResult[]")]
    pub fn decrypt_list(
        &self,
        #[wasm_bindgen(unchecked_param_type = "EncryptedItem[] | string")] items: JsValue,
    ) -> Result<JsValue> {
        let its = self::items(&items)?;
        let out: Vec<ListResultJs> = self
            .0
            .decrypt_list(&its)
            .into_iter()
            .map(|r| match r {
                Ok(row) => ListResultJs::Ok(RowJs::from(row)),
                Err(e) => ListResultJs::Error(ErrorJs {
                    code: e.code(),
                    message: e.to_string(),
                }),
            })
            .collect();
        to_js(&out)
    }
}

/// A fresh random item id (UUID v4 text).
#[wasm_bindgen(js_name = newItemId)]
pub fn new_item_id(
    #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
) -> String {
    with_rng(rng, ItemId::generate).to_string()
}

/// The overview an item would get (what the list screen shows).
#[wasm_bindgen(js_name = itemOverview, unchecked_return_type = "Overview")]
pub fn item_overview(
    #[wasm_bindgen(unchecked_param_type = "Item | string")] item: JsValue,
) -> Result<JsValue> {
    to_js(&plain_item(&item)?.overview())
}

/// Parses `.env`-style text into API-key entries (`KEY=VALUE` per line,
/// comments, `export ` and matching quotes handled).
#[wasm_bindgen(js_name = parseDotenv, unchecked_return_type = "EnvEntry[]")]
pub fn parse_dotenv(text: String) -> Result<JsValue> {
    let text = zeroize::Zeroizing::new(text);
    let entries: Vec<EnvEntry> = EnvEntry::parse_dotenv(&text)?;
    to_js(&entries)
}
