//! The store's operations as SQL, written once for both backends, one
//! file per resource (accounts, vaults, items, feed, sessions, audit,
//! emergency access; projects, secrets, services and the service-facing
//! reads for machine secrets).
//!
//! This directory is compiled twice: as `store::sqlite::sql` with `Db =
//! sqlx::Sqlite` and as `store::postgres::sql` with `Db = sqlx::Postgres`
//! (each parent module says `#[path = "sql/mod.rs"] mod sql;`). Each copy is
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
use crate::store::{Mode, Scope};
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

// One file per resource, each compiled with this one, once per backend.
#[allow(clippy::duplicate_mod)]
#[path = "accounts.rs"]
mod accounts;
#[allow(clippy::duplicate_mod)]
#[path = "audit.rs"]
mod audit;
#[allow(clippy::duplicate_mod)]
#[path = "emergency.rs"]
mod emergency;
#[allow(clippy::duplicate_mod)]
#[path = "feed.rs"]
mod feed;
#[allow(clippy::duplicate_mod)]
#[path = "items.rs"]
mod items;
#[allow(clippy::duplicate_mod)]
#[path = "machine_access.rs"]
mod machine_access;
#[allow(clippy::duplicate_mod)]
#[path = "migrate.rs"]
pub(crate) mod migrate;
#[allow(clippy::duplicate_mod)]
#[path = "projects.rs"]
mod projects;
#[allow(clippy::duplicate_mod)]
#[path = "secrets.rs"]
mod secrets;
#[allow(clippy::duplicate_mod)]
#[path = "services.rs"]
mod services;
#[allow(clippy::duplicate_mod)]
#[path = "sessions.rs"]
mod sessions;
#[allow(clippy::duplicate_mod)]
#[path = "vaults.rs"]
mod vaults;

pub(crate) use audit::verify_audit;

type Tx = Transaction<'static, Db>;
type Query<'q> = sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>>;

/// One backend's store: a pool and the settings.
pub(crate) struct Ops {
    pub(crate) pool: sqlx::Pool<Db>,
    cfg: StoreConfig,
    statements: AtomicU64,
}

/// A stored role name (`Role`'s own text form, vault-core).
fn parse_role(s: &str) -> Result<Role> {
    s.parse()
        .map_err(|_| StoreError::Corrupt("membership role"))
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

/// The one refusal for anything about a vault the caller is not an active
/// member of (whether or not the vault exists).
const NOT_A_MEMBER: &str = "not a member of the vault";

/// The accounts columns, in `account_from_row` order.
const ACCOUNT_COLUMNS: &str = "account_id, identifier, record, auth_protocol, auth_record, pake_identifier, \
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

    /// The clock rows are stamped with.
    pub(crate) fn clock(&self) -> &crate::clock::SharedClock {
        &self.cfg.clock
    }

    /// Data statements run so far (transaction control not counted).
    pub(crate) fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Every data statement goes through here, so tests can count them.
    pub(super) fn q<'q>(&self, sql: &'q str) -> Query<'q> {
        self.statements.fetch_add(1, Ordering::Relaxed);
        sqlx::query(sql)
    }

    pub(super) async fn tx(&self, scope: &Scope<'_>, mode: Mode) -> Result<Tx> {
        begin(&self.pool, scope, mode).await
    }

    /// Advances the feed clock; the row lock orders feed writers until commit.
    pub(super) async fn tick(&self, tx: &mut Tx) -> Result<i64> {
        let row = self
            .q("UPDATE feed_clock SET seq = seq + 1 WHERE id = 1 RETURNING seq")
            .fetch_one(&mut **tx)
            .await?;
        Ok(row.try_get::<i64, _>(0)?)
    }
}
