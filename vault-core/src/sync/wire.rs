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
use crate::tagged::{Field, ItemOrId, Mismatch};

mod pull;
mod push;
#[cfg(test)]
mod tests;

pub use pull::{Change, MemberKey, PullPage, PullRequest};
pub use push::{PushRequest, PushResponse, PushResult, PushWrite, RejectReason};

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
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(rename = "SyncCursor", type = "string")
)]
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OpId(pub u64);
audited_leaf!(OpId, Cursor);

ciphertext_only! {
    /// An item's state on the server: live, or deleted at a revision.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    #[serde(tag = "state", rename_all = "snake_case")]
    #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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

// ----------------------------------------------------------- deserialising
//
// The tagged enums of the wire (here, in `wire/pull.rs` and in
// `wire/push.rs`) parse through `crate::tagged` (no buffering of the
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
