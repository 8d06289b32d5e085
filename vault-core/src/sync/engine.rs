//! The engine: the local replica as data, and the plan/apply steps.
//!
//! This file holds the replica (what is known, what is queued, the
//! conflicts) and the read-only views of it; the steps that change it are in
//! `engine/pull.rs` (merging the feed), `engine/push.rs` (sending queued
//! edits and applying the answers) and `engine/local.rs` (queueing local
//! edits).

use super::ciphertext::ciphertext_only;
use super::conflict::{Conflict, ConflictCause, ConflictId};
use super::wire::{Cursor, ItemState, MemberKey, OpId, PushWrite};
use crate::error::{Error, Result};
use crate::ids::{ItemId, VaultId};
use crate::item::EncryptedItem;
use crate::sharing::Role;
use crate::vault::EncryptedVault;
use std::collections::BTreeMap;

mod local;
mod pull;
mod push;

pub use pull::PullOutcome;
pub use push::PushOutcome;

/// Version of the persisted engine state ([`SyncEngine::to_json`]).
pub const STATE_VERSION: u8 = 1;

ciphertext_only! {
    /// The sans-IO sync engine of one user on one device: the local replica as
    /// plain data plus the plan/apply steps. See the [module docs](super) for
    /// the flow and the conflict policy.
    ///
    /// Serialisable as a whole ([`to_json`](Self::to_json)); it holds only
    /// ciphertext, wrapped keys, ids and counters, which the
    /// [`CiphertextOnly`](super::CiphertextOnly) bound proves at compile time.
    ///
    /// ```
    /// use vault_core::sync::SyncEngine;
    /// let engine = SyncEngine::new();
    /// let saved = engine.to_json()?;
    /// assert_eq!(SyncEngine::from_json(&saved)?, engine);
    /// # Ok::<(), vault_core::Error>(())
    /// ```
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct SyncEngine {
        v: u8,
        cursor: Option<Cursor>,
        vaults: BTreeMap<VaultId, VaultReplica>,
        conflicts: Vec<Conflict>,
        next_op: u64,
        next_conflict: u64,
    }
}

ciphertext_only! {
    /// One vault as this device knows it.
    #[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct VaultReplica {
        /// The user's membership, once the feed has delivered it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        membership: Option<Membership>,
        /// The last server state of every item seen (tombstones included).
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        items: BTreeMap<ItemId, ItemState>,
        /// Per item, the chain of unacknowledged local edits, oldest first.
        /// The first edit's `base` is the revision in `items` (0 if absent);
        /// each later edit builds on the one before it.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        pending: BTreeMap<ItemId, Vec<PendingEdit>>,
    }
}

ciphertext_only! {
    /// The user's membership of a vault, as the feed last described it.
    ///
    /// ```
    /// use vault_core::sync::{Membership, SyncEngine};
    /// let engine = SyncEngine::new();
    /// assert!(engine.vaults().next().is_none());
    /// ```
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
    pub struct Membership {
        /// The user's role.
        pub role: Role,
        /// The vault's sealed metadata.
        pub meta: Option<EncryptedVault>,
        /// The vault key generations this user can open.
        pub keys: Vec<MemberKey>,
    }
}

ciphertext_only! {
    /// A local change of one item.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
    pub enum LocalChange {
        /// The item's new blob.
        Upsert(EncryptedItem),
        /// The item's deletion.
        Delete,
    }
}

impl LocalChange {
    /// The local blob, unless this is a deletion.
    pub fn item(&self) -> Option<&EncryptedItem> {
        match self {
            LocalChange::Upsert(item) => Some(item),
            LocalChange::Delete => None,
        }
    }
}

ciphertext_only! {
    /// One queued local edit.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct PendingEdit {
        /// Its label on the wire.
        pub op: OpId,
        /// The server revision it builds on (it writes `base + 1`).
        pub base: u64,
        /// What it does.
        pub change: LocalChange,
        /// It has been handed out by [`SyncEngine::plan_push`] at least once;
        /// from then on it is immutable (later edits chain after it).
        pub sent: bool,
    }
}

impl PendingEdit {
    /// The revision this edit writes.
    pub fn revision(&self) -> u64 {
        self.base.saturating_add(1)
    }

    /// Whether `state` is exactly what this edit writes (our own write,
    /// echoed by the feed or a conflict answer). Upserts compare the whole
    /// blob: envelopes carry random nonces, so equal blobs are the same upload.
    fn written_as(&self, state: &ItemState) -> bool {
        match (&self.change, state) {
            (LocalChange::Upsert(mine), ItemState::Live { item }) => mine == item,
            (LocalChange::Delete, ItemState::Deleted { revision, .. }) => {
                *revision == self.revision()
            }
            _ => false,
        }
    }

    fn to_write(&self, vault: VaultId, item: ItemId) -> PushWrite {
        match &self.change {
            LocalChange::Upsert(blob) => PushWrite::Upsert {
                op: self.op,
                base: self.base,
                item: blob.clone(),
            },
            LocalChange::Delete => PushWrite::Delete {
                op: self.op,
                vault,
                item,
                base: self.base,
            },
        }
    }

    /// The server state this edit produces once stored.
    pub fn resulting_state(&self, vault: VaultId, item: ItemId) -> ItemState {
        match &self.change {
            LocalChange::Upsert(blob) => ItemState::Live { item: blob.clone() },
            LocalChange::Delete => ItemState::Deleted {
                vault,
                item,
                revision: self.revision(),
            },
        }
    }
}

/// A write the server now holds (acknowledged by a push result or seen echoed
/// in the feed). JSON (for bindings): `{"vault","item","revision","op"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "SyncAck"))]
pub struct Ack {
    /// The vault.
    pub vault: VaultId,
    /// The item.
    pub item: ItemId,
    /// The revision the server stored.
    pub revision: u64,
    /// The write's label.
    pub op: OpId,
}

impl Default for SyncEngine {
    fn default() -> Self {
        SyncEngine::new()
    }
}

impl SyncEngine {
    /// A fresh engine: no cursor, nothing known, nothing queued.
    pub fn new() -> Self {
        SyncEngine {
            v: STATE_VERSION,
            cursor: None,
            vaults: BTreeMap::new(),
            conflicts: Vec::new(),
            next_op: 1,
            next_conflict: 1,
        }
    }

    /// Restores a persisted engine, rejecting unknown versions and fields.
    pub fn from_json(json: &str) -> Result<Self> {
        let e: SyncEngine = crate::encoding::json_from_str(json)
            .map_err(|_| Error::malformed("sync state", "invalid JSON"))?;
        if e.v != STATE_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "sync state",
                version: e.v,
            });
        }
        Ok(e)
    }

    /// The persisted form (ciphertext only; store it as is).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|_| Error::InvalidArgument("sync state"))
    }

    /// The cursor of the last applied page.
    pub fn cursor(&self) -> Option<&Cursor> {
        self.cursor.as_ref()
    }

    // ---------------------------------------------------- shared by the steps

    fn chain(&self, vault: VaultId, item: ItemId) -> Option<&[PendingEdit]> {
        self.vaults
            .get(&vault)?
            .pending
            .get(&item)
            .map(Vec::as_slice)
    }

    /// Moves a chain of local edits into the conflict list. The local side is
    /// the chain's last edit (the user's latest version; earlier ones in the
    /// chain are superseded by it).
    fn park(
        &mut self,
        vault: VaultId,
        item: ItemId,
        chain: Vec<PendingEdit>,
        cause: ConflictCause,
    ) -> Option<ConflictId> {
        let base = chain.first()?.base;
        let local = chain.into_iter().last()?.change;
        let id = ConflictId(self.next_conflict);
        self.next_conflict = self.next_conflict.saturating_add(1);
        self.conflicts.push(Conflict {
            id,
            vault,
            item,
            base,
            local,
            cause,
        });
        Some(id)
    }

    // ------------------------------------------------------------------ views

    /// The vaults this device knows a membership for.
    pub fn vaults(&self) -> impl Iterator<Item = (VaultId, &Membership)> + '_ {
        self.vaults
            .iter()
            .filter_map(|(id, r)| r.membership.as_ref().map(|m| (*id, m)))
    }

    /// The user's membership of `vault`, if the feed has delivered it.
    pub fn membership(&self, vault: VaultId) -> Option<&Membership> {
        self.vaults.get(&vault)?.membership.as_ref()
    }

    /// What the user sees in `vault`: the server's items with the queued
    /// local edits applied on top (deleted items hidden), ordered by item id.
    /// Decrypt the list with [`VaultKey::decrypt_list`](crate::VaultKey::decrypt_list).
    pub fn items(&self, vault: VaultId) -> impl Iterator<Item = &EncryptedItem> + '_ {
        let replica = self.vaults.get(&vault);
        let server = replica.into_iter().flat_map(|r| {
            r.items
                .iter()
                .filter(move |(id, _)| !r.pending.contains_key(*id))
                .filter_map(|(_, s)| s.live())
        });
        let local = replica.into_iter().flat_map(|r| {
            r.pending
                .values()
                .filter_map(|chain| chain.last().and_then(|e| e.change.item()))
        });
        let mut all: Vec<&EncryptedItem> = server.chain(local).collect();
        all.sort_unstable_by_key(|i| i.item);
        all.into_iter()
    }

    /// The user's current version of one item (local edits applied).
    pub fn item(&self, vault: VaultId, item: ItemId) -> Option<&EncryptedItem> {
        match self.chain(vault, item).and_then(<[PendingEdit]>::last) {
            Some(tail) => tail.change.item(),
            None => self.server_item(vault, item)?.live(),
        }
    }

    /// The last server state this device saw for `item` (tombstones included).
    pub fn server_item(&self, vault: VaultId, item: ItemId) -> Option<&ItemState> {
        self.vaults.get(&vault)?.items.get(&item)
    }

    /// The queued edits of `item`, oldest first.
    pub fn pending(&self, vault: VaultId, item: ItemId) -> &[PendingEdit] {
        self.chain(vault, item).unwrap_or(&[])
    }

    /// Every queued edit (vault, item, edit), per item oldest first: for an
    /// "unsynced" badge or a debugging view.
    pub fn pending_edits(&self) -> impl Iterator<Item = (VaultId, ItemId, &PendingEdit)> + '_ {
        self.vaults.iter().flat_map(|(vault, r)| {
            r.pending
                .iter()
                .flat_map(move |(item, chain)| chain.iter().map(move |e| (*vault, *item, e)))
        })
    }

    /// How many local edits wait for the server.
    pub fn pending_count(&self) -> usize {
        self.vaults
            .values()
            .flat_map(|r| r.pending.values())
            .map(Vec::len)
            .sum()
    }

    /// Unresolved conflicts, oldest first.
    pub fn conflicts(&self) -> &[Conflict] {
        &self.conflicts
    }

    /// One conflict by id.
    pub fn conflict(&self, id: ConflictId) -> Option<&Conflict> {
        self.conflicts.iter().find(|c| c.id == id)
    }

    pub(crate) fn take_conflict(&mut self, id: ConflictId) -> Option<Conflict> {
        let pos = self.conflicts.iter().position(|c| c.id == id)?;
        Some(self.conflicts.remove(pos))
    }
}
