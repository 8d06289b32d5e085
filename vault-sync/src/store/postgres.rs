//! The Postgres backend, with row-level security.
//!
//! # Roles
//!
//! - **Owner**: runs the migrations ([`PgAdmin::migrate`]) and owns every
//!   table; grants the app role its privileges ([`PgAdmin::grant_app_role`]);
//!   verifies the audit chain ([`PgAdmin::verify_audit`]). Not used to serve.
//! - **App**: what the server connects as ([`Store::connect_postgres`]). It
//!   must not be a superuser, have BYPASSRLS, own (or be able to become the
//!   owner of) any table, or hold TRUNCATE (which ignores RLS):
//!   [`check_rls_posture`] refuses to start otherwise.
//!
//! # Scope
//!
//! Every transaction of the app sets its scope with `set_config(name, value,
//! true)` (transaction-local, so it never leaks to the next user of a pooled
//! connection), and the policies of `migrations/postgres/0002_row_security.sql`
//! read it with `nullif(current_setting(name, true), '')`. The common case, an
//! account scope, is sent together with `BEGIN` in one round trip (the id is
//! the canonical UUID text of an [`AccountId`](vault_core::AccountId), so it
//! is safe to inline); every other value is bound as a parameter.
//!
//! [`Store::connect_postgres`]: super::Store::connect_postgres

use super::error::{Result, StoreError};
use super::types::{AuditSummary, StoreConfig};
use super::{Mode, Scope};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Row, Transaction};
use std::str::FromStr;

pub(crate) type Db = sqlx::Postgres;

// The same file is compiled once per backend on purpose (see sql/mod.rs).
#[allow(clippy::duplicate_mod)]
#[path = "sql/mod.rs"]
pub(crate) mod sql;

/// sqlx's bookkeeping table (see `migrations.rs`), Postgres flavour.
pub(crate) const MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),
    success BOOLEAN NOT NULL,
    checksum BYTEA NOT NULL,
    execution_time BIGINT NOT NULL
)";

/// After a data step run as the owner: row security forced again (the
/// migration relaxed it for the owner, in the same transaction).
pub(crate) const AFTER_OWNER_DATA_STEP: &str = "ALTER TABLE accounts FORCE ROW LEVEL SECURITY; \
     ALTER TABLE identities FORCE ROW LEVEL SECURITY;";

/// After the account-kinds data step (0006): row security forced again.
pub(crate) const AFTER_KINDS_STEP: &str = "ALTER TABLE accounts FORCE ROW LEVEL SECURITY; \
     ALTER TABLE account_kinds FORCE ROW LEVEL SECURITY;";

/// Transaction-level advisory lock for the migrations of this database, so
/// nodes starting together migrate one after another (released at commit).
pub(crate) async fn lock_migrations(tx: &mut Transaction<'static, Db>) -> Result<()> {
    sqlx::query(
        "SELECT pg_advisory_xact_lock(hashtext('vault-sync migrations ' || current_database()))",
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The tables the schema must have (what the startup check looks for).
pub const TABLES: &[&str] = &[
    "account_kinds",
    "accounts",
    "audit_head",
    "audit_log",
    "emergency_access",
    "feed_clock",
    "identities",
    "items",
    "login_states",
    "memberships",
    "sessions",
    "vaults",
];

pub(crate) async fn begin(
    pool: &PgPool,
    scope: &Scope<'_>,
    mode: Mode,
) -> Result<Transaction<'static, Db>> {
    let start = match mode {
        Mode::Read => "BEGIN READ ONLY",
        Mode::Write => "BEGIN",
        Mode::Snapshot => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        // The feed statement costs more to plan (three branches, row-level
        // policies) than to run for an unchanged feed; so does a service's
        // secret read (~1.7 ms to plan, ~0.3 ms to run: the row-level
        // policies' subplans). A generic plan is made once per connection
        // (prepared statements are cached) and reused; its shape is
        // index-driven nested loops from the scope's keys. Parallel workers
        // only add start-up time at these sizes.
        Mode::HotRead => {
            "BEGIN READ ONLY; SET LOCAL plan_cache_mode = force_generic_plan; \
             SET LOCAL max_parallel_workers_per_gather = 0"
        }
    };
    match scope {
        // One round trip: the id's Display is canonical UUID text.
        Scope::Account(a) => Ok(pool
            .begin_with(format!(
                "{start}; SELECT pg_catalog.set_config('vault.account', '{a}', true)"
            ))
            .await?),
        // The hot path of a service's reads: one round trip as well.
        Scope::Service { service, project } => Ok(pool
            .begin_with(format!(
                "{start}; SELECT pg_catalog.set_config('vault.service', '{service}', true), \
                 pg_catalog.set_config('vault.project', '{project}', true)"
            ))
            .await?),
        Scope::None => Ok(pool.begin_with(start).await?),
        other => {
            let mut tx = pool.begin_with(start).await?;
            set_scope(&mut tx, other).await?;
            Ok(tx)
        }
    }
}

/// Sets (adds to) the scope of the transaction, values bound as parameters.
pub(crate) async fn set_scope(tx: &mut Transaction<'static, Db>, scope: &Scope<'_>) -> Result<()> {
    let settings = scope.settings();
    if settings.is_empty() {
        return Ok(());
    }
    let calls: Vec<String> = (0..settings.len())
        .map(|i| {
            format!(
                "pg_catalog.set_config(${}, ${}, true)",
                2 * i + 1,
                2 * i + 2
            )
        })
        .collect();
    let sql = format!("SELECT {}", calls.join(", "));
    let mut q = sqlx::query(&sql);
    for (name, value) in settings {
        q = q.bind(name).bind(value);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

fn options(url: &str) -> Result<PgConnectOptions> {
    // The URL may hold a password: never put it (or the parse error, which
    // may quote it) into the error.
    Ok(PgConnectOptions::from_str(url)
        .map_err(|_| StoreError::Misconfigured("invalid Postgres connection URL".into()))?
        .application_name("vault-sync"))
}

pub(crate) async fn connect(url: &str, cfg: StoreConfig) -> Result<sql::Ops> {
    let pool = PgPoolOptions::new()
        .max_connections(cfg.max_connections.max(1))
        .connect_with(options(url)?)
        .await?;
    if let Err(e) = check_rls_posture(&pool).await {
        pool.close().await;
        return Err(e);
    }
    Ok(sql::Ops::new(pool, cfg))
}

/// Refuses (with [`StoreError::Misconfigured`]) if the role `pool` connects
/// as could get around row-level security, or if the schema is not in place:
///
/// - the role is a superuser or has BYPASSRLS, or is a member of (can `SET
///   ROLE` to) a role that is;
/// - the role owns, or is a member of the owner of, any table of the schema
///   (owners may disable RLS);
/// - the role holds TRUNCATE on any table (TRUNCATE ignores RLS);
/// - a table of the schema lacks RLS ENABLE or FORCE;
/// - a table of [`TABLES`] is missing (migrations not run).
///
/// The server calls it at startup; [`Store::connect_postgres`](super::Store::connect_postgres) does.
pub async fn check_rls_posture(pool: &PgPool) -> Result<()> {
    let row = posture_query(pool).await?;
    let mut problems = role_problems(&row)?;
    let unprotected: String = row.try_get("unprotected")?;
    if !unprotected.is_empty() {
        problems.push(format!("tables without RLS ENABLE + FORCE ({unprotected})"));
    }
    let present: i64 = row.try_get("present")?;
    if usize::try_from(present).ok() != Some(TABLES.len()) {
        problems
            .push("the schema is missing tables: run the migrations as the owner role".to_owned());
    }
    posture_verdict(problems)
}

/// The role-level half of [`check_rls_posture`] (superuser, BYPASSRLS, a
/// way to become one, owning or truncating tables), for an app role URL,
/// before anything is migrated or granted: a forbidden app role is refused
/// before the server touches the schema.
pub async fn check_app_role(url: &str) -> Result<()> {
    let opts = PgConnectOptions::from_str(url).map_err(|_| {
        StoreError::Misconfigured("the app role's database URL is not valid".into())
    })?;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect_with(opts)
        .await?;
    let row = posture_query(&pool).await;
    pool.close().await;
    posture_verdict(role_problems(&row?)?)
}

async fn posture_query(pool: &PgPool) -> Result<sqlx::postgres::PgRow> {
    Ok(sqlx::query(
        "SELECT r.rolsuper, r.rolbypassrls,
                EXISTS (SELECT 1 FROM pg_catalog.pg_roles s
                        WHERE (s.rolsuper OR s.rolbypassrls) AND s.oid <> r.oid
                          AND pg_catalog.pg_has_role(r.oid, s.oid, 'MEMBER')) AS can_become,
                COALESCE((SELECT string_agg(c.relname::text, ', ' ORDER BY c.relname)
                          FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                          WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
                            AND pg_catalog.pg_has_role(r.oid, c.relowner, 'MEMBER')), '') AS owned,
                COALESCE((SELECT string_agg(c.relname::text, ', ' ORDER BY c.relname)
                          FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                          WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
                            AND pg_catalog.has_table_privilege(r.oid, c.oid, 'TRUNCATE')), '') AS truncatable,
                COALESCE((SELECT string_agg(c.relname::text, ', ' ORDER BY c.relname)
                          FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                          WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
                            AND NOT (c.relrowsecurity AND c.relforcerowsecurity)), '') AS unprotected,
                (SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
                   AND c.relname = ANY($1)) AS present
         FROM pg_catalog.pg_roles r WHERE r.rolname = current_user",
    )
    .bind(TABLES)
    .fetch_one(pool)
    .await?)
}

fn role_problems(row: &sqlx::postgres::PgRow) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    if row.try_get::<bool, _>("rolsuper")? {
        problems.push("the role is a superuser".to_owned());
    }
    if row.try_get::<bool, _>("rolbypassrls")? {
        problems.push("the role has BYPASSRLS".to_owned());
    }
    if row.try_get::<bool, _>("can_become")? {
        problems.push("the role can SET ROLE to a superuser or BYPASSRLS role".to_owned());
    }
    let owned: String = row.try_get("owned")?;
    if !owned.is_empty() {
        problems.push(format!("the role owns tables ({owned})"));
    }
    let truncatable: String = row.try_get("truncatable")?;
    if !truncatable.is_empty() {
        problems.push(format!("the role may TRUNCATE ({truncatable})"));
    }
    Ok(problems)
}

fn posture_verdict(problems: Vec<String>) -> Result<()> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Misconfigured(format!(
            "the database role could bypass row-level security: {}",
            problems.join("; ")
        )))
    }
}

/// Owner-role operations: migrations, the app role's grants, audit
/// verification. Connect with the owner's URL; never serve requests with it.
#[derive(Debug, Clone)]
pub struct PgAdmin {
    pool: PgPool,
}

impl PgAdmin {
    /// Connects as the owner role.
    pub async fn connect(owner_url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .connect_with(options(owner_url)?)
            .await?;
        Ok(PgAdmin { pool })
    }

    /// Runs the embedded migrations (idempotent).
    pub async fn migrate(&self) -> Result<()> {
        sql::migrate::run(&self.pool, super::migrations::POSTGRES).await?;
        Ok(())
    }

    /// Grants `app_role` exactly what the store uses (no TRUNCATE, no DELETE
    /// on accounts, vaults, memberships or items, only SELECT + INSERT on the
    /// audit log). Idempotent. The role must exist.
    pub async fn grant_app_role(&self, app_role: &str) -> Result<()> {
        if app_role.is_empty() || app_role.len() > 63 {
            return Err(StoreError::Invalid("role name must be 1 to 63 bytes"));
        }
        let row = sqlx::query("SELECT quote_ident(current_schema()), quote_ident($1)")
            .bind(app_role)
            .fetch_one(&self.pool)
            .await?;
        let schema: String = row.try_get(0)?;
        let role: String = row.try_get(1)?;
        let mut tx = self.pool.begin().await?;
        for stmt in [
            format!("GRANT USAGE ON SCHEMA {schema} TO {role}"),
            format!(
                "GRANT SELECT, INSERT, UPDATE ON accounts, identities, vaults, memberships, items TO {role}"
            ),
            format!("GRANT SELECT, INSERT, UPDATE, DELETE ON sessions TO {role}"),
            format!("GRANT SELECT, INSERT, DELETE ON login_states TO {role}"),
            format!("GRANT SELECT, INSERT, UPDATE, DELETE ON emergency_access TO {role}"),
            format!("GRANT SELECT, INSERT, UPDATE, DELETE ON recovery_wraps TO {role}"),
            format!("GRANT SELECT, UPDATE ON feed_clock, audit_head TO {role}"),
            format!("GRANT SELECT, INSERT ON audit_log TO {role}"),
            format!("GRANT SELECT, INSERT, UPDATE ON account_kinds TO {role}"),
            format!(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON projects, secrets, secret_versions, \
                 services, service_grants, access_requests, stubs, service_usage, secret_usage \
                 TO {role}"
            ),
        ] {
            sqlx::query(&stmt).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Verifies the audit chain (the owner reads every row; the app role
    /// sees only its scope's).
    pub async fn verify_audit(&self) -> Result<AuditSummary> {
        sql::verify_audit(&self.pool).await
    }

    /// Closes the connections.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
