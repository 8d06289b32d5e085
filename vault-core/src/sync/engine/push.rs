//! Pushing: planning the queued compare-and-swap writes and applying the
//! server's results.

use super::{Ack, PendingEdit, SyncEngine};
use crate::error::{Error, Result};
use crate::ids::{ItemId, VaultId};
use crate::sync::conflict::{ConflictCause, ConflictId};
use crate::sync::wire::{
    self, ItemState, OpId, PushRequest, PushResponse, PushResult, WIRE_VERSION,
};
use std::collections::BTreeMap;

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
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(
        type = "{ acknowledged: Array<SyncAck>, conflicts: Array<ConflictId>, ignored: number, progressed: boolean }"
    )
)]
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

impl SyncEngine {
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
}
