//! What the workspace's test suites share: one Postgres/Redis harness
//! instead of a copy per suite.
//!
//! - [`PgEnv`]: a fresh database with its own owner and app roles for one
//!   run (so runs never see each other's rows), optionally migrated and
//!   granted, dropped with both roles when it goes out of scope
//!   (`VAULT_TEST_KEEP=1` keeps it for a post-mortem); a superuser pool on
//!   it for raw inspection.
//! - [`redis_url`]: the Redis the suites use (`VAULT_TEST_REDIS_URL`).
//! - [`TempDir`]: a directory removed on drop.
//! - [`TestServer`]: vault-sync's router over a SQLite or Postgres store,
//!   served on loopback in this process (the suites that need the built
//!   `vault-server` binary start it themselves).
//!
//! The services must be running (`scripts/services.sh` starts them); the
//! error says how to start one that is down.
//!
//! ```no_run
//! # async fn f() {
//! let pg = vault_testkit::PgEnv::migrated("doc").await;
//! let store = vault_sync::store::Store::connect_postgres(
//!     &pg.app_url(),
//!     vault_sync::store::StoreConfig::new(vault_core::SymmetricKey::generate(&mut vault_core::rng::os_rng())),
//! ).await.unwrap();
//! # drop(store);
//! # }
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod pg;
mod server;

pub use pg::PgEnv;
pub use server::{Db, TestServer};

use std::path::{Path, PathBuf};
use vault_core::rng;

/// A temporary directory, removed (with its contents) on drop unless
/// `VAULT_TEST_KEEP` is set.
#[derive(Debug)]
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new empty directory under the system temp dir, named after `label`.
    pub fn new(label: &str) -> TempDir {
        let id = vault_core::AccountId::generate(&mut rng::os_rng());
        let dir = std::env::temp_dir().join(format!("vault-{label}-{id}"));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// The path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

/// A `TempDir` is used where a path is: `dir.join("x")`, `&dir` as `&Path`.
impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("VAULT_TEST_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        } else {
            eprintln!("kept {}", self.0.display());
        }
    }
}

/// The Redis URL the suites use: `VAULT_TEST_REDIS_URL`, else the local one.
pub fn redis_url() -> String {
    std::env::var("VAULT_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into())
}
