//! The engine: the local replica as data, and the plan/apply steps.

use super::ciphertext::ciphertext_only;
use super::conflict::{Conflict, ConflictCause, ConflictId};
use super::wire::{
    self, Change, Cursor, ItemState, MemberKey, OpId, PullPage, PullRequest, PushRequest,
    PushResponse, PushResult, PushWrite, WIRE_VERSION,
};
use crate::error::{Error, Result};
use crate::ids::{ItemId, VaultId};
use crate::item::EncryptedItem;
use crate::sharing::Role;
use crate::vault::EncryptedVault;
use std::collections::BTreeMap;

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

/// What [`SyncEngine::apply_pull`] did.
///
/// Serialises (for bindings that hand it to JavaScript) as
/// `{"applied","has_more","changed":[{"vault","item"}],"vaults_changed":[uuid],
/// "acknowledged":[Ack],"conflicts":[conflict id]}`.
///
/// ```
/// use vault_core::{ItemId, VaultId};
/// let out = vault_core::sync::PullOutcome {
///     applied: true, changed: vec![(VaultId([1; 16]), ItemId([2; 16]))], ..Default::default() };
/// assert_eq!(serde_json::to_string(&out)?, concat!(
///     r#"{"applied":true,"has_more":false,"changed":[{"vault":"01010101-0101-0101-0101-010101010101","#,
///     r#""item":"02020202-0202-0202-0202-020202020202"}],"vaults_changed":[],"acknowledged":[],"conflicts":[]}"#));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PullOutcome {
    /// False if the page did not answer the engine's current cursor (a replay
    /// or a stale page): nothing was changed.
    pub applied: bool,
    /// Pull again right away.
    pub has_more: bool,
    /// Items whose visible state may have changed (refresh these in the UI).
    #[serde(serialize_with = "serialize_item_refs")]
    pub changed: Vec<(VaultId, ItemId)>,
    /// Vaults whose membership, meta or keys changed, or that were removed.
    pub vaults_changed: Vec<VaultId>,
    /// Local edits the feed showed to be on the server.
    pub acknowledged: Vec<Ack>,
    /// Conflicts this page created.
    pub conflicts: Vec<ConflictId>,
}

/// `(vault, item)` pairs as `[{"vault","item"}]`.
fn serialize_item_refs<S: serde::Serializer>(
    refs: &[(VaultId, ItemId)],
    s: S,
) -> core::result::Result<S::Ok, S::Error> {
    #[derive(serde::Serialize)]
    struct ItemRef<'a> {
        vault: &'a VaultId,
        item: &'a ItemId,
    }
    s.collect_seq(refs.iter().map(|(vault, item)| ItemRef { vault, item }))
}

/// What [`SyncEngine::apply_push`] did.
///
/// Serialises (for bindings) as `{"acknowledged":[Ack],"conflicts":[conflict id],
/// "ignored":n,"progressed":bool}`, `progressed` being
/// [`progressed()`](Self::progressed).
///
/// ```
/// let out = vault_core::sync::PushOutcome::default();
/// assert_eq!(serde_json::to_string(&out)?,
///            r#"{"acknowledged":[],"conflicts":[],"ignored":0,"progressed":false}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PushOutcome {
    /// Writes the server stored.
    pub acknowledged: Vec<Ack>,
    /// Conflicts created (409s and rejections).
    pub conflicts: Vec<ConflictId>,
    /// Results for writes that are no longer queued (already settled): ignored.
    pub ignored: usize,
}

impl PushOutcome {
    /// Whether the response settled anything; a push loop stops when a round
    /// makes no progress (the server answered nothing it was sent).
    pub fn progressed(&self) -> bool {
        !self.acknowledged.is_empty() || !self.conflicts.is_empty()
    }
}

impl serde::Serialize for PushOutcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("PushOutcome", 4)?;
        st.serialize_field("acknowledged", &self.acknowledged)?;
        st.serialize_field("conflicts", &self.conflicts)?;
        st.serialize_field("ignored", &self.ignored)?;
        st.serialize_field("progressed", &self.progressed())?;
        st.end()
    }
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

    // ------------------------------------------------------------------ pull

    /// Step 1 of a pull: what to ask the server for.
    ///
    /// ```
    /// let engine = vault_core::sync::SyncEngine::new();
    /// assert_eq!(engine.plan_pull().since, None);
    /// ```
    pub fn plan_pull(&self) -> PullRequest {
        PullRequest {
            v: WIRE_VERSION,
            since: self.cursor.clone(),
        }
    }

    /// Step 2 of a pull: merges one page of the feed.
    ///
    /// Server changes win for items without a pending local edit. An item with
    /// a pending edit whose base the server has moved past becomes a
    /// [`Conflict`] (the local edit is kept there, the server version becomes
    /// the item's known state); our own writes seen in the feed acknowledge the
    /// edits. A page that does not answer the current cursor (a replay) changes
    /// nothing and returns `applied: false`. A malformed page is an error and
    /// changes nothing.
    ///
    /// ```
    /// use vault_core::sync::{SyncEngine, wire::PullPage};
    /// let mut engine = SyncEngine::new();
    /// let page = PullPage::from_json(r#"{"v":1,"since":null,"next":"c:1","has_more":false,"changes":[]}"#)?;
    /// assert!(engine.apply_pull(page.clone())?.applied);
    /// let saved = engine.clone();
    /// assert!(!engine.apply_pull(page)?.applied); // idempotent
    /// assert_eq!(engine, saved);
    /// assert_eq!(engine.cursor().unwrap().as_str(), "c:1");
    /// # Ok::<(), vault_core::Error>(())
    /// ```
    pub fn apply_pull(&mut self, page: PullPage) -> Result<PullOutcome> {
        wire::check_version("sync page", page.v)?;
        if page.since != self.cursor {
            return Ok(PullOutcome::default());
        }
        if page.has_more && page.changes.is_empty() && Some(&page.next) == page.since.as_ref() {
            return Err(Error::InvalidPeerValue("sync page makes no progress"));
        }
        for change in &page.changes {
            if change.item_state().is_some_and(|s| s.revision() == 0) {
                return Err(Error::InvalidPeerValue("sync page item revision 0"));
            }
        }
        let mut out = PullOutcome {
            applied: true,
            has_more: page.has_more,
            ..PullOutcome::default()
        };
        for change in page.changes {
            match change {
                Change::Vault {
                    vault,
                    role,
                    meta,
                    keys,
                } => {
                    let m = Membership { role, meta, keys };
                    let replica = self.vaults.entry(vault).or_default();
                    if replica.membership.as_ref() != Some(&m) {
                        replica.membership = Some(m);
                        out.vaults_changed.push(vault);
                    }
                }
                Change::VaultRemoved { vault } => self.remove_vault(vault, &mut out),
                Change::Item { item } => self.merge(ItemState::Live { item }, &mut out),
                Change::Tombstone {
                    vault,
                    item,
                    revision,
                } => self.merge(
                    ItemState::Deleted {
                        vault,
                        item,
                        revision,
                    },
                    &mut out,
                ),
            }
        }
        self.cursor = Some(page.next);
        Ok(out)
    }

    fn remove_vault(&mut self, vault: VaultId, out: &mut PullOutcome) {
        let Some(replica) = self.vaults.remove(&vault) else {
            return;
        };
        out.vaults_changed.push(vault);
        out.changed
            .extend(replica.items.keys().map(|item| (vault, *item)));
        for (item, chain) in replica.pending {
            let id = self.park(vault, item, chain, ConflictCause::VaultUnavailable);
            out.conflicts.extend(id);
            out.changed.push((vault, item));
        }
    }

    /// Merges the server's current state of one item (from the feed).
    fn merge(&mut self, incoming: ItemState, out: &mut PullOutcome) {
        let (vault, item) = (incoming.vault(), incoming.item_id());
        let replica = self.vaults.entry(vault).or_default();
        let known = replica.items.get(&item);
        let known_key = known.map(ItemState::version_key).unwrap_or((0, 0));
        let chain = replica.pending.get_mut(&item).filter(|c| !c.is_empty());
        let Some(chain) = chain else {
            // No local edit: the server wins, unless this is older than what we hold.
            if incoming.version_key() >= known_key && known != Some(&incoming) {
                replica.items.insert(item, incoming);
                out.changed.push((vault, item));
            }
            return;
        };
        // Only a chain's first edit is ever sent, so only it can come back.
        if chain
            .first()
            .is_some_and(|e| e.sent && e.written_as(&incoming))
        {
            // Our own write, seen in the feed: it is on the server.
            let e = chain.remove(0);
            out.acknowledged.push(Ack {
                vault,
                item,
                revision: e.revision(),
                op: e.op,
            });
            if chain.is_empty() {
                replica.pending.remove(&item);
            }
            replica.items.insert(item, incoming);
            out.changed.push((vault, item));
            return;
        }
        if incoming.revision() > known_key.0 {
            // The server moved past the base of our edit: conflict.
            let chain = replica.pending.remove(&item).unwrap_or_default();
            replica.items.insert(item, incoming.clone());
            let id = self.park(
                vault,
                item,
                chain,
                ConflictCause::Diverged { server: incoming },
            );
            out.conflicts.extend(id);
            out.changed.push((vault, item));
        } else if incoming.revision() == known_key.0 && incoming.version_key() > known_key {
            // Same revision re-wrapped under a newer key generation: the base
            // is unchanged, our edit stays queued (the server will answer
            // `stale_key` if it was sealed under the old generation).
            replica.items.insert(item, incoming);
        }
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

    // ------------------------------------------------------------------ push

    /// Step 1 of a push: the queued writes to send, oldest first (at most
    /// [`MAX_WRITES_PER_PUSH`](wire::MAX_WRITES_PER_PUSH)), or `None` if
    /// nothing is queued. Only the first edit of each item's chain is sent;
    /// the next goes once the server has acknowledged it. Writes never
    /// answered are planned again (they are safe to resend: a write the server
    /// already applied comes back as a conflict with our own blob, which
    /// acknowledges it).
    ///
    /// ```
    /// let mut engine = vault_core::sync::SyncEngine::new();
    /// assert!(engine.plan_push().is_none());
    /// ```
    pub fn plan_push(&mut self) -> Option<PushRequest> {
        let mut heads: Vec<(OpId, VaultId, ItemId)> = self
            .vaults
            .iter()
            .flat_map(|(vault, r)| {
                r.pending
                    .iter()
                    .filter_map(move |(item, chain)| chain.first().map(|e| (e.op, *vault, *item)))
            })
            .collect();
        heads.sort_unstable();
        heads.truncate(wire::MAX_WRITES_PER_PUSH);
        let mut writes = Vec::with_capacity(heads.len());
        for (_, vault, item) in heads {
            if let Some(edit) = self.head_mut(vault, item) {
                edit.sent = true;
                writes.push(edit.to_write(vault, item));
            }
        }
        if writes.is_empty() {
            None
        } else {
            Some(PushRequest {
                v: WIRE_VERSION,
                writes,
            })
        }
    }

    fn head_mut(&mut self, vault: VaultId, item: ItemId) -> Option<&mut PendingEdit> {
        self.vaults
            .get_mut(&vault)?
            .pending
            .get_mut(&item)?
            .first_mut()
    }

    /// Step 2 of a push: applies the server's results. Acknowledged edits
    /// leave the queue and become the known server state; conflicts and
    /// rejections move the item's edits to the conflict list. Results for
    /// edits no longer queued are ignored (so applying a response twice
    /// changes nothing); a queued write without a result stays queued. A
    /// response that contradicts its write (an `ok` at another revision, a
    /// conflict about another item) is an error and changes nothing.
    ///
    /// ```
    /// use vault_core::*;
    /// use vault_core::sync::{SyncEngine, wire::*};
    /// let mut rng = rng::os_rng();
    /// let vk = VaultKey::generate(VaultId::generate(&mut rng), &mut rng);
    /// let id = ItemId::generate(&mut rng);
    /// let note = Item { title: "PIN".into(), data: ItemData::SecureNote, notes: "1234".into(),
    ///                   tags: vec![], favorite: false, custom_fields: vec![] };
    /// let mut engine = SyncEngine::new();
    /// engine.local_upsert(vk.encrypt_item(id, 1, &note, &mut rng)?)?;
    /// let req = engine.plan_push().unwrap();
    /// let op = req.writes[0].op();
    /// let resp = PushResponse { v: 1, results: vec![PushResult::Ok { op, revision: 1 }] };
    /// let out = engine.apply_push(resp.clone())?;
    /// assert_eq!(out.acknowledged[0].revision, 1);
    /// assert_eq!(engine.pending_count(), 0);
    /// assert!(!engine.apply_push(resp)?.progressed()); // a replay is ignored
    /// # Ok::<(), vault_core::Error>(())
    /// ```
    pub fn apply_push(&mut self, response: PushResponse) -> Result<PushOutcome> {
        wire::check_version("sync push response", response.v)?;
        // Index the queued heads by op, validate everything, then mutate.
        let heads: BTreeMap<OpId, (VaultId, ItemId, u64)> = self
            .vaults
            .iter()
            .flat_map(|(vault, r)| {
                r.pending.iter().filter_map(move |(item, chain)| {
                    chain.first().map(|e| (e.op, (*vault, *item, e.revision())))
                })
            })
            .collect();
        for result in &response.results {
            let Some(&(vault, item, revision)) = heads.get(&result.op()) else {
                continue;
            };
            match result {
                PushResult::Ok { revision: r, .. } if *r != revision => {
                    return Err(Error::InvalidPeerValue("push result revision"));
                }
                PushResult::Conflict { current, .. }
                    if current.vault() != vault
                        || current.item_id() != item
                        || current.revision() == 0 =>
                {
                    return Err(Error::InvalidPeerValue("push conflict about another item"));
                }
                _ => {}
            }
        }
        let mut out = PushOutcome::default();
        for result in response.results {
            let Some(&(vault, item, _)) = heads.get(&result.op()) else {
                out.ignored += 1;
                continue;
            };
            // An edit is settled at most once, even if the op repeats.
            if self.head_mut(vault, item).map(|e| e.op) != Some(result.op()) {
                out.ignored += 1;
                continue;
            }
            match result {
                PushResult::Ok { .. } => self.ack_head(vault, item, &mut out),
                PushResult::Conflict { current, .. } => {
                    let echoed = self
                        .head_mut(vault, item)
                        .is_some_and(|e| e.written_as(&current));
                    if echoed {
                        // Our earlier send of this very write got through.
                        self.ack_head(vault, item, &mut out);
                    } else {
                        let replica = self.vaults.entry(vault).or_default();
                        let chain = replica.pending.remove(&item).unwrap_or_default();
                        let known_key = replica
                            .items
                            .get(&item)
                            .map(ItemState::version_key)
                            .unwrap_or((0, 0));
                        if current.version_key() >= known_key {
                            replica.items.insert(item, current.clone());
                        }
                        let cause = ConflictCause::Diverged { server: current };
                        out.conflicts.extend(self.park(vault, item, chain, cause));
                    }
                }
                PushResult::Rejected { reason, .. } => {
                    let chain = self
                        .vaults
                        .get_mut(&vault)
                        .and_then(|r| r.pending.remove(&item))
                        .unwrap_or_default();
                    let cause = ConflictCause::Rejected { reason };
                    out.conflicts.extend(self.park(vault, item, chain, cause));
                }
            }
        }
        Ok(out)
    }

    fn ack_head(&mut self, vault: VaultId, item: ItemId, out: &mut PushOutcome) {
        let Some(replica) = self.vaults.get_mut(&vault) else {
            return;
        };
        let Some(chain) = replica.pending.get_mut(&item) else {
            return;
        };
        if chain.is_empty() {
            return;
        }
        let edit = chain.remove(0);
        if chain.is_empty() {
            replica.pending.remove(&item);
        }
        out.acknowledged.push(Ack {
            vault,
            item,
            revision: edit.revision(),
            op: edit.op,
        });
        replica
            .items
            .insert(item, edit.resulting_state(vault, item));
    }

    // ------------------------------------------------------------ local edits

    /// The revision to seal a local edit of `item` for
    /// ([`VaultKey::encrypt_item`](crate::VaultKey::encrypt_item)'s `revision`):
    /// 1 for a new item; otherwise one past the latest local or server
    /// revision, or the revision of the latest queued edit if that one has not
    /// been sent yet (the new edit then replaces it).
    ///
    /// ```
    /// use vault_core::{ItemId, VaultId};
    /// let engine = vault_core::sync::SyncEngine::new();
    /// assert_eq!(engine.next_revision(VaultId([1; 16]), ItemId([2; 16])), 1);
    /// ```
    pub fn next_revision(&self, vault: VaultId, item: ItemId) -> u64 {
        match self.chain(vault, item).and_then(<[PendingEdit]>::last) {
            Some(tail) if !tail.sent => tail.revision(),
            _ => self.head_revision(vault, item).saturating_add(1),
        }
    }

    /// The revision of the newest version of `item` this device knows (queued
    /// or from the server), 0 if none.
    pub(crate) fn head_revision(&self, vault: VaultId, item: ItemId) -> u64 {
        match self.chain(vault, item).and_then(<[PendingEdit]>::last) {
            Some(tail) => tail.revision(),
            None => self
                .server_item(vault, item)
                .map(ItemState::revision)
                .unwrap_or(0),
        }
    }

    fn chain(&self, vault: VaultId, item: ItemId) -> Option<&[PendingEdit]> {
        self.vaults
            .get(&vault)?
            .pending
            .get(&item)
            .map(Vec::as_slice)
    }

    fn check_writable(&self, vault: VaultId) -> Result<()> {
        match self.vaults.get(&vault).and_then(|r| r.membership.as_ref()) {
            Some(m) if m.role == Role::Viewer => Err(Error::InvalidArgument(
                "read-only vault: the user is a viewer",
            )),
            _ => Ok(()),
        }
    }

    /// Queues a local create or edit. Seal the item for
    /// [`next_revision`](Self::next_revision) first; the edit's base is
    /// `item.revision - 1`. If the item's latest queued edit has not been sent
    /// yet, this one replaces it (same base); otherwise it chains after it.
    ///
    /// ```
    /// use vault_core::*;
    /// use vault_core::sync::SyncEngine;
    /// let mut rng = rng::os_rng();
    /// let vk = VaultKey::generate(VaultId::generate(&mut rng), &mut rng);
    /// let item = Item { title: "Wi-Fi".into(), data: ItemData::SecureNote, notes: "pw: hunter2".into(),
    ///                   tags: vec![], favorite: false, custom_fields: vec![] };
    /// let id = ItemId::generate(&mut rng);
    /// let mut engine = SyncEngine::new();
    /// let rev = engine.next_revision(vk.vault_id(), id);
    /// engine.local_upsert(vk.encrypt_item(id, rev, &item, &mut rng)?)?;
    /// assert_eq!(engine.items(vk.vault_id()).count(), 1);
    /// // A blob sealed for the wrong revision is refused.
    /// assert!(engine.local_upsert(vk.encrypt_item(id, 7, &item, &mut rng)?).is_err());
    /// # Ok::<(), vault_core::Error>(())
    /// ```
    pub fn local_upsert(&mut self, item: EncryptedItem) -> Result<()> {
        self.enqueue(item.vault, item.item, LocalChange::Upsert(item), true)
    }

    /// Queues a local deletion of `item`. Deleting an item that was created
    /// (or recreated) locally and never sent simply drops that edit;
    /// deleting an already deleted item does nothing; deleting an item this
    /// device never saw is an error.
    ///
    /// ```
    /// use vault_core::{ItemId, VaultId};
    /// let mut engine = vault_core::sync::SyncEngine::new();
    /// assert!(engine.local_delete(VaultId([1; 16]), ItemId([2; 16])).is_err());
    /// ```
    pub fn local_delete(&mut self, vault: VaultId, item: ItemId) -> Result<()> {
        self.enqueue(vault, item, LocalChange::Delete, true)
    }

    /// Queues `change` for `item`. With `coalesce`, an unsent last edit is
    /// replaced; without, the change always chains after the newest version
    /// (conflict resolution must not overwrite an edit made since).
    pub(crate) fn enqueue(
        &mut self,
        vault: VaultId,
        item: ItemId,
        change: LocalChange,
        coalesce: bool,
    ) -> Result<()> {
        self.check_writable(vault)?;
        let head = self.head_revision(vault, item);
        let tail = self.chain(vault, item).and_then(<[PendingEdit]>::last);
        let replace = coalesce && tail.is_some_and(|t| !t.sent);
        let server_deleted = !matches!(self.server_item(vault, item), Some(ItemState::Live { .. }));
        let visible_deleted = match tail {
            Some(t) => t.change == LocalChange::Delete,
            None => server_deleted,
        };
        match &change {
            LocalChange::Upsert(blob) => {
                let want = if replace {
                    head
                } else {
                    head.saturating_add(1)
                };
                if blob.revision != want || blob.revision == 0 {
                    return Err(Error::InvalidArgument(
                        "item must be sealed for SyncEngine::next_revision",
                    ));
                }
            }
            LocalChange::Delete => {
                if visible_deleted {
                    return if head == 0 {
                        Err(Error::InvalidArgument("unknown item"))
                    } else {
                        Ok(())
                    };
                }
            }
        }
        if head == u64::MAX {
            return Err(Error::InvalidArgument("item revision exhausted"));
        }
        let op = OpId(self.next_op);
        let replica = self.vaults.entry(vault).or_default();
        let chain = replica.pending.entry(item).or_default();
        let only_edit = chain.len() == 1;
        match chain.last_mut() {
            Some(tail) if replace => {
                if change == LocalChange::Delete && only_edit && server_deleted {
                    // Created (or recreated) here, never sent, now deleted
                    // again: the server already has no live item, nothing to send.
                    replica.pending.remove(&item);
                } else {
                    tail.change = change;
                }
            }
            _ => {
                chain.push(PendingEdit {
                    op,
                    base: head,
                    change,
                    sent: false,
                });
                self.next_op = self.next_op.saturating_add(1);
            }
        }
        Ok(())
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
