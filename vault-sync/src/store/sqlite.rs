//! The SQLite backend: the embedded default (one file, one node).
//!
//! The file runs in WAL mode with `synchronous = FULL`, so a commit is on
//! disk before the store returns (a power cut loses no acknowledged write),
//! and readers never block the writer. Write transactions start with
//! `BEGIN IMMEDIATE`: they take the write lock up front, so writers queue on
//! the busy timeout instead of failing when a read turns into a write. That
//! single writer also orders the feed clock. Foreign keys are on.
//!
//! SQLite has no roles or row-level security; every query of the store
//! filters by the acting account itself (see `sql/mod.rs`).

use super::error::{Result, StoreError};
use super::types::StoreConfig;
use super::{Mode, Scope};
use sqlx::Transaction;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::time::Duration;

pub(crate) type Db = sqlx::Sqlite;

// The same file is compiled once per backend on purpose (see sql/mod.rs).
#[allow(clippy::duplicate_mod)]
#[path = "sql/mod.rs"]
pub(crate) mod sql;

/// sqlx's bookkeeping table (see `migrations.rs`), SQLite flavour.
pub(crate) const MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
)";

/// After a data step run as the owner (nothing to restore on SQLite).
pub(crate) const AFTER_OWNER_DATA_STEP: &str = "";
/// After the account-kinds data step (nothing to restore on SQLite).
pub(crate) const AFTER_KINDS_STEP: &str = "";

/// One process owns the file, and a write transaction excludes the others
/// (`BEGIN` of sqlx's pool is deferred, so take the write lock up front).
pub(crate) async fn lock_migrations(tx: &mut Transaction<'static, Db>) -> Result<()> {
    // A no-op write that takes SQLite's write lock for this transaction.
    sqlx::query("UPDATE _sqlx_migrations SET version = version WHERE 0")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub(crate) async fn begin(
    pool: &sqlx::SqlitePool,
    _scope: &Scope<'_>,
    mode: Mode,
) -> Result<Transaction<'static, Db>> {
    Ok(match mode {
        Mode::Write => pool.begin_with("BEGIN IMMEDIATE").await?,
        Mode::Read | Mode::Snapshot | Mode::HotRead => pool.begin().await?,
    })
}

/// SQLite has no scope to set.
pub(crate) async fn set_scope(
    _tx: &mut Transaction<'static, Db>,
    _scope: &Scope<'_>,
) -> Result<()> {
    Ok(())
}

pub(crate) async fn open(path: &Path, cfg: StoreConfig) -> Result<sql::Ops> {
    // Wrapped keys, login records and session hashes: private to the user
    // (the directory 0700, the database and its -wal/-shm 0600).
    let private = |e: std::io::Error| {
        StoreError::Misconfigured(format!("cannot make the database private: {e}"))
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::private_files::private_dir(dir).map_err(private)?;
    }
    crate::private_files::private_file(path).map_err(private)?;
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(cfg.max_connections.max(1))
        .connect_with(opts)
        .await?;
    sql::migrate::run(&pool, super::migrations::SQLITE).await?;
    Ok(sql::Ops::new(pool, cfg))
}
