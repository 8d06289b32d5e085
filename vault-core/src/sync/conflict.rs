//! Conflicts: local edits the server could not take as they are, kept
//! recoverable until the app (or [`SyncEngine::resolve_default`]) decides.

use super::ciphertext::ciphertext_only;
use super::engine::{LocalChange, SyncEngine};
use super::wire::{ItemState, RejectReason};
use crate::error::{Error, Result};
use crate::ids::{ItemId, VaultId};
use crate::item::EncryptedItem;
use crate::vault::VaultKey;

ciphertext_only! {
    /// Identifies a conflict within one engine.
    #[derive(
        Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
    )]
    #[serde(transparent)]
    #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
    pub struct ConflictId(pub u64);
}

ciphertext_only! {
    /// A local edit that could not be applied as it was, with what the server
    /// holds instead. Nothing is lost: the local version stays here (as
    /// ciphertext) until resolved, while the item itself shows the server's
    /// version.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
    pub struct Conflict {
        /// Its id, for the `resolve_*` calls.
        pub id: ConflictId,
        /// The vault.
        pub vault: VaultId,
        /// The item.
        pub item: ItemId,
        /// The server revision the local edits started from.
        pub base: u64,
        /// The user's latest local version (sealed for a revision that is now
        /// taken, so resolving re-seals it).
        pub local: LocalChange,
        /// Why it could not be applied.
        pub cause: ConflictCause,
    }
}

ciphertext_only! {
    /// Why a local edit became a conflict.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    #[serde(tag = "kind", rename_all = "snake_case")]
    #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
    pub enum ConflictCause {
        /// Another device changed or deleted the item since `base`.
        Diverged {
            /// The server's version when the conflict was found (the engine's
            /// [`server_item`](SyncEngine::server_item) may be newer by now).
            server: ItemState,
        },
        /// The server refused the write.
        Rejected {
            /// Its reason.
            reason: RejectReason,
        },
        /// The user lost access to the vault (revoked, or the vault was deleted).
        VaultUnavailable,
    }
}

/// Parsed without buffering (see `crate::tagged`); accepts exactly what
/// `#[serde(tag = "kind", deny_unknown_fields)]` accepted.
impl<'de> serde::Deserialize<'de> for ConflictCause {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        use crate::tagged::{Field, Mismatch};
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum Tag {
            Diverged,
            Rejected,
            VaultUnavailable,
        }
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            kind: Tag,
            #[serde(default)]
            server: Field<ItemState>,
            #[serde(default)]
            reason: Field<RejectReason>,
        }
        fn build(r: Raw) -> core::result::Result<ConflictCause, Mismatch> {
            if !matches!(r.kind, Tag::Diverged) {
                r.server.forbid("server")?;
            }
            if !matches!(r.kind, Tag::Rejected) {
                r.reason.forbid("reason")?;
            }
            Ok(match r.kind {
                Tag::Diverged => ConflictCause::Diverged {
                    server: r.server.required("server")?,
                },
                Tag::Rejected => ConflictCause::Rejected {
                    reason: r.reason.required("reason")?,
                },
                Tag::VaultUnavailable => ConflictCause::VaultUnavailable,
            })
        }
        build(Raw::deserialize(d)?).map_err(Mismatch::into_error)
    }
}

/// What [`SyncEngine::resolve_default`] did with one conflict.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(
        type = "{ kind: \"kept_both\", copy: Uuid } | { kind: \"kept_server_identical\" } | { kind: \"recreated\" } | { kind: \"kept_server_edit\" } | { kind: \"both_deleted\" } | { kind: \"resealed\" } | { kind: \"left\", error: { code: ErrorCode, message: string } | null }"
    )
)]
pub enum AutoAction {
    /// Both edited: the server's version keeps the item id, the local version
    /// was re-sealed as a new item (`copy`) in the same vault and queued.
    KeptBoth {
        /// The new item holding the local version.
        copy: ItemId,
    },
    /// Both edited to the same plaintext: nothing to keep twice.
    KeptServerIdentical,
    /// Edited here, deleted elsewhere: the local version was re-sealed over the
    /// tombstone and queued (the item comes back).
    Recreated,
    /// Deleted here, edited elsewhere: the edit stays (data beats deletion).
    /// The app may delete again.
    KeptServerEdit,
    /// Deleted on both sides.
    BothDeleted,
    /// Rejected for a stale key generation: re-sealed with the newest key you
    /// passed and queued again.
    Resealed,
    /// Left in the conflict list: the app must decide (a rejection, a lost
    /// vault), or resolving failed (`Some(error)`, e.g. a missing key).
    Left(Option<Error>),
}

/// The JSON form (for bindings): `{"kind": "<snake_case variant>"}`, plus
/// `"copy": uuid` for `kept_both` and `"error": null | {"code","message"}`
/// for `left` (the message is the error's display text, never a secret).
///
/// ```
/// use vault_core::{Error, ItemId};
/// use vault_core::sync::AutoAction;
/// let kept = AutoAction::KeptBoth { copy: ItemId([1; 16]) };
/// assert_eq!(serde_json::to_string(&kept)?,
///            r#"{"kind":"kept_both","copy":"01010101-0101-0101-0101-010101010101"}"#);
/// let left = AutoAction::Left(Some(Error::Decrypt));
/// assert_eq!(serde_json::to_string(&left)?,
///            r#"{"kind":"left","error":{"code":"decrypt","message":"decryption failed"}}"#);
/// assert_eq!(serde_json::to_string(&AutoAction::Left(None))?, r#"{"kind":"left","error":null}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
impl serde::Serialize for AutoAction {
    fn serialize<S: serde::Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        #[derive(serde::Serialize)]
        struct ErrorJson {
            code: &'static str,
            message: String,
        }
        let kind = match self {
            AutoAction::KeptBoth { .. } => "kept_both",
            AutoAction::KeptServerIdentical => "kept_server_identical",
            AutoAction::Recreated => "recreated",
            AutoAction::KeptServerEdit => "kept_server_edit",
            AutoAction::BothDeleted => "both_deleted",
            AutoAction::Resealed => "resealed",
            AutoAction::Left(_) => "left",
        };
        let extra = usize::from(matches!(
            self,
            AutoAction::KeptBoth { .. } | AutoAction::Left(_)
        ));
        let mut st = s.serialize_struct("AutoAction", 1 + extra)?;
        st.serialize_field("kind", kind)?;
        match self {
            AutoAction::KeptBoth { copy } => st.serialize_field("copy", copy)?,
            AutoAction::Left(e) => st.serialize_field(
                "error",
                &e.as_ref().map(|e| ErrorJson {
                    code: e.code(),
                    message: e.to_string(),
                }),
            )?,
            _ => {}
        }
        st.end()
    }
}

/// One conflict [`SyncEngine::resolve_default`] looked at. JSON (for
/// bindings): `{"conflict": Conflict, "action": AutoAction}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AutoResolution {
    /// The conflict as it was.
    pub conflict: Conflict,
    /// What happened to it.
    pub action: AutoAction,
}

/// The key of `blob`'s own vault and generation.
fn opening_key<'k>(keys: &'k [VaultKey], blob: &EncryptedItem) -> Result<&'k VaultKey> {
    keys.iter()
        .find(|k| k.vault == blob.vault && k.key_version == blob.key_version)
        .ok_or(Error::InvalidArgument(
            "no vault key of the item's vault and generation",
        ))
}

/// The newest key of `vault`.
fn sealing_key(keys: &[VaultKey], vault: VaultId) -> Result<&VaultKey> {
    keys.iter()
        .filter(|k| k.vault == vault)
        .max_by_key(|k| k.key_version)
        .ok_or(Error::InvalidArgument("no vault key of the item's vault"))
}

fn unknown() -> Error {
    Error::InvalidArgument("unknown conflict")
}

impl SyncEngine {
    /// Resolves a conflict by keeping the server's version: the local version
    /// is discarded (an explicit user decision). Returns the conflict.
    ///
    /// ```
    /// use vault_core::sync::{SyncEngine, ConflictId};
    /// let mut engine = SyncEngine::new();
    /// assert!(engine.resolve_keep_server(ConflictId(1)).is_err());
    /// ```
    pub fn resolve_keep_server(&mut self, id: ConflictId) -> Result<Conflict> {
        self.take_conflict(id).ok_or_else(unknown)
    }

    /// Resolves a conflict by making the local version current again: it is
    /// decrypted with the key of its generation, re-sealed with the newest key
    /// of the vault in `keys` at the next revision, and queued after whatever
    /// the item holds now (a local deletion is queued again, no key needed).
    /// `keys` holds the vault's keys the app has; one is enough unless the
    /// vault was rotated meanwhile. On error the conflict stays.
    pub fn resolve_keep_local(
        &mut self,
        id: ConflictId,
        keys: &[VaultKey],
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<()> {
        let c = self.conflict(id).ok_or_else(unknown)?.clone();
        match &c.local {
            LocalChange::Delete => self.enqueue(c.vault, c.item, LocalChange::Delete, false)?,
            LocalChange::Upsert(blob) => {
                let plain = opening_key(keys, blob)?.decrypt_item(blob)?;
                let revision = self.head_revision(c.vault, c.item).saturating_add(1);
                let sealed =
                    sealing_key(keys, c.vault)?.encrypt_item(c.item, revision, &plain, rng)?;
                self.enqueue(c.vault, c.item, LocalChange::Upsert(sealed), false)?;
            }
        }
        self.take_conflict(id);
        Ok(())
    }

    /// Resolves a conflict by keeping both versions: the server's stays under
    /// the item's id, the local version is re-sealed (newest key of the vault
    /// in `keys`) as a **new item** in the same vault, its title followed by
    /// `title_suffix` (e.g. `" (conflict)"`, localised by the app), and queued.
    /// Returns the copy's id; a local deletion has nothing to copy (`None`,
    /// the server's version is kept). On error the conflict stays.
    ///
    /// ```
    /// use vault_core::*;
    /// use vault_core::sync::{SyncEngine, wire::*};
    /// let mut rng = rng::os_rng();
    /// let vk = VaultKey::generate(VaultId::generate(&mut rng), &mut rng);
    /// let (v, id) = (vk.vault_id(), ItemId::generate(&mut rng));
    /// let note = |t: &str| Item { title: t.into(), data: ItemData::SecureNote, notes: Default::default(),
    ///                             tags: vec![], favorite: false, custom_fields: vec![] };
    /// let mut engine = SyncEngine::new();
    /// engine.local_upsert(vk.encrypt_item(id, 1, &note("mine"), &mut rng)?)?;
    /// let push = engine.plan_push().unwrap();
    /// // Another device created the same item first: the server answers 409.
    /// let theirs = vk.encrypt_item(id, 1, &note("theirs"), &mut rng)?;
    /// let resp = PushResponse { v: 1, results: vec![PushResult::Conflict {
    ///     op: push.writes[0].op(), current: ItemState::Live { item: theirs } }] };
    /// let conflict = engine.apply_push(resp)?.conflicts[0];
    /// let copy = engine.resolve_keep_both(conflict, &[vk.clone()], " (conflict)", &mut rng)?.unwrap();
    /// let titles: Vec<String> = engine.items(v).map(|i| vk.decrypt_item(i).unwrap().title.clone()).collect();
    /// assert!(titles.contains(&"theirs".to_string()) && titles.contains(&"mine (conflict)".to_string()));
    /// assert!(engine.conflicts().is_empty() && engine.item(v, copy).is_some());
    /// # Ok::<(), vault_core::Error>(())
    /// ```
    pub fn resolve_keep_both(
        &mut self,
        id: ConflictId,
        keys: &[VaultKey],
        title_suffix: &str,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<Option<ItemId>> {
        let c = self.conflict(id).ok_or_else(unknown)?.clone();
        let copy = match &c.local {
            LocalChange::Delete => None,
            LocalChange::Upsert(blob) => {
                let mut plain = opening_key(keys, blob)?.decrypt_item(blob)?;
                plain.title.push_str(title_suffix);
                let copy = ItemId::generate(rng);
                let sealed = sealing_key(keys, c.vault)?.encrypt_item(copy, 1, &plain, rng)?;
                self.enqueue(c.vault, copy, LocalChange::Upsert(sealed), false)?;
                Some(copy)
            }
        };
        self.take_conflict(id);
        Ok(copy)
    }

    /// Resolves every conflict the default policy can decide, with the keys
    /// the app holds (see the [module docs](super) for the table):
    /// edit/edit keeps both (the local version becomes a copy titled with
    /// `copy_suffix`) unless the plaintexts are equal; edit/delete recreates
    /// the item; delete/edit keeps the edit; `stale_key` rejections are
    /// re-sealed with the newest key. Other rejections and lost vaults are
    /// left for the app, as are conflicts whose key is missing. Returns what
    /// happened to each conflict.
    ///
    /// ```
    /// use vault_core::*;
    /// use vault_core::sync::{AutoAction, SyncEngine, wire::*};
    /// let mut rng = rng::os_rng();
    /// let vk = VaultKey::generate(VaultId::generate(&mut rng), &mut rng);
    /// let (v, id) = (vk.vault_id(), ItemId::generate(&mut rng));
    /// let note = Item { title: "Alarm code".into(), data: ItemData::SecureNote, notes: Default::default(),
    ///                   tags: vec![], favorite: false, custom_fields: vec![] };
    /// let mut engine = SyncEngine::new();
    /// engine.local_upsert(vk.encrypt_item(id, 1, &note, &mut rng)?)?;
    /// let op = engine.plan_push().unwrap().writes[0].op();
    /// // Meanwhile another device created and deleted it: edit vs. deletion.
    /// let gone = ItemState::Deleted { vault: v, item: id, revision: 2 };
    /// engine.apply_push(PushResponse { v: 1, results: vec![PushResult::Conflict { op, current: gone }] })?;
    /// let done = engine.resolve_default(&[vk.clone()], " (conflict)", &mut rng);
    /// assert_eq!(done[0].action, AutoAction::Recreated);
    /// // The edit is queued again, re-sealed over the tombstone.
    /// let again = engine.plan_push().unwrap();
    /// assert_eq!((again.writes[0].base(), again.writes[0].revision()), (2, 3));
    /// # Ok::<(), vault_core::Error>(())
    /// ```
    pub fn resolve_default(
        &mut self,
        keys: &[VaultKey],
        copy_suffix: &str,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Vec<AutoResolution> {
        let snapshot: Vec<Conflict> = self.conflicts().to_vec();
        snapshot
            .into_iter()
            .map(|c| {
                let action = self
                    .resolve_one_default(&c, keys, copy_suffix, rng)
                    .unwrap_or_else(|e| AutoAction::Left(Some(e)));
                AutoResolution {
                    conflict: c,
                    action,
                }
            })
            .collect()
    }

    fn resolve_one_default(
        &mut self,
        c: &Conflict,
        keys: &[VaultKey],
        copy_suffix: &str,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<AutoAction> {
        use AutoAction as A;
        use ConflictCause as C;
        use ItemState as S;
        use LocalChange as L;
        Ok(match (&c.cause, &c.local) {
            (
                C::Diverged {
                    server: S::Live { item: theirs },
                },
                L::Upsert(mine),
            ) => {
                let mine = opening_key(keys, mine)?.decrypt_item(mine)?;
                let same = opening_key(keys, theirs)
                    .and_then(|k| k.decrypt_item(theirs))
                    .is_ok_and(|theirs| theirs == mine);
                if same {
                    self.resolve_keep_server(c.id)?;
                    A::KeptServerIdentical
                } else {
                    match self.resolve_keep_both(c.id, keys, copy_suffix, rng)? {
                        Some(copy) => A::KeptBoth { copy },
                        None => A::Left(None),
                    }
                }
            }
            (
                C::Diverged {
                    server: S::Deleted { .. },
                },
                L::Upsert(_),
            ) => {
                self.resolve_keep_local(c.id, keys, rng)?;
                A::Recreated
            }
            (
                C::Diverged {
                    server: S::Live { .. },
                },
                L::Delete,
            ) => {
                self.resolve_keep_server(c.id)?;
                A::KeptServerEdit
            }
            (
                C::Diverged {
                    server: S::Deleted { .. },
                },
                L::Delete,
            ) => {
                self.resolve_keep_server(c.id)?;
                A::BothDeleted
            }
            (
                C::Rejected {
                    reason: RejectReason::StaleKey,
                },
                L::Upsert(mine),
            ) => {
                if sealing_key(keys, c.vault)?.key_version > mine.key_version {
                    self.resolve_keep_local(c.id, keys, rng)?;
                    A::Resealed
                } else {
                    A::Left(None)
                }
            }
            _ => A::Left(None),
        })
    }
}
