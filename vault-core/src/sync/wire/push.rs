//! The push direction: the batch of compare-and-swap writes and the server's
//! results.

use super::{ItemState, OpId};
use crate::error::{Error, Result};
use crate::ids::{ItemId, VaultId};
use crate::item::EncryptedItem;
use crate::sync::ciphertext::{audited_leaf, ciphertext_only};
use crate::tagged::{Field, ItemOrId, Mismatch};

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
    #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
    pub struct PushRequest {
        /// [`WIRE_VERSION`](super::WIRE_VERSION).
        pub v: u8,
        /// The writes, applied independently and in order.
        pub writes: Vec<PushWrite>,
    }
}

ciphertext_only! {
    /// One compare-and-swap write.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    #[serde(tag = "action", rename_all = "snake_case")]
    #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
    #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
    pub struct PushResponse {
        /// [`WIRE_VERSION`](super::WIRE_VERSION).
        pub v: u8,
        /// Results, in any order (matched by `op`).
        pub results: Vec<PushResult>,
    }
}

ciphertext_only! {
    /// The outcome of one write.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    #[serde(tag = "status", rename_all = "snake_case")]
    #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename_all = "snake_case"))]
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

// Parsed through `crate::tagged`, as the note above ItemState's
// `Deserialize` in `wire.rs` describes.

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
