//! What `vault-server` checks and sets up before it serves: the app role
//! refused before anything is migrated, private files on SQLite.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Server, base_args};
use std::process::{Command, Stdio};
use std::time::Duration;
use vault_testkit::{PgEnv, TempDir};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_vault-server")
}

/// Item 10 of the outside review: a BYPASSRLS app role is refused before
/// the server migrates anything or grants that role access.
#[tokio::test]
async fn a_forbidden_app_role_is_refused_before_migrating() {
    use sqlx::Executor;
    let pg = PgEnv::setup("startup").await;
    let sup = pg.super_pool().await;
    sup.execute(format!("ALTER ROLE {} BYPASSRLS", pg.app).as_str())
        .await
        .unwrap();
    let dir = TempDir::new("startup-role");
    let mut args = base_args(dir.path());
    args.extend(pg.server_args(true));
    let out = tokio::task::spawn_blocking(move || {
        Command::new(bin())
            .args(&args)
            .env("VAULT_LOG", "warn")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        !out.status.success(),
        "the server started with a BYPASSRLS app role"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("BYPASSRLS"), "{err}");
    // Nothing was migrated, nothing granted.
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()",
    )
    .fetch_one(&sup)
    .await
    .unwrap();
    assert_eq!(tables, 0, "the server touched the schema before refusing");
    sup.close().await;
}

/// Item 5: the SQLite data directory is 0700 and the database, its WAL and
/// shared-memory files and the secrets file are 0600 (they hold wrapped
/// keys, login records and session hashes).
#[cfg(unix)]
#[test]
fn sqlite_data_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("startup-modes");
    let data = dir.path().join("data");
    let server = Server::start(bin(), &base_args(&data), &dir.path().join("server.log"));
    // A write, so the WAL and shared-memory files exist.
    let api = server.api();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let _ = common::new_user(&api, "modes").await;
    });
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "data directory");
    let mut files = 0;
    for e in std::fs::read_dir(&data).unwrap() {
        let p = e.unwrap().path();
        assert_eq!(mode(&p), 0o600, "{}", p.display());
        files += 1;
    }
    assert!(files >= 3, "database, WAL, secrets file at least");
    for name in [
        "vault.db",
        "vault.db-wal",
        "vault.db-shm",
        "server-secrets.json",
    ] {
        assert!(data.join(name).exists(), "{name}");
    }
    drop(server);
    std::thread::sleep(Duration::from_millis(50));
}

/// Item 5, upgrade path: files an older release left world-readable are
/// tightened at startup.
#[cfg(unix)]
#[test]
fn readable_files_from_an_older_release_are_tightened() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("startup-tighten");
    let data = dir.path().join("data");
    {
        let _first = Server::start(bin(), &base_args(&data), &dir.path().join("a.log"));
    }
    for p in [data.clone(), data.join("vault.db")] {
        let m = if p.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(m)).unwrap();
    }
    let _second = Server::start(bin(), &base_args(&data), &dir.path().join("b.log"));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("vault.db")), 0o600);
}
