//! The pull direction: the feed request and the page of changes it answers.

use super::{Cursor, ItemState};
use crate::ids::{ItemId, VaultId};
use crate::item::EncryptedItem;
use crate::sharing::{Role, VaultGrant};
use crate::sync::ciphertext::ciphertext_only;
use crate::tagged::{Field, ItemOrId, Mismatch};
use crate::vault::{EncryptedVault, WrappedVaultKey};

ciphertext_only! {
    /// What the client asks for: the changes after `since`.
    ///
    /// ```
    /// use vault_core::sync::wire::PullRequest;
    /// let first = PullRequest { v: 1, since: None };
    /// assert_eq!(first.to_json(), r#"{"v":1}"#);
    /// ```
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
    pub struct PullRequest {
        /// [`WIRE_VERSION`](super::WIRE_VERSION).
        pub v: u8,
        /// The cursor of the last applied page; absent on the first sync.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub since: Option<Cursor>,
    }
}

ciphertext_only! {
    /// One page of the user's change feed.
    ///
    /// ```
    /// use vault_core::sync::wire::PullPage;
    /// let page = PullPage::from_json(r#"{"v":1,"since":null,"next":"c:0","has_more":false,"changes":[]}"#).unwrap();
    /// assert!(page.changes.is_empty());
    /// assert!(PullPage::from_json(r#"{"v":2,"since":null,"next":"c:0","has_more":false,"changes":[]}"#).is_err());
    /// ```
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
    pub struct PullPage {
        /// [`WIRE_VERSION`](super::WIRE_VERSION).
        pub v: u8,
        /// The `since` this page answers (echoed from the request).
        pub since: Option<Cursor>,
        /// The cursor to ask from next.
        pub next: Cursor,
        /// More changes are waiting: pull again right away.
        pub has_more: bool,
        /// The changes, oldest first.
        pub changes: Vec<Change>,
    }
}

ciphertext_only! {
    /// One entry of the change feed.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "SyncChange"))]
    pub enum Change {
        /// The user's membership of a vault, in full (new, or role, meta or keys changed).
        Vault {
            /// The vault.
            vault: VaultId,
            /// The user's role in it.
            role: Role,
            /// The vault's sealed metadata, if it has any.
            #[cfg_attr(feature = "ts", ts(optional = nullable))]
            meta: Option<EncryptedVault>,
            /// The vault key generations this user can open.
            keys: Vec<MemberKey>,
        },
        /// The user is no longer a member (revoked, left, or the vault was deleted).
        VaultRemoved {
            /// The vault.
            vault: VaultId,
        },
        /// An item's current live version.
        Item {
            /// The blob, at its server revision (`item.revision`).
            item: EncryptedItem,
        },
        /// An item's deletion.
        Tombstone {
            /// The vault.
            vault: VaultId,
            /// The item.
            item: ItemId,
            /// Revision of the deletion.
            revision: u64,
        },
    }
}

ciphertext_only! {
    /// A vault key as one member receives it.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
    pub enum MemberKey {
        /// Wrapped under the member's own account key (own vaults, accepted grants):
        /// open with [`UnlockedAccount::unwrap_vault_key`](crate::UnlockedAccount::unwrap_vault_key).
        Wrapped(WrappedVaultKey),
        /// Sealed to the member's identity by another member: verify the sender's
        /// fingerprint, then [`UnlockedAccount::open_grant`](crate::UnlockedAccount::open_grant).
        Grant(VaultGrant),
    }
}

impl Change {
    /// The item state this change carries, if it is an item change.
    pub fn item_state(&self) -> Option<ItemState> {
        match self {
            Change::Item { item } => Some(ItemState::Live { item: item.clone() }),
            Change::Tombstone {
                vault,
                item,
                revision,
            } => Some(ItemState::Deleted {
                vault: *vault,
                item: *item,
                revision: *revision,
            }),
            Change::Vault { .. } | Change::VaultRemoved { .. } => None,
        }
    }
}

// Parsed through `crate::tagged`, as the note above ItemState's
// `Deserialize` in `wire.rs` describes.

impl<'de> serde::Deserialize<'de> for Change {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum Tag {
            Vault,
            VaultRemoved,
            Item,
            Tombstone,
        }
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            #[serde(rename = "type")]
            tag: Tag,
            #[serde(default)]
            vault: Field<VaultId>,
            #[serde(default)]
            role: Field<Role>,
            #[serde(default)]
            meta: Field<Option<EncryptedVault>>,
            #[serde(default)]
            keys: Field<Vec<MemberKey>>,
            #[serde(default)]
            item: Field<ItemOrId>,
            #[serde(default)]
            revision: Field<u64>,
        }
        fn build(r: Raw) -> core::result::Result<Change, Mismatch> {
            if !matches!(r.tag, Tag::Vault) {
                r.role.forbid("role")?;
                r.meta.forbid("meta")?;
                r.keys.forbid("keys")?;
            }
            if !matches!(r.tag, Tag::Tombstone) {
                r.revision.forbid("revision")?;
            }
            Ok(match r.tag {
                Tag::Vault => {
                    r.item.forbid("item")?;
                    Change::Vault {
                        vault: r.vault.required("vault")?,
                        role: r.role.required("role")?,
                        meta: r.meta.optional(),
                        keys: r.keys.required("keys")?,
                    }
                }
                Tag::VaultRemoved => {
                    r.item.forbid("item")?;
                    Change::VaultRemoved {
                        vault: r.vault.required("vault")?,
                    }
                }
                Tag::Item => {
                    r.vault.forbid("vault")?;
                    Change::Item {
                        item: r.item.required("item")?.item()?,
                    }
                }
                Tag::Tombstone => Change::Tombstone {
                    vault: r.vault.required("vault")?,
                    item: r.item.required("item")?.id()?,
                    revision: r.revision.required("revision")?,
                },
            })
        }
        build(Raw::deserialize(d)?).map_err(Mismatch::into_error)
    }
}
