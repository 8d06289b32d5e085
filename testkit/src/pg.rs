//! [`PgEnv`]: a fresh Postgres database and roles per run.

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Connection, Executor};
use vault_core::rng;

/// A fresh Postgres database owned by its own owner role, with an app role
/// that is neither superuser, BYPASSRLS nor owner; both dropped with the
/// database when this is dropped.
#[derive(Debug)]
pub struct PgEnv {
    /// Host (`VAULT_TEST_PG_HOST`, default 127.0.0.1).
    pub host: String,
    /// Port (`VAULT_TEST_PG_PORT`, default 5432).
    pub port: String,
    /// A superuser for setup, teardown and raw inspection (`VAULT_TEST_PG_USER`).
    pub superuser: String,
    /// The database of this run.
    pub db: String,
    /// The owner role (migrations).
    pub owner: String,
    /// The app role (what a server connects as).
    pub app: String,
}

impl PgEnv {
    /// `postgres://user@host:port/db`.
    pub fn url(&self, user: &str, db: &str) -> String {
        format!("postgres://{user}@{}:{}/{db}", self.host, self.port)
    }
    /// The app role's URL.
    pub fn app_url(&self) -> String {
        self.url(&self.app, &self.db)
    }
    /// The owner role's URL.
    pub fn owner_url(&self) -> String {
        self.url(&self.owner, &self.db)
    }
    /// The superuser's URL on this run's database.
    pub fn super_url(&self) -> String {
        self.url(&self.superuser, &self.db)
    }
    fn admin_url(&self) -> String {
        self.url(&self.superuser, "postgres")
    }

    /// `--database-url` (app role) and, with `migrate`, `--migrate-url`
    /// (owner role: migrates and grants the app role at startup).
    pub fn server_args(&self, migrate: bool) -> Vec<String> {
        let mut a = vec!["--database-url".into(), self.app_url()];
        if migrate {
            a.push("--migrate-url".into());
            a.push(self.owner_url());
        }
        a
    }

    /// Raw access for inspection and tampering: a one-connection pool of
    /// the superuser on this run's database (it sees and may change every
    /// row, past row-level security).
    pub async fn super_pool(&self) -> PgPool {
        PgPoolOptions::new()
            .max_connections(1)
            .connect(&self.super_url())
            .await
            .unwrap_or_else(|e| panic!("superuser connection to {}: {e}", self.db))
    }

    /// Creates the database and roles (not migrated). Names carry `label`
    /// and a random suffix. Panics if Postgres is not reachable.
    pub async fn setup(label: &str) -> PgEnv {
        PgEnv::try_setup(label)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`setup`](Self::setup), then migrated by the owner role and the app
    /// role granted.
    pub async fn migrated(label: &str) -> PgEnv {
        PgEnv::try_migrated(label)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`setup`](Self::setup) that returns what went wrong instead of
    /// panicking (for a harness that still runs its other tests when
    /// Postgres is down).
    pub async fn try_setup(label: &str) -> Result<PgEnv, String> {
        let suffix = vault_core::AccountId::generate(&mut rng::os_rng())
            .to_string()
            .replace('-', "");
        let suffix = suffix.get(..12).unwrap_or(&suffix).to_owned();
        let label: String = label
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(12)
            .collect::<String>()
            .to_ascii_lowercase();
        let env = PgEnv {
            host: std::env::var("VAULT_TEST_PG_HOST").unwrap_or_else(|_| "127.0.0.1".into()),
            port: std::env::var("VAULT_TEST_PG_PORT").unwrap_or_else(|_| "5432".into()),
            superuser: std::env::var("VAULT_TEST_PG_USER").unwrap_or_else(|_| "postgres".into()),
            db: format!("vault_{label}_{suffix}"),
            owner: format!("vault_owner_{suffix}"),
            app: format!("vault_app_{suffix}"),
        };
        let mut admin = sqlx::postgres::PgConnection::connect(&env.admin_url())
            .await
            .map_err(|e| {
                format!(
                    "Postgres not reachable at {} ({e}); start it with `bash scripts/services.sh` \
                     or `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`",
                    env.admin_url()
                )
            })?;
        for sql in [
            format!("CREATE ROLE {} LOGIN", env.owner),
            format!("CREATE ROLE {} LOGIN", env.app),
            format!("CREATE DATABASE {} OWNER {}", env.db, env.owner),
        ] {
            admin
                .execute(sql.as_str())
                .await
                .map_err(|e| format!("{sql}: {e}"))?;
        }
        admin.close().await.ok();
        Ok(env)
    }

    /// [`migrated`](Self::migrated) that returns what went wrong instead
    /// of panicking.
    pub async fn try_migrated(label: &str) -> Result<PgEnv, String> {
        let env = PgEnv::try_setup(label).await?;
        let owner = vault_sync::store::PgAdmin::connect(&env.owner_url())
            .await
            .map_err(|e| format!("owner connection: {e}"))?;
        owner.migrate().await.map_err(|e| format!("migrate: {e}"))?;
        owner
            .grant_app_role(&env.app)
            .await
            .map_err(|e| format!("grant: {e}"))?;
        owner.close().await;
        Ok(env)
    }

    async fn teardown(admin_url: String, db: String, app: String, owner: String) {
        let Ok(mut admin) = sqlx::postgres::PgConnection::connect(&admin_url).await else {
            return;
        };
        for sql in [
            format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
            format!("DROP ROLE IF EXISTS {app}"),
            format!("DROP ROLE IF EXISTS {owner}"),
        ] {
            if let Err(e) = admin.execute(sql.as_str()).await {
                eprintln!("teardown: {sql}: {e}");
            }
        }
        admin.close().await.ok();
    }
}

impl Drop for PgEnv {
    fn drop(&mut self) {
        if std::env::var_os("VAULT_TEST_KEEP").is_some() {
            eprintln!("kept database {}", self.db);
            return;
        }
        let args = (
            self.admin_url(),
            self.db.clone(),
            self.app.clone(),
            self.owner.clone(),
        );
        // Drop may run inside a runtime (or while unwinding): a thread with
        // its own runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(PgEnv::teardown(args.0, args.1, args.2, args.3));
        })
        .join();
    }
}
