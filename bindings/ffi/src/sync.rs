//! The sans-IO sync engine (`vault_core::sync`): the local replica as one
//! object, the plan/apply steps the app drives with its own HTTP stack, and
//! conflict resolution.
//!
//! Wire messages (`PullRequest`, `PullPage`, `PushRequest`, `PushResponse`)
//! cross as their JSON text, exactly what goes over HTTP (`docs/protocol.md`);
//! items as [`EncryptedItem`] records; outcomes and conflicts as records.
//! The engine holds only ciphertext: persist [`SyncEngine::to_json`] as is.

use crate::convert;
use crate::error::Result;
use crate::item::EncryptedItem;
use crate::rng::Rng;
use crate::sharing::{Role, VaultGrant};
use crate::vault::{EncryptedVault, VaultKey, WrappedVaultKey};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use vault_core::sync as core;

/// One user's replica on one device, with the plan/apply steps of a sync
/// round. Thread-safe (one lock around the engine); keep one per account.
#[derive(uniffi::Object, Debug)]
pub struct SyncEngine(Mutex<core::SyncEngine>);

/// An item address: vault and item ids (UUID text).
#[derive(uniffi::Record, Clone, Debug, PartialEq, Eq)]
pub struct ItemRef {
    /// The vault.
    pub vault: String,
    /// The item.
    pub item: String,
}

/// A write the server now holds.
#[derive(uniffi::Record, Clone, Debug, PartialEq, Eq)]
pub struct SyncAck {
    /// The vault.
    pub vault: String,
    /// The item.
    pub item: String,
    /// The revision the server stored.
    pub revision: u64,
    /// The write's label in the push request.
    pub op: u64,
}

/// What [`SyncEngine::apply_pull`] did.
#[derive(uniffi::Record, Clone, Debug, PartialEq, Eq)]
pub struct PullOutcome {
    /// False if the page did not answer the engine's cursor (a replay): nothing changed.
    pub applied: bool,
    /// More changes wait: pull again right away.
    pub has_more: bool,
    /// Items whose visible state may have changed (refresh them in the UI).
    pub changed: Vec<ItemRef>,
    /// Vaults whose membership, metadata or keys changed, or that were removed.
    pub vaults_changed: Vec<String>,
    /// Local edits the feed showed to be on the server.
    pub acknowledged: Vec<SyncAck>,
    /// Ids of the conflicts this page created.
    pub conflicts: Vec<u64>,
}

/// What [`SyncEngine::apply_push`] did.
#[derive(uniffi::Record, Clone, Debug, PartialEq, Eq)]
pub struct PushOutcome {
    /// Writes the server stored.
    pub acknowledged: Vec<SyncAck>,
    /// Ids of the conflicts created (409s and rejections).
    pub conflicts: Vec<u64>,
    /// Results for writes no longer queued (already settled): ignored.
    pub ignored: u64,
    /// Whether the response settled anything; a push loop stops when false.
    pub progressed: bool,
}

/// An item as the server holds it.
#[derive(uniffi::Enum, Clone, Debug, PartialEq, Eq)]
pub enum ItemState {
    /// The current blob.
    Live {
        /// The blob (its revision is the server's).
        item: EncryptedItem,
    },
    /// Deleted at `revision`.
    Deleted {
        /// The vault (UUID text).
        vault: String,
        /// The item (UUID text).
        item: String,
        /// Revision of the deletion.
        revision: u64,
    },
}

/// Why a local edit became a conflict.
#[derive(uniffi::Enum, Clone, Debug, PartialEq, Eq)]
pub enum ConflictCause {
    /// Another device changed or deleted the item since the edit's base.
    Diverged {
        /// The server's version when the conflict was found.
        server: ItemState,
    },
    /// The server refused the write: `forbidden`, `not_found`, `invalid`,
    /// `too_large`, `stale_key` or `other`.
    Rejected {
        /// The wire reason.
        reason: String,
    },
    /// The user lost access to the vault.
    VaultUnavailable,
}

/// A local edit the server did not take, kept (as ciphertext) until resolved.
#[derive(uniffi::Record, Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// Its id, for the `resolve_*` calls.
    pub id: u64,
    /// The vault (UUID text).
    pub vault: String,
    /// The item (UUID text).
    pub item: String,
    /// The server revision the local edits started from.
    pub base: u64,
    /// The user's latest local version; `None` for a local deletion.
    pub local: Option<EncryptedItem>,
    /// Why it could not be applied.
    pub cause: ConflictCause,
}

/// What [`SyncEngine::resolve_default`] did with one conflict.
#[derive(uniffi::Enum, Clone, Debug, PartialEq, Eq)]
pub enum AutoAction {
    /// Both edited: the server's version keeps the id, the local one became
    /// the new item `copy` (queued).
    KeptBoth {
        /// The copy's item id (UUID text).
        copy: String,
    },
    /// Both edited to the same content.
    KeptServerIdentical,
    /// Edited here, deleted elsewhere: the item was recreated (queued).
    Recreated,
    /// Deleted here, edited elsewhere: the edit stays.
    KeptServerEdit,
    /// Deleted on both sides.
    BothDeleted,
    /// Rejected for a stale key: re-sealed with the newest key and queued.
    Resealed,
    /// Left for the app (a rejection, a lost vault), or resolving failed
    /// (`code` and `reason` set, e.g. a missing key).
    Left {
        /// The error code when resolving failed.
        code: Option<String>,
        /// The error message when resolving failed (never a secret).
        reason: Option<String>,
    },
}

/// One conflict [`SyncEngine::resolve_default`] looked at.
#[derive(uniffi::Record, Clone, Debug, PartialEq, Eq)]
pub struct AutoResolution {
    /// The conflict as it was.
    pub conflict: Conflict,
    /// What happened to it.
    pub action: AutoAction,
}

/// A vault key as one member receives it.
#[derive(uniffi::Enum, Clone, Debug, PartialEq, Eq)]
pub enum MemberKey {
    /// Wrapped under the member's account key: `UnlockedAccount.unwrap_vault_key`.
    Wrapped {
        /// The wrap.
        key: WrappedVaultKey,
    },
    /// Granted by another member: verify, then `UnlockedAccount.open_grant`.
    Grant {
        /// The grant.
        grant: VaultGrant,
    },
}

/// The user's membership of one vault, as the feed last described it.
#[derive(uniffi::Record, Clone, Debug, PartialEq, Eq)]
pub struct VaultMembership {
    /// The vault (UUID text).
    pub vault: String,
    /// The user's role.
    pub role: Role,
    /// The vault's sealed metadata, if any.
    pub meta: Option<EncryptedVault>,
    /// The key generations the user can open.
    pub keys: Vec<MemberKey>,
}

// ---------------------------------------------------------------------------
// Conversions

fn ack(a: &core::Ack) -> SyncAck {
    SyncAck {
        vault: a.vault.to_string(),
        item: a.item.to_string(),
        revision: a.revision,
        op: a.op.0,
    }
}

impl From<&core::wire::ItemState> for ItemState {
    fn from(s: &core::wire::ItemState) -> Self {
        match s {
            core::wire::ItemState::Live { item } => ItemState::Live { item: item.into() },
            core::wire::ItemState::Deleted {
                vault,
                item,
                revision,
            } => ItemState::Deleted {
                vault: vault.to_string(),
                item: item.to_string(),
                revision: *revision,
            },
        }
    }
}

impl From<&core::Conflict> for Conflict {
    fn from(c: &core::Conflict) -> Self {
        let cause = match &c.cause {
            core::ConflictCause::Diverged { server } => ConflictCause::Diverged {
                server: server.into(),
            },
            core::ConflictCause::Rejected { reason } => ConflictCause::Rejected {
                reason: reason.as_str().to_owned(),
            },
            core::ConflictCause::VaultUnavailable => ConflictCause::VaultUnavailable,
        };
        Conflict {
            id: c.id.0,
            vault: c.vault.to_string(),
            item: c.item.to_string(),
            base: c.base,
            local: c.local.item().map(EncryptedItem::from),
            cause,
        }
    }
}

impl From<&core::AutoAction> for AutoAction {
    fn from(a: &core::AutoAction) -> Self {
        match a {
            core::AutoAction::KeptBoth { copy } => AutoAction::KeptBoth {
                copy: copy.to_string(),
            },
            core::AutoAction::KeptServerIdentical => AutoAction::KeptServerIdentical,
            core::AutoAction::Recreated => AutoAction::Recreated,
            core::AutoAction::KeptServerEdit => AutoAction::KeptServerEdit,
            core::AutoAction::BothDeleted => AutoAction::BothDeleted,
            core::AutoAction::Resealed => AutoAction::Resealed,
            core::AutoAction::Left(e) => AutoAction::Left {
                code: e.as_ref().map(|e| e.code().to_owned()),
                reason: e.as_ref().map(ToString::to_string),
            },
            // An action a newer core adds: reported as left for the app.
            _ => AutoAction::Left {
                code: None,
                reason: None,
            },
        }
    }
}

fn member_keys(m: &core::Membership) -> Vec<MemberKey> {
    m.keys
        .iter()
        .map(|k| match k {
            core::wire::MemberKey::Wrapped(w) => MemberKey::Wrapped { key: w.into() },
            core::wire::MemberKey::Grant(g) => MemberKey::Grant { grant: g.into() },
        })
        .collect()
}

fn keys(keys: &[Arc<VaultKey>]) -> Vec<vault_core::VaultKey> {
    keys.iter().map(|k| k.0.clone()).collect()
}

fn cid(id: u64) -> core::ConflictId {
    core::ConflictId(id)
}

impl SyncEngine {
    fn lock(&self) -> MutexGuard<'_, core::SyncEngine> {
        // No code path panics while holding the lock; recover from poison anyway.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[uniffi::export]
impl SyncEngine {
    /// A fresh engine: no cursor, nothing known, nothing queued.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(SyncEngine(Mutex::new(core::SyncEngine::new())))
    }

    /// Restores a persisted engine (unknown versions and fields are rejected).
    #[uniffi::constructor]
    pub fn from_json(json: &str) -> Result<Arc<Self>> {
        Ok(Arc::new(SyncEngine(Mutex::new(
            core::SyncEngine::from_json(json)?,
        ))))
    }

    /// The persisted form: ciphertext, wrapped keys, ids and counters only.
    /// Save it after every step.
    pub fn to_json(&self) -> Result<String> {
        Ok(self.lock().to_json()?)
    }

    /// The feed cursor of the last applied page, if any.
    pub fn cursor(&self) -> Option<String> {
        self.lock().cursor().map(|c| c.as_str().to_owned())
    }

    /// Pull, step 1: the `PullRequest` JSON to send (`GET` the feed since the cursor).
    pub fn plan_pull(&self) -> String {
        self.lock().plan_pull().to_json()
    }

    /// Pull, step 2: merges the server's `PullPage` (JSON). Repeat while
    /// `has_more`. A replayed page changes nothing (`applied` false).
    pub fn apply_pull(&self, page_json: &str) -> Result<PullOutcome> {
        let page = core::wire::PullPage::from_json(page_json)?;
        let out = self.lock().apply_pull(page)?;
        Ok(PullOutcome {
            applied: out.applied,
            has_more: out.has_more,
            changed: out
                .changed
                .iter()
                .map(|(vault, item)| ItemRef {
                    vault: vault.to_string(),
                    item: item.to_string(),
                })
                .collect(),
            vaults_changed: out.vaults_changed.iter().map(ToString::to_string).collect(),
            acknowledged: out.acknowledged.iter().map(ack).collect(),
            conflicts: out.conflicts.iter().map(|c| c.0).collect(),
        })
    }

    /// Push, step 1: the `PushRequest` JSON of the queued writes, or `None`
    /// when nothing is queued.
    pub fn plan_push(&self) -> Option<String> {
        self.lock().plan_push().map(|r| r.to_json())
    }

    /// Push, step 2: applies the server's `PushResponse` (JSON). Repeat
    /// plan/apply while a request is planned and `progressed`.
    pub fn apply_push(&self, response_json: &str) -> Result<PushOutcome> {
        let resp = core::wire::PushResponse::from_json(response_json)?;
        let out = self.lock().apply_push(resp)?;
        Ok(PushOutcome {
            acknowledged: out.acknowledged.iter().map(ack).collect(),
            conflicts: out.conflicts.iter().map(|c| c.0).collect(),
            ignored: u64::try_from(out.ignored).unwrap_or(u64::MAX),
            progressed: out.progressed(),
        })
    }

    /// The revision to seal a local edit of an item for (1 for a new item).
    pub fn next_revision(&self, vault_id: &str, item_id: &str) -> Result<u64> {
        Ok(self
            .lock()
            .next_revision(convert::id(vault_id)?, convert::id(item_id)?))
    }

    /// Queues a local create or edit, sealed (`VaultKey.encrypt_item`) for
    /// [`next_revision`](Self::next_revision).
    pub fn local_upsert(&self, item: &EncryptedItem) -> Result<()> {
        let item = vault_core::EncryptedItem::try_from(item)?;
        Ok(self.lock().local_upsert(item)?)
    }

    /// Queues a local deletion.
    pub fn local_delete(&self, vault_id: &str, item_id: &str) -> Result<()> {
        Ok(self
            .lock()
            .local_delete(convert::id(vault_id)?, convert::id(item_id)?)?)
    }

    /// How many local edits wait for the server.
    pub fn pending_count(&self) -> u64 {
        u64::try_from(self.lock().pending_count()).unwrap_or(u64::MAX)
    }

    /// What the user sees in a vault: the server's items with queued local
    /// edits on top, deleted items hidden, ordered by item id. Decrypt with
    /// `VaultKey.decrypt_list`.
    pub fn items(&self, vault_id: &str) -> Result<Vec<EncryptedItem>> {
        let vault = convert::id(vault_id)?;
        Ok(self.lock().items(vault).map(EncryptedItem::from).collect())
    }

    /// The user's current version of one item (local edits applied), if visible.
    pub fn item(&self, vault_id: &str, item_id: &str) -> Result<Option<EncryptedItem>> {
        let (vault, item) = (convert::id(vault_id)?, convert::id(item_id)?);
        Ok(self.lock().item(vault, item).map(EncryptedItem::from))
    }

    /// The vaults the feed delivered a membership for.
    pub fn vaults(&self) -> Vec<VaultMembership> {
        self.lock()
            .vaults()
            .map(|(vault, m)| VaultMembership {
                vault: vault.to_string(),
                role: m.role.into(),
                meta: m.meta.as_ref().map(EncryptedVault::from),
                keys: member_keys(m),
            })
            .collect()
    }

    /// Unresolved conflicts, oldest first.
    pub fn conflicts(&self) -> Vec<Conflict> {
        self.lock().conflicts().iter().map(Conflict::from).collect()
    }

    /// Resolves every conflict the default policy can decide (edit/edit keeps
    /// both, the local version becoming a copy titled with `copy_suffix`;
    /// edit/delete recreates; delete/edit keeps the edit; stale keys are
    /// re-sealed). `keys`: the vault keys the app holds.
    pub fn resolve_default(
        &self,
        keys: Vec<Arc<VaultKey>>,
        copy_suffix: &str,
        rng: &Rng,
    ) -> Vec<AutoResolution> {
        let keys = self::keys(&keys);
        let done = rng.with(|r| self.lock().resolve_default(&keys, copy_suffix, r));
        done.iter()
            .map(|d| AutoResolution {
                conflict: (&d.conflict).into(),
                action: (&d.action).into(),
            })
            .collect()
    }

    /// Keeps both versions: the local one becomes a new item titled with
    /// `title_suffix`. Returns the copy's id (`None` for a local deletion).
    pub fn resolve_keep_both(
        &self,
        conflict_id: u64,
        keys: Vec<Arc<VaultKey>>,
        title_suffix: &str,
        rng: &Rng,
    ) -> Result<Option<String>> {
        let keys = self::keys(&keys);
        let copy = rng.with(|r| {
            self.lock()
                .resolve_keep_both(cid(conflict_id), &keys, title_suffix, r)
        })?;
        Ok(copy.map(|c| c.to_string()))
    }

    /// Makes the local version current again (re-sealed, queued after the
    /// server's version).
    pub fn resolve_keep_local(
        &self,
        conflict_id: u64,
        keys: Vec<Arc<VaultKey>>,
        rng: &Rng,
    ) -> Result<()> {
        let keys = self::keys(&keys);
        Ok(rng.with(|r| self.lock().resolve_keep_local(cid(conflict_id), &keys, r))?)
    }

    /// Discards the local version; returns the conflict.
    pub fn resolve_keep_server(&self, conflict_id: u64) -> Result<Conflict> {
        let c = self.lock().resolve_keep_server(cid(conflict_id))?;
        Ok((&c).into())
    }
}
