//! Local edits: the revision to seal an edit for, and queueing it.

use super::{LocalChange, PendingEdit, SyncEngine};
use crate::error::{Error, Result};
use crate::ids::{ItemId, VaultId};
use crate::item::EncryptedItem;
use crate::sharing::Role;
use crate::sync::wire::{ItemState, OpId};

impl SyncEngine {
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
}
