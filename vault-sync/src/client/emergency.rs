//! Emergency access: name a trusted contact who may ask for chosen vaults;
//! you can cancel during the waiting period; once it has passed, the
//! contact claims them.
//!
//! The owner's device builds one [`VaultGrant`](vault_core::VaultGrant) per
//! chosen vault for the contact's identity (role viewer, sealed with HPKE,
//! signed with the owner's key: exactly a share), after the same identity
//! pinning and fingerprint check as sharing. The server keeps them opaque
//! and turns them into viewer memberships only when the contact claims
//! after the wait; the contact's device then opens them like any grant,
//! checking the owner's signature against the identity it pinned.
//!
//! A key rotation makes a grant stale (a claim releases only grants of the
//! vault's current key generation), so [`UnlockedDevice::rotate_vault_key`]
//! re-issues the grants of the rotated vault afterwards
//! ([`UnlockedDevice::reissue_emergency_grants`]); the status shows any
//! grant still stale.
//!
//! ```no_run
//! use std::time::Duration;
//! # async fn f(alice: &mut vault_sync::client::UnlockedDevice, bob: &mut vault_sync::client::UnlockedDevice, vault: vault_core::VaultId) -> Result<(), vault_sync::client::ClientError> {
//! // Alice names Bob (after comparing his fingerprint) for one vault, 7 days.
//! let bob_fp = bob.fingerprint();
//! alice.set_emergency_contact("bob@example.com", &[vault], Duration::from_secs(7 * 86400), Some(&bob_fp)).await?;
//! // Bob asks; Alice's devices are told and she may cancel within 7 days.
//! bob.request_emergency_access("alice@example.com").await?;
//! // alice.cancel_emergency_request("bob@example.com").await?;
//! // After the wait: Bob claims and syncs the vault.
//! let out = bob.claim_emergency_access("alice@example.com").await?;
//! assert_eq!(out.released, vec![vault]);
//! # Ok(()) }
//! ```

use super::device::UnlockedDevice;
use super::error::{ClientError, ClientResult};
use super::replica::Contact;
use super::sync::SyncReport;
use crate::api;
use std::collections::BTreeSet;
use std::time::Duration;
use vault_core::{AccountId, Role, VaultId, rng};

pub use crate::api::EmergencyState;

/// One emergency contact, seen from either side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmergencyAccess {
    /// Whose vaults.
    pub owner: AccountId,
    /// Who may ask for them.
    pub contact: AccountId,
    /// The other party's identifier (the contact's for its owner, the
    /// owner's for the contact), if known.
    pub identifier: Option<String>,
    /// The other party's identity fingerprint, if its identity was fetched.
    pub fingerprint: Option<String>,
    /// The user compared that fingerprint out of band.
    pub verified: bool,
    /// Where it stands.
    pub state: EmergencyState,
    /// The waiting period.
    pub wait: Duration,
    /// When the contact asked (Unix ms).
    pub requested_at_ms: Option<i64>,
    /// When the vaults may be claimed (Unix ms).
    pub release_at_ms: Option<i64>,
    /// The granted vaults and the key generation each grant holds.
    pub vaults: Vec<(VaultId, u32)>,
    /// (The owner's view.) Granted vaults whose grant is older than this
    /// device's newest key of the vault: a claim would not release them;
    /// [`UnlockedDevice::reissue_emergency_grants`] fixes that.
    pub stale: Vec<VaultId>,
}

/// Both sides of the account's emergency access.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EmergencyOverview {
    /// The contacts you named.
    pub as_owner: Vec<EmergencyAccess>,
    /// The owners who named you.
    pub as_contact: Vec<EmergencyAccess>,
}

/// What a claim released.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EmergencyRelease {
    /// The vaults you now hold as a viewer (already synced).
    pub released: Vec<VaultId>,
    /// Vaults whose grant the owner's key rotation left behind: not released.
    pub stale: Vec<VaultId>,
}

impl UnlockedDevice {
    /// Someone named by identifier or account id, with the identity this
    /// device pinned (pinning it now on first sight).
    async fn emergency_party(&self, who: &str) -> ClientResult<Contact> {
        let who = who.trim();
        if let Ok(account) = who.parse::<AccountId>() {
            let identity = self.identity_of(account).await?;
            return Ok(self.replica.contact(account).await?.unwrap_or(Contact {
                account,
                identifier: None,
                identity,
                verified: false,
            }));
        }
        self.lookup_user(who).await
    }

    /// An entry from the server, with what this device knows of the other
    /// party and, for the owner, which grants are stale.
    async fn emergency_access(&self, e: api::EmergencyEntryBody) -> ClientResult<EmergencyAccess> {
        let me = self.info.account;
        if e.owner != me && e.contact != me {
            return Err(ClientError::Protocol(
                "emergency access: an entry names neither side as you".into(),
            ));
        }
        let other = if e.owner == me { e.contact } else { e.owner };
        let (identifier, fingerprint, verified) = match self.identity_of(other).await {
            Ok(identity) => {
                let c = self.replica.contact(other).await?;
                (
                    c.as_ref().and_then(|c| c.identifier.clone()),
                    Some(identity.fingerprint()),
                    c.is_some_and(|c| c.verified),
                )
            }
            Err(e @ ClientError::IdentityChanged { .. }) => return Err(e),
            Err(_) => (None, None, false),
        };
        let vaults: Vec<(VaultId, u32)> =
            e.vaults.iter().map(|v| (v.vault, v.key_version)).collect();
        let stale = if e.owner == me {
            vaults
                .iter()
                .filter(|(v, kv)| self.vault_key(*v).is_ok_and(|k| k.key_version() > *kv))
                .map(|(v, _)| *v)
                .collect()
        } else {
            Vec::new()
        };
        Ok(EmergencyAccess {
            owner: e.owner,
            contact: e.contact,
            identifier,
            fingerprint,
            verified,
            state: e.state,
            wait: Duration::from_secs(e.wait_secs),
            requested_at_ms: e.requested_at_ms,
            release_at_ms: e.release_at_ms,
            vaults,
            stale,
        })
    }

    /// Grants of the newest key of each of `vaults` (which must be the
    /// user's own) for `contact`, as a viewer.
    fn emergency_grants(
        &self,
        vaults: &BTreeSet<VaultId>,
        contact: &Contact,
    ) -> ClientResult<Vec<vault_core::VaultGrant>> {
        let mut rng = rng::os_rng();
        vaults
            .iter()
            .map(|v| {
                match self.engine.membership(*v) {
                    Some(m) if m.role == Role::Owner => {}
                    Some(_) => {
                        return Err(ClientError::Invalid(format!(
                            "vault {v} is not yours: only its owner can grant it"
                        )));
                    }
                    None => return Err(ClientError::NotFound(format!("no vault {v}"))),
                }
                Ok(self.account.grant_vault(
                    self.vault_key(*v)?,
                    &contact.identity,
                    Role::Viewer,
                    &mut rng,
                )?)
            })
            .collect()
    }

    /// Sends the grants; after a 409 (a key rotated on another device)
    /// syncs and builds them again, once.
    async fn put_emergency_grants(
        &mut self,
        contact: &Contact,
        vaults: &BTreeSet<VaultId>,
        wait_secs: u64,
    ) -> ClientResult<api::EmergencyEntryBody> {
        let mut retried = false;
        loop {
            let grants = self.emergency_grants(vaults, contact)?;
            let req = api::PutEmergencyContactRequest { wait_secs, grants };
            match self.api.put_emergency_contact(contact.account, &req).await {
                Err(ClientError::Rejected {
                    status: 409,
                    code: crate::api::ErrorCode::Conflict,
                    ..
                }) if !retried => {
                    retried = true;
                    self.pull(&mut SyncReport::default()).await?;
                }
                other => return other,
            }
        }
    }

    /// Names `identifier` (an identifier or account id) as your emergency
    /// contact for `vaults` (your own), who may claim them `wait` after
    /// asking unless you cancel; replaces what you named for them before.
    /// With `expected_fingerprint` (what they read out from `vault
    /// fingerprint`), the directory's identity must match it (and is marked
    /// verified); without, compare [`EmergencyAccess::fingerprint`] out of
    /// band yourself. The identity is pinned like a share's.
    pub async fn set_emergency_contact(
        &mut self,
        identifier: &str,
        vaults: &[VaultId],
        wait: Duration,
        expected_fingerprint: Option<&str>,
    ) -> ClientResult<EmergencyAccess> {
        if vaults.is_empty() {
            return Err(ClientError::Invalid(
                "choose at least one vault for the emergency contact".into(),
            ));
        }
        if wait.as_secs() == 0 {
            return Err(ClientError::Invalid(
                "the waiting period must be at least a second".into(),
            ));
        }
        let mut contact = self.emergency_party(identifier).await?;
        if contact.account == self.info.account {
            return Err(ClientError::Invalid("that is you".into()));
        }
        if let Some(expected) = expected_fingerprint {
            contact = self.verify_fingerprint(&contact, expected).await?;
        }
        self.reload_if_changed().await?;
        self.pull(&mut SyncReport::default()).await?;
        let vaults: BTreeSet<VaultId> = vaults.iter().copied().collect();
        let entry = self
            .put_emergency_grants(&contact, &vaults, wait.as_secs())
            .await?;
        self.emergency_access(entry).await
    }

    /// Re-issues your emergency grants that are older than your newest key
    /// of their vault (after a key rotation), for every contact or only
    /// those covering `vault`: the same vaults and wait, so a pending
    /// request keeps running. [`rotate_vault_key`](Self::rotate_vault_key)
    /// calls it. Returns how many contacts were updated.
    pub async fn reissue_emergency_grants(
        &mut self,
        vault: Option<VaultId>,
    ) -> ClientResult<usize> {
        let list = self.api.emergency().await?;
        let mut updated = 0;
        for e in list.as_owner {
            if e.owner != self.info.account {
                return Err(ClientError::Protocol(
                    "emergency access: an entry names another owner".into(),
                ));
            }
            if vault.is_some_and(|v| !e.vaults.iter().any(|x| x.vault == v)) {
                continue;
            }
            let stale = e.vaults.iter().any(|x| {
                self.vault_key(x.vault)
                    .is_ok_and(|k| k.key_version() != x.key_version)
            });
            if !stale {
                continue;
            }
            let identity = self.identity_of(e.contact).await?;
            let contact = self.replica.contact(e.contact).await?.unwrap_or(Contact {
                account: e.contact,
                identifier: None,
                identity,
                verified: false,
            });
            let vaults: BTreeSet<VaultId> = e.vaults.iter().map(|x| x.vault).collect();
            self.put_emergency_grants(&contact, &vaults, e.wait_secs)
                .await?;
            updated += 1;
        }
        Ok(updated)
    }

    /// After a rotation of `vault`: re-issue its emergency grants, or say
    /// in the log why not (the rotation itself has succeeded; the status
    /// shows the grant as stale, and the next rotation or
    /// [`reissue_emergency_grants`](Self::reissue_emergency_grants) retries).
    pub(super) async fn after_rotation(&mut self, vault: VaultId) {
        if let Err(e) = self.reissue_emergency_grants(Some(vault)).await {
            tracing::warn!(vault = %vault, error = e.code(), "emergency grants not re-issued after the key rotation");
        }
    }

    /// Removes your emergency contact `contact` (identifier or account id).
    /// Vaults it already received stay shared: unshare them to revoke.
    pub async fn remove_emergency_contact(&self, contact: &str) -> ClientResult<()> {
        let c = self.emergency_party(contact).await?;
        match self.api.remove_emergency_contact(c.account).await {
            Err(ClientError::Rejected { status: 404, .. }) => Err(ClientError::NotFound(format!(
                "{contact} is not your emergency contact"
            ))),
            other => other,
        }
    }

    /// Your emergency access, both ways, with the other party's identifier
    /// and fingerprint.
    pub async fn emergency_status(&self) -> ClientResult<EmergencyOverview> {
        let list = self.api.emergency().await?;
        let mut out = EmergencyOverview::default();
        for e in list.as_owner {
            if e.owner != self.info.account {
                return Err(ClientError::Protocol(
                    "emergency access: an entry names another owner".into(),
                ));
            }
            out.as_owner.push(self.emergency_access(e).await?);
        }
        for e in list.as_contact {
            if e.contact != self.info.account {
                return Err(ClientError::Protocol(
                    "emergency access: an entry names another contact".into(),
                ));
            }
            out.as_contact.push(self.emergency_access(e).await?);
        }
        Ok(out)
    }

    /// As an emergency contact, asks for `owner`'s vaults (identifier or
    /// account id): the wait starts, and the owner's devices are told.
    pub async fn request_emergency_access(&self, owner: &str) -> ClientResult<EmergencyAccess> {
        let o = self.emergency_party(owner).await?;
        let entry = match self.api.request_emergency_access(o.account).await {
            Err(ClientError::Rejected { status: 404, .. }) => {
                return Err(ClientError::NotFound(format!(
                    "{owner} has not named you as an emergency contact"
                )));
            }
            other => other?,
        };
        self.emergency_access(entry).await
    }

    /// As an owner, cancels `contact`'s pending request: nothing is released.
    pub async fn cancel_emergency_request(&self, contact: &str) -> ClientResult<EmergencyAccess> {
        let c = self.emergency_party(contact).await?;
        let entry = match self.api.cancel_emergency_request(c.account).await {
            Err(ClientError::Rejected { status: 404, .. }) => {
                return Err(ClientError::NotFound(format!(
                    "{contact} is not your emergency contact"
                )));
            }
            other => other?,
        };
        self.emergency_access(entry).await
    }

    /// As an emergency contact, claims `owner`'s vaults once the wait has
    /// passed, then syncs so this device holds them (the grants open only
    /// if the owner's signature verifies against the identity pinned for
    /// them). Refused with [`ClientError::Rejected`] code
    /// `emergency_waiting` (`retry_after`: the seconds left),
    /// `emergency_not_requested` or `emergency_released`.
    pub async fn claim_emergency_access(&mut self, owner: &str) -> ClientResult<EmergencyRelease> {
        let o = self.emergency_party(owner).await?;
        let out = match self.api.claim_emergency_access(o.account).await {
            Err(ClientError::Rejected { status: 404, .. }) => {
                return Err(ClientError::NotFound(format!(
                    "{owner} has not named you as an emergency contact"
                )));
            }
            other => other?,
        };
        self.reload_if_changed().await?;
        self.pull(&mut SyncReport::default()).await?;
        Ok(EmergencyRelease {
            released: out.released,
            stale: out.stale,
        })
    }
}
