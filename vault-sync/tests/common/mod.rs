//! Shared by the client-driven API tests: the real router over a SQLite
//! store, served on 127.0.0.1, and client devices in temporary directories.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use vault_core::{KdfParams, KdfPolicy, rng};
use vault_sync::client::{ClientOptions, Device};
use vault_sync::server::ratelimit::LimitConfig;
use vault_sync::server::{AppState, Protocol, ServerConfig, ServerSecrets, router};
use vault_sync::store::{Store, StoreConfig};

pub struct TestServer {
    pub url: String,
    pub addr: SocketAddr,
    pub db: PathBuf,
    pub secrets: ServerSecrets,
    pub protocol: Protocol,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

pub fn config(protocol: Protocol) -> ServerConfig {
    ServerConfig {
        fake_kdf: KdfParams::INSECURE_TEST_ONLY,
        protocol,
        limits: LimitConfig {
            starts_per_minute: 1000,
            ..LimitConfig::default()
        },
        ..ServerConfig::default()
    }
}

async fn serve(
    listener: tokio::net::TcpListener,
    db: &Path,
    secrets: &ServerSecrets,
    protocol: Protocol,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let store = Store::open_sqlite(db, StoreConfig::new(secrets.state_key()))
        .await
        .unwrap();
    let state = Arc::new(AppState::new(store, config(protocol), secrets.clone()));
    let app = router(state.clone());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = rx.await;
            state.begin_shutdown();
        })
        .await
        .unwrap();
    });
    (tx, task)
}

impl TestServer {
    pub async fn start(root: &Path, protocol: Protocol) -> TestServer {
        let dir = root.join("server");
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("server.db");
        let secrets = ServerSecrets::generate(&mut rng::os_rng());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, task) = serve(listener, &db, &secrets, protocol).await;
        TestServer {
            url: format!("http://{addr}"),
            addr,
            db,
            secrets,
            protocol,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub async fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(20), t)
                .await
                .expect("server shut down")
                .unwrap();
        }
    }

    /// Starts again on the same port, database and secrets.
    pub async fn restart(&mut self) {
        let listener = tokio::net::TcpListener::bind(self.addr).await.unwrap();
        let (stop, task) = serve(listener, &self.db, &self.secrets, self.protocol).await;
        self.stop = Some(stop);
        self.task = Some(task);
    }
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

impl TestServer {
    /// The database files (SQLite main file, WAL, shared memory).
    pub fn files(&self) -> Vec<PathBuf> {
        ["", "-wal", "-shm"]
            .iter()
            .map(|s| PathBuf::from(format!("{}{s}", self.db.display())))
            .collect()
    }
}
