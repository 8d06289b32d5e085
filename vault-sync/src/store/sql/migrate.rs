//! Applies the embedded migrations ([`crate::store::migrations`]), once
//! per backend like the rest of this directory. Each migration runs in one
//! transaction with its bookkeeping row; on Postgres that transaction first
//! takes an advisory lock and checks again that the migration is still
//! pending, so nodes starting together apply each one exactly once.

use super::*;
use crate::store::migrations::{DataStep, Migration};

/// Brings the schema up to date: checks that every applied migration is
/// one of ours with an unchanged checksum, then applies the rest in order.
pub(crate) async fn run(pool: &sqlx::Pool<Db>, list: &[Migration]) -> Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::Executor::execute(&mut *tx, super::super::MIGRATIONS_TABLE).await?;
    tx.commit().await?;
    let applied: Vec<(i64, bool, Vec<u8>)> =
        sqlx::query_as("SELECT version, success, checksum FROM _sqlx_migrations ORDER BY version")
            .fetch_all(pool)
            .await?;
    let mut done = std::collections::BTreeSet::new();
    for (version, success, checksum) in applied {
        let ours = list.iter().find(|m| m.version == version).ok_or(
            StoreError::Corrupt("the database has a migration this build does not know (a newer release migrated it)"),
        )?;
        if !success {
            return Err(StoreError::Corrupt(
                "a migration failed half-way before: restore a backup",
            ));
        }
        if ours.checksum() != checksum {
            return Err(StoreError::Corrupt(
                "an applied migration differs from this build's",
            ));
        }
        done.insert(version);
    }
    // (A plain loop: a closure over `&Migration` held across the awaits
    // below would make this future not `Send` for every lifetime.)
    for m in list {
        if done.contains(&m.version) {
            continue;
        }
        let mut tx: Tx = pool.begin().await?;
        super::super::lock_migrations(&mut tx).await?;
        // Another node may have applied it while we waited for the lock.
        let already: Option<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE version = $1")
                .bind(m.version)
                .fetch_optional(&mut *tx)
                .await?;
        if already.is_some() {
            tx.commit().await?;
            continue;
        }
        // A batch of statements: executed as a simple query (no
        // parameters; `raw_sql`'s future is not `Send` for every lifetime).
        sqlx::Executor::execute(&mut *tx, m.sql).await?;
        match m.data_step {
            None => {}
            Some(DataStep::CountAccountKinds) => {
                count_account_kinds(&mut tx).await?;
                let after = super::super::AFTER_KINDS_STEP;
                if !after.is_empty() {
                    sqlx::Executor::execute(&mut *tx, after).await?;
                }
            }
            Some(DataStep::NormaliseIdentifiers) => {
                normalise_identifiers(&mut tx).await?;
                let after = super::super::AFTER_OWNER_DATA_STEP;
                if !after.is_empty() {
                    sqlx::Executor::execute(&mut *tx, after).await?;
                }
            }
        }
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES ($1, $2, TRUE, $3, -1)",
        )
        .bind(m.version)
        .bind(m.description)
        .bind(m.checksum())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Migration 0005: every identifier into its canonical form where that
/// collides with no other account; the login record's spelling kept in
/// `pake_identifier`. Accounts whose identifier cannot be normalised (it
/// was made of characters identifiers may no longer hold) or whose
/// canonical form another account already has (a look-alike registered
/// beside it) keep their old identifier: nobody can type it any more, so
/// they can no longer log in by name. They are counted in the log, by
/// account id only (identifiers are personal data).
async fn normalise_identifiers(tx: &mut Tx) -> Result<()> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT account_id, identifier FROM accounts ORDER BY created_at, account_id",
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut taken: std::collections::HashSet<String> =
        rows.iter().map(|(_, i)| i.clone()).collect();
    let (mut rewritten, mut stranded) = (0usize, Vec::new());
    for (account, old) in &rows {
        match vault_core::identifier::normalize_identifier(old) {
            Ok(canonical) if &canonical == old => {}
            Ok(canonical) if !taken.contains(&canonical) => {
                sqlx::query(
                    "UPDATE accounts SET identifier = $1, pake_identifier = $2 WHERE account_id = $3",
                )
                .bind(&canonical)
                .bind(old)
                .bind(account)
                .execute(&mut **tx)
                .await?;
                taken.insert(canonical);
                rewritten += 1;
            }
            _ => stranded.push(account.clone()),
        }
    }
    if rewritten > 0 || !stranded.is_empty() {
        tracing::warn!(
            rewritten,
            stranded = stranded.len(),
            stranded_accounts = %stranded.join(","),
            "identifiers normalised; stranded accounts keep an identifier nobody can type (a look-alike of another account, or refused characters)"
        );
    }
    Ok(())
}

/// Migration 0006: every account's kind, and the counts per kind.
async fn count_account_kinds(tx: &mut Tx) -> Result<()> {
    let rows: Vec<(String, String, String, String)> =
        sqlx::query_as("SELECT account_id, record, auth_protocol, auth_record FROM accounts")
            .fetch_all(&mut **tx)
            .await?;
    let mut counts: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
    for (account, record, protocol, auth) in &rows {
        let (record, auth) = crate::store::types::parse_account_parts(record, protocol, auth)?;
        let kind = crate::store::types::account_kind(&record, &auth);
        sqlx::query("UPDATE accounts SET kind = $1 WHERE account_id = $2")
            .bind(&kind)
            .bind(account)
            .execute(&mut **tx)
            .await?;
        *counts.entry(kind).or_insert(0) += 1;
    }
    for (kind, n) in counts {
        sqlx::query("INSERT INTO account_kinds (kind, accounts) VALUES ($1, $2)")
            .bind(kind)
            .bind(n)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
