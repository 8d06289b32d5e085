//! The sans-IO sync engine: decides what to push and how to merge what the
//! server sends, without doing any IO itself.
//!
//! The engine ([`SyncEngine`]) is the local replica of one user on one device
//! as plain data: per vault, the last server state of every item (blob and
//! revision, tombstones included) and the membership (role, sealed metadata,
//! wrapped vault keys); per item, a queue of local edits not yet acknowledged;
//! the conflict list; the feed cursor. It holds only ciphertext, wrapped keys,
//! ids and counters ([`CiphertextOnly`], checked at compile time), so the app
//! persists it as is ([`SyncEngine::to_json`]). There is no clock, no RNG
//! except where the caller passes one to re-seal during conflict resolution,
//! no async: the app (or `vault-sync`'s client) performs the HTTP requests the
//! engine plans and hands the answers back, in the style of quinn-proto and
//! matrix-sdk-crypto. The wire types the server shares are in [`wire`].
//!
//! # Flow
//!
//! ```text
//!  app / vault-sync client                      SyncEngine (pure data)                     server
//!  ───────────────────────                      ──────────────────────                     ──────
//!  user edits an item:
//!    rev = next_revision(vault, item)
//!    blob = vault_key.encrypt_item(item, rev) ─▶ local_upsert(blob) / local_delete(v, i)
//!                                                 queue per item: [edit(base→base+1), …]
//!  sync round (any time; offline edits wait in the queue):
//!  ┌─ pull ──────────────────────────────────────────────────────────────────────────────────┐
//!  │  req = plan_pull()                        {v, since: cursor} ─────────────────▶ feed since cursor
//!  │  out = apply_pull(page)  ◀──────────────── {changes, next, has_more} ◀───────── (paginated)
//!  │        server wins where nothing is queued; own writes seen → acknowledged;
//!  │        server moved past a queued edit's base → Conflict (local edit kept)
//!  └─ repeat while out.has_more ─────────────────────────────────────────────────────────────┘
//!  ┌─ push ──────────────────────────────────────────────────────────────────────────────────┐
//!  │  req = plan_push()  (None: nothing queued)  {writes: CAS base→base+1} ─────────▶ compare-and-swap
//!  │  out = apply_push(resp)  ◀──────────────── {ok rev | conflict current | rejected}
//!  │        ok → edit leaves the queue; conflict/rejected → Conflict (local edit kept)
//!  └─ repeat while Some(req) and out.progressed() ───────────────────────────────────────────┘
//!  resolve: resolve_default(keys, " (conflict)", rng), or per conflict in the UI:
//!           resolve_keep_both / resolve_keep_local / resolve_keep_server
//!  persist:  engine.to_json() after any step (ciphertext only)
//! ```
//!
//! Every step is idempotent where the network may repeat it: a page applies
//! only to the cursor it answers (a replay changes nothing), a push result
//! applies only to the edit still queued under its `op`, and a write that the
//! server applied but whose answer was lost is recognised when its own blob
//! comes back (in the feed, or as the `current` of a 409) and acknowledged.
//! An edit leaves the queue only when acknowledged, or by becoming a conflict.
//!
//! # Revisions
//!
//! An item's revision is bound into its associated data
//! ([`Context::ItemDetails`](crate::Context::ItemDetails)), so the client
//! seals each edit for the revision it will have: `base + 1`, where `base` is
//! the revision it builds on ([`SyncEngine::next_revision`] tells which). The
//! server's compare-and-swap accepts a write only if it still holds `base`.
//! Edits of one item made while an earlier edit is in flight chain after it
//! (`base + 1 → base + 2`) and are sent once it is acknowledged; an edit that
//! was never sent is simply replaced by the next edit of the same item.
//!
//! # Conflict policy
//!
//! The server is the authority: an item's known state always becomes the
//! server's version. A local edit the server did not take is never dropped:
//! it moves, with the server's version, into [`SyncEngine::conflicts`] (only
//! the user's latest local version of the item; earlier queued edits of it
//! are superseded by that one). Resolving needs only the vault's
//! [`VaultKey`](crate::VaultKey): the engine decrypts the local version and
//! re-seals it with [`VaultKey::encrypt_item`](crate::VaultKey::encrypt_item).
//!
//! | local (queued)   | server has                         | on pull / push            | `resolve_default`                                         |
//! |------------------|------------------------------------|---------------------------|-----------------------------------------------------------|
//! | nothing          | anything newer                     | server version applied    | —                                                         |
//! | edit or delete   | our own write (echo)               | acknowledged              | —                                                         |
//! | edit             | another edit                       | conflict `diverged`       | keep both: local re-sealed as a **new item** (copy)       |
//! | edit             | another edit, same plaintext       | conflict `diverged`       | keep the server's (nothing differs)                       |
//! | edit             | tombstone                          | conflict `diverged`       | recreate: local re-sealed over the tombstone              |
//! | delete           | another edit                       | conflict `diverged`       | keep the edit (data beats deletion), reported             |
//! | delete           | tombstone                          | conflict `diverged`       | deleted on both sides                                     |
//! | any              | rejected `stale_key`               | conflict `rejected`       | re-sealed with the newest key, queued again               |
//! | any              | other rejection / vault removed    | conflict                  | left for the app (`resolve_keep_*`)                       |
//!
//! A server deletion with a queued local edit therefore never deletes the
//! edit; a vault the user loses access to takes its queued edits into the
//! conflict list rather than into the void.
//!
//! # Example
//!
//! Two devices of one user, with a toy in-memory server standing in for HTTP:
//!
//! ```
//! use vault_core::*;
//! use vault_core::sync::{SyncEngine, wire::*};
//! let mut rng = rng::os_rng();
//! let vk = VaultKey::generate(VaultId::generate(&mut rng), &mut rng);
//! let note = |t: &str| Item { title: t.into(), data: ItemData::SecureNote, notes: Default::default(),
//!                             tags: vec![], favorite: false, custom_fields: vec![] };
//!
//! // The toy server: one list of item states, its length as the cursor.
//! let mut log: Vec<EncryptedItem> = vec![];
//! let serve_push = |req: PushRequest, log: &mut Vec<EncryptedItem>| PushResponse { v: 1, results:
//!     req.writes.into_iter().map(|w| match w {
//!         PushWrite::Upsert { op, item, .. } => { let r = item.revision; log.push(item); PushResult::Ok { op, revision: r } }
//!         PushWrite::Delete { op, .. } => PushResult::Rejected { op, reason: RejectReason::Other },
//!     }).collect() };
//! let serve_pull = |req: PullRequest, log: &Vec<EncryptedItem>| {
//!     let from: usize = req.since.as_ref().map_or(0, |c| c.as_str().parse().unwrap());
//!     PullPage { v: 1, since: req.since, next: Cursor::new(log.len().to_string()).unwrap(), has_more: false,
//!                changes: log[from..].iter().map(|i| Change::Item { item: i.clone() }).collect() }
//! };
//!
//! // Device A creates an item offline, then syncs.
//! let mut a = SyncEngine::new();
//! let id = ItemId::generate(&mut rng);
//! a.local_upsert(vk.encrypt_item(id, a.next_revision(vk.vault_id(), id), &note("Router"), &mut rng)?)?;
//! let req = a.plan_push().unwrap();
//! assert_eq!(a.apply_push(serve_push(req, &mut log))?.acknowledged.len(), 1);
//! assert_eq!(a.pending_count(), 0);
//!
//! // Device B pulls it.
//! let mut b = SyncEngine::new();
//! let out = b.apply_pull(serve_pull(b.plan_pull(), &log))?;
//! assert!(out.applied && !out.has_more);
//! let seen = b.item(vk.vault_id(), id).unwrap();
//! assert_eq!(vk.decrypt_item(seen)?.title, "Router");
//!
//! // Its state persists as ciphertext only.
//! let saved = b.to_json()?;
//! assert!(!saved.contains("Router"));
//! assert_eq!(SyncEngine::from_json(&saved)?, b);
//! # Ok::<(), vault_core::Error>(())
//! ```

pub mod ciphertext;
mod conflict;
mod engine;
pub mod wire;

pub use ciphertext::CiphertextOnly;
pub use conflict::{AutoAction, AutoResolution, Conflict, ConflictCause, ConflictId};
pub use engine::{
    Ack, LocalChange, Membership, PendingEdit, PullOutcome, PushOutcome, STATE_VERSION, SyncEngine,
};
