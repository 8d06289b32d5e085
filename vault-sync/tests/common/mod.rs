//! Shared by the client-driven API tests: the real router over a SQLite
//! store, served on 127.0.0.1 (`vault_testkit::TestServer`), and client
//! devices in temporary directories.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::time::Duration;
use vault_core::{KdfParams, KdfPolicy};
use vault_sync::client::{ClientOptions, Device};
use vault_sync::server::ratelimit::LimitConfig;
use vault_sync::server::{Protocol, ServerConfig};
use vault_testkit::{Db, TestServer};

pub fn config(protocol: Protocol) -> ServerConfig {
    ServerConfig {
        fake_kdf: KdfParams::INSECURE_TEST_ONLY,
        protocol,
        limits: LimitConfig {
            starts_per_minute: 1000,
            ..LimitConfig::default()
        },
        // The client suites present spent refresh tokens on purpose and want
        // reuse detection at once; the grace window has its own tests
        // (http.rs, store.rs) with a manual clock.
        refresh_grace: Duration::ZERO,
        ..ServerConfig::default()
    }
}

/// A server with [`config`] on `root/server/server.db`.
pub async fn start_server(root: &Path, protocol: Protocol) -> TestServer {
    let db = root.join("server").join("server.db");
    TestServer::start(Db::Sqlite(db), config(protocol)).await
}

pub fn options() -> ClientOptions {
    ClientOptions {
        kdf_policy: KdfPolicy::PERMISSIVE_TEST_ONLY,
        ..ClientOptions::default()
    }
}

pub async fn device(root: &Path, name: &str) -> Device {
    Device::open(root.join(name), options()).await.unwrap()
}
