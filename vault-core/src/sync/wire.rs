//! Wire types of the sync protocol, shared by the engine, the server
//! (`vault-sync`) and every client. Version [`WIRE_VERSION`].
//!
//! Every top-level message carries `"v": 1`; a reader rejects other versions
//! with [`Error::UnsupportedVersion`] and unknown fields with
//! [`Error::Malformed`], so a newer peer fails cleanly instead of being
//! half-understood. Ids are hyphenated UUID text, envelopes are unpadded
//! base64url text (`docs/format.md`), revisions and op ids are JSON numbers.
//!
//! All types here are [`CiphertextOnly`](super::CiphertextOnly): the server
//! handles them without ever holding a plaintext or a key that opens one.
//!
//! # Shapes
//!
//! Pull (`GET`, the request may travel as a query string):
//!
//! ```json
//! {"v":1,"since":"c:42"}                       // since omitted on the first sync
//! ```
//!
//! ```json
//! {"v":1,"since":"c:42","next":"c:45","has_more":false,"changes":[
//!   {"type":"vault","vault":"<uuid>","role":"editor","meta":"<EncryptedVault>|null",
//!    "keys":[{"wrapped":{"<WrappedVaultKey>"}},{"grant":{"<VaultGrant>"}}]},
//!   {"type":"vault_removed","vault":"<uuid>"},
//!   {"type":"item","item":{"vault":"…","item":"…","revision":4,"key_version":1,
//!                          "item_key":"…","overview":"…","details":"…"}},
//!   {"type":"tombstone","vault":"<uuid>","item":"<uuid>","revision":5}
//! ]}
//! ```
//!
//! Push (compare-and-swap writes; `item.revision` is always `base + 1`):
//!
//! ```json
//! {"v":1,"writes":[
//!   {"action":"upsert","op":7,"base":3,"item":{"<EncryptedItem with revision 4>"}},
//!   {"action":"delete","op":8,"vault":"<uuid>","item":"<uuid>","base":4}
//! ]}
//! ```
//!
//! ```json
//! {"v":1,"results":[
//!   {"status":"ok","op":7,"revision":4},
//!   {"status":"conflict","op":8,"current":{"state":"live","item":{"<EncryptedItem>"}}},
//!   {"status":"conflict","op":9,"current":{"state":"deleted","vault":"…","item":"…","revision":6}},
//!   {"status":"rejected","op":10,"reason":"forbidden"}
//! ]}
//! ```
//!
//! Over HTTP (a suggestion for `vault-sync`): `GET /v1/sync?since=<cursor>`
//! answers a `PullPage`; `POST /v1/push` takes a `PushRequest` and answers
//! 200 with a `PushResponse`, whose `conflict` results are the batch form of
//! a 409; a single-write endpoint may answer 409 with one `PushResult` body
//! of the same shape.
//!
//! # What the server must guarantee
//!
//! - **Revisions.** An item's revision starts at 0 (absent). A write with
//!   `base == current revision` succeeds and sets the revision to `base + 1`;
//!   an upsert whose `item.revision != base + 1` is `rejected: invalid` (the
//!   revision is bound into the item's associated data, so the server cannot
//!   renumber it). A delete leaves a tombstone at `base + 1`; recreating a
//!   deleted item is an upsert with `base` = the tombstone's revision. Any
//!   other `base` gets `conflict` with the current state (a tombstone counts as
//!   a state). A `base > 0` for an item that never existed is `rejected:
//!   not_found`. Writes in one request are independent and applied in order;
//!   `op` is the client's label for a write, echoed in its result and never
//!   stored.
//! - **Feed.** `changes` since `since` for every vault the user is a member of,
//!   in the order they happened, each row in its *current* state (an item
//!   changed three times appears once). When a membership starts (or changes
//!   key), the feed also carries every live item of that vault, whatever its
//!   age; when it ends, a `vault_removed`. `next` is an opaque token the client
//!   echoes as `since`; `has_more` asks for the next page at once. A page must
//!   make progress: `has_more` with no changes and `next == since` is refused
//!   by the client.
//! - **Key rotation** re-wraps item keys without touching revisions; the feed
//!   re-sends the re-wrapped items at the same revision with the new
//!   `key_version`, and writes sealed under an older generation are
//!   `rejected: stale_key`.

use super::ciphertext::{audited_leaf, ciphertext_only};
use crate::error::{Error, Result};
use crate::ids::{ItemId, VaultId};
use crate::item::EncryptedItem;
use crate::sharing::{Role, VaultGrant};
use crate::tagged::{Field, ItemOrId, Mismatch};
use crate::vault::{EncryptedVault, WrappedVaultKey};

/// Version of every message in this module (the `v` field).
pub const WIRE_VERSION: u8 = 1;

/// Longest [`Cursor`] a client accepts, in bytes.
pub const MAX_CURSOR_LEN: usize = 512;

/// Most writes the engine puts in one [`PushRequest`]; servers must accept at
/// least this many per request.
pub const MAX_WRITES_PER_PUSH: usize = 100;

/// A position in the user's change feed: an opaque token chosen by the server,
/// echoed back by the client, never interpreted by it.
///
/// ```
/// use vault_core::sync::wire::Cursor;
/// let c = Cursor::new("c:42").unwrap();
/// assert_eq!(serde_json::to_string(&c).unwrap(), "\"c:42\"");
/// assert!(Cursor::new("x".repeat(513)).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cursor(String);

impl Cursor {
    /// Wraps a server token (at most [`MAX_CURSOR_LEN`] bytes, printable ASCII).
    pub fn new(token: impl Into<String>) -> Result<Self> {
        let token = token.into();
        if token.len() > MAX_CURSOR_LEN {
            return Err(Error::malformed("sync cursor", "too long"));
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::malformed("sync cursor", "not printable ASCII"));
        }
        Ok(Cursor(token))
    }
    /// The token, as sent in `since`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl serde::Serialize for Cursor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Cursor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Cursor::new(s).map_err(serde::de::Error::custom)
    }
}

/// The client's label for one write in a [`PushRequest`], echoed in its
/// [`PushResult`]. Unique within one engine's lifetime; the server does not
/// store or interpret it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct OpId(pub u64);
audited_leaf!(OpId, Cursor);

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
    pub struct PullRequest {
        /// [`WIRE_VERSION`].
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
    pub struct PullPage {
        /// [`WIRE_VERSION`].
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
    pub enum Change {
        /// The user's membership of a vault, in full (new, or role, meta or keys changed).
        Vault {
            /// The vault.
            vault: VaultId,
            /// The user's role in it.
            role: Role,
            /// The vault's sealed metadata, if it has any.
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
    pub enum MemberKey {
        /// Wrapped under the member's own account key (own vaults, accepted grants):
        /// open with [`UnlockedAccount::unwrap_vault_key`](crate::UnlockedAccount::unwrap_vault_key).
        Wrapped(WrappedVaultKey),
        /// Sealed to the member's identity by another member: verify the sender's
        /// fingerprint, then [`UnlockedAccount::open_grant`](crate::UnlockedAccount::open_grant).
        Grant(VaultGrant),
    }
}

ciphertext_only! {
    /// An item's state on the server: live, or deleted at a revision.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    #[serde(tag = "state", rename_all = "snake_case")]
    pub enum ItemState {
        /// The current blob (its revision is `item.revision`).
        Live {
            /// The blob.
            item: EncryptedItem,
        },
        /// Deleted; the tombstone keeps the revision so a recreate can build on it.
        Deleted {
            /// The vault.
            vault: VaultId,
            /// The item.
            item: ItemId,
            /// Revision of the deletion.
            revision: u64,
        },
    }
}

impl ItemState {
    /// The vault.
    pub fn vault(&self) -> VaultId {
        match self {
            ItemState::Live { item } => item.vault,
            ItemState::Deleted { vault, .. } => *vault,
        }
    }
    /// The item.
    pub fn item_id(&self) -> ItemId {
        match self {
            ItemState::Live { item } => item.item,
            ItemState::Deleted { item, .. } => *item,
        }
    }
    /// The server revision.
    ///
    /// ```
    /// use vault_core::sync::wire::ItemState;
    /// use vault_core::{ItemId, VaultId};
    /// let t = ItemState::Deleted { vault: VaultId([1; 16]), item: ItemId([2; 16]), revision: 5 };
    /// assert_eq!(t.revision(), 5);
    /// ```
    pub fn revision(&self) -> u64 {
        match self {
            ItemState::Live { item } => item.revision,
            ItemState::Deleted { revision, .. } => *revision,
        }
    }
    /// The live blob, if not deleted.
    pub fn live(&self) -> Option<&EncryptedItem> {
        match self {
            ItemState::Live { item } => Some(item),
            ItemState::Deleted { .. } => None,
        }
    }
    /// Ordering key among versions of one item: revision, then key generation
    /// (a key rotation re-wraps an item without changing its revision).
    pub(crate) fn version_key(&self) -> (u64, u32) {
        match self {
            ItemState::Live { item } => (item.revision, item.key_version),
            ItemState::Deleted { revision, .. } => (*revision, 0),
        }
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

ciphertext_only! {
    /// A batch of compare-and-swap writes.
    ///
    /// ```
    /// use vault_core::sync::wire::{PushRequest, PushWrite, OpId};
    /// use vault_core::{ItemId, VaultId};
    /// let req = PushRequest { v: 1, writes: vec![PushWrite::Delete {
    ///     op: OpId(8), vault: VaultId([1; 16]), item: ItemId([2; 16]), base: 4 }] };
    /// let json = req.to_json();
    /// assert!(json.starts_with(r#"{"v":1,"writes":[{"action":"delete","op":8,"#));
    /// assert_eq!(PushRequest::from_json(&json).unwrap(), req);
    /// ```
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct PushRequest {
        /// [`WIRE_VERSION`].
        pub v: u8,
        /// The writes, applied independently and in order.
        pub writes: Vec<PushWrite>,
    }
}

ciphertext_only! {
    /// One compare-and-swap write.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    #[serde(tag = "action", rename_all = "snake_case")]
    pub enum PushWrite {
        /// Create or replace an item.
        Upsert {
            /// The client's label, echoed in the result.
            op: OpId,
            /// The revision the client expects the server to hold (0: absent).
            base: u64,
            /// The new blob; its `revision` is `base + 1`, its ids say where it goes.
            item: EncryptedItem,
        },
        /// Delete an item (leaves a tombstone at `base + 1`).
        Delete {
            /// The client's label, echoed in the result.
            op: OpId,
            /// The vault.
            vault: VaultId,
            /// The item.
            item: ItemId,
            /// The revision the client expects the server to hold.
            base: u64,
        },
    }
}

impl PushWrite {
    /// The client's label.
    pub fn op(&self) -> OpId {
        match self {
            PushWrite::Upsert { op, .. } | PushWrite::Delete { op, .. } => *op,
        }
    }
    /// The vault written to.
    pub fn vault(&self) -> VaultId {
        match self {
            PushWrite::Upsert { item, .. } => item.vault,
            PushWrite::Delete { vault, .. } => *vault,
        }
    }
    /// The item written.
    pub fn item_id(&self) -> ItemId {
        match self {
            PushWrite::Upsert { item, .. } => item.item,
            PushWrite::Delete { item, .. } => *item,
        }
    }
    /// The expected current revision.
    pub fn base(&self) -> u64 {
        match self {
            PushWrite::Upsert { base, .. } | PushWrite::Delete { base, .. } => *base,
        }
    }
    /// The revision the write creates on success (`base + 1`).
    ///
    /// ```
    /// use vault_core::sync::wire::{PushWrite, OpId};
    /// use vault_core::{ItemId, VaultId};
    /// let w = PushWrite::Delete { op: OpId(1), vault: VaultId([1; 16]), item: ItemId([2; 16]), base: 4 };
    /// assert_eq!(w.revision(), 5);
    /// ```
    pub fn revision(&self) -> u64 {
        self.base().saturating_add(1)
    }
    /// The server state this write produces if it succeeds.
    pub fn resulting_state(&self) -> ItemState {
        match self {
            PushWrite::Upsert { item, .. } => ItemState::Live { item: item.clone() },
            PushWrite::Delete {
                vault, item, base, ..
            } => ItemState::Deleted {
                vault: *vault,
                item: *item,
                revision: base.saturating_add(1),
            },
        }
    }
    /// Checks the write is self-consistent (what a server validates before the CAS):
    /// an upsert's blob is sealed for revision `base + 1`.
    ///
    /// ```
    /// use vault_core::sync::wire::{PushWrite, OpId};
    /// use vault_core::{ItemId, VaultId};
    /// let w = PushWrite::Delete { op: OpId(1), vault: VaultId([1; 16]), item: ItemId([2; 16]), base: u64::MAX };
    /// assert!(w.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        if self.base() == u64::MAX {
            return Err(Error::malformed("push write", "revision overflow"));
        }
        match self {
            PushWrite::Upsert { base, item, .. } if item.revision != base.saturating_add(1) => Err(
                Error::malformed("push write", "item revision must be base + 1"),
            ),
            _ => Ok(()),
        }
    }
}

ciphertext_only! {
    /// The server's answer to a [`PushRequest`]: one result per write it
    /// processed. A write without a result stays queued and is sent again.
    ///
    /// ```
    /// use vault_core::sync::wire::{PushResponse, PushResult, OpId, RejectReason};
    /// let r = PushResponse::from_json(r#"{"v":1,"results":[{"status":"rejected","op":3,"reason":"forbidden"}]}"#).unwrap();
    /// assert_eq!(r.results[0], PushResult::Rejected { op: OpId(3), reason: RejectReason::Forbidden });
    /// ```
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct PushResponse {
        /// [`WIRE_VERSION`].
        pub v: u8,
        /// Results, in any order (matched by `op`).
        pub results: Vec<PushResult>,
    }
}

ciphertext_only! {
    /// The outcome of one write.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    #[serde(tag = "status", rename_all = "snake_case")]
    pub enum PushResult {
        /// Stored; the item is now at `revision` (`base + 1`).
        Ok {
            /// The write's label.
            op: OpId,
            /// The item's new revision.
            revision: u64,
        },
        /// The server's revision was not `base` (HTTP 409): here is its current state.
        Conflict {
            /// The write's label.
            op: OpId,
            /// The item as the server holds it now.
            current: ItemState,
        },
        /// Refused for good (not a transient error; those are HTTP errors).
        Rejected {
            /// The write's label.
            op: OpId,
            /// Why.
            reason: RejectReason,
        },
    }
}

impl PushResult {
    /// The write's label.
    pub fn op(&self) -> OpId {
        match self {
            PushResult::Ok { op, .. }
            | PushResult::Conflict { op, .. }
            | PushResult::Rejected { op, .. } => *op,
        }
    }
}

/// Why the server refused a write. Serialised as a snake_case string; a reason
/// this build does not know parses as [`RejectReason::Other`].
///
/// ```
/// use vault_core::sync::wire::RejectReason;
/// let r: RejectReason = serde_json::from_str("\"stale_key\"").unwrap();
/// assert_eq!(r, RejectReason::StaleKey);
/// let r: RejectReason = serde_json::from_str("\"quota\"").unwrap();
/// assert_eq!(r, RejectReason::Other);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RejectReason {
    /// Not a member of the vault, or a viewer (`forbidden`).
    Forbidden,
    /// The vault, or the item for a `base > 0`, does not exist (`not_found`).
    NotFound,
    /// The write is malformed, e.g. revision not `base + 1` (`invalid`).
    Invalid,
    /// The blob is over the server's size limit (`too_large`).
    TooLarge,
    /// Sealed under an older vault key generation than the vault's current one
    /// (`stale_key`): re-seal with the current key and retry.
    StaleKey,
    /// A reason from a newer server (`other`).
    Other,
}
audited_leaf!(RejectReason);

impl RejectReason {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::Forbidden => "forbidden",
            RejectReason::NotFound => "not_found",
            RejectReason::Invalid => "invalid",
            RejectReason::TooLarge => "too_large",
            RejectReason::StaleKey => "stale_key",
            RejectReason::Other => "other",
        }
    }
}

impl serde::Serialize for RejectReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for RejectReason {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ok(match &*s {
            "forbidden" => RejectReason::Forbidden,
            "not_found" => RejectReason::NotFound,
            "invalid" => RejectReason::Invalid,
            "too_large" => RejectReason::TooLarge,
            "stale_key" => RejectReason::StaleKey,
            _ => RejectReason::Other,
        })
    }
}

// ----------------------------------------------------------- deserialising
//
// The tagged enums above parse through `crate::tagged` (no buffering of the
// object, see there): a raw struct with every member any variant has, then the
// variant the tag names, its members required, the others rejected. The
// accepted JSON is exactly what `#[serde(tag = …, deny_unknown_fields)]`
// accepted.

impl<'de> serde::Deserialize<'de> for ItemState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum Tag {
            Live,
            Deleted,
        }
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            state: Tag,
            #[serde(default)]
            item: Field<ItemOrId>,
            #[serde(default)]
            vault: Field<VaultId>,
            #[serde(default)]
            revision: Field<u64>,
        }
        fn build(r: Raw) -> core::result::Result<ItemState, Mismatch> {
            Ok(match r.state {
                Tag::Live => {
                    r.vault.forbid("vault")?;
                    r.revision.forbid("revision")?;
                    ItemState::Live {
                        item: r.item.required("item")?.item()?,
                    }
                }
                Tag::Deleted => ItemState::Deleted {
                    vault: r.vault.required("vault")?,
                    item: r.item.required("item")?.id()?,
                    revision: r.revision.required("revision")?,
                },
            })
        }
        build(Raw::deserialize(d)?).map_err(Mismatch::into_error)
    }
}

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

impl<'de> serde::Deserialize<'de> for PushWrite {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum Tag {
            Upsert,
            Delete,
        }
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            action: Tag,
            #[serde(default)]
            op: Field<OpId>,
            #[serde(default)]
            base: Field<u64>,
            #[serde(default)]
            item: Field<ItemOrId>,
            #[serde(default)]
            vault: Field<VaultId>,
        }
        fn build(r: Raw) -> core::result::Result<PushWrite, Mismatch> {
            Ok(match r.action {
                Tag::Upsert => {
                    r.vault.forbid("vault")?;
                    PushWrite::Upsert {
                        op: r.op.required("op")?,
                        base: r.base.required("base")?,
                        item: r.item.required("item")?.item()?,
                    }
                }
                Tag::Delete => PushWrite::Delete {
                    op: r.op.required("op")?,
                    vault: r.vault.required("vault")?,
                    item: r.item.required("item")?.id()?,
                    base: r.base.required("base")?,
                },
            })
        }
        build(Raw::deserialize(d)?).map_err(Mismatch::into_error)
    }
}

impl<'de> serde::Deserialize<'de> for PushResult {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum Tag {
            Ok,
            Conflict,
            Rejected,
        }
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            status: Tag,
            #[serde(default)]
            op: Field<OpId>,
            #[serde(default)]
            revision: Field<u64>,
            #[serde(default)]
            current: Field<ItemState>,
            #[serde(default)]
            reason: Field<RejectReason>,
        }
        fn build(r: Raw) -> core::result::Result<PushResult, Mismatch> {
            let op = r.op.required("op")?;
            if !matches!(r.status, Tag::Ok) {
                r.revision.forbid("revision")?;
            }
            if !matches!(r.status, Tag::Conflict) {
                r.current.forbid("current")?;
            }
            if !matches!(r.status, Tag::Rejected) {
                r.reason.forbid("reason")?;
            }
            Ok(match r.status {
                Tag::Ok => PushResult::Ok {
                    op,
                    revision: r.revision.required("revision")?,
                },
                Tag::Conflict => PushResult::Conflict {
                    op,
                    current: r.current.required("current")?,
                },
                Tag::Rejected => PushResult::Rejected {
                    op,
                    reason: r.reason.required("reason")?,
                },
            })
        }
        build(Raw::deserialize(d)?).map_err(Mismatch::into_error)
    }
}

/// Parses `json` as a versioned wire message.
fn from_json<T: serde::de::DeserializeOwned>(
    json: &str,
    what: &'static str,
    version: impl Fn(&T) -> u8,
) -> Result<T> {
    let t: T =
        crate::encoding::json_from_str(json).map_err(|_| Error::malformed(what, "invalid JSON"))?;
    check_version(what, version(&t))?;
    Ok(t)
}

pub(crate) fn check_version(what: &'static str, v: u8) -> Result<()> {
    if v == WIRE_VERSION {
        Ok(())
    } else {
        Err(Error::UnsupportedVersion { what, version: v })
    }
}

/// Serialises a wire message. Our wire types always serialise (string map
/// keys, no non-finite floats); the fallback is unreachable.
fn to_json<T: serde::Serialize>(t: &T) -> String {
    serde_json::to_string(t).unwrap_or_default()
}

macro_rules! json_io {
    ($($t:ident => $what:literal),* $(,)?) => {
        $(
            impl $t {
                /// Parses the JSON form, rejecting unknown fields and versions.
                pub fn from_json(json: &str) -> Result<Self> {
                    from_json(json, $what, |t: &Self| t.v)
                }
                /// The JSON form.
                pub fn to_json(&self) -> String {
                    to_json(self)
                }
            }
        )*
    };
}
json_io!(
    PullRequest => "sync pull request",
    PullPage => "sync page",
    PushRequest => "sync push request",
    PushResponse => "sync push response",
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::ConflictCause;
    use serde_json::{Value, json};

    const V: &str = "01010101-0101-0101-0101-010101010101";
    const I: &str = "02020202-0202-0202-0202-020202020202";
    const ENV: &str = "AQEAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcxz11AZq45DBWrUYvdY_0L";

    fn blob() -> Value {
        json!({"vault": V, "item": I, "revision": 2, "key_version": 1,
               "item_key": ENV, "overview": ENV, "details": ENV})
    }

    /// Every accepted shape round-trips; each listed mutation is refused.
    fn strict<T>(good: &[Value], bad: &[Value])
    where
        T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + core::fmt::Debug,
    {
        for g in good {
            let t: T = serde_json::from_value(g.clone()).unwrap_or_else(|e| panic!("{g}: {e}"));
            let again: T = serde_json::from_value(serde_json::to_value(&t).unwrap()).unwrap();
            assert_eq!(again, t);
            let t2: T = crate::encoding::json_from_str(&g.to_string()).unwrap();
            assert_eq!(t2, t);
        }
        for b in bad {
            assert!(
                serde_json::from_value::<T>(b.clone()).is_err(),
                "accepted {b}"
            );
        }
    }

    #[test]
    fn item_state_is_strict() {
        strict::<ItemState>(
            &[
                json!({"state": "live", "item": blob()}),
                json!({"item": blob(), "state": "live"}),
                json!({"state": "deleted", "vault": V, "item": I, "revision": 3}),
            ],
            &[
                json!({"state": "live"}),
                json!({"state": "live", "item": I}),
                json!({"state": "live", "item": blob(), "revision": 2}),
                json!({"state": "live", "item": blob(), "extra": 1}),
                json!({"state": "deleted", "vault": V, "item": blob(), "revision": 3}),
                json!({"state": "deleted", "vault": V, "item": I}),
                json!({"state": "deleted", "vault": V, "item": I, "revision": -1}),
                json!({"state": "deleted", "vault": V, "item": I, "revision": 1.5}),
                json!({"state": "gone", "vault": V, "item": I, "revision": 3}),
                json!({"vault": V, "item": I, "revision": 3}),
                json!([]),
            ],
        );
    }

    #[test]
    fn change_is_strict() {
        let key = json!({"wrapped": {"vault": V, "account": I, "key_version": 1, "envelope": ENV}});
        strict::<Change>(
            &[
                json!({"type": "vault", "vault": V, "role": "editor", "meta": null, "keys": [key]}),
                json!({"type": "vault", "vault": V, "role": "viewer", "keys": []}),
                json!({"type": "vault", "vault": V, "role": "owner", "keys": [],
                       "meta": {"vault": V, "key_version": 1, "meta": ENV}}),
                json!({"type": "vault_removed", "vault": V}),
                json!({"type": "item", "item": blob()}),
                json!({"type": "tombstone", "vault": V, "item": I, "revision": 5}),
            ],
            &[
                json!({"type": "vault", "vault": V, "role": "editor", "meta": null}),
                json!({"type": "vault", "vault": V, "role": "admin", "keys": []}),
                json!({"type": "vault", "vault": V, "role": "owner", "keys": [], "item": I}),
                json!({"type": "vault_removed", "vault": V, "role": "owner"}),
                json!({"type": "vault_removed", "vault": V, "meta": null}),
                json!({"type": "vault_removed"}),
                json!({"type": "item", "item": blob(), "vault": V}),
                json!({"type": "item", "item": I}),
                json!({"type": "tombstone", "vault": V, "item": I}),
                json!({"type": "tombstone", "vault": V, "item": blob(), "revision": 5}),
                json!({"type": "tombstone", "vault": V, "item": I, "revision": 5, "keys": []}),
            ],
        );
        let dup = format!(r#"{{"type":"vault_removed","vault":"{V}","vault":"{V}"}}"#);
        assert!(crate::encoding::json_from_str::<Change>(&dup).is_err());
    }

    #[test]
    fn push_messages_are_strict() {
        strict::<PushWrite>(
            &[
                json!({"action": "upsert", "op": 7, "base": 1, "item": blob()}),
                json!({"action": "delete", "op": 8, "vault": V, "item": I, "base": 4}),
            ],
            &[
                json!({"action": "upsert", "op": 7, "base": 1, "item": I}),
                json!({"action": "upsert", "op": 7, "base": 1, "item": blob(), "vault": V}),
                json!({"action": "upsert", "base": 1, "item": blob()}),
                json!({"action": "delete", "op": 8, "vault": V, "item": blob(), "base": 4}),
                json!({"action": "delete", "op": 8, "item": I, "base": 4}),
                json!({"action": "move", "op": 8, "vault": V, "item": I, "base": 4}),
            ],
        );
        strict::<PushResult>(
            &[
                json!({"status": "ok", "op": 7, "revision": 4}),
                json!({"status": "conflict", "op": 8, "current": {"state": "live", "item": blob()}}),
                json!({"status": "rejected", "op": 10, "reason": "forbidden"}),
                json!({"status": "rejected", "op": 10, "reason": "a future reason"}),
            ],
            &[
                json!({"status": "ok", "op": 7}),
                json!({"status": "ok", "revision": 4}),
                json!({"status": "ok", "op": 7, "revision": 4, "reason": "invalid"}),
                json!({"status": "conflict", "op": 8}),
                json!({"status": "conflict", "op": 8, "current": {"state": "live"}}),
                json!({"status": "conflict", "op": 8, "current": {"state": "live", "item": blob()}, "revision": 1}),
                json!({"status": "rejected", "op": 10}),
                json!({"status": "rejected", "op": 10, "reason": "forbidden", "current": null}),
            ],
        );
    }

    #[test]
    fn conflict_causes_are_strict() {
        strict::<ConflictCause>(
            &[
                json!({"kind": "diverged", "server": {"state": "deleted", "vault": V, "item": I, "revision": 3}}),
                json!({"kind": "rejected", "reason": "stale_key"}),
                json!({"kind": "vault_unavailable"}),
            ],
            &[
                json!({"kind": "diverged"}),
                json!({"kind": "diverged", "server": {"state": "live", "item": blob()}, "reason": "invalid"}),
                json!({"kind": "rejected"}),
                // serde's derive let a unit variant carry any field; this parser does not.
                json!({"kind": "vault_unavailable", "reason": "forbidden"}),
                json!({"kind": "vault_unavailable", "extra": true}),
            ],
        );
    }
}
