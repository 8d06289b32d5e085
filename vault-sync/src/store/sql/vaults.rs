//! Vaults and memberships: creation, sharing, revocation, vault key rotation.
//!
//! Part of the SQL written once for both backends (see `mod.rs`).

use super::*;

impl Ops {
    pub(crate) async fn create_vault(
        &self,
        me: AccountId,
        meta: &EncryptedVault,
        owner_key: &WrappedVaultKey,
        remote: Option<&str>,
    ) -> Result<()> {
        check_remote(remote)?;
        if owner_key.account != me {
            return Err(StoreError::Invalid(
                "the owner's key must be wrapped for the owner",
            ));
        }
        if owner_key.vault != meta.vault || owner_key.key_version != meta.key_version {
            return Err(StoreError::Invalid(
                "key and metadata name different vaults or generations",
            ));
        }
        if meta.key_version == 0 {
            return Err(StoreError::Invalid("key generations start at 1"));
        }
        let me_s = me.to_string();
        let vault_s = meta.vault.to_string();
        let keys = to_json(&vec![MemberKey::Wrapped(owner_key.clone())])?;
        let kv = i64::from(meta.key_version);
        let now = self.cfg.clock.now_ms();
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        let seq = self.tick(&mut tx).await?;
        self.q(
            "INSERT INTO vaults (vault_id, owner_id, key_version, meta, meta_seq, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&vault_s)
        .bind(&me_s)
        .bind(kv)
        .bind(to_json(meta)?)
        .bind(seq)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| on_insert(e, "vault already exists", "account"))?;
        self.q(
            "INSERT INTO memberships (vault_id, vault_owner, account_id, role, keys, key_version, \
             active, seq, access_seq, created_at, updated_at) \
             VALUES ($1, $2, $2, 'owner', $3, $4, TRUE, $5, $5, $6, $6)",
        )
        .bind(&vault_s)
        .bind(&me_s)
        .bind(keys)
        .bind(kv)
        .bind(seq)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| on_insert(e, "vault already exists", "vault"))?;
        let mut ev = AuditEvent::new(Some(me), AuditAction::VaultCreate);
        ev.vault = Some(meta.vault);
        ev.remote = remote.map(str::to_owned);
        self.audit_in(&mut tx, &ev, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The vault's current key generation if `me` owns it.
    /// The vault's key generation if `me` owns it. A non-member gets the
    /// same refusal as for any other part of the vault (it learns nothing,
    /// not even whether the vault exists); a member that is not the owner
    /// is told only the owner manages members.
    pub(super) async fn owned_vault(&self, tx: &mut Tx, me: &str, vault: &str) -> Result<u32> {
        let row = self
            .q(
                "SELECT m.role, v.key_version, v.owner_id = $2 FROM memberships m \
                 JOIN vaults v ON v.vault_id = m.vault_id \
                 WHERE m.vault_id = $1 AND m.account_id = $2 AND m.active",
            )
            .bind(vault)
            .bind(me)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(StoreError::Forbidden(NOT_A_MEMBER))?;
        if !row.try_get::<bool, _>(2)? {
            return Err(StoreError::Forbidden(
                "only the vault's owner manages its members",
            ));
        }
        kv_from_db(row.try_get(1)?)
    }

    /// Refuses unless `me` owns `vault` (see `owned_vault`).
    pub(crate) async fn require_owner(&self, me: AccountId, vault: VaultId) -> Result<()> {
        let mut tx = self.tx(&Scope::Account(me), Mode::Read).await?;
        self.owned_vault(&mut tx, &me.to_string(), &vault.to_string())
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn add_member(
        &self,
        me: AccountId,
        vault: VaultId,
        member: AccountId,
        role: Role,
        keys: &[MemberKey],
        remote: Option<&str>,
    ) -> Result<()> {
        check_remote(remote)?;
        if member == me {
            return Err(StoreError::Invalid("the owner's own membership is fixed"));
        }
        if keys.is_empty() {
            return Err(StoreError::Invalid("a member needs at least one key"));
        }
        for k in keys {
            let ok = match k {
                MemberKey::Wrapped(w) => w.vault == vault && w.account == member,
                MemberKey::Grant(g) => {
                    g.vault == vault
                        && g.recipient == member
                        && g.sender == me
                        && g.role == role
                        && g.v == vault_core::sharing::GRANT_VERSION
                }
            };
            if !ok {
                return Err(StoreError::Invalid(
                    "a key names another vault, member, sender or role",
                ));
            }
        }
        let newest = keys.iter().map(member_key_version).max().unwrap_or(0);
        let me_s = me.to_string();
        let vault_s = vault.to_string();
        let now = self.cfg.clock.now_ms();
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        let seq = self.tick(&mut tx).await?;
        let current = self.owned_vault(&mut tx, &me_s, &vault_s).await?;
        if newest == 0 || newest > current {
            return Err(StoreError::Invalid(
                "a key generation the vault does not have",
            ));
        }
        // A new or returning member, or a new key generation, gets the
        // vault's items again (access_seq); a role change does not.
        self.q(
            "INSERT INTO memberships (vault_id, vault_owner, account_id, role, keys, key_version, \
             active, seq, access_seq, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $7, $8, $8) \
             ON CONFLICT (vault_id, account_id) DO UPDATE SET \
               role = excluded.role, keys = excluded.keys, key_version = excluded.key_version, \
               active = TRUE, seq = excluded.seq, updated_at = excluded.updated_at, \
               access_seq = CASE WHEN memberships.active \
                                  AND memberships.key_version = excluded.key_version \
                             THEN memberships.access_seq ELSE excluded.access_seq END",
        )
        .bind(&vault_s)
        .bind(&me_s)
        .bind(member.to_string())
        .bind(role.as_str())
        .bind(to_json(&keys)?)
        .bind(i64::from(newest))
        .bind(seq)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| on_insert(e, "membership exists", "account"))?;
        let mut ev = AuditEvent::new(Some(me), AuditAction::MemberAdd);
        ev.vault = Some(vault);
        ev.subject = Some(AuditParty::Account(member));
        ev.remote = remote.map(str::to_owned);
        self.audit_in(&mut tx, &ev, now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn remove_member(
        &self,
        me: AccountId,
        vault: VaultId,
        member: AccountId,
        remote: Option<&str>,
    ) -> Result<()> {
        check_remote(remote)?;
        if member == me {
            return Err(StoreError::Invalid("the owner's own membership is fixed"));
        }
        let me_s = me.to_string();
        let vault_s = vault.to_string();
        let now = self.cfg.clock.now_ms();
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        let seq = self.tick(&mut tx).await?;
        self.owned_vault(&mut tx, &me_s, &vault_s).await?;
        let done = self
            .q(
                "UPDATE memberships SET active = FALSE, keys = '[]', seq = $3, updated_at = $4 \
                 WHERE vault_id = $1 AND account_id = $2 AND vault_owner = $5 AND active",
            )
            .bind(&vault_s)
            .bind(member.to_string())
            .bind(seq)
            .bind(now)
            .bind(&me_s)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if done != 1 {
            return Err(StoreError::NotFound("membership"));
        }
        let mut ev = AuditEvent::new(Some(me), AuditAction::MemberRemove);
        ev.vault = Some(vault);
        ev.subject = Some(AuditParty::Account(member));
        ev.remote = remote.map(str::to_owned);
        self.audit_in(&mut tx, &ev, now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn rotate_vault_key(
        &self,
        me: AccountId,
        meta: &EncryptedVault,
        items: &[EncryptedItem],
        member_keys: &[(AccountId, Vec<MemberKey>)],
        remote: Option<&str>,
    ) -> Result<()> {
        check_remote(remote)?;
        let vault = meta.vault;
        let kv = meta.key_version;
        if items
            .iter()
            .any(|i| i.vault != vault || i.key_version != kv)
        {
            return Err(StoreError::Invalid(
                "an item names another vault or key generation",
            ));
        }
        for (member, keys) in member_keys {
            let ok = keys.iter().any(|k| member_key_version(k) == kv)
                && keys.iter().all(|k| match k {
                    MemberKey::Wrapped(w) => w.vault == vault && w.account == *member,
                    MemberKey::Grant(g) => {
                        g.vault == vault && g.recipient == *member && g.sender == me
                    }
                });
            if !ok {
                return Err(StoreError::Invalid(
                    "every member's keys must name it, this vault, and include the new generation",
                ));
            }
        }
        let me_s = me.to_string();
        let vault_s = vault.to_string();
        let now = self.cfg.clock.now_ms();
        let new_kv = i64::from(kv);
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        let seq = self.tick(&mut tx).await?;
        let current = self.owned_vault(&mut tx, &me_s, &vault_s).await?;
        if kv <= current {
            return Err(StoreError::Conflict("the vault key was already rotated"));
        }
        if Some(kv) != current.checked_add(1) {
            return Err(StoreError::Invalid(
                "the new key generation must be the next one",
            ));
        }
        self.q(
            "UPDATE vaults SET key_version = $2, meta = $3, meta_seq = $4, updated_at = $5 \
             WHERE vault_id = $1 AND owner_id = $6",
        )
        .bind(&vault_s)
        .bind(new_kv)
        .bind(to_json(meta)?)
        .bind(seq)
        .bind(now)
        .bind(&me_s)
        .execute(&mut *tx)
        .await?;
        // Re-wrapped items keep their revision (it is bound into their
        // sealed details); each must still be at that revision and live.
        for item in items {
            let done = self
                .q(
                    "UPDATE items SET key_version = $3, blob = $4, seq = $5, updated_at = $6 \
                     WHERE vault_id = $1 AND item_id = $2 AND revision = $7 AND NOT deleted",
                )
                .bind(&vault_s)
                .bind(item.item.to_string())
                .bind(new_kv)
                .bind(to_json(item)?)
                .bind(seq)
                .bind(now)
                .bind(rev_to_db(item.revision)?)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if done != 1 {
                return Err(StoreError::Conflict("an item changed during the rotation"));
            }
        }
        let stale: i64 = self
            .q(
                "SELECT count(*) FROM items WHERE vault_id = $1 AND NOT deleted \
                 AND key_version <> $2",
            )
            .bind(&vault_s)
            .bind(new_kv)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if stale != 0 {
            return Err(StoreError::Conflict("items were added during the rotation"));
        }
        for (member, keys) in member_keys {
            // The new keys reach the member's devices with the vault entry;
            // the re-wrapped items carry their own new `seq`.
            self.q(
                "UPDATE memberships SET keys = $3, key_version = $4, seq = $5, updated_at = $6 \
                 WHERE vault_id = $1 AND account_id = $2 AND vault_owner = $7 AND active",
            )
            .bind(&vault_s)
            .bind(member.to_string())
            .bind(to_json(keys)?)
            .bind(new_kv)
            .bind(seq)
            .bind(now)
            .bind(&me_s)
            .execute(&mut *tx)
            .await?;
        }
        let left: i64 = self
            .q(
                "SELECT count(*) FROM memberships WHERE vault_id = $1 AND active \
                 AND key_version <> $2",
            )
            .bind(&vault_s)
            .bind(new_kv)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if left != 0 {
            // Like a missing item: most likely a member joined since the
            // caller listed them, so fetch and rotate again.
            return Err(StoreError::Conflict(
                "every active member needs the new key: list the members and rotate again",
            ));
        }
        let mut ev = AuditEvent::new(Some(me), AuditAction::VaultRotate);
        ev.vault = Some(vault);
        ev.remote = remote.map(str::to_owned);
        self.audit_in(&mut tx, &ev, now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn members(&self, me: AccountId, vault: VaultId) -> Result<Vec<Member>> {
        let mut tx = self.tx(&Scope::Account(me), Mode::Snapshot).await?;
        if self
            .vault_access(&mut tx, &me.to_string(), vault)
            .await?
            .is_none()
        {
            return Err(StoreError::Forbidden(NOT_A_MEMBER));
        }
        let rows = self
            .q("SELECT account_id, role, key_version FROM memberships \
                 WHERE vault_id = $1 AND active AND (vault_owner = $2 OR account_id = $2) \
                 ORDER BY account_id")
            .bind(vault.to_string())
            .bind(me.to_string())
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(Member {
                    account: parse_id(&r.try_get::<String, _>(0)?, "account id")?,
                    role: parse_role(&r.try_get::<String, _>(1)?)?,
                    key_version: kv_from_db(r.try_get(2)?)?,
                })
            })
            .collect()
    }

    pub(crate) async fn my_vaults(&self, me: AccountId) -> Result<Vec<VaultId>> {
        let mut tx = self.tx(&Scope::Account(me), Mode::Read).await?;
        let rows = self
            .q("SELECT vault_id FROM memberships WHERE account_id = $1 AND active ORDER BY vault_id")
            .bind(me.to_string())
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| parse_id(&r.try_get::<String, _>(0)?, "vault id"))
            .collect()
    }
}
