//! [`TestServer`]: vault-sync's router in this process, on 127.0.0.1.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use vault_core::rng;
use vault_sync::server::{AppState, ServerConfig, ServerSecrets, router};
use vault_sync::store::{Store, StoreConfig};

/// Where a [`TestServer`] keeps its state.
#[derive(Clone, Debug)]
pub enum Db {
    /// A SQLite file (created, with its directory, if missing).
    Sqlite(PathBuf),
    /// A Postgres URL: the app role on a migrated database
    /// ([`PgEnv::migrated`](crate::PgEnv::migrated) and
    /// [`app_url`](crate::PgEnv::app_url)).
    Postgres(String),
}

/// vault-sync's real router over a real store, served over TCP on a free
/// loopback port by a task of the current tokio runtime (so clients,
/// `reqwest` and the built binaries reach it as they would a deployment).
/// New secrets per server; [`restart`](Self::restart) keeps them.
///
/// Needs a runtime whose tasks run while the test does: an async test, or
/// a multi-thread runtime kept alive by a synchronous one. Dropping it (or
/// its runtime) without [`stop`](Self::stop) just abandons the task.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    /// The bound address (a restart binds it again).
    pub addr: SocketAddr,
    /// Its database.
    pub db: Db,
    /// Its secrets (token, pre-login and OPAQUE keys; the state key).
    pub secrets: ServerSecrets,
    /// Its configuration.
    pub config: ServerConfig,
    /// The running state: the store, the config, the limiter…
    pub state: Arc<AppState>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Opens the store and serves on `127.0.0.1:0`.
    pub async fn start(db: Db, config: ServerConfig) -> TestServer {
        let secrets = ServerSecrets::generate(&mut rng::os_rng());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (state, stop, task) = serve(listener, &db, &config, &secrets).await;
        TestServer {
            url: format!("http://{addr}"),
            addr,
            db,
            secrets,
            config,
            state,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// A graceful shutdown (event streams end; waits up to 20 s).
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

    /// Starts again (after [`stop`](Self::stop)) on the same port,
    /// database, secrets and configuration.
    pub async fn restart(&mut self) {
        let listener = tokio::net::TcpListener::bind(self.addr).await.unwrap();
        let (state, stop, task) = serve(listener, &self.db, &self.config, &self.secrets).await;
        self.state = state;
        self.stop = Some(stop);
        self.task = Some(task);
    }

    /// The SQLite database file (panics on Postgres).
    pub fn sqlite_file(&self) -> &Path {
        match &self.db {
            Db::Sqlite(p) => p,
            Db::Postgres(_) => panic!("a SQLite-only helper on a Postgres server"),
        }
    }

    /// The SQLite database's files: main file, WAL, shared memory.
    pub fn files(&self) -> Vec<PathBuf> {
        let db = self.sqlite_file();
        ["", "-wal", "-shm"]
            .iter()
            .map(|s| PathBuf::from(format!("{}{s}", db.display())))
            .collect()
    }
}

async fn serve(
    listener: tokio::net::TcpListener,
    db: &Db,
    config: &ServerConfig,
    secrets: &ServerSecrets,
) -> (Arc<AppState>, oneshot::Sender<()>, JoinHandle<()>) {
    let store_config = StoreConfig::new(secrets.state_key());
    let store = match db {
        Db::Sqlite(path) => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).unwrap();
            }
            Store::open_sqlite(path, store_config).await.unwrap()
        }
        Db::Postgres(url) => Store::connect_postgres(url, store_config).await.unwrap(),
    };
    let state = Arc::new(AppState::new(store, config.clone(), secrets.clone()));
    let app = router(state.clone());
    let (tx, rx) = oneshot::channel::<()>();
    let st = state.clone();
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = rx.await;
            st.begin_shutdown();
        })
        .await
        .unwrap();
    });
    (state, tx, task)
}
