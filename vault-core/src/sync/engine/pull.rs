//! Pulling: planning a feed request and merging the page the server answers.

use super::{Ack, Membership, SyncEngine};
use crate::error::{Error, Result};
use crate::ids::{ItemId, VaultId};
use crate::sync::conflict::{ConflictCause, ConflictId};
use crate::sync::wire::{self, Change, ItemState, PullPage, PullRequest, WIRE_VERSION};

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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PullOutcome {
    /// False if the page did not answer the engine's current cursor (a replay
    /// or a stale page): nothing was changed.
    pub applied: bool,
    /// Pull again right away.
    pub has_more: bool,
    /// Items whose visible state may have changed (refresh these in the UI).
    #[serde(serialize_with = "serialize_item_refs")]
    #[cfg_attr(feature = "ts", ts(type = "Array<{ vault: Uuid, item: Uuid }>"))]
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

impl SyncEngine {
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
    /// [`Conflict`](crate::sync::Conflict) (the local edit is kept there, the
    /// server version becomes the item's known state); our own writes seen in
    /// the feed acknowledge the edits. A page that does not answer the current
    /// cursor (a replay) changes nothing and returns `applied: false`. A
    /// malformed page is an error and changes nothing.
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
}
