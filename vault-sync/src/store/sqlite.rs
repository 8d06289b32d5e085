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
//! filters by the acting account itself (see `ops.rs`).

use super::error::Result;
use super::types::StoreConfig;
use super::{Mode, Scope};
use sqlx::Transaction;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::time::Duration;

pub(crate) type Db = sqlx::Sqlite;

// The same file is compiled once per backend on purpose (see ops.rs).
#[allow(clippy::duplicate_mod)]
#[path = "ops.rs"]
pub(crate) mod ops;

/// The SQLite migrations, embedded at build time.
pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

pub(crate) async fn begin(
    pool: &sqlx::SqlitePool,
    _scope: &Scope<'_>,
    mode: Mode,
) -> Result<Transaction<'static, Db>> {
    Ok(match mode {
        Mode::Write => pool.begin_with("BEGIN IMMEDIATE").await?,
        Mode::Read | Mode::Snapshot | Mode::Feed => pool.begin().await?,
    })
}

/// SQLite has no scope to set.
pub(crate) async fn set_scope(
    _tx: &mut Transaction<'static, Db>,
    _scope: &Scope<'_>,
) -> Result<()> {
    Ok(())
}

pub(crate) async fn open(path: &Path, cfg: StoreConfig) -> Result<ops::Ops> {
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
    MIGRATOR.run(&pool).await?;
    Ok(ops::Ops::new(pool, cfg))
}
