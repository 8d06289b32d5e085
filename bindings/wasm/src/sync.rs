//! The sans-IO sync engine (`vault_core::sync`): one object per account and
//! device holding the local replica (ciphertext only), the plan/apply steps
//! the app drives with `fetch`, and conflict resolution.
//!
//! Wire messages are the plain objects of `docs/protocol.md` (`PullRequest`,
//! `PullPage`, `PushRequest`, `PushResponse`); their JSON text is accepted
//! too, so a response body can be passed as is. Outcomes, conflicts and
//! resolutions are plain objects in vault-core's serde shape.

use crate::convert::{from_str, parse_with, safe_integer, to_js};
use crate::error::Result;
use crate::rng::{JsRng, with_rng};
use crate::vault::JsVaultKey;
use serde::Serialize;
use vault_core::sync::wire::{PullPage, PushResponse};
use vault_core::sync::{ConflictId, Membership, SyncEngine};
use vault_core::{EncryptedItem, ItemId, VaultId};
use wasm_bindgen::prelude::*;

/// The vault keys an app holds, for conflict resolution (which decrypts the
/// local version and re-seals it). A ring holds copies: the keys added stay
/// usable, and freeing the ring wipes its copies.
#[wasm_bindgen]
#[derive(Default)]
pub struct VaultKeyRing(Vec<vault_core::VaultKey>);

#[wasm_bindgen]
impl VaultKeyRing {
    /// An empty ring.
    #[wasm_bindgen(constructor)]
    pub fn new() -> VaultKeyRing {
        VaultKeyRing::default()
    }

    /// A ring with one key.
    pub fn of(key: &JsVaultKey) -> VaultKeyRing {
        VaultKeyRing(vec![key.0.clone()])
    }

    /// Adds (a copy of) a key: one per vault and key generation you hold.
    pub fn add(&mut self, key: &JsVaultKey) {
        self.0.push(key.0.clone());
    }

    /// How many keys the ring holds.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.0.len()
    }
}

/// One membership as JS sees it: the vault id beside the membership fields.
#[derive(Serialize)]
struct VaultJs<'a> {
    vault: VaultId,
    #[serde(flatten)]
    membership: &'a Membership,
}

fn vault_id(text: &str) -> Result<VaultId> {
    from_str(text, "vault id")
}

fn item_id(text: &str) -> Result<ItemId> {
    from_str(text, "item id")
}

fn conflict_id(id: f64) -> Result<ConflictId> {
    Ok(ConflictId(safe_integer(
        id,
        "a conflict id is a non-negative safe integer",
    )?))
}

/// The local replica of one user on one device and the steps of a sync
/// round; it does no IO. Pull: `planPull()` → GET the feed → `applyPull(page)`,
/// again while `hasMore`. Push: `planPush()` → POST it → `applyPush(response)`,
/// again while a request is planned and `progressed`. Save `toJson()` after
/// every step (ciphertext only).
#[wasm_bindgen(js_name = SyncEngine)]
pub struct JsSyncEngine(SyncEngine);

#[wasm_bindgen(js_class = SyncEngine)]
impl JsSyncEngine {
    /// A fresh engine: no cursor, nothing known, nothing queued.
    #[wasm_bindgen(constructor)]
    pub fn new() -> JsSyncEngine {
        JsSyncEngine(SyncEngine::new())
    }

    /// Restores a persisted engine (unknown versions and fields are rejected).
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(json: &str) -> Result<JsSyncEngine> {
        Ok(JsSyncEngine(SyncEngine::from_json(json)?))
    }

    /// The persisted form: ciphertext, wrapped keys, ids and counters only.
    #[wasm_bindgen(js_name = toJson)]
    pub fn to_json(&self) -> Result<String> {
        Ok(self.0.to_json()?)
    }

    /// The feed cursor of the last applied page (undefined before the first).
    #[wasm_bindgen(getter)]
    pub fn cursor(&self) -> Option<String> {
        self.0.cursor().map(|c| c.as_str().to_owned())
    }

    /// Pull, step 1: the request to send (`since` = the cursor).
    #[wasm_bindgen(js_name = planPull, unchecked_return_type = "PullRequest")]
    pub fn plan_pull(&self) -> Result<JsValue> {
        to_js(&self.0.plan_pull())
    }

    /// Pull, step 2: merges one page of the feed. A replayed page changes
    /// nothing (`applied: false`); a malformed one throws and changes nothing.
    #[wasm_bindgen(js_name = applyPull, unchecked_return_type = "PullOutcome")]
    pub fn apply_pull(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "PullPage | string")] page: JsValue,
    ) -> Result<JsValue> {
        let page = parse_with(&page, "sync page", PullPage::from_json)?;
        to_js(&self.0.apply_pull(page)?)
    }

    /// Push, step 1: the queued writes to send, or undefined when nothing is queued.
    #[wasm_bindgen(js_name = planPush, unchecked_return_type = "PushRequest | undefined")]
    pub fn plan_push(&mut self) -> Result<JsValue> {
        match self.0.plan_push() {
            Some(req) => to_js(&req),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// Push, step 2: applies the server's answer (acknowledgements, 409
    /// conflicts, rejections).
    #[wasm_bindgen(js_name = applyPush, unchecked_return_type = "PushOutcome")]
    pub fn apply_push(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "PushResponse | string")] response: JsValue,
    ) -> Result<JsValue> {
        let resp = parse_with(&response, "sync push response", PushResponse::from_json)?;
        to_js(&self.0.apply_push(resp)?)
    }

    /// The revision to seal a local edit of an item for (1 for a new item):
    /// pass it to `VaultKey.encryptItem`, then `localUpsert` the result.
    #[wasm_bindgen(js_name = nextRevision)]
    pub fn next_revision(
        &self,
        #[wasm_bindgen(js_name = "vaultId")] vault: &str,
        #[wasm_bindgen(js_name = "itemId")] item: &str,
    ) -> Result<f64> {
        let rev = self.0.next_revision(vault_id(vault)?, item_id(item)?);
        crate::convert::revision_to_js(rev)
    }

    /// Queues a local create or edit (sealed for `nextRevision`).
    #[wasm_bindgen(js_name = localUpsert)]
    pub fn local_upsert(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "EncryptedItem | string")] item: JsValue,
    ) -> Result<()> {
        let item = parse_with(&item, "encrypted item", EncryptedItem::from_json)?;
        Ok(self.0.local_upsert(item)?)
    }

    /// Queues a local deletion.
    #[wasm_bindgen(js_name = localDelete)]
    pub fn local_delete(
        &mut self,
        #[wasm_bindgen(js_name = "vaultId")] vault: &str,
        #[wasm_bindgen(js_name = "itemId")] item: &str,
    ) -> Result<()> {
        Ok(self.0.local_delete(vault_id(vault)?, item_id(item)?)?)
    }

    /// How many local edits wait for the server.
    #[wasm_bindgen(getter, js_name = pendingCount)]
    pub fn pending_count(&self) -> usize {
        self.0.pending_count()
    }

    /// What the user sees in a vault: the server's items with queued local
    /// edits on top (deleted ones hidden), by item id. Decrypt with
    /// `VaultKey.decryptList`.
    #[wasm_bindgen(unchecked_return_type = "EncryptedItem[]")]
    pub fn items(&self, #[wasm_bindgen(js_name = "vaultId")] vault: &str) -> Result<JsValue> {
        let items: Vec<&EncryptedItem> = self.0.items(vault_id(vault)?).collect();
        to_js(&items)
    }

    /// The user's current version of one item, or undefined.
    #[wasm_bindgen(unchecked_return_type = "EncryptedItem | undefined")]
    pub fn item(
        &self,
        #[wasm_bindgen(js_name = "vaultId")] vault: &str,
        #[wasm_bindgen(js_name = "itemId")] item: &str,
    ) -> Result<JsValue> {
        match self.0.item(vault_id(vault)?, item_id(item)?) {
            Some(i) => to_js(i),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// The vaults the feed delivered a membership for.
    #[wasm_bindgen(unchecked_return_type = "VaultMembership[]")]
    pub fn vaults(&self) -> Result<JsValue> {
        let list: Vec<VaultJs<'_>> = self
            .0
            .vaults()
            .map(|(vault, membership)| VaultJs { vault, membership })
            .collect();
        to_js(&list)
    }

    /// Unresolved conflicts, oldest first.
    #[wasm_bindgen(unchecked_return_type = "Conflict[]")]
    pub fn conflicts(&self) -> Result<JsValue> {
        to_js(self.0.conflicts())
    }

    /// Resolves every conflict the default policy can decide: edit/edit keeps
    /// both (the local version becomes a new item titled with `copySuffix`),
    /// edit/delete recreates, delete/edit keeps the edit, stale keys are
    /// re-sealed. Returns what happened to each conflict.
    #[wasm_bindgen(js_name = resolveDefault, unchecked_return_type = "AutoResolution[]")]
    pub fn resolve_default(
        &mut self,
        keys: &VaultKeyRing,
        #[wasm_bindgen(js_name = "copySuffix")] copy_suffix: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<JsValue> {
        let done = with_rng(rng, |r| self.0.resolve_default(&keys.0, copy_suffix, r));
        to_js(&done)
    }

    /// Keeps both versions: the local one becomes a new item titled with
    /// `titleSuffix`. Returns the copy's id (undefined for a local deletion).
    #[wasm_bindgen(js_name = resolveKeepBoth)]
    pub fn resolve_keep_both(
        &mut self,
        #[wasm_bindgen(js_name = "conflictId")] id: f64,
        keys: &VaultKeyRing,
        #[wasm_bindgen(js_name = "titleSuffix")] title_suffix: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<Option<String>> {
        let id = conflict_id(id)?;
        let copy = with_rng(rng, |r| {
            self.0.resolve_keep_both(id, &keys.0, title_suffix, r)
        })?;
        Ok(copy.map(|c| c.to_string()))
    }

    /// Makes the local version current again (re-sealed, queued after the
    /// server's version).
    #[wasm_bindgen(js_name = resolveKeepLocal)]
    pub fn resolve_keep_local(
        &mut self,
        #[wasm_bindgen(js_name = "conflictId")] id: f64,
        keys: &VaultKeyRing,
        #[wasm_bindgen(unchecked_optional_param_type = "Rng")] rng: Option<JsRng>,
    ) -> Result<()> {
        let id = conflict_id(id)?;
        Ok(with_rng(rng, |r| {
            self.0.resolve_keep_local(id, &keys.0, r)
        })?)
    }

    /// Discards the local version; returns the conflict.
    #[wasm_bindgen(js_name = resolveKeepServer, unchecked_return_type = "Conflict")]
    pub fn resolve_keep_server(
        &mut self,
        #[wasm_bindgen(js_name = "conflictId")] id: f64,
    ) -> Result<JsValue> {
        to_js(&self.0.resolve_keep_server(conflict_id(id)?)?)
    }
}

impl Default for JsSyncEngine {
    fn default() -> Self {
        JsSyncEngine::new()
    }
}
