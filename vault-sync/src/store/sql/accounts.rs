//! Accounts: registration, records and credentials, the recovery kit, account key rotation, the identity directory.
//!
//! Part of the SQL written once for both backends (see `mod.rs`).

use super::*;

impl Ops {
    pub(crate) async fn create_account(
        &self,
        new: &NewAccount,
        remote: Option<&str>,
    ) -> Result<()> {
        check_identifier(&new.identifier)?;
        check_remote(remote)?;
        let rec = &new.record;
        if rec.v != vault_core::account::ACCOUNT_VERSION {
            return Err(StoreError::Invalid("unsupported account record version"));
        }
        if rec.public_identity.account != rec.account {
            return Err(StoreError::Invalid(
                "public identity belongs to another account",
            ));
        }
        rec.public_identity
            .verify()
            .map_err(|_| StoreError::Invalid("public identity signature"))?;
        let id = rec.account.to_string();
        let now = self.cfg.clock.now_ms();
        let kind = account_kind(rec, &new.auth);
        let mut tx = self.tx(&Scope::Account(rec.account), Mode::Write).await?;
        self.q(
            "INSERT INTO accounts (account_id, identifier, record, auth_protocol, auth_record, \
             credentials_version, created_at, updated_at, kind) \
             VALUES ($1, $2, $3, $4, $5, 1, $6, $6, $7)",
        )
        .bind(&id)
        .bind(&new.identifier)
        .bind(to_json(rec)?)
        .bind(new.auth.protocol().as_str())
        .bind(new.auth.to_json())
        .bind(now)
        .bind(&kind)
        .execute(&mut *tx)
        .await
        .map_err(|e| on_insert(e, "account or identifier already exists", "account"))?;
        self.q(
            "INSERT INTO identities (account_id, identifier, public_identity, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&id)
        .bind(&new.identifier)
        .bind(to_json(&rec.public_identity)?)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| on_insert(e, "account or identifier already exists", "account"))?;
        self.count_kind(&mut tx, &kind, 1).await?;
        let mut ev = AuditEvent::new(Some(rec.account), AuditAction::AccountCreate);
        ev.remote = remote.map(str::to_owned);
        self.audit_in(&mut tx, &ev, now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) fn account_from_row(row: &<Db as sqlx::Database>::Row) -> Result<AccountRecord> {
        let account: AccountId = parse_id(&row.try_get::<String, _>(0)?, "account id")?;
        let (record, auth) = parse_account_parts(
            &row.try_get::<String, _>(2)?,
            &row.try_get::<String, _>(3)?,
            &row.try_get::<String, _>(4)?,
        )?;
        if record.account != account {
            return Err(StoreError::Corrupt("account record under another id"));
        }
        Ok(AccountRecord {
            account,
            identifier: row.try_get(1)?,
            record,
            auth,
            pake_identifier: row.try_get(5)?,
            credentials_version: row.try_get(6)?,
            created_at: row.try_get(7)?,
            updated_at: row.try_get(8)?,
        })
    }

    pub(crate) async fn account_by_identifier(
        &self,
        identifier: &str,
    ) -> Result<Option<AccountRecord>> {
        check_identifier(identifier)?;
        let mut tx = self.tx(&Scope::Identifier(identifier), Mode::Read).await?;
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE identifier = $1");
        let row = self
            .q(&sql)
            .bind(identifier)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        row.as_ref().map(Self::account_from_row).transpose()
    }

    pub(crate) async fn account(&self, me: AccountId) -> Result<AccountRecord> {
        let mut tx = self.tx(&Scope::Account(me), Mode::Read).await?;
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE account_id = $1");
        let row = self
            .q(&sql)
            .bind(me.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        match row {
            Some(r) => Self::account_from_row(&r),
            None => Err(StoreError::NotFound("account")),
        }
    }

    pub(crate) async fn replace_credentials(
        &self,
        me: AccountId,
        record: &EncryptedAccount,
        auth: &AuthRecord,
        keep_session: Option<SessionId>,
        remote: Option<&str>,
    ) -> Result<i64> {
        check_remote(remote)?;
        if record.account != me {
            return Err(StoreError::Forbidden("record belongs to another account"));
        }
        if record.v != vault_core::account::ACCOUNT_VERSION {
            return Err(StoreError::Invalid("unsupported account record version"));
        }
        let me_s = me.to_string();
        let now = self.cfg.clock.now_ms();
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        let (stored_text, stored) = self.account_record_in(&mut tx, &me_s).await?;
        // A password change or account-key rotation re-wraps keys; it never
        // swaps the identity others have verified.
        if stored.public_identity != record.public_identity {
            return Err(StoreError::Invalid("the public identity cannot change"));
        }
        // A password change keeps the account key: the generation must stay
        // (a lower one would roll an account key rotation back).
        if stored.key_generation != record.key_generation {
            return Err(StoreError::Conflict(
                "the account key changed since this record was made: reload and retry",
            ));
        }
        // Compare-and-swap on the record read above: a concurrent rotation
        // or password change makes this one a conflict, not a rollback.
        let kind = account_kind(record, auth);
        let old_kind: Option<String> = self
            .q("SELECT kind FROM accounts WHERE account_id = $1")
            .bind(&me_s)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        let row = self
            .q(
                "UPDATE accounts SET record = $2, auth_protocol = $3, auth_record = $4, \
                 credentials_version = credentials_version + 1, updated_at = $5, kind = $7 \
                 WHERE account_id = $1 AND record = $6 RETURNING credentials_version",
            )
            .bind(&me_s)
            .bind(to_json(record)?)
            .bind(auth.protocol().as_str())
            .bind(auth.to_json())
            .bind(now)
            .bind(&stored_text)
            .bind(&kind)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::Conflict(
                "the account changed during the request: reload and retry",
            ))?;
        let version: i64 = row.try_get(0)?;
        if old_kind.as_deref() != Some(kind.as_str()) {
            if let Some(old) = &old_kind {
                self.count_kind(&mut tx, old, -1).await?;
            }
            self.count_kind(&mut tx, &kind, 1).await?;
        }
        self.revoke_other_sessions(&mut tx, &me_s, now, keep_session)
            .await?;
        let mut ev = AuditEvent::new(Some(me), AuditAction::CredentialsReplace);
        ev.remote = remote.map(str::to_owned);
        self.audit_in(&mut tx, &ev, now).await?;
        tx.commit().await?;
        Ok(version)
    }

    /// Sets (or replaces) the account's recovery kit. The wrap must hold the
    /// current account key generation.
    pub(crate) async fn set_recovery(
        &self,
        me: AccountId,
        wrap: &RecoveryWrap,
        remote: Option<&str>,
    ) -> Result<()> {
        check_remote(remote)?;
        if wrap.account != me {
            return Err(StoreError::Forbidden(
                "the recovery kit names another account",
            ));
        }
        if wrap.v != vault_core::recovery::RECOVERY_VERSION {
            return Err(StoreError::Invalid("unsupported recovery kit version"));
        }
        let me_s = me.to_string();
        let now = self.cfg.clock.now_ms();
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        let stored = self.account_record_in(&mut tx, &me_s).await?.1;
        if wrap.generation != stored.key_generation {
            return Err(StoreError::Conflict(
                "the recovery kit holds another account key generation: reload and retry",
            ));
        }
        self.q(
            "INSERT INTO recovery_wraps (account_id, generation, wrap, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (account_id) DO UPDATE \
             SET generation = excluded.generation, wrap = excluded.wrap, \
             created_at = excluded.created_at",
        )
        .bind(&me_s)
        .bind(i64::from(wrap.generation))
        .bind(to_json(wrap)?)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let mut ev = AuditEvent::new(Some(me), AuditAction::RecoverySet);
        ev.remote = remote.map(str::to_owned);
        self.audit_in(&mut tx, &ev, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes the recovery kit; returns whether there was one.
    pub(crate) async fn remove_recovery(
        &self,
        me: AccountId,
        remote: Option<&str>,
    ) -> Result<bool> {
        check_remote(remote)?;
        let now = self.cfg.clock.now_ms();
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        let gone = self
            .q("DELETE FROM recovery_wraps WHERE account_id = $1")
            .bind(me.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        if gone {
            let mut ev = AuditEvent::new(Some(me), AuditAction::RecoveryRemove);
            ev.remote = remote.map(str::to_owned);
            self.audit_in(&mut tx, &ev, now).await?;
        }
        tx.commit().await?;
        Ok(gone)
    }

    /// The account's recovery kit, if it has one.
    pub(crate) async fn recovery(&self, me: AccountId) -> Result<Option<RecoveryWrap>> {
        let mut tx = self.tx(&Scope::Account(me), Mode::Read).await?;
        let row = self
            .q("SELECT wrap FROM recovery_wraps WHERE account_id = $1")
            .bind(me.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        row.map(|r| parse(&r.try_get::<String, _>(0)?, "recovery kit"))
            .transpose()
    }

    /// Before a recovery login: the account of `identifier` and its kit.
    pub(crate) async fn recovery_by_identifier(
        &self,
        identifier: &str,
    ) -> Result<Option<(AccountId, RecoveryWrap)>> {
        check_identifier(identifier)?;
        let mut tx = self.tx(&Scope::Identifier(identifier), Mode::Read).await?;
        let row = self
            .q("SELECT a.account_id, r.wrap FROM accounts a \
                 JOIN recovery_wraps r ON r.account_id = a.account_id \
                 WHERE a.identifier = $1")
            .bind(identifier)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some((
                parse_id(&r.try_get::<String, _>(0)?, "account id")?,
                parse(&r.try_get::<String, _>(1)?, "recovery kit")?,
            ))),
        }
    }

    /// Ends every session of `me_s` but `keep` (credentials or keys changed).
    pub(super) async fn revoke_other_sessions(
        &self,
        tx: &mut Tx,
        me_s: &str,
        now: Millis,
        keep: Option<SessionId>,
    ) -> Result<()> {
        self.q("UPDATE sessions SET revoked_at = $2 \
             WHERE account_id = $1 AND revoked_at IS NULL AND session_id <> $3")
            .bind(me_s)
            .bind(now)
            .bind(keep.map(|s| s.to_string()).unwrap_or_default())
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    pub(super) async fn account_record_in(
        &self,
        tx: &mut Tx,
        me_s: &str,
    ) -> Result<(String, EncryptedAccount)> {
        let row = self
            .q("SELECT record FROM accounts WHERE account_id = $1")
            .bind(me_s)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(StoreError::NotFound("account"))?;
        let text: String = row.try_get(0)?;
        let record = parse(&text, "account record")?;
        Ok((text, record))
    }

    /// Applies an account key rotation all-or-nothing: the new record, every
    /// vault key wrap of the account re-wrapped (exactly the same vaults and
    /// key versions as stored), the recovery kit replaced (or removed), and
    /// every other session ended. Refused unless it was made from the
    /// current generation (a replayed change set is a conflict).
    pub(crate) async fn rotate_account_key(
        &self,
        me: AccountId,
        change: &AccountKeyRotation,
        recovery: Option<&RecoveryWrap>,
        keep_session: Option<SessionId>,
        remote: Option<&str>,
    ) -> Result<()> {
        check_remote(remote)?;
        let new_gen = change.record.key_generation;
        if let Some(w) = recovery
            && (w.account != me || w.generation != new_gen)
        {
            return Err(StoreError::Invalid(
                "the new recovery kit must name this account and the new generation",
            ));
        }
        let mut given: HashMap<(VaultId, u32), &WrappedVaultKey> = HashMap::new();
        for w in &change.vault_keys {
            if given.insert((w.vault, w.key_version), w).is_some() {
                return Err(StoreError::Invalid("a vault key wrap is listed twice"));
            }
        }
        let me_s = me.to_string();
        let now = self.cfg.clock.now_ms();
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        let seq = self.tick(&mut tx).await?;
        let (stored_text, stored) = self.account_record_in(&mut tx, &me_s).await?;
        change.check_against(&stored).map_err(|e| match e {
            vault_core::Error::StaleWrap(_) => {
                StoreError::Conflict("the account key was rotated since this change set was made")
            }
            vault_core::Error::InvalidArgument(m) => StoreError::Invalid(m),
            _ => StoreError::Invalid("the change set does not fit the account"),
        })?;
        if recovery.is_some_and(|w| w.v != vault_core::recovery::RECOVERY_VERSION) {
            return Err(StoreError::Invalid("unsupported recovery kit version"));
        }
        // Every membership row holding a wrap under the account key gets its
        // wraps replaced, compare-and-swap on the row's keys.
        let rows = self
            .q("SELECT vault_id, keys FROM memberships WHERE account_id = $1")
            .bind(&me_s)
            .fetch_all(&mut *tx)
            .await?;
        let mut used = 0usize;
        for row in rows {
            let vault_s: String = row.try_get(0)?;
            let keys_text: String = row.try_get(1)?;
            let keys: Vec<MemberKey> = parse(&keys_text, "membership keys")?;
            if !keys.iter().any(|k| matches!(k, MemberKey::Wrapped(_))) {
                continue;
            }
            let mut next = Vec::with_capacity(keys.len());
            for k in keys {
                match k {
                    MemberKey::Wrapped(w) => {
                        let new =
                            given
                                .get(&(w.vault, w.key_version))
                                .ok_or(StoreError::Conflict(
                                    "the change set misses a vault key: sync and rotate again",
                                ))?;
                        used += 1;
                        next.push(MemberKey::Wrapped((*new).clone()));
                    }
                    grant => next.push(grant),
                }
            }
            let done = self
                .q(
                    "UPDATE memberships SET keys = $3, seq = $4, updated_at = $5 \
                     WHERE vault_id = $1 AND account_id = $2 AND keys = $6",
                )
                .bind(&vault_s)
                .bind(&me_s)
                .bind(to_json(&next)?)
                .bind(seq)
                .bind(now)
                .bind(&keys_text)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if done != 1 {
                return Err(StoreError::Conflict(
                    "a vault key changed during the rotation: sync and rotate again",
                ));
            }
        }
        if used != given.len() {
            return Err(StoreError::Invalid(
                "the change set names a vault key the account does not hold",
            ));
        }
        let done = self
            .q("UPDATE accounts SET record = $2, updated_at = $3 \
                 WHERE account_id = $1 AND record = $4")
            .bind(&me_s)
            .bind(to_json(&change.record)?)
            .bind(now)
            .bind(&stored_text)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if done != 1 {
            return Err(StoreError::Conflict(
                "the account changed during the rotation: reload and retry",
            ));
        }
        // Old-generation kits are useless now; replace or drop.
        self.q("DELETE FROM recovery_wraps WHERE account_id = $1")
            .bind(&me_s)
            .execute(&mut *tx)
            .await?;
        if let Some(w) = recovery {
            self.q(
                "INSERT INTO recovery_wraps (account_id, generation, wrap, created_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(&me_s)
            .bind(i64::from(w.generation))
            .bind(to_json(w)?)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        // A rotation follows a suspected compromise: end the other sessions.
        self.revoke_other_sessions(&mut tx, &me_s, now, keep_session)
            .await?;
        let mut ev = AuditEvent::new(Some(me), AuditAction::AccountRotate);
        ev.remote = remote.map(str::to_owned);
        self.audit_in(&mut tx, &ev, now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn lookup_identity(
        &self,
        me: AccountId,
        by: Lookup<'_>,
    ) -> Result<Option<DirectoryEntry>> {
        let (scope, sql, key) = match by {
            Lookup::Account(a) => (
                Scope::Directory {
                    me,
                    account: Some(a),
                    identifier: None,
                },
                "SELECT account_id, identifier, public_identity FROM identities WHERE account_id = $1",
                a.to_string(),
            ),
            Lookup::Identifier(i) => {
                check_identifier(i)?;
                (
                    Scope::Directory {
                        me,
                        account: None,
                        identifier: Some(i),
                    },
                    "SELECT account_id, identifier, public_identity FROM identities WHERE identifier = $1",
                    i.to_owned(),
                )
            }
        };
        let mut tx = self.tx(&scope, Mode::Read).await?;
        let row = self.q(sql).bind(key).fetch_optional(&mut *tx).await?;
        tx.commit().await?;
        let Some(row) = row else { return Ok(None) };
        let account: AccountId = parse_id(&row.try_get::<String, _>(0)?, "account id")?;
        let identity: PublicIdentity = parse(&row.try_get::<String, _>(2)?, "public identity")?;
        if identity.account != account {
            return Err(StoreError::Corrupt("identity under another id"));
        }
        Ok(Some(DirectoryEntry {
            account,
            identifier: row.try_get(1)?,
            identity,
        }))
    }

    /// Moves the count of accounts of `kind` by `delta`, in the caller's
    /// transaction.
    pub(super) async fn count_kind(&self, tx: &mut Tx, kind: &str, delta: i64) -> Result<()> {
        let sql = if delta >= 0 {
            "INSERT INTO account_kinds (kind, accounts) VALUES ($1, $2) \
             ON CONFLICT (kind) DO UPDATE SET accounts = account_kinds.accounts + $2"
        } else {
            "UPDATE account_kinds SET accounts = accounts + $2 WHERE kind = $1 AND accounts + $2 >= 0"
        };
        self.q(sql)
            .bind(kind)
            .bind(delta)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// The deployment's mix of account kinds (for pre-login fakes).
    pub(crate) async fn account_kinds(&self) -> Result<Vec<vault_core::prelogin::FakeProfile>> {
        let mut tx = self.tx(&Scope::Stats, Mode::Read).await?;
        let rows = self
            .q("SELECT kind, accounts FROM account_kinds WHERE accounts > 0 ORDER BY kind")
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            if let Some(p) = parse_account_kind(&r.try_get::<String, _>(0)?, r.try_get(1)?) {
                out.push(p);
            }
        }
        Ok(out)
    }
}
