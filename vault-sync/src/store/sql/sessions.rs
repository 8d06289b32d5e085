//! Sessions (refresh token rotation, revocation) and PAKE login states in flight.
//!
//! Part of the SQL written once for both backends (see `mod.rs`).

use super::*;

impl Ops {
    pub(super) fn session_from_row(row: &<Db as sqlx::Database>::Row) -> Result<Session> {
        Ok(Session {
            id: parse_id(&row.try_get::<String, _>(0)?, "session id")?,
            account: parse_id(&row.try_get::<String, _>(1)?, "account id")?,
            credentials_version: row.try_get(2)?,
            created_at: row.try_get(3)?,
            refreshed_at: row.try_get(4)?,
            expires_at: row.try_get(5)?,
            revoked_at: row.try_get(6)?,
        })
    }

    pub(crate) async fn create_session(&self, me: AccountId, new: &NewSession) -> Result<Session> {
        let now = self.cfg.clock.now_ms();
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        let done = self
            .q(
                "INSERT INTO sessions (session_id, account_id, refresh_hash, prev_refresh_hash, \
                 credentials_version, created_at, refreshed_at, expires_at, revoked_at) \
                 SELECT $1, account_id, $2, NULL, credentials_version, $3, $3, $4, NULL \
                 FROM accounts WHERE account_id = $5",
            )
            .bind(new.id.to_string())
            .bind(new.refresh.to_hex())
            .bind(now)
            .bind(new.expires_at)
            .bind(me.to_string())
            .execute(&mut *tx)
            .await
            .map_err(|e| on_insert(e, "session exists", "account"))?
            .rows_affected();
        if done != 1 {
            return Err(StoreError::NotFound("account"));
        }
        let session = self.session_in(&mut tx, me, new.id).await?;
        tx.commit().await?;
        session.ok_or(StoreError::NotFound("session"))
    }

    pub(super) async fn session_in(
        &self,
        tx: &mut Tx,
        me: AccountId,
        id: SessionId,
    ) -> Result<Option<Session>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE session_id = $1 AND account_id = $2"
        );
        let row = self
            .q(&sql)
            .bind(id.to_string())
            .bind(me.to_string())
            .fetch_optional(&mut **tx)
            .await?;
        row.as_ref().map(Self::session_from_row).transpose()
    }

    pub(crate) async fn session(&self, me: AccountId, id: SessionId) -> Result<Option<Session>> {
        let mut tx = self.tx(&Scope::Account(me), Mode::Read).await?;
        let s = self.session_in(&mut tx, me, id).await?;
        tx.commit().await?;
        Ok(s)
    }

    pub(crate) async fn rotate_refresh(
        &self,
        presented: &TokenHash,
        next: &TokenHash,
        now: Millis,
        expires_at: Millis,
        grace: Millis,
    ) -> Result<RefreshOutcome> {
        let presented_hex = presented.to_hex();
        let next_hex = next.to_hex();
        let mut tx = self.tx(&Scope::Refresh(presented), Mode::Write).await?;
        let sql = format!(
            "SELECT {SESSION_COLUMNS}, refresh_hash FROM sessions \
             WHERE refresh_hash = $1 OR prev_refresh_hash = $1"
        );
        let row = self
            .q(&sql)
            .bind(&presented_hex)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("refresh token"))?;
        let session = Self::session_from_row(&row)?;
        let stored_current: String = row.try_get(7)?;
        let current = stored_current == presented_hex;
        // From here on, act as the session's account.
        set_scope(&mut tx, &Scope::Account(session.account)).await?;
        // The previous token again, rotated into this very `next` moments
        // ago: a retry or a race of the same client, not a stolen copy.
        if !current
            && stored_current == next_hex
            && session.revoked_at.is_none()
            && session.expires_at > now
            && now.saturating_sub(session.refreshed_at) <= grace
        {
            tx.commit().await?;
            return Ok(RefreshOutcome::Repeated(session));
        }
        if !current {
            self.q("UPDATE sessions SET revoked_at = $2 \
                 WHERE session_id = $1 AND account_id = $3 AND revoked_at IS NULL")
                .bind(session.id.to_string())
                .bind(now)
                .bind(session.account.to_string())
                .execute(&mut *tx)
                .await?;
            let mut ev = AuditEvent::new(Some(session.account), AuditAction::RefreshReuse);
            ev.outcome = AuditOutcome::Denied;
            self.audit_in(&mut tx, &ev, now).await?;
            tx.commit().await?;
            return Ok(RefreshOutcome::Reused {
                session: session.id,
                account: session.account,
            });
        }
        if session.revoked_at.is_some() {
            return Err(StoreError::Forbidden("session revoked"));
        }
        if session.expires_at <= now {
            return Err(StoreError::Forbidden("session expired"));
        }
        let done = self
            .q(
                "UPDATE sessions SET prev_refresh_hash = refresh_hash, refresh_hash = $2, \
                 refreshed_at = $3, expires_at = $4 \
                 WHERE session_id = $1 AND account_id = $6 AND refresh_hash = $5 AND revoked_at IS NULL",
            )
            .bind(session.id.to_string())
            .bind(next.to_hex())
            .bind(now)
            .bind(expires_at)
            .bind(&presented_hex)
            .bind(session.account.to_string())
            .execute(&mut *tx)
            .await
            .map_err(|e| on_insert(e, "refresh token exists", "session"))?
            .rows_affected();
        if done != 1 {
            // A concurrent refresh of the same token won the row between our
            // read and our write: if it rotated into our `next`, this is
            // the same client's race: answer like the winner.
            tx.rollback().await?;
            let mut tx = self
                .tx(&Scope::Account(session.account), Mode::Read)
                .await?;
            let again = self
                .session_in(&mut tx, session.account, session.id)
                .await?;
            let hash: Option<String> = self
                .q("SELECT refresh_hash FROM sessions WHERE session_id = $1 AND account_id = $2")
                .bind(session.id.to_string())
                .bind(session.account.to_string())
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
            tx.commit().await?;
            return match (again, hash) {
                (Some(s), Some(h)) if h == next_hex && s.revoked_at.is_none() => {
                    Ok(RefreshOutcome::Repeated(s))
                }
                _ => Err(StoreError::Conflict(
                    "the refresh token was rotated concurrently",
                )),
            };
        }
        let rotated = self
            .session_in(&mut tx, session.account, session.id)
            .await?;
        tx.commit().await?;
        rotated
            .map(RefreshOutcome::Rotated)
            .ok_or(StoreError::NotFound("session"))
    }

    pub(crate) async fn revoke_sessions(
        &self,
        me: AccountId,
        only: Option<SessionId>,
        except: Option<SessionId>,
        now: Millis,
        remote: Option<&str>,
    ) -> Result<u64> {
        check_remote(remote)?;
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        let done = self
            .q(
                "UPDATE sessions SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL \
                 AND ($3 = '' OR session_id = $3) AND session_id <> $4",
            )
            .bind(me.to_string())
            .bind(now)
            .bind(only.map(|s| s.to_string()).unwrap_or_default())
            .bind(except.map(|s| s.to_string()).unwrap_or_default())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let action = if only.is_some() {
            AuditAction::SessionRevoke
        } else {
            AuditAction::SessionRevokeAll
        };
        let mut ev = AuditEvent::new(Some(me), action);
        ev.remote = remote.map(str::to_owned);
        self.audit_in(&mut tx, &ev, now).await?;
        tx.commit().await?;
        Ok(done)
    }

    // ------------------------------------------------------------ login states

    pub(crate) async fn put_login_state(&self, new: &NewLoginState) -> Result<()> {
        let ctx = login_state_context(&new.id, new.protocol);
        let sealed = seal_raw_context(
            &self.cfg.state_key,
            Algorithm::XChaCha20Poly1305,
            &ctx,
            new.state.expose_secret().as_bytes(),
            &mut vault_core::rng::os_rng(),
        )
        .map_err(|_| StoreError::Invalid("login state too large"))?;
        let now = self.cfg.clock.now_ms();
        let mut tx = self.tx(&Scope::Login(&new.id), Mode::Write).await?;
        self.q(
            "INSERT INTO login_states (login_id, account_id, protocol, sealed_state, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(new.id.to_string())
        .bind(new.account.map(|a| a.to_string()))
        .bind(new.protocol.as_str())
        .bind(sealed.to_text())
        .bind(now)
        .bind(new.expires_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| on_insert(e, "login id in use", "account"))?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn take_login_state(
        &self,
        id: &LoginId,
        now: Millis,
    ) -> Result<Option<LoginState>> {
        let mut tx = self.tx(&Scope::Login(id), Mode::Write).await?;
        let row = self
            .q("DELETE FROM login_states WHERE login_id = $1 \
                 RETURNING account_id, protocol, sealed_state, expires_at")
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        // Committed before anything is opened: a state is finished at most once.
        tx.commit().await?;
        let Some(row) = row else { return Ok(None) };
        if row.try_get::<i64, _>(3)? <= now {
            return Ok(None);
        }
        let protocol = AuthProtocol::parse(&row.try_get::<String, _>(1)?)?;
        let account: Option<String> = row.try_get(0)?;
        let account = account
            .map(|a| parse_id::<AccountId>(&a, "account id"))
            .transpose()?;
        let sealed = Envelope::from_text(&row.try_get::<String, _>(2)?)
            .map_err(|_| StoreError::Corrupt("sealed login state"))?;
        let plain = open_raw(
            &sealed,
            &self.cfg.state_key,
            &login_state_context(id, protocol),
        )
        .map_err(|_| StoreError::Corrupt("sealed login state"))?;
        let text = String::from_utf8(plain.to_vec())
            .map_err(|_| StoreError::Corrupt("sealed login state"))?;
        Ok(Some(LoginState {
            account,
            protocol,
            state: SecretString::from(text),
        }))
    }

    pub(crate) async fn purge_expired(&self, now: Millis) -> Result<(u64, u64)> {
        let mut tx = self.tx(&Scope::Purge(now), Mode::Write).await?;
        let states = self
            .q("DELETE FROM login_states WHERE expires_at < $1")
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let sessions = self
            .q("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok((states, sessions))
    }
}
