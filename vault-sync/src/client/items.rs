//! Items: list, find, read and edit. Reads work offline from the replica;
//! edits are queued offline and pushed by the next
//! [`sync`](UnlockedDevice::sync).

use super::device::UnlockedDevice;
use super::error::{ClientError, ClientResult};
use vault_core::{
    EncryptedItem, Item, ItemId, NoPrimarySecret, Overview, Role, SecretString, VaultId, rng,
};

/// One row of an item list (only the overview is decrypted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemSummary {
    /// The vault.
    pub vault: VaultId,
    /// The item.
    pub item: ItemId,
    /// Its revision (the one a queued edit will have, if any).
    pub revision: u64,
    /// Kind, title, subtitle, icon, tags.
    pub overview: Overview,
    /// A local edit of it waits for the server.
    pub pending: bool,
}

/// An id as typed, compared loosely (no hyphens, lower case).
pub(super) fn normalize_id(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl UnlockedDevice {
    /// The items of one vault, or of every vault, with their overviews
    /// decrypted (the details stay sealed). Items that do not decrypt (a key
    /// not open yet) are left out and logged.
    pub fn list_items(&self, vault: Option<VaultId>) -> ClientResult<Vec<ItemSummary>> {
        let vaults: Vec<VaultId> = match vault {
            Some(v) => {
                if self.engine.membership(v).is_none() {
                    return Err(ClientError::NotFound(format!("no vault {v}")));
                }
                vec![v]
            }
            None => self.engine.vaults().map(|(v, _)| v).collect(),
        };
        let mut out = Vec::new();
        for v in vaults {
            for it in self.engine.items(v) {
                match self
                    .vault_key_at(v, it.key_version)
                    .and_then(|k| Ok(k.decrypt_overview(it)?))
                {
                    Ok(row) => out.push(ItemSummary {
                        vault: v,
                        item: row.item,
                        revision: row.revision,
                        overview: row.overview,
                        pending: !self.engine.pending(v, it.item).is_empty(),
                    }),
                    Err(e) => {
                        tracing::warn!(vault = %v, item = %it.item, error = e.code(), "item not shown");
                    }
                }
            }
        }
        out.sort_by(|a, b| {
            a.overview
                .title
                .to_lowercase()
                .cmp(&b.overview.title.to_lowercase())
                .then(a.item.cmp(&b.item))
        });
        Ok(out)
    }

    /// Finds an item by id, id prefix (4+ hex digits) or exact title
    /// (case-insensitive), in `vault` or everywhere.
    ///
    /// ```no_run
    /// # fn f(device: &vault_sync::client::UnlockedDevice) -> Result<(), vault_sync::client::ClientError> {
    /// let (vault, item) = device.find_item("GitHub", None)?;
    /// let item = device.get_item(vault, item)?;
    /// println!("{}", item.title);
    /// # Ok(()) }
    /// ```
    pub fn find_item(
        &self,
        query: &str,
        vault: Option<VaultId>,
    ) -> ClientResult<(VaultId, ItemId)> {
        let q = query.trim();
        let items = self.list_items(vault)?;
        let pick = |m: Vec<&ItemSummary>| -> Option<ClientResult<(VaultId, ItemId)>> {
            match m.as_slice() {
                [] => None,
                [one] => Some(Ok((one.vault, one.item))),
                many => Some(Err(ClientError::Ambiguous(format!(
                    "{} items match {q}: use an id ({})",
                    many.len(),
                    many.iter()
                        .map(|i| i.item.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )))),
            }
        };
        if let Ok(id) = q.parse::<ItemId>()
            && let Some(r) = pick(items.iter().filter(|i| i.item == id).collect())
        {
            return r;
        }
        if let Some(r) = pick(
            items
                .iter()
                .filter(|i| i.overview.title.eq_ignore_ascii_case(q))
                .collect(),
        ) {
            return r;
        }
        let hex = normalize_id(q);
        if hex.len() >= 4
            && hex.chars().all(|c| c.is_ascii_hexdigit())
            && let Some(r) = pick(
                items
                    .iter()
                    .filter(|i| normalize_id(&i.item.to_string()).starts_with(&hex))
                    .collect(),
            )
        {
            return r;
        }
        Err(ClientError::NotFound(format!("no item {q}")))
    }

    /// Reads one secret of an item found as [`find_item`](Self::find_item)
    /// finds it (an id, a title in any case, an id prefix), offline from
    /// the replica: what `vault get` prints and what the Node client's
    /// `readSecret` returns.
    ///
    /// Without `field`: the item's primary secret ([`Item::primary_secret`]:
    /// a login's password, a single API-key value, a note's text, …). With
    /// `field`: that field by the names [`Item::field`] takes.
    ///
    /// Errors: [`ClientError::NotFound`] (no such item or field, or an
    /// API-key item with no entries), [`ClientError::Ambiguous`] (several
    /// items match, or an API-key item with several entries and no
    /// `field`), [`ClientError::Invalid`] (an item kind with no primary
    /// secret).
    ///
    /// ```no_run
    /// # fn f(device: &vault_sync::client::UnlockedDevice) -> Result<(), vault_sync::client::ClientError> {
    /// let password = device.read_secret("GitHub", None, None)?;
    /// let user = device.read_secret("GitHub", None, Some("username"))?;
    /// # Ok(()) }
    /// ```
    pub fn read_secret(
        &self,
        query: &str,
        vault: Option<VaultId>,
        field: Option<&str>,
    ) -> ClientResult<SecretString> {
        let (v, i) = self.find_item(query, vault)?;
        let item = self.get_item(v, i)?;
        match field {
            Some(name) => item.field(name).ok_or_else(|| {
                ClientError::NotFound(format!("item {} has no field {name}", item.title))
            }),
            None => item.primary_secret().cloned().map_err(|e| {
                let msg = e.to_string();
                match e {
                    NoPrimarySecret::NoEntries => ClientError::NotFound(msg),
                    NoPrimarySecret::SeveralEntries => ClientError::Ambiguous(msg),
                    NoPrimarySecret::NotForKind => ClientError::Invalid(msg),
                }
            }),
        }
    }

    fn current_blob(&self, vault: VaultId, item: ItemId) -> ClientResult<&EncryptedItem> {
        self.engine
            .item(vault, item)
            .ok_or_else(|| ClientError::NotFound(format!("no item {item}")))
    }

    /// Decrypts one item in full (local edits applied).
    pub fn get_item(&self, vault: VaultId, item: ItemId) -> ClientResult<Item> {
        let blob = self.current_blob(vault, item)?;
        Ok(self
            .vault_key_at(vault, blob.key_version)?
            .decrypt_item(blob)?)
    }

    async fn queue_upsert(&mut self, vault: VaultId, id: ItemId, item: &Item) -> ClientResult<()> {
        self.reload_if_changed().await?;
        if let Some(m) = self.engine.membership(vault) {
            if m.role == Role::Viewer {
                return Err(ClientError::Invalid(
                    "this vault is shared with you read-only".into(),
                ));
            }
        } else {
            return Err(ClientError::NotFound(format!("no vault {vault}")));
        }
        let key = self.vault_key(vault)?.clone();
        let revision = self.engine.next_revision(vault, id);
        let blob = key.encrypt_item(id, revision, item, &mut rng::os_rng())?;
        self.engine.local_upsert(blob)?;
        self.persist().await
    }

    /// Adds an item to `vault` (queued locally; the next sync pushes it).
    pub async fn add_item(&mut self, vault: VaultId, item: &Item) -> ClientResult<ItemId> {
        let id = ItemId::generate(&mut rng::os_rng());
        self.queue_upsert(vault, id, item).await?;
        Ok(id)
    }

    /// Replaces an item's content (queued locally, sealed for the next
    /// revision; the next sync pushes it).
    pub async fn edit_item(&mut self, vault: VaultId, id: ItemId, item: &Item) -> ClientResult<()> {
        self.current_blob(vault, id)?;
        self.queue_upsert(vault, id, item).await
    }

    /// Deletes an item (queued locally; the next sync pushes it).
    pub async fn delete_item(&mut self, vault: VaultId, id: ItemId) -> ClientResult<()> {
        self.reload_if_changed().await?;
        self.current_blob(vault, id)?;
        if self
            .engine
            .membership(vault)
            .is_some_and(|m| m.role == Role::Viewer)
        {
            return Err(ClientError::Invalid(
                "this vault is shared with you read-only".into(),
            ));
        }
        self.engine.local_delete(vault, id)?;
        self.persist().await
    }
}
