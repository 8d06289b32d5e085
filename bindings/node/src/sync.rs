//! The sans-IO sync engine (`vault_core::sync`): the local replica of one
//! user on one device (ciphertext only), the plan/apply steps of a sync round
//! (the app does the HTTP), and conflict resolution.
//!
//! Wire messages are plain objects in the shapes of `docs/protocol.md`
//! (their JSON text works too, e.g. a response body as received); outcomes,
//! conflicts and resolutions are plain objects in vault-core's serde shapes.

use crate::convert::{message, parse_id, to_js};
use crate::error::{OrThrow, Result, invalid};
use crate::rng::{Rng, with_rng};
use crate::vault::{VaultKey, read_item};
use napi::{Env, Unknown};
use napi_derive::napi;
use serde::Serialize;
use vault_core::sync::wire::{PullPage, PushResponse};
use vault_core::sync::{ConflictId, Membership};
use vault_core::{EncryptedItem, ItemId, VaultId};

/// One membership as JS sees it: the vault id beside the membership fields.
#[derive(Serialize)]
struct VaultJs<'a> {
    vault: VaultId,
    #[serde(flatten)]
    membership: &'a Membership,
}

fn keys(keys: &[&VaultKey]) -> Vec<vault_core::VaultKey> {
    keys.iter().map(|k| k.inner.clone()).collect()
}

fn conflict_id(id: i64) -> Result<ConflictId> {
    u64::try_from(id)
        .map(ConflictId)
        .map_err(|_| invalid("a conflict id is a non-negative integer"))
}

/// The local replica of one user on one device, and the steps of a sync
/// round; it does no IO. Pull: `planPull()` → GET the feed →
/// `applyPull(page)`, again while `hasMore`. Push: `planPush()` → POST it →
/// `applyPush(response)`, again while a request is planned and `progressed`.
/// Persist `toJson()` after every step: it holds ciphertext only.
#[napi]
pub struct SyncEngine {
    inner: vault_core::sync::SyncEngine,
}

impl Default for SyncEngine {
    fn default() -> Self {
        SyncEngine::new()
    }
}

#[napi]
impl SyncEngine {
    /// A fresh engine: no cursor, nothing known, nothing queued.
    #[napi(constructor)]
    pub fn new() -> Self {
        SyncEngine {
            inner: vault_core::sync::SyncEngine::new(),
        }
    }

    /// Restores a persisted engine (unknown versions and fields are rejected).
    #[napi(factory)]
    pub fn from_json(json: String) -> Result<Self> {
        Ok(SyncEngine {
            inner: vault_core::sync::SyncEngine::from_json(&json).or_throw()?,
        })
    }

    /// The persisted form: ciphertext, wrapped keys, ids and counters only.
    #[napi]
    pub fn to_json(&self) -> Result<String> {
        self.inner.to_json().or_throw()
    }

    /// The feed cursor of the last applied page (null before the first).
    #[napi(getter)]
    pub fn cursor(&self) -> Option<String> {
        self.inner.cursor().map(|c| c.as_str().to_owned())
    }

    /// Pull, step 1: the request to send (`since` = the cursor).
    #[napi(ts_return_type = "PullRequest")]
    pub fn plan_pull<'e>(&self, env: &'e Env) -> Result<Unknown<'e>> {
        to_js(env, &self.inner.plan_pull())
    }

    /// Pull, step 2: merges one page of the feed. A replayed page changes
    /// nothing (`applied: false`); a malformed one throws and changes nothing.
    #[napi(ts_return_type = "PullOutcome")]
    pub fn apply_pull<'e>(
        &mut self,
        env: &'e Env,
        #[napi(ts_arg_type = "PullPage | string")] page: Unknown<'_>,
    ) -> Result<Unknown<'e>> {
        let page = message(env, page, "sync page", PullPage::from_json)?;
        to_js(env, &self.inner.apply_pull(page).or_throw()?)
    }

    /// Push, step 1: the queued writes to send, or null when nothing is queued.
    #[napi(ts_return_type = "PushRequest | null")]
    pub fn plan_push<'e>(&mut self, env: &'e Env) -> Result<Option<Unknown<'e>>> {
        self.inner
            .plan_push()
            .map(|req| to_js(env, &req))
            .transpose()
    }

    /// Push, step 2: applies the server's answer (acknowledgements, 409
    /// conflicts, rejections).
    #[napi(ts_return_type = "PushOutcome")]
    pub fn apply_push<'e>(
        &mut self,
        env: &'e Env,
        #[napi(ts_arg_type = "PushResponse | string")] response: Unknown<'_>,
    ) -> Result<Unknown<'e>> {
        let resp = message(env, response, "sync push response", PushResponse::from_json)?;
        to_js(env, &self.inner.apply_push(resp).or_throw()?)
    }

    /// The revision to seal a local edit of an item for (1 for a new item):
    /// pass it to `VaultKey.encryptItem`, then `localUpsert` the result.
    #[napi]
    pub fn next_revision(&self, vault_id: String, item_id: String) -> Result<i64> {
        let rev = self
            .inner
            .next_revision(parse_id(&vault_id)?, parse_id(&item_id)?);
        i64::try_from(rev).map_err(|_| invalid("revision out of range"))
    }

    /// Queues a local create or edit (an encrypted item sealed for `nextRevision`).
    #[napi]
    pub fn local_upsert(
        &mut self,
        env: &Env,
        #[napi(ts_arg_type = "EncryptedItem | string")] item: Unknown<'_>,
    ) -> Result<()> {
        let item = read_item(env, item)?;
        self.inner.local_upsert(item).or_throw()
    }

    /// Queues a local deletion.
    #[napi]
    pub fn local_delete(&mut self, vault_id: String, item_id: String) -> Result<()> {
        self.inner
            .local_delete(parse_id(&vault_id)?, parse_id(&item_id)?)
            .or_throw()
    }

    /// How many local edits wait for the server.
    #[napi(getter)]
    pub fn pending_count(&self) -> u32 {
        u32::try_from(self.inner.pending_count()).unwrap_or(u32::MAX)
    }

    /// What the user sees in a vault: the server's items with queued local
    /// edits on top (deleted ones hidden), by item id. Decrypt with
    /// `VaultKey.decryptList`.
    #[napi(ts_return_type = "EncryptedItem[]")]
    pub fn items<'e>(&self, env: &'e Env, vault_id: String) -> Result<Unknown<'e>> {
        let vault: VaultId = parse_id(&vault_id)?;
        let items: Vec<&EncryptedItem> = self.inner.items(vault).collect();
        to_js(env, &items)
    }

    /// The user's current version of one item, or null.
    #[napi(ts_return_type = "EncryptedItem | null")]
    pub fn item<'e>(
        &self,
        env: &'e Env,
        vault_id: String,
        item_id: String,
    ) -> Result<Option<Unknown<'e>>> {
        let (vault, item): (VaultId, ItemId) = (parse_id(&vault_id)?, parse_id(&item_id)?);
        self.inner
            .item(vault, item)
            .map(|i| to_js(env, i))
            .transpose()
    }

    /// The vaults the feed delivered a membership for.
    #[napi(ts_return_type = "VaultMembership[]")]
    pub fn vaults<'e>(&self, env: &'e Env) -> Result<Unknown<'e>> {
        let list: Vec<VaultJs<'_>> = self
            .inner
            .vaults()
            .map(|(vault, membership)| VaultJs { vault, membership })
            .collect();
        to_js(env, &list)
    }

    /// Unresolved conflicts, oldest first.
    #[napi(ts_return_type = "Conflict[]")]
    pub fn conflicts<'e>(&self, env: &'e Env) -> Result<Unknown<'e>> {
        to_js(env, &self.inner.conflicts())
    }

    /// Resolves every conflict the default policy can decide: edit/edit keeps
    /// both (the local version becomes a new item titled with `copySuffix`),
    /// edit/delete recreates, delete/edit keeps the edit, stale keys are
    /// re-sealed. `keys`: the vault keys the app holds. Returns what happened
    /// to each conflict.
    #[napi(ts_return_type = "AutoResolution[]")]
    pub fn resolve_default<'e>(
        &mut self,
        env: &'e Env,
        keys: Vec<&VaultKey>,
        copy_suffix: String,
        rng: Option<&mut Rng>,
    ) -> Result<Unknown<'e>> {
        let keys = self::keys(&keys);
        let done = with_rng(rng, |r| {
            Ok(self.inner.resolve_default(&keys, &copy_suffix, r))
        })?;
        to_js(env, &done)
    }

    /// Keeps both versions: the local one becomes a new item titled with
    /// `titleSuffix`. Returns the copy's id (null for a local deletion).
    #[napi]
    pub fn resolve_keep_both(
        &mut self,
        conflict_id: i64,
        keys: Vec<&VaultKey>,
        title_suffix: String,
        rng: Option<&mut Rng>,
    ) -> Result<Option<String>> {
        let id = self::conflict_id(conflict_id)?;
        let keys = self::keys(&keys);
        let copy = with_rng(rng, |r| {
            self.inner
                .resolve_keep_both(id, &keys, &title_suffix, r)
                .or_throw()
        })?;
        Ok(copy.map(|c| c.to_string()))
    }

    /// Makes the local version current again (re-sealed, queued after the
    /// server's version).
    #[napi]
    pub fn resolve_keep_local(
        &mut self,
        conflict_id: i64,
        keys: Vec<&VaultKey>,
        rng: Option<&mut Rng>,
    ) -> Result<()> {
        let id = self::conflict_id(conflict_id)?;
        let keys = self::keys(&keys);
        with_rng(rng, |r| {
            self.inner.resolve_keep_local(id, &keys, r).or_throw()
        })
    }

    /// Discards the local version; returns the conflict.
    #[napi(ts_return_type = "Conflict")]
    pub fn resolve_keep_server<'e>(
        &mut self,
        env: &'e Env,
        conflict_id: i64,
    ) -> Result<Unknown<'e>> {
        let c = self
            .inner
            .resolve_keep_server(self::conflict_id(conflict_id)?)
            .or_throw()?;
        to_js(env, &c)
    }
}
