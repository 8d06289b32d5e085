//! Emergency access: an owner names a trusted contact who may ask for
//! chosen vaults; the owner can cancel during a waiting period; once it has
//! passed, the contact claims the vaults and the store turns the owner's
//! grants into viewer memberships.
//!
//! # What is stored
//!
//! One `emergency_access` row per (owner, contact): the wait, the state
//! (`idle`, `requested`, `released`), when the contact asked, and the
//! grants: one [`VaultGrant`] per chosen vault, role viewer, sealed to the
//! contact's X25519 key with HPKE and signed by the owner, exactly as a
//! share is. The store reads only their public fields (vault, key
//! generation, sender, recipient, role); it cannot open them.
//!
//! # Transitions
//!
//! | who | call | from → to |
//! |---|---|---|
//! | owner | [`Store::set_emergency_contact`] | any → `idle` (a grant refresh of the same vaults and wait keeps a pending request) |
//! | contact | [`Store::request_emergency_access`] | `idle` → `requested` (`requested_at` = now) |
//! | owner | [`Store::cancel_emergency_request`] | `requested` → `idle` |
//! | contact | [`Store::claim_emergency_access`] | `requested` → `released`, once `requested_at + wait` ≤ now |
//! | owner | [`Store::remove_emergency_contact`] | row deleted (memberships already released stay) |
//!
//! A claim is one transaction: the row becomes `released` (as the contact,
//! which is all the contact's scope may do to it), then, as the owner, every
//! grant whose key generation is still the vault's current one becomes (or
//! reactivates) a viewer membership of the contact, stamped with the feed
//! clock so the contact's next sync carries the vault and its items. A
//! grant the owner's key rotation left behind (an older generation) is
//! reported stale and releases nothing; the owner's client re-issues grants
//! after each rotation. A claim of a released row changes nothing
//! ([`EmergencyClaim::AlreadyReleased`]): it never re-adds a membership the
//! owner has since removed.
//!
//! On Postgres the row-level policies let owner and contact read the row,
//! only the owner insert or delete it, and a guard trigger allows the
//! contact exactly its two transitions (with the database's clock as a
//! second check on the wait). Every step is audited (`emergency.*`).

use super::error::Result;
use super::types::Millis;
use super::{Backend, Store};
use vault_core::{AccountId, VaultGrant, VaultId};

/// Longest waiting period the store accepts: 90 days, in milliseconds.
pub const MAX_EMERGENCY_WAIT_MS: Millis = 90 * 24 * 3600 * 1000;

/// Most vaults one emergency contact may be granted.
pub const MAX_EMERGENCY_GRANTS: usize = 500;

pub use crate::api::EmergencyState;

/// Reads a stored state.
pub(crate) fn parse_state(s: &str) -> Result<EmergencyState> {
    s.parse()
        .map_err(|()| super::StoreError::Corrupt("emergency state"))
}

/// One emergency contact, as its owner or its contact sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmergencyEntry {
    /// Whose vaults.
    pub owner: AccountId,
    /// Who may ask for them.
    pub contact: AccountId,
    /// The waiting period, in milliseconds.
    pub wait_ms: Millis,
    /// Where it stands.
    pub state: EmergencyState,
    /// When the contact asked (`None` while idle).
    pub requested_at: Option<Millis>,
    /// The granted vaults and the key generation each grant holds, in
    /// vault order.
    pub vaults: Vec<(VaultId, u32)>,
    /// When the owner named the contact.
    pub created_at: Millis,
    /// The last change.
    pub updated_at: Millis,
}

impl EmergencyEntry {
    /// When the vaults may be claimed: `requested_at + wait_ms`, if asked.
    pub fn release_at(&self) -> Option<Millis> {
        self.requested_at.map(|r| r.saturating_add(self.wait_ms))
    }
}

/// Both sides of an account's emergency access.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EmergencyStatus {
    /// The contacts this account named (it is the owner), by contact id.
    pub as_owner: Vec<EmergencyEntry>,
    /// The owners who named this account (it is the contact), by owner id.
    pub as_contact: Vec<EmergencyEntry>,
}

/// What a claim did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmergencyClaim {
    /// Claimed (committed): the contact is now a viewer of `released`;
    /// `stale` are the vaults whose grant an owner's key rotation left
    /// behind (they release nothing).
    Released {
        /// Vaults the contact now holds.
        released: Vec<VaultId>,
        /// Vaults whose grant is of an older key generation.
        stale: Vec<VaultId>,
    },
    /// The contact has not asked (or the owner cancelled): nothing changed.
    NotRequested,
    /// The wait has not passed: nothing changed; claim again at `release_at`.
    Waiting {
        /// When the wait ends (Unix ms).
        release_at: Millis,
    },
    /// Already claimed: nothing changed.
    AlreadyReleased,
}

impl Store {
    /// Names `contact` as `me`'s emergency contact for the vaults of
    /// `grants`, with a waiting period of `wait_ms`, or replaces what was
    /// named before. Every grant must be sent by `me` to `contact` as a
    /// viewer, be signed by `me`, name a distinct vault `me` owns, at the
    /// vault's current key generation ([`StoreError::Conflict`] if not: the
    /// caller's key is out of date). Replacing resets the state to idle,
    /// except that the same vaults with the same wait (a grant refresh after
    /// a key rotation) leave a pending request and its timer as they were.
    /// [`StoreError::NotFound`] if `contact` has no account.
    ///
    /// [`StoreError::Conflict`]: super::StoreError::Conflict
    /// [`StoreError::NotFound`]: super::StoreError::NotFound
    pub async fn set_emergency_contact(
        &self,
        me: AccountId,
        contact: AccountId,
        wait_ms: Millis,
        grants: &[VaultGrant],
        remote: Option<&str>,
    ) -> Result<EmergencyEntry> {
        match &self.backend {
            Backend::Sqlite(o) => {
                o.set_emergency_contact(me, contact, wait_ms, grants, remote)
                    .await
            }
            Backend::Postgres(o) => {
                o.set_emergency_contact(me, contact, wait_ms, grants, remote)
                    .await
            }
        }
    }

    /// Removes `me`'s emergency contact `contact` (whatever its state).
    /// Memberships it already released stay: remove them as members (and
    /// rotate) like any other. [`StoreError::NotFound`] if there is none.
    ///
    /// [`StoreError::NotFound`]: super::StoreError::NotFound
    pub async fn remove_emergency_contact(
        &self,
        me: AccountId,
        contact: AccountId,
        remote: Option<&str>,
    ) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(o) => o.remove_emergency_contact(me, contact, remote).await,
            Backend::Postgres(o) => o.remove_emergency_contact(me, contact, remote).await,
        }
    }

    /// `me`'s emergency access, both ways.
    pub async fn emergency_status(&self, me: AccountId) -> Result<EmergencyStatus> {
        match &self.backend {
            Backend::Sqlite(o) => o.emergency_status(me).await,
            Backend::Postgres(o) => o.emergency_status(me).await,
        }
    }

    /// `me` (a contact) asks for `owner`'s vaults at `now`: the wait starts.
    /// Asking again while a request is pending changes nothing and returns
    /// it. [`StoreError::NotFound`] if `owner` did not name `me`,
    /// [`StoreError::Conflict`] if the vaults were already released.
    ///
    /// [`StoreError::Conflict`]: super::StoreError::Conflict
    /// [`StoreError::NotFound`]: super::StoreError::NotFound
    pub async fn request_emergency_access(
        &self,
        me: AccountId,
        owner: AccountId,
        now: Millis,
        remote: Option<&str>,
    ) -> Result<EmergencyEntry> {
        match &self.backend {
            Backend::Sqlite(o) => o.request_emergency_access(me, owner, now, remote).await,
            Backend::Postgres(o) => o.request_emergency_access(me, owner, now, remote).await,
        }
    }

    /// `me` (the owner) cancels `contact`'s pending request: back to idle,
    /// nothing released. [`StoreError::NotFound`] if there is no such
    /// contact, [`StoreError::Conflict`] if no request is pending.
    ///
    /// [`StoreError::Conflict`]: super::StoreError::Conflict
    /// [`StoreError::NotFound`]: super::StoreError::NotFound
    pub async fn cancel_emergency_request(
        &self,
        me: AccountId,
        contact: AccountId,
        remote: Option<&str>,
    ) -> Result<EmergencyEntry> {
        match &self.backend {
            Backend::Sqlite(o) => o.cancel_emergency_request(me, contact, remote).await,
            Backend::Postgres(o) => o.cancel_emergency_request(me, contact, remote).await,
        }
    }

    /// `me` (a contact) claims `owner`'s vaults at `now`, in one
    /// transaction (see the module docs). Refusals are outcomes, not errors
    /// (nothing changes but a denied audit event);
    /// [`StoreError::NotFound`] if `owner` did not name `me`.
    ///
    /// [`StoreError::NotFound`]: super::StoreError::NotFound
    pub async fn claim_emergency_access(
        &self,
        me: AccountId,
        owner: AccountId,
        now: Millis,
        remote: Option<&str>,
    ) -> Result<EmergencyClaim> {
        match &self.backend {
            Backend::Sqlite(o) => o.claim_emergency_access(me, owner, now, remote).await,
            Backend::Postgres(o) => o.claim_emergency_access(me, owner, now, remote).await,
        }
    }
}
