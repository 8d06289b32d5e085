//! Sync, the vault list, and reading and editing items.

use super::{VaultClient, id, run, run_json, run_unit};
use crate::convert::from_js;
use crate::error::Result;
use napi::bindgen_prelude::PromiseRaw;
use napi::{Env, Unknown};
use napi_derive::napi;
use serde::Serialize;
use vault_core::sync::AutoAction;
use vault_core::{AccountId, Item, ItemId, Overview, Role, VaultId};
use vault_sync::client::{ItemSummary, SyncReport, VaultSummary};

#[derive(Serialize)]
struct VaultJs {
    vault: VaultId,
    name: String,
    description: String,
    role: Role,
    key_version: u32,
    items: usize,
    shared_by: Option<AccountId>,
}

impl From<VaultSummary> for VaultJs {
    fn from(v: VaultSummary) -> Self {
        VaultJs {
            vault: v.vault,
            name: v.name,
            description: v.description,
            role: v.role,
            key_version: v.key_version,
            items: v.items,
            shared_by: v.shared_by,
        }
    }
}

#[derive(Serialize)]
struct ItemRowJs {
    vault: VaultId,
    item: ItemId,
    revision: u64,
    overview: Overview,
    pending: bool,
}

impl From<ItemSummary> for ItemRowJs {
    fn from(r: ItemSummary) -> Self {
        ItemRowJs {
            vault: r.vault,
            item: r.item,
            revision: r.revision,
            overview: r.overview,
            pending: r.pending,
        }
    }
}

#[derive(Serialize)]
struct ResolvedJs {
    vault: VaultId,
    item: ItemId,
    action: AutoAction,
}

#[derive(Serialize)]
struct SyncReportJs {
    pages: usize,
    pulled: usize,
    pushed: usize,
    vaults_changed: Vec<VaultId>,
    items_changed: usize,
    resolved: Vec<ResolvedJs>,
    pending: usize,
    conflicts_left: usize,
}

impl From<SyncReport> for SyncReportJs {
    fn from(r: SyncReport) -> Self {
        SyncReportJs {
            pages: r.pages,
            pulled: r.pulled,
            pushed: r.pushed,
            vaults_changed: r.vaults_changed,
            items_changed: r.items_changed,
            resolved: r
                .resolved
                .into_iter()
                .map(|c| ResolvedJs {
                    vault: c.vault,
                    item: c.item,
                    action: c.action,
                })
                .collect(),
            pending: r.pending,
            conflicts_left: r.conflicts_left,
        }
    }
}

#[napi]
impl VaultClient {
    /// One sync round: pull the feed, resolve conflicts (keep both
    /// versions), push queued edits. Offline it rejects with `network`
    /// (`offline: true`) and the edits stay queued.
    #[napi(ts_return_type = "Promise<SyncReport>")]
    pub fn sync<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let inner = self.inner.clone();
        run_json(env, async move {
            let mut st = inner.state.lock().await;
            let report = st.unlocked()?.sync().await?;
            Ok(SyncReportJs::from(report))
        })
    }

    /// The vaults this device holds, by name (offline).
    #[napi(ts_return_type = "Promise<VaultSummary[]>")]
    pub fn vaults<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let inner = self.inner.clone();
        run_json(env, async move {
            let mut st = inner.state.lock().await;
            let vaults = st.unlocked()?.vaults();
            Ok(vaults.into_iter().map(VaultJs::from).collect::<Vec<_>>())
        })
    }

    /// The items of one vault (or of every vault), overviews only, sorted by
    /// title (offline; local edits applied).
    #[napi(ts_return_type = "Promise<ItemSummary[]>")]
    pub fn list_items<'e>(
        &self,
        env: &'e Env,
        vault_id: Option<String>,
    ) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let inner = self.inner.clone();
        run_json(env, async move {
            let vault = vault_id.as_deref().map(id::<VaultId>).transpose()?;
            let mut st = inner.state.lock().await;
            let rows = st.unlocked()?.list_items(vault)?;
            Ok(rows.into_iter().map(ItemRowJs::from).collect::<Vec<_>>())
        })
    }

    /// One item in full, decrypted (offline). Its secrets become JS strings.
    #[napi(ts_return_type = "Promise<Item>")]
    pub fn get_item<'e>(
        &self,
        env: &'e Env,
        vault_id: String,
        item_id: String,
    ) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let inner = self.inner.clone();
        run_json(env, async move {
            let (vault, item) = (id::<VaultId>(&vault_id)?, id::<ItemId>(&item_id)?);
            let mut st = inner.state.lock().await;
            Ok(st.unlocked()?.get_item(vault, item)?)
        })
    }

    /// Adds an item (queued; the next `sync` pushes it). Resolves with its id.
    #[napi(
        ts_args_type = "vaultId: string, item: Item",
        ts_return_type = "Promise<string>"
    )]
    pub fn add_item<'e>(
        &self,
        env: &'e Env,
        vault_id: String,
        item: Unknown<'_>,
    ) -> Result<PromiseRaw<'e, String>> {
        let item: Item = from_js(env, item, "item")?;
        let inner = self.inner.clone();
        run(
            env,
            async move {
                let vault = id::<VaultId>(&vault_id)?;
                let mut st = inner.state.lock().await;
                let id = st.unlocked()?.add_item(vault, &item).await?;
                Ok(id.to_string())
            },
            |_, s| Ok(s),
        )
    }

    /// Replaces an item's content (queued; the next `sync` pushes it).
    #[napi(
        ts_args_type = "vaultId: string, itemId: string, item: Item",
        ts_return_type = "Promise<void>"
    )]
    pub fn edit_item<'e>(
        &self,
        env: &'e Env,
        vault_id: String,
        item_id: String,
        item: Unknown<'_>,
    ) -> Result<PromiseRaw<'e, ()>> {
        let item: Item = from_js(env, item, "item")?;
        let inner = self.inner.clone();
        run_unit(env, async move {
            let (vault, id) = (id::<VaultId>(&vault_id)?, id::<ItemId>(&item_id)?);
            let mut st = inner.state.lock().await;
            Ok(st.unlocked()?.edit_item(vault, id, &item).await?)
        })
    }

    /// Deletes an item (queued; the next `sync` pushes it).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete_item<'e>(
        &self,
        env: &'e Env,
        vault_id: String,
        item_id: String,
    ) -> Result<PromiseRaw<'e, ()>> {
        let inner = self.inner.clone();
        run_unit(env, async move {
            let (vault, id) = (id::<VaultId>(&vault_id)?, id::<ItemId>(&item_id)?);
            let mut st = inner.state.lock().await;
            Ok(st.unlocked()?.delete_item(vault, id).await?)
        })
    }
}
