//! The emergency-access operations ([`crate::store::emergency`]), written
//! once for both backends: a child module of `sql/mod.rs`, so it is compiled
//! with it, once per backend, and uses its helpers.
//!
//! Every write ticks the feed clock first: a claim stamps the memberships it
//! creates with that `seq`, and the clock's lock orders emergency writes
//! among themselves (a claim cannot interleave with a cancel, a refresh of
//! the grants or a rotation) on both backends, with the same SQL.

use super::{Ops, Tx, parse, parse_id, to_json};
use super::{kv_from_db, set_scope};
use crate::store::emergency::{
    EmergencyClaim, EmergencyEntry, EmergencyState, EmergencyStatus, MAX_EMERGENCY_GRANTS,
    MAX_EMERGENCY_WAIT_MS,
};
use crate::store::error::{Result, StoreError, on_insert};
use crate::store::types::*;
use crate::store::{Mode, Scope};
use sqlx::Row;
use std::collections::BTreeSet;
use vault_core::sync::wire::MemberKey;
use vault_core::{AccountId, PublicIdentity, Role, VaultGrant, VaultId};

/// The `emergency_access` columns, in `entry_from_row` order.
const COLUMNS: &str =
    "owner_id, contact_id, wait_ms, state, requested_at, grants, created_at, updated_at";

/// An entry and its grants.
type Row2 = (EmergencyEntry, Vec<VaultGrant>);

fn entry_from_row(row: &<super::Db as sqlx::Database>::Row) -> Result<Row2> {
    let grants: Vec<VaultGrant> = parse(&row.try_get::<String, _>(5)?, "emergency grants")?;
    let mut vaults: Vec<(VaultId, u32)> = grants.iter().map(|g| (g.vault, g.key_version)).collect();
    vaults.sort_unstable();
    let entry = EmergencyEntry {
        owner: parse_id(&row.try_get::<String, _>(0)?, "account id")?,
        contact: parse_id(&row.try_get::<String, _>(1)?, "account id")?,
        wait_ms: row.try_get(2)?,
        state: crate::store::emergency::parse_state(&row.try_get::<String, _>(3)?)?,
        requested_at: row.try_get(4)?,
        vaults,
        created_at: row.try_get(6)?,
        updated_at: row.try_get(7)?,
    };
    Ok((entry, grants))
}

fn audit(
    actor: AccountId,
    action: AuditAction,
    subject: AccountId,
    vault: Option<VaultId>,
    outcome: AuditOutcome,
    remote: Option<&str>,
) -> AuditEvent {
    let mut ev = AuditEvent::new(Some(actor), action);
    ev.subject = Some(AuditParty::Account(subject));
    ev.vault = vault;
    ev.outcome = outcome;
    ev.remote = remote.map(str::to_owned);
    ev
}

/// The same vaults (whatever their key generations).
fn same_vaults(a: &[(VaultId, u32)], b: &BTreeSet<VaultId>) -> bool {
    a.len() == b.len() && a.iter().all(|(v, _)| b.contains(v))
}

impl Ops {
    async fn emergency_row(&self, tx: &mut Tx, owner: &str, contact: &str) -> Result<Option<Row2>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM emergency_access WHERE owner_id = $1 AND contact_id = $2"
        );
        let row = self
            .q(&sql)
            .bind(owner)
            .bind(contact)
            .fetch_optional(&mut **tx)
            .await?;
        row.as_ref().map(entry_from_row).transpose()
    }

    pub(crate) async fn set_emergency_contact(
        &self,
        me: AccountId,
        contact: AccountId,
        wait_ms: Millis,
        grants: &[VaultGrant],
        remote: Option<&str>,
    ) -> Result<EmergencyEntry> {
        check_remote(remote)?;
        if contact == me {
            return Err(StoreError::Invalid(
                "you cannot be your own emergency contact",
            ));
        }
        if wait_ms <= 0 || wait_ms > MAX_EMERGENCY_WAIT_MS {
            return Err(StoreError::Invalid(
                "the waiting period must be positive and at most 90 days",
            ));
        }
        if grants.is_empty() || grants.len() > MAX_EMERGENCY_GRANTS {
            return Err(StoreError::Invalid("grant 1 to 500 vaults"));
        }
        if grants.iter().any(|g| {
            g.v != vault_core::sharing::GRANT_VERSION
                || g.sender != me
                || g.recipient != contact
                || g.role != Role::Viewer
        }) {
            return Err(StoreError::Invalid(
                "every grant must be yours, to this contact, as a viewer",
            ));
        }
        let vaults: BTreeSet<VaultId> = grants.iter().map(|g| g.vault).collect();
        if vaults.len() != grants.len() {
            return Err(StoreError::Invalid("a vault is granted twice"));
        }
        let (me_s, contact_s) = (me.to_string(), contact.to_string());
        let now = self.cfg.clock.now_ms();
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        self.tick(&mut tx).await?;
        // The grants are the owner's signed statements: refuse what would
        // fail the contact's check anyway.
        let row = self
            .q("SELECT public_identity FROM identities WHERE account_id = $1")
            .bind(&me_s)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("account"))?;
        let identity: PublicIdentity = parse(&row.try_get::<String, _>(0)?, "public identity")?;
        if grants.iter().any(|g| g.verify(&identity).is_err()) {
            return Err(StoreError::Invalid("a grant's signature does not verify"));
        }
        for g in grants {
            let row = self
                .q("SELECT key_version FROM vaults WHERE vault_id = $1 AND owner_id = $2")
                .bind(g.vault.to_string())
                .bind(&me_s)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::Forbidden(
                    "only a vault's owner can grant it for emergency access",
                ))?;
            if kv_from_db(row.try_get(0)?)? != g.key_version {
                return Err(StoreError::Conflict(
                    "a grant is not under the vault's current key: sync and try again",
                ));
            }
        }
        // A refresh (same vaults, same wait: what the owner's client sends
        // after a key rotation) leaves a pending request running; anything
        // else starts over.
        let before = self.emergency_row(&mut tx, &me_s, &contact_s).await?;
        let (state, requested_at) = match before {
            Some((e, _))
                if e.state == EmergencyState::Requested
                    && e.wait_ms == wait_ms
                    && same_vaults(&e.vaults, &vaults) =>
            {
                (EmergencyState::Requested, e.requested_at)
            }
            _ => (EmergencyState::Idle, None),
        };
        self.q(
            "INSERT INTO emergency_access (owner_id, contact_id, wait_ms, state, requested_at, \
             grants, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
             ON CONFLICT (owner_id, contact_id) DO UPDATE SET wait_ms = excluded.wait_ms, \
             state = excluded.state, requested_at = excluded.requested_at, \
             grants = excluded.grants, updated_at = excluded.updated_at",
        )
        .bind(&me_s)
        .bind(&contact_s)
        .bind(wait_ms)
        .bind(state.as_str())
        .bind(requested_at)
        .bind(to_json(&grants)?)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| on_insert(e, "emergency contact exists", "account"))?;
        let ev = audit(
            me,
            AuditAction::EmergencySet,
            contact,
            None,
            AuditOutcome::Success,
            remote,
        );
        self.audit_in(&mut tx, &ev, now).await?;
        let (entry, _) = self
            .emergency_row(&mut tx, &me_s, &contact_s)
            .await?
            .ok_or(StoreError::Corrupt("emergency contact vanished"))?;
        tx.commit().await?;
        Ok(entry)
    }

    pub(crate) async fn remove_emergency_contact(
        &self,
        me: AccountId,
        contact: AccountId,
        remote: Option<&str>,
    ) -> Result<()> {
        check_remote(remote)?;
        let now = self.cfg.clock.now_ms();
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        self.tick(&mut tx).await?;
        let done = self
            .q("DELETE FROM emergency_access WHERE owner_id = $1 AND contact_id = $2")
            .bind(me.to_string())
            .bind(contact.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if done != 1 {
            return Err(StoreError::NotFound("emergency contact"));
        }
        let ev = audit(
            me,
            AuditAction::EmergencyRemove,
            contact,
            None,
            AuditOutcome::Success,
            remote,
        );
        self.audit_in(&mut tx, &ev, now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn emergency_status(&self, me: AccountId) -> Result<EmergencyStatus> {
        let me_s = me.to_string();
        let mut tx = self.tx(&Scope::Account(me), Mode::Snapshot).await?;
        let mut out = EmergencyStatus::default();
        for (by_owner, sql) in [
            (
                true,
                format!(
                    "SELECT {COLUMNS} FROM emergency_access WHERE owner_id = $1 ORDER BY contact_id"
                ),
            ),
            (
                false,
                format!(
                    "SELECT {COLUMNS} FROM emergency_access WHERE contact_id = $1 ORDER BY owner_id"
                ),
            ),
        ] {
            let rows = self.q(&sql).bind(&me_s).fetch_all(&mut *tx).await?;
            for r in &rows {
                let (entry, _) = entry_from_row(r)?;
                if by_owner {
                    out.as_owner.push(entry);
                } else {
                    out.as_contact.push(entry);
                }
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    pub(crate) async fn request_emergency_access(
        &self,
        me: AccountId,
        owner: AccountId,
        now: Millis,
        remote: Option<&str>,
    ) -> Result<EmergencyEntry> {
        check_remote(remote)?;
        let (me_s, owner_s) = (me.to_string(), owner.to_string());
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        self.tick(&mut tx).await?;
        let (entry, _) = self
            .emergency_row(&mut tx, &owner_s, &me_s)
            .await?
            .ok_or(StoreError::NotFound("emergency contact"))?;
        match entry.state {
            EmergencyState::Requested => {
                // Asking again neither resets nor extends the wait.
                tx.commit().await?;
                return Ok(entry);
            }
            EmergencyState::Released => {
                return Err(StoreError::Conflict("the vaults were already released"));
            }
            EmergencyState::Idle => {}
        }
        let done = self
            .q(
                "UPDATE emergency_access SET state = 'requested', requested_at = $3, updated_at = $3 \
                 WHERE owner_id = $1 AND contact_id = $2 AND state = 'idle'",
            )
            .bind(&owner_s)
            .bind(&me_s)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if done != 1 {
            return Err(StoreError::Conflict(
                "the emergency contact changed meanwhile",
            ));
        }
        let ev = audit(
            me,
            AuditAction::EmergencyRequest,
            owner,
            None,
            AuditOutcome::Success,
            remote,
        );
        self.audit_in(&mut tx, &ev, now).await?;
        tx.commit().await?;
        Ok(EmergencyEntry {
            state: EmergencyState::Requested,
            requested_at: Some(now),
            updated_at: now,
            ..entry
        })
    }

    pub(crate) async fn cancel_emergency_request(
        &self,
        me: AccountId,
        contact: AccountId,
        remote: Option<&str>,
    ) -> Result<EmergencyEntry> {
        check_remote(remote)?;
        let (me_s, contact_s) = (me.to_string(), contact.to_string());
        let now = self.cfg.clock.now_ms();
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        self.tick(&mut tx).await?;
        let (entry, _) = self
            .emergency_row(&mut tx, &me_s, &contact_s)
            .await?
            .ok_or(StoreError::NotFound("emergency contact"))?;
        match entry.state {
            EmergencyState::Requested => {}
            EmergencyState::Idle => {
                return Err(StoreError::Conflict("no emergency request is pending"));
            }
            EmergencyState::Released => {
                return Err(StoreError::Conflict(
                    "the vaults were already released: remove the contact from them to revoke",
                ));
            }
        }
        self.q(
            "UPDATE emergency_access SET state = 'idle', requested_at = NULL, updated_at = $3 \
             WHERE owner_id = $1 AND contact_id = $2 AND state = 'requested'",
        )
        .bind(&me_s)
        .bind(&contact_s)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let ev = audit(
            me,
            AuditAction::EmergencyCancel,
            contact,
            None,
            AuditOutcome::Success,
            remote,
        );
        self.audit_in(&mut tx, &ev, now).await?;
        tx.commit().await?;
        Ok(EmergencyEntry {
            state: EmergencyState::Idle,
            requested_at: None,
            updated_at: now,
            ..entry
        })
    }

    pub(crate) async fn claim_emergency_access(
        &self,
        me: AccountId,
        owner: AccountId,
        now: Millis,
        remote: Option<&str>,
    ) -> Result<EmergencyClaim> {
        check_remote(remote)?;
        let (me_s, owner_s) = (me.to_string(), owner.to_string());
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        // The clock first: the memberships below carry this seq, and no
        // rotation of the owner's vaults can commit in between.
        let seq = self.tick(&mut tx).await?;
        let (entry, grants) = self
            .emergency_row(&mut tx, &owner_s, &me_s)
            .await?
            .ok_or(StoreError::NotFound("emergency contact"))?;
        let refused = match (entry.state, entry.release_at()) {
            (EmergencyState::Idle, _) | (EmergencyState::Requested, None) => {
                Some(EmergencyClaim::NotRequested)
            }
            (EmergencyState::Released, _) => Some(EmergencyClaim::AlreadyReleased),
            (EmergencyState::Requested, Some(at)) if now < at => {
                Some(EmergencyClaim::Waiting { release_at: at })
            }
            (EmergencyState::Requested, Some(_)) => None,
        };
        if let Some(refused) = refused {
            // Recorded (the owner can see a premature claim), nothing else.
            let ev = audit(
                me,
                AuditAction::EmergencyRelease,
                owner,
                None,
                AuditOutcome::Denied,
                remote,
            );
            self.audit_in(&mut tx, &ev, now).await?;
            tx.commit().await?;
            return Ok(refused);
        }
        // As the contact: the one change its scope may make to the row.
        let done = self
            .q(
                "UPDATE emergency_access SET state = 'released', updated_at = $3 \
                 WHERE owner_id = $1 AND contact_id = $2 AND state = 'requested' \
                 AND requested_at = $4",
            )
            .bind(&owner_s)
            .bind(&me_s)
            .bind(now)
            .bind(entry.requested_at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if done != 1 {
            return Err(StoreError::Conflict(
                "the emergency contact changed meanwhile",
            ));
        }
        // As the owner, in the same transaction: the owner's vaults and the
        // memberships of them are the owner's to write.
        set_scope(&mut tx, &Scope::Account(owner)).await?;
        let mut grants = grants;
        grants.sort_unstable_by_key(|g| g.vault);
        let (mut released, mut stale) = (Vec::new(), Vec::new());
        for g in grants {
            let vault_s = g.vault.to_string();
            let current = self
                .q("SELECT key_version FROM vaults WHERE vault_id = $1 AND owner_id = $2")
                .bind(&vault_s)
                .bind(&owner_s)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| kv_from_db(r.try_get(0)?))
                .transpose()?;
            if current != Some(g.key_version) {
                stale.push(g.vault);
                continue;
            }
            // A new or returning viewer gets the vault's items (access_seq);
            // an active member (the vault was shared with it) keeps its role.
            self.q(
                "INSERT INTO memberships (vault_id, vault_owner, account_id, role, keys, \
                 key_version, active, seq, access_seq, created_at, updated_at) \
                 VALUES ($1, $2, $3, 'viewer', $4, $5, TRUE, $6, $6, $7, $7) \
                 ON CONFLICT (vault_id, account_id) DO UPDATE SET \
                   role = excluded.role, keys = excluded.keys, key_version = excluded.key_version, \
                   active = TRUE, seq = excluded.seq, access_seq = excluded.access_seq, \
                   updated_at = excluded.updated_at \
                 WHERE NOT memberships.active",
            )
            .bind(&vault_s)
            .bind(&owner_s)
            .bind(&me_s)
            .bind(to_json(&vec![MemberKey::Grant(g.clone())])?)
            .bind(i64::from(g.key_version))
            .bind(seq)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| on_insert(e, "membership exists", "vault"))?;
            released.push(g.vault);
        }
        // Back to the contact, who is the one acting.
        set_scope(&mut tx, &Scope::Account(me)).await?;
        let vaults: Vec<Option<VaultId>> = if released.is_empty() {
            vec![None]
        } else {
            released.iter().copied().map(Some).collect()
        };
        for v in vaults {
            let ev = audit(
                me,
                AuditAction::EmergencyRelease,
                owner,
                v,
                AuditOutcome::Success,
                remote,
            );
            self.audit_in(&mut tx, &ev, now).await?;
        }
        tx.commit().await?;
        Ok(EmergencyClaim::Released { released, stale })
    }
}
