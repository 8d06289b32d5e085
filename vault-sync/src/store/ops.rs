//! The store's operations, written once for both backends.
//!
//! This file is compiled twice: as `store::sqlite::ops` with `Db =
//! sqlx::Sqlite` and as `store::postgres::ops` with `Db = sqlx::Postgres`
//! (each parent module says `#[path = "ops.rs"] mod ops;`). Each copy is
//! ordinary concrete sqlx code, so there is one implementation to read and
//! test, and no generic trait bounds over `sqlx::Database`. The SQL is the
//! common dialect of SQLite ≥ 3.35 and Postgres ≥ 12 (`$n` parameters,
//! `RETURNING`, `ON CONFLICT`, row values, `CAST(.. AS BIGINT)`). What
//! differs is in the parent module: [`begin`] (SQLite: `BEGIN IMMEDIATE` for
//! writes; Postgres: the row-level-security scope via `set_config(.., true)`)
//! and [`set_scope`].
//!
//! Every query filters by the acting account itself, so SQLite (no RLS) is
//! as strict as Postgres; on Postgres the policies check the same again.
//! Every write commits before it returns.

use super::{Db, begin, set_scope};
use crate::store::audit::{AuditRow, ChainVerifier, parse_hash};
use crate::store::cursor::Pos;
use crate::store::error::{Result, StoreError, on_insert};
use crate::store::types::*;
use crate::store::{Mode, Scope, now_ms};
use serde::de::DeserializeOwned;
use sqlx::{Row, Transaction};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use vault_core::envelope::{Algorithm, Envelope, open_raw, seal_raw_context};
use vault_core::sync::wire::{
    Change, Cursor, ItemState, MemberKey, PullPage, PushResult, PushWrite, RejectReason,
    WIRE_VERSION,
};
use vault_core::{
    AccountId, AccountKeyRotation, EncryptedAccount, EncryptedItem, EncryptedVault, ItemId,
    PublicIdentity, RecoveryWrap, Role, SecretString, VaultId, WrappedVaultKey,
};

// Emergency access: compiled with this file, once per backend.
#[allow(clippy::duplicate_mod)]
#[path = "emergency_ops.rs"]
mod emergency_ops;

type Tx = Transaction<'static, Db>;
type Query<'q> = sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>>;

/// One backend's store: a pool and the settings.
pub(crate) struct Ops {
    pub(crate) pool: sqlx::Pool<Db>,
    cfg: StoreConfig,
    statements: AtomicU64,
}

fn role_str(r: Role) -> &'static str {
    match r {
        Role::Owner => "owner",
        Role::Editor => "editor",
        Role::Viewer => "viewer",
    }
}

fn parse_role(s: &str) -> Result<Role> {
    match s {
        "owner" => Ok(Role::Owner),
        "editor" => Ok(Role::Editor),
        "viewer" => Ok(Role::Viewer),
        _ => Err(StoreError::Corrupt("membership role")),
    }
}

fn to_json<T: serde::Serialize>(t: &T) -> Result<String> {
    serde_json::to_string(t).map_err(|_| StoreError::Invalid("value does not serialise"))
}

fn parse<T: DeserializeOwned>(s: &str, what: &'static str) -> Result<T> {
    serde_json::from_str(s).map_err(|_| StoreError::Corrupt(what))
}

fn parse_id<T: core::str::FromStr>(s: &str, what: &'static str) -> Result<T> {
    s.parse().map_err(|_| StoreError::Corrupt(what))
}

fn rev_to_db(r: u64) -> Result<i64> {
    i64::try_from(r).map_err(|_| StoreError::Invalid("revision out of range"))
}

fn rev_from_db(r: i64) -> Result<u64> {
    u64::try_from(r).map_err(|_| StoreError::Corrupt("negative revision"))
}

fn kv_from_db(v: i64) -> Result<u32> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt("key version out of range"))
}

fn member_key_version(k: &MemberKey) -> u32 {
    match k {
        MemberKey::Wrapped(w) => w.key_version,
        MemberKey::Grant(g) => g.key_version,
    }
}

/// The accounts columns, in `account_from_row` order.
const ACCOUNT_COLUMNS: &str = "account_id, identifier, record, auth_protocol, auth_record, \
                               credentials_version, created_at, updated_at";

const SESSION_COLUMNS: &str = "session_id, account_id, credentials_version, created_at, \
                               refreshed_at, expires_at, revoked_at";

/// The whole feed page in one statement: vault entries (memberships, live
/// or ended), every item of vaults whose access began after the cursor, and
/// the items written after the cursor in the other vaults; positioned,
/// ordered and cut after the cursor. Postgres plans the cursor condition
/// into each branch (the last one walks `items_by_seq`); the row-level
/// policies add a hashed membership check per item row.
///
/// `$1` account, `$2..$5` the cursor position, `$6` the limit.
const FEED_SQL: &str = "
SELECT eff, kind, vault_id, item_id, role, active, keys, meta, revision, deleted, blob FROM (
    SELECT CASE WHEN m.active AND v.meta_seq > m.seq THEN v.meta_seq ELSE m.seq END AS eff,
           CAST(0 AS BIGINT) AS kind, m.vault_id AS vault_id, '' AS item_id,
           m.role AS role, m.active AS active, m.keys AS keys, v.meta AS meta,
           CAST(0 AS BIGINT) AS revision, FALSE AS deleted, NULL AS blob
    FROM memberships m LEFT JOIN vaults v ON v.vault_id = m.vault_id
    WHERE m.account_id = $1 AND (m.seq >= $2 OR (m.active AND v.meta_seq >= $2))
  UNION ALL
    SELECT CASE WHEN i.seq > m.access_seq THEN i.seq ELSE m.access_seq END,
           CAST(1 AS BIGINT), i.vault_id, i.item_id,
           NULL, NULL, NULL, NULL, i.revision, i.deleted, i.blob
    FROM memberships m JOIN items i ON i.vault_id = m.vault_id
    WHERE m.account_id = $1 AND m.active AND m.access_seq >= $2
  UNION ALL
    SELECT i.seq, CAST(1 AS BIGINT), i.vault_id, i.item_id,
           NULL, NULL, NULL, NULL, i.revision, i.deleted, i.blob
    FROM memberships m JOIN items i ON i.vault_id = m.vault_id AND i.seq >= $2
    WHERE m.account_id = $1 AND m.active AND m.access_seq < $2
) feed
WHERE (eff, kind, vault_id, item_id) > ($2, $3, $4, $5)
ORDER BY eff, kind, vault_id, item_id
LIMIT $6";

impl Ops {
    pub(crate) fn new(pool: sqlx::Pool<Db>, cfg: StoreConfig) -> Self {
        Ops {
            pool,
            cfg,
            statements: AtomicU64::new(0),
        }
    }

    /// Data statements run so far (transaction control not counted).
    pub(crate) fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Every data statement goes through here, so tests can count them.
    fn q<'q>(&self, sql: &'q str) -> Query<'q> {
        self.statements.fetch_add(1, Ordering::Relaxed);
        sqlx::query(sql)
    }

    async fn tx(&self, scope: &Scope<'_>, mode: Mode) -> Result<Tx> {
        begin(&self.pool, scope, mode).await
    }

    /// Advances the feed clock; the row lock orders feed writers until commit.
    async fn tick(&self, tx: &mut Tx) -> Result<i64> {
        let row = self
            .q("UPDATE feed_clock SET seq = seq + 1 WHERE id = 1 RETURNING seq")
            .fetch_one(&mut **tx)
            .await?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    // ------------------------------------------------------------ accounts

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
        let now = now_ms();
        let mut tx = self.tx(&Scope::Account(rec.account), Mode::Write).await?;
        self.q(
            "INSERT INTO accounts (account_id, identifier, record, auth_protocol, auth_record, \
             credentials_version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $6)",
        )
        .bind(&id)
        .bind(&new.identifier)
        .bind(to_json(rec)?)
        .bind(new.auth.protocol().as_str())
        .bind(new.auth.to_json())
        .bind(now)
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
        let mut ev = AuditEvent::new(Some(rec.account), AuditAction::AccountCreate);
        ev.remote = remote.map(str::to_owned);
        self.audit_in(&mut tx, &ev, now).await?;
        tx.commit().await?;
        Ok(())
    }

    fn account_from_row(row: &<Db as sqlx::Database>::Row) -> Result<AccountRecord> {
        let account: AccountId = parse_id(&row.try_get::<String, _>(0)?, "account id")?;
        let record: EncryptedAccount = parse(&row.try_get::<String, _>(2)?, "account record")?;
        if record.account != account {
            return Err(StoreError::Corrupt("account record under another id"));
        }
        Ok(AccountRecord {
            account,
            identifier: row.try_get(1)?,
            record,
            auth: AuthRecord::from_stored(
                &row.try_get::<String, _>(3)?,
                &row.try_get::<String, _>(4)?,
            )?,
            credentials_version: row.try_get(5)?,
            created_at: row.try_get(6)?,
            updated_at: row.try_get(7)?,
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
        let now = now_ms();
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
        let row = self
            .q(
                "UPDATE accounts SET record = $2, auth_protocol = $3, auth_record = $4, \
                 credentials_version = credentials_version + 1, updated_at = $5 \
                 WHERE account_id = $1 AND record = $6 RETURNING credentials_version",
            )
            .bind(&me_s)
            .bind(to_json(record)?)
            .bind(auth.protocol().as_str())
            .bind(auth.to_json())
            .bind(now)
            .bind(&stored_text)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::Conflict(
                "the account changed during the request: reload and retry",
            ))?;
        let version: i64 = row.try_get(0)?;
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
        let now = now_ms();
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
        let now = now_ms();
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
    async fn revoke_other_sessions(
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

    async fn account_record_in(
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
        let now = now_ms();
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

    // ------------------------------------------------------------ vaults

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
        let now = now_ms();
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
    async fn owned_vault(&self, tx: &mut Tx, me: &str, vault: &str) -> Result<u32> {
        let row = self
            .q("SELECT key_version FROM vaults WHERE vault_id = $1 AND owner_id = $2")
            .bind(vault)
            .bind(me)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(StoreError::Forbidden(
                "only the vault's owner manages its members",
            ))?;
        kv_from_db(row.try_get(0)?)
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
        let now = now_ms();
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
        .bind(role_str(role))
        .bind(to_json(&keys)?)
        .bind(i64::from(newest))
        .bind(seq)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| on_insert(e, "membership exists", "account"))?;
        let mut ev = AuditEvent::new(Some(me), AuditAction::MemberAdd);
        ev.vault = Some(vault);
        ev.subject = Some(member);
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
        let now = now_ms();
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
        ev.subject = Some(member);
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
        let now = now_ms();
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
        let mut tx = self.tx(&Scope::Account(me), Mode::Read).await?;
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

    // ------------------------------------------------------------ items

    /// `me`'s role in `vault` and the vault's key generation, if a member.
    async fn vault_access(
        &self,
        tx: &mut Tx,
        me: &str,
        vault: VaultId,
    ) -> Result<Option<(Role, u32)>> {
        let row = self
            .q("SELECT m.role, v.key_version FROM memberships m \
                 JOIN vaults v ON v.vault_id = m.vault_id \
                 WHERE m.vault_id = $1 AND m.account_id = $2 AND m.active")
            .bind(vault.to_string())
            .bind(me)
            .fetch_optional(&mut **tx)
            .await?;
        row.map(|r| {
            Ok((
                parse_role(&r.try_get::<String, _>(0)?)?,
                kv_from_db(r.try_get(1)?)?,
            ))
        })
        .transpose()
    }

    async fn item_state(
        &self,
        tx: &mut Tx,
        vault: VaultId,
        item: ItemId,
    ) -> Result<Option<ItemState>> {
        let row = self
            .q("SELECT revision, deleted, blob FROM items WHERE vault_id = $1 AND item_id = $2")
            .bind(vault.to_string())
            .bind(item.to_string())
            .fetch_optional(&mut **tx)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let revision = rev_from_db(row.try_get(0)?)?;
        if row.try_get::<bool, _>(1)? {
            return Ok(Some(ItemState::Deleted {
                vault,
                item,
                revision,
            }));
        }
        let blob: Option<String> = row.try_get(2)?;
        let blob = blob.ok_or(StoreError::Corrupt("live item without a blob"))?;
        Ok(Some(ItemState::Live {
            item: parse(&blob, "item blob")?,
        }))
    }

    pub(crate) async fn item(
        &self,
        me: AccountId,
        vault: VaultId,
        item: ItemId,
    ) -> Result<Option<ItemState>> {
        let me_s = me.to_string();
        let mut tx = self.tx(&Scope::Account(me), Mode::Read).await?;
        if self.vault_access(&mut tx, &me_s, vault).await?.is_none() {
            return Err(StoreError::Forbidden("not a member of the vault"));
        }
        let state = self.item_state(&mut tx, vault, item).await?;
        tx.commit().await?;
        Ok(state)
    }

    pub(crate) async fn push(
        &self,
        me: AccountId,
        writes: &[PushWrite],
    ) -> Result<Vec<PushResult>> {
        if writes.len() > self.cfg.max_writes_per_push {
            return Err(StoreError::Invalid("too many writes in one push"));
        }
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        let me_s = me.to_string();
        let now = now_ms();
        let mut tx = self.tx(&Scope::Account(me), Mode::Write).await?;
        // The clock first: from here until this push commits, no other feed
        // writer (a revocation, a key rotation, another push) can commit, so
        // what is read below stays true until the writes land.
        let seq = self.tick(&mut tx).await?;
        let mut access = HashMap::new();
        let mut results = Vec::with_capacity(writes.len());
        for w in writes {
            results.push(
                self.write_one(&mut tx, &me_s, w, now, &mut access, seq)
                    .await?,
            );
        }
        // Durable before anyone is told "ok".
        tx.commit().await?;
        Ok(results)
    }

    async fn write_one(
        &self,
        tx: &mut Tx,
        me: &str,
        w: &PushWrite,
        now: Millis,
        access: &mut HashMap<VaultId, Option<(Role, u32)>>,
        seq: i64,
    ) -> Result<PushResult> {
        let op = w.op();
        let rejected = |reason| Ok(PushResult::Rejected { op, reason });
        let vault = w.vault();
        let item = w.item_id();
        let acc = match access.get(&vault) {
            Some(a) => *a,
            None => {
                let a = self.vault_access(tx, me, vault).await?;
                access.insert(vault, a);
                a
            }
        };
        let Some((role, vault_kv)) = acc else {
            return rejected(RejectReason::Forbidden);
        };
        if role == Role::Viewer {
            return rejected(RejectReason::Forbidden);
        }
        if w.validate().is_err() {
            return rejected(RejectReason::Invalid);
        }
        let (Ok(base), Ok(revision)) = (rev_to_db(w.base()), rev_to_db(w.revision())) else {
            return rejected(RejectReason::Invalid);
        };
        let blob = match w {
            PushWrite::Upsert { item: blob, .. } => {
                if blob.key_version != vault_kv {
                    return rejected(RejectReason::StaleKey);
                }
                let json = to_json(blob)?;
                if json.len() > self.cfg.max_blob_bytes {
                    return rejected(RejectReason::TooLarge);
                }
                Some(json)
            }
            PushWrite::Delete { .. } => None,
        };
        let (vault_s, item_s) = (vault.to_string(), item.to_string());
        let deleted = blob.is_none();
        let affected = if base == 0 {
            self.q(
                "INSERT INTO items (vault_id, item_id, revision, key_version, deleted, blob, seq, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (vault_id, item_id) DO NOTHING",
            )
            .bind(&vault_s)
            .bind(&item_s)
            .bind(revision)
            .bind(i64::from(vault_kv))
            .bind(deleted)
            .bind(blob)
            .bind(seq)
            .bind(now)
            .execute(&mut **tx)
            .await?
        } else if deleted {
            self.q(
                "UPDATE items SET revision = $3, deleted = TRUE, blob = NULL, seq = $4, updated_at = $5 \
                 WHERE vault_id = $1 AND item_id = $2 AND revision = $6",
            )
            .bind(&vault_s)
            .bind(&item_s)
            .bind(revision)
            .bind(seq)
            .bind(now)
            .bind(base)
            .execute(&mut **tx)
            .await?
        } else {
            self.q(
                "UPDATE items SET revision = $3, key_version = $4, deleted = FALSE, blob = $5, \
                 seq = $6, updated_at = $7 WHERE vault_id = $1 AND item_id = $2 AND revision = $8",
            )
            .bind(&vault_s)
            .bind(&item_s)
            .bind(revision)
            .bind(i64::from(vault_kv))
            .bind(blob)
            .bind(seq)
            .bind(now)
            .bind(base)
            .execute(&mut **tx)
            .await?
        };
        if affected.rows_affected() == 1 {
            return Ok(PushResult::Ok {
                op,
                revision: w.revision(),
            });
        }
        match self.item_state(tx, vault, item).await? {
            Some(current) => Ok(PushResult::Conflict { op, current }),
            None => rejected(RejectReason::NotFound),
        }
    }

    // ------------------------------------------------------------ feed

    /// The rows of one feed page (at most `limit` + 1), in order.
    async fn feed_rows(
        &self,
        me: AccountId,
        since: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<<Db as sqlx::Database>::Row>> {
        let from = match since {
            Some(c) => Pos::from_cursor(c)?,
            None => Pos::start(),
        };
        let fetch = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
        let mut tx = self.tx(&Scope::Account(me), Mode::Feed).await?;
        let rows = self
            .q(FEED_SQL)
            .bind(me.to_string())
            .bind(from.eff)
            .bind(from.kind)
            .bind(&from.vault)
            .bind(&from.item)
            .bind(fetch)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(rows)
    }

    fn page_limit(&self, limit: usize) -> usize {
        limit.clamp(1, self.cfg.max_page_size.max(1))
    }

    fn row_pos(row: &<Db as sqlx::Database>::Row) -> Result<Pos> {
        Ok(Pos {
            eff: row.try_get(0)?,
            kind: row.try_get(1)?,
            vault: row.try_get(2)?,
            item: row.try_get(3)?,
        })
    }

    fn next_cursor(last: Option<Pos>, since: Option<&Cursor>) -> Result<Cursor> {
        match (last, since) {
            (Some(p), _) => p.to_cursor(),
            (None, Some(c)) => Ok(c.clone()),
            (None, None) => Pos::start().to_cursor(),
        }
    }

    pub(crate) async fn pull(
        &self,
        me: AccountId,
        since: Option<&Cursor>,
        limit: usize,
    ) -> Result<PullPage> {
        let limit = self.page_limit(limit);
        let rows = self.feed_rows(me, since, limit).await?;
        let mut changes = Vec::with_capacity(rows.len().min(limit));
        let mut last = None;
        for row in rows.iter().take(limit) {
            let pos = Self::row_pos(row)?;
            changes.push(Self::change_from_row(row, &pos)?);
            last = Some(pos);
        }
        Ok(PullPage {
            v: WIRE_VERSION,
            since: since.cloned(),
            next: Self::next_cursor(last, since)?,
            has_more: rows.len() > limit,
            changes,
        })
    }

    /// The same page as [`pull`](Self::pull), as its wire JSON, with each
    /// item's stored JSON copied in verbatim instead of parsed and
    /// re-serialised: the fast path for large initial syncs.
    pub(crate) async fn pull_json(
        &self,
        me: AccountId,
        since: Option<&Cursor>,
        limit: usize,
    ) -> Result<String> {
        let limit = self.page_limit(limit);
        let rows = self.feed_rows(me, since, limit).await?;
        let mut changes = String::with_capacity(rows.len().saturating_mul(800));
        let mut last = None;
        for (n, row) in rows.iter().take(limit).enumerate() {
            if n > 0 {
                changes.push(',');
            }
            let pos = Self::row_pos(row)?;
            let live_blob: Option<String> = if pos.kind == 1 && !row.try_get::<bool, _>(9)? {
                row.try_get(10)?
            } else {
                None
            };
            match live_blob {
                Some(blob) => {
                    changes.push_str(r#"{"type":"item","item":"#);
                    changes.push_str(&blob);
                    changes.push('}');
                }
                None => changes.push_str(&to_json(&Self::change_from_row(row, &pos)?)?),
            }
            last = Some(pos);
        }
        Ok(format!(
            r#"{{"v":{WIRE_VERSION},"since":{},"next":{},"has_more":{},"changes":[{changes}]}}"#,
            to_json(&since)?,
            to_json(&Self::next_cursor(last, since)?)?,
            rows.len() > limit,
        ))
    }

    fn change_from_row(row: &<Db as sqlx::Database>::Row, pos: &Pos) -> Result<Change> {
        let vault: VaultId = parse_id(&pos.vault, "vault id")?;
        if pos.kind == 0 {
            if !row.try_get::<Option<bool>, _>(5)?.unwrap_or(false) {
                return Ok(Change::VaultRemoved { vault });
            }
            let role: Option<String> = row.try_get(4)?;
            let keys: Option<String> = row.try_get(6)?;
            let meta: Option<String> = row.try_get(7)?;
            return Ok(Change::Vault {
                vault,
                role: parse_role(role.as_deref().unwrap_or_default())?,
                meta: meta
                    .map(|m| parse::<EncryptedVault>(&m, "vault meta"))
                    .transpose()?,
                keys: parse(keys.as_deref().unwrap_or("[]"), "member keys")?,
            });
        }
        let revision = rev_from_db(row.try_get(8)?)?;
        if row.try_get::<bool, _>(9)? {
            return Ok(Change::Tombstone {
                vault,
                item: parse_id(&pos.item, "item id")?,
                revision,
            });
        }
        let blob: Option<String> = row.try_get(10)?;
        let item: EncryptedItem = parse(
            &blob.ok_or(StoreError::Corrupt("live item without a blob"))?,
            "item blob",
        )?;
        if item.revision != revision || item.vault != vault {
            return Err(StoreError::Corrupt("item blob does not match its row"));
        }
        Ok(Change::Item { item })
    }

    // ------------------------------------------------------------ sessions

    fn session_from_row(row: &<Db as sqlx::Database>::Row) -> Result<Session> {
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
        let now = now_ms();
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

    async fn session_in(
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
    ) -> Result<RefreshOutcome> {
        let presented_hex = presented.to_hex();
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
        let current = row.try_get::<String, _>(7)? == presented_hex;
        // From here on, act as the session's account.
        set_scope(&mut tx, &Scope::Account(session.account)).await?;
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
            return Err(StoreError::Conflict(
                "the refresh token was rotated concurrently",
            ));
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
        let now = now_ms();
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

    // ------------------------------------------------------------ audit

    /// Appends `ev` inside `tx`: bump the head (locking it), hash, insert,
    /// store the new head hash. The event commits with the action it records.
    async fn audit_in(&self, tx: &mut Tx, ev: &AuditEvent, now: Millis) -> Result<i64> {
        check_remote(ev.remote.as_deref())?;
        let head = self
            .q("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
            .fetch_one(&mut **tx)
            .await?;
        let seq: i64 = head.try_get(0)?;
        let prev_hex: String = head.try_get(1)?;
        let prev = parse_hash(&prev_hex)?;
        let row = AuditRow {
            seq,
            at_ms: now,
            actor: ev.actor.map(|a| a.to_string()),
            action: ev.action.as_str().to_owned(),
            vault: ev.vault.map(|v| v.to_string()),
            subject: ev.subject.map(|s| s.to_string()),
            remote: ev.remote.clone(),
            outcome: ev.outcome.as_str().to_owned(),
        };
        let hash = hex::encode(row.chain_hash(&prev));
        self.q(
            "INSERT INTO audit_log (seq, at_ms, actor, action, vault_id, subject, remote, outcome, \
             prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(seq)
        .bind(row.at_ms)
        .bind(row.actor)
        .bind(row.action)
        .bind(row.vault)
        .bind(row.subject)
        .bind(row.remote)
        .bind(row.outcome)
        .bind(prev_hex)
        .bind(&hash)
        .execute(&mut **tx)
        .await?;
        self.q("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(hash)
            .execute(&mut **tx)
            .await?;
        Ok(seq)
    }

    pub(crate) async fn audit_append(&self, ev: &AuditEvent) -> Result<i64> {
        let scope = match ev.actor {
            Some(a) => Scope::Account(a),
            None => Scope::Anonymous,
        };
        let now = now_ms();
        let mut tx = self.tx(&scope, Mode::Write).await?;
        let seq = self.audit_in(&mut tx, ev, now).await?;
        tx.commit().await?;
        Ok(seq)
    }
}

/// Verifies the whole audit chain in one consistent snapshot, a page of rows
/// at a time. Needs a connection that can read every row (SQLite; the owner
/// role on Postgres).
pub(crate) async fn verify_audit(pool: &sqlx::Pool<Db>) -> Result<AuditSummary> {
    const PAGE: i64 = 1000;
    let mut tx = begin(pool, &Scope::None, Mode::Snapshot).await?;
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::AuditTampered {
            seq: 0,
            reason: "audit head missing or not readable",
        })?;
    let head_seq: i64 = head.try_get(0)?;
    let head_hash: String = head.try_get(1)?;
    let mut v = ChainVerifier::new();
    let mut after = 0i64;
    loop {
        let rows = sqlx::query(
            "SELECT seq, at_ms, actor, action, vault_id, subject, remote, outcome, prev_hash, hash \
             FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(PAGE)
        .fetch_all(&mut *tx)
        .await?;
        for r in &rows {
            let row = AuditRow {
                seq: r.try_get(0)?,
                at_ms: r.try_get(1)?,
                actor: r.try_get(2)?,
                action: r.try_get(3)?,
                vault: r.try_get(4)?,
                subject: r.try_get(5)?,
                remote: r.try_get(6)?,
                outcome: r.try_get(7)?,
            };
            v.push(
                &row,
                &r.try_get::<String, _>(8)?,
                &r.try_get::<String, _>(9)?,
            )?;
            after = row.seq;
        }
        if i64::try_from(rows.len()).unwrap_or(i64::MAX) < PAGE {
            break;
        }
    }
    tx.commit().await?;
    v.finish(head_seq, &head_hash)
}
