//! `vault-server`: Vault's blind sync server.
//!
//! With no arguments it runs on the embedded default: a SQLite database and
//! a secrets file in `./vault-data`, listening on 127.0.0.1:8080, and prints
//! where it listens. For production: Postgres (`--database-url` as the app
//! role, migrations run by `--migrate-url` as the owner role), Redis for the
//! login throttle shared by every node, TLS with `--tls-cert`/`--tls-key` (or
//! a reverse proxy: see docs/deployment.md).
//!
//! Configuration comes from flags, environment variables (`VAULT_*`) and an
//! optional TOML-free JSON file (`--config`), in that order of precedence.

mod listener;

use clap::Parser;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tracing_subscriber::EnvFilter;
use vault_core::KdfParams;
use vault_sync::server::notify::Notifier;
use vault_sync::server::ratelimit::Limiter;
use vault_sync::server::{
    AppState, Protocol, ServerConfig, ServerSecrets, router, spawn_cache_listener,
    spawn_fake_mix_refresher,
};
use vault_sync::store::{PgAdmin, Store, StoreConfig};

/// Vault's blind sync server.
#[derive(Parser, Debug, Default, Deserialize)]
#[command(version, about, long_about = None)]
#[serde(deny_unknown_fields, default)]
struct Args {
    /// JSON file with any of these settings (keys as the long flag names
    /// with underscores); flags and environment variables override it.
    #[arg(long, env = "VAULT_CONFIG")]
    #[serde(skip)]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080; port 0 picks one].
    #[arg(long, env = "VAULT_LISTEN")]
    listen: Option<SocketAddr>,
    /// Data directory for the SQLite database and the secrets file [default: ./vault-data].
    #[arg(long, env = "VAULT_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Postgres URL of the app role (neither superuser, BYPASSRLS nor table owner). Without it: SQLite.
    #[arg(long, env = "VAULT_DATABASE_URL")]
    database_url: Option<String>,
    /// Postgres URL of the schema owner role: runs the migrations and grants the app role, then disconnects.
    #[arg(long, env = "VAULT_MIGRATE_URL")]
    migrate_url: Option<String>,
    /// Redis URL for the login throttle shared by every node [default: in memory].
    #[arg(long, env = "VAULT_REDIS_URL")]
    redis_url: Option<String>,
    /// Secrets file (created with fresh secrets if absent) [default: <data-dir>/server-secrets.json].
    #[arg(long, env = "VAULT_SECRETS_FILE")]
    secrets_file: Option<PathBuf>,
    /// TLS certificate chain (PEM). With --tls-key, serve TLS 1.3 directly.
    #[arg(long, env = "VAULT_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, env = "VAULT_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// Largest request body in bytes [default: 1048576].
    #[arg(long, env = "VAULT_MAX_BODY_BYTES")]
    max_body_bytes: Option<usize>,
    /// Protocol for new accounts: opaque or srp [default: opaque].
    #[arg(long, env = "VAULT_PROTOCOL", value_parser = parse_protocol)]
    protocol: Option<Protocol>,
    /// KDF preset of the fake pre-login answers (match what clients register with) [default: default].
    #[arg(long, env = "VAULT_FAKE_KDF")]
    fake_kdf: Option<String>,
    /// A reverse proxy of this deployment (CIDR or address; repeatable, or
    /// comma-separated in the variable): its X-Forwarded-For / Forwarded
    /// headers give the client's address (allowlists, throttles, audit).
    /// Headers from any other peer are ignored.
    #[arg(
        long = "trust-proxy",
        env = "VAULT_TRUST_PROXY",
        value_name = "CIDR",
        value_delimiter = ','
    )]
    #[serde(default)]
    trust_proxy: Vec<String>,
    /// Deprecated: trusts every peer's forwarding headers, as if all
    /// addresses were proxies. Use --trust-proxy with your proxy's CIDR.
    #[arg(long, env = "VAULT_TRUST_FORWARDED")]
    #[serde(default)]
    trust_forwarded: bool,
    /// Milliseconds a service's gRPC call waits for its audit events to
    /// commit; past it the call is refused (audit_unavailable) [default: 2000].
    #[arg(long, env = "VAULT_AUDIT_TIMEOUT_MS")]
    audit_timeout_ms: Option<u64>,
    /// Failed logins per identifier/address before backoff starts [default: 5].
    #[arg(long, env = "VAULT_LOGIN_FREE_FAILURES")]
    login_free_failures: Option<u32>,
    /// Login attempts per address per minute [default: 60].
    #[arg(long, env = "VAULT_LOGIN_STARTS_PER_MINUTE")]
    login_starts_per_minute: Option<u32>,
    /// Database connections [default: 8].
    #[arg(long, env = "VAULT_MAX_CONNECTIONS")]
    max_connections: Option<u32>,
    /// Seconds to let in-flight requests finish on shutdown [default: 30].
    #[arg(long, env = "VAULT_SHUTDOWN_GRACE_SECS")]
    shutdown_grace_secs: Option<u64>,
    /// Open client connections, overall [default: 4096].
    #[arg(long, env = "VAULT_MAX_CLIENT_CONNECTIONS")]
    max_client_connections: Option<usize>,
    /// Open client connections from one address [default: 256].
    #[arg(long, env = "VAULT_MAX_CLIENT_CONNECTIONS_PER_IP")]
    max_client_connections_per_ip: Option<usize>,
    /// Seconds a client has to send a request head (TLS handshake included) [default: 10].
    #[arg(long, env = "VAULT_HEADER_READ_TIMEOUT_SECS")]
    header_read_timeout_secs: Option<u64>,
    /// Seconds a client has to send a request body [default: 30].
    #[arg(long, env = "VAULT_BODY_READ_TIMEOUT_SECS")]
    body_read_timeout_secs: Option<u64>,
    /// Seconds an idle connection (no request, no bytes) stays open [default: 75].
    #[arg(long, env = "VAULT_IDLE_TIMEOUT_SECS")]
    idle_timeout_secs: Option<u64>,
    /// Event streams (`/v1/events`) one session may hold open [default: 4].
    #[arg(long, env = "VAULT_MAX_EVENT_STREAMS_PER_SESSION")]
    max_event_streams_per_session: Option<usize>,
    /// Event streams one account may hold open, over all its sessions [default: 32].
    #[arg(long, env = "VAULT_MAX_EVENT_STREAMS_PER_ACCOUNT")]
    max_event_streams_per_account: Option<usize>,
    /// Shortest waiting period an owner may give an emergency contact, in seconds [default: 86400].
    #[arg(long, env = "VAULT_EMERGENCY_MIN_WAIT_SECS")]
    emergency_min_wait_secs: Option<u64>,
    /// Verify the audit log's hash chain and exit (Postgres: needs --migrate-url, the owner role).
    #[arg(long)]
    #[serde(skip)]
    verify_audit: bool,
    /// Log as JSON lines.
    #[arg(long, env = "VAULT_LOG_JSON")]
    #[serde(default)]
    log_json: bool,
}

fn parse_protocol(s: &str) -> Result<Protocol, String> {
    match s {
        "opaque" => Ok(Protocol::Opaque),
        "srp" => Ok(Protocol::Srp),
        _ => Err("expected opaque or srp".into()),
    }
}

/// Why the server would not start (each says what to fix).
#[derive(Debug, thiserror::Error)]
enum StartError {
    #[error("config file {0}: {1}")]
    Config(PathBuf, String),
    #[error("{0}")]
    Invalid(String),
    #[error("secrets file {0}: {1}")]
    Secrets(PathBuf, String),
    #[error("database: {0}")]
    Store(#[from] vault_sync::store::StoreError),
    #[error("redis: {0}")]
    Redis(String),
    #[error("notifications: {0}")]
    Notify(String),
    #[error("listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
    #[error("TLS: {0}")]
    Tls(String),
}

fn merge(file: Args, cli: Args) -> Args {
    Args {
        config: cli.config,
        listen: cli.listen.or(file.listen),
        data_dir: cli.data_dir.or(file.data_dir),
        database_url: cli.database_url.or(file.database_url),
        migrate_url: cli.migrate_url.or(file.migrate_url),
        redis_url: cli.redis_url.or(file.redis_url),
        secrets_file: cli.secrets_file.or(file.secrets_file),
        tls_cert: cli.tls_cert.or(file.tls_cert),
        tls_key: cli.tls_key.or(file.tls_key),
        max_body_bytes: cli.max_body_bytes.or(file.max_body_bytes),
        protocol: cli.protocol.or(file.protocol),
        fake_kdf: cli.fake_kdf.or(file.fake_kdf),
        trust_proxy: if cli.trust_proxy.is_empty() {
            file.trust_proxy
        } else {
            cli.trust_proxy
        },
        trust_forwarded: cli.trust_forwarded || file.trust_forwarded,
        audit_timeout_ms: cli.audit_timeout_ms.or(file.audit_timeout_ms),
        login_free_failures: cli.login_free_failures.or(file.login_free_failures),
        login_starts_per_minute: cli.login_starts_per_minute.or(file.login_starts_per_minute),
        max_connections: cli.max_connections.or(file.max_connections),
        shutdown_grace_secs: cli.shutdown_grace_secs.or(file.shutdown_grace_secs),
        max_client_connections: cli.max_client_connections.or(file.max_client_connections),
        max_client_connections_per_ip: cli
            .max_client_connections_per_ip
            .or(file.max_client_connections_per_ip),
        header_read_timeout_secs: cli
            .header_read_timeout_secs
            .or(file.header_read_timeout_secs),
        body_read_timeout_secs: cli.body_read_timeout_secs.or(file.body_read_timeout_secs),
        idle_timeout_secs: cli.idle_timeout_secs.or(file.idle_timeout_secs),
        max_event_streams_per_session: cli
            .max_event_streams_per_session
            .or(file.max_event_streams_per_session),
        max_event_streams_per_account: cli
            .max_event_streams_per_account
            .or(file.max_event_streams_per_account),
        emergency_min_wait_secs: cli.emergency_min_wait_secs.or(file.emergency_min_wait_secs),
        verify_audit: cli.verify_audit,
        log_json: cli.log_json || file.log_json,
    }
}

/// Reads the secrets file, or creates it (mode 0600) with fresh secrets.
fn load_or_create_secrets(path: &Path) -> Result<ServerSecrets, StartError> {
    let err = |e: String| StartError::Secrets(path.to_owned(), e);
    match std::fs::read_to_string(path) {
        Ok(s) => ServerSecrets::from_json(&s).map_err(|e| err(e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let secrets = ServerSecrets::generate(&mut vault_core::rng::os_rng());
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                vault_sync::private_files::private_dir(dir).map_err(|e| err(e.to_string()))?;
            }
            vault_sync::private_files::write_new_private(
                path,
                secrets.to_json().expose_secret().as_bytes(),
            )
            .map_err(|e| err(e.to_string()))?;
            tracing::info!(path = %path.display(), "created a new secrets file: back it up; every node needs the same one");
            Ok(secrets)
        }
        Err(e) => Err(err(e.to_string())),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

async fn run(args: Args) -> Result<(), StartError> {
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("vault-data"));
    let secrets_path = args
        .secrets_file
        .clone()
        .unwrap_or_else(|| data_dir.join("server-secrets.json"));
    let secrets = load_or_create_secrets(&secrets_path)?;

    let mut config = ServerConfig::default();
    if let Some(b) = args.max_body_bytes {
        config.max_body_bytes = b;
    }
    if let Some(p) = args.protocol {
        config.protocol = p;
    }
    if let Some(k) = &args.fake_kdf {
        config.fake_kdf = KdfParams::preset(k)
            .map_err(|_| StartError::Invalid(format!("unknown KDF preset {k:?}")))?;
    }
    config.trusted_proxies = trusted_proxies(&args.trust_proxy, args.trust_forwarded)?;
    if let Some(ms) = args.audit_timeout_ms {
        if ms == 0 || ms > 60_000 {
            return Err(StartError::Invalid(
                "--audit-timeout-ms must be 1 to 60000".into(),
            ));
        }
        config.audit_timeout = Duration::from_millis(ms);
    }
    if let Some(n) = args.login_free_failures {
        config.limits.free_failures = n;
    }
    if let Some(n) = args.login_starts_per_minute {
        config.limits.starts_per_minute = n;
    }
    if let Some(s) = args.emergency_min_wait_secs {
        if s == 0 || s > 90 * 24 * 3600 {
            return Err(StartError::Invalid(
                "--emergency-min-wait-secs must be 1 to 7776000 (90 days)".into(),
            ));
        }
        config.emergency_min_wait = Duration::from_secs(s);
    }

    let mut limits = listener::Limits::default();
    let secs = |v: Option<u64>, name: &str, default: Duration| -> Result<Duration, StartError> {
        match v {
            None => Ok(default),
            Some(0) => Err(StartError::Invalid(format!("--{name} must be at least 1"))),
            Some(s) => Ok(Duration::from_secs(s)),
        }
    };
    limits.header_read_timeout = secs(
        args.header_read_timeout_secs,
        "header-read-timeout-secs",
        limits.header_read_timeout,
    )?;
    limits.body_read_timeout = secs(
        args.body_read_timeout_secs,
        "body-read-timeout-secs",
        limits.body_read_timeout,
    )?;
    limits.idle_timeout = secs(
        args.idle_timeout_secs,
        "idle-timeout-secs",
        limits.idle_timeout,
    )?;
    let count = |v: Option<usize>, name: &str, default: usize| -> Result<usize, StartError> {
        match v {
            None => Ok(default),
            Some(0) => Err(StartError::Invalid(format!("--{name} must be at least 1"))),
            Some(n) => Ok(n),
        }
    };
    limits.max_connections = count(
        args.max_client_connections,
        "max-client-connections",
        limits.max_connections,
    )?;
    limits.max_connections_per_ip = count(
        args.max_client_connections_per_ip,
        "max-client-connections-per-ip",
        limits.max_connections_per_ip,
    )?;
    config.body_read_timeout = limits.body_read_timeout;
    config.max_event_streams_per_session = count(
        args.max_event_streams_per_session,
        "max-event-streams-per-session",
        config.max_event_streams_per_session,
    )?;
    config.max_event_streams_per_account = count(
        args.max_event_streams_per_account,
        "max-event-streams-per-account",
        config.max_event_streams_per_account,
    )?;

    let mut store_config = StoreConfig::new(secrets.state_key());
    if let Some(n) = args.max_connections {
        store_config.max_connections = n;
    }
    if args.verify_audit {
        let summary = match (&args.database_url, &args.migrate_url) {
            (None, _) => {
                let store = Store::open_sqlite(data_dir.join("vault.db"), store_config).await?;
                let s = store.audit_verify().await;
                store.close().await;
                s?
            }
            (Some(_), Some(owner)) => {
                let admin = PgAdmin::connect(owner).await?;
                let s = admin.verify_audit().await;
                admin.close().await;
                s?
            }
            (Some(_), None) => {
                return Err(StartError::Invalid(
                    "verifying the audit log on Postgres needs --migrate-url (the owner role reads every row)".into(),
                ));
            }
        };
        println!(
            "audit log verified: {} events, head seq {}, head hash {}",
            summary.rows,
            summary.head_seq,
            summary
                .head_hash
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        return Ok(());
    }
    let (store, notifier) = match &args.database_url {
        None => {
            // Private: it holds the database (wrapped keys, login records,
            // session hashes) and the secrets file.
            vault_sync::private_files::private_dir(&data_dir)
                .and_then(|()| vault_sync::private_files::tighten_dir(&data_dir))
                .map_err(|e| {
                    StartError::Invalid(format!("data dir {}: {e}", data_dir.display()))
                })?;
            let db = data_dir.join("vault.db");
            tracing::info!(path = %db.display(), "storage: SQLite");
            (
                Store::open_sqlite(&db, store_config).await?,
                Notifier::local(),
            )
        }
        Some(url) => {
            // A forbidden app role (superuser, BYPASSRLS, owner…) is refused
            // before anything is migrated or granted to it.
            vault_sync::store::check_app_role(url).await?;
            if let Some(owner) = &args.migrate_url {
                let admin = PgAdmin::connect(owner).await?;
                admin.migrate().await?;
                if let Some(role) = app_role(url) {
                    admin.grant_app_role(&role).await?;
                }
                admin.close().await;
            }
            tracing::info!("storage: Postgres (row-level security checked)");
            let store = Store::connect_postgres(url, store_config).await?;
            let notifier = Notifier::postgres(url)
                .await
                .map_err(|e| StartError::Notify(e.to_string()))?;
            (store, notifier)
        }
    };
    let limiter = match &args.redis_url {
        None => Limiter::memory(config.limits.clone()),
        Some(url) => Limiter::redis(url, config.limits.clone())
            .await
            .map_err(|e| StartError::Redis(e.to_string()))?,
    };
    let state = Arc::new(
        AppState::new(store, config, secrets)
            .with_limiter(limiter)
            .with_notifier(notifier),
    );
    spawn_cache_listener(state.clone());
    spawn_purger(state.clone());
    // Pre-login fakes drawn from the deployment's mix of account kinds.
    spawn_fake_mix_refresher(state.clone(), Duration::from_secs(600));

    let listen = args
        .listen
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
    let grace = Duration::from_secs(args.shutdown_grace_secs.unwrap_or(30));
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(tls_acceptor(cert, key)?),
        (None, None) => None,
        _ => {
            return Err(StartError::Invalid(
                "give both --tls-cert and --tls-key, or neither".into(),
            ));
        }
    };
    let tcp = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| StartError::Listen(listen, e))?;
    let addr = tcp
        .local_addr()
        .map_err(|e| StartError::Listen(listen, e))?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("vault-server listening on {scheme}://{addr}");
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let st = state.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight requests");
        st.begin_shutdown();
        let _ = stop_tx.send(true);
    });
    listener::serve(tcp, tls, router(state.clone()), limits, stop_rx, grace).await;
    // Access counters of the last second, before the store goes.
    state.flush_usage().await;
    state.store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// The trusted proxies from `--trust-proxy` (CIDRs or bare addresses), or
/// every address with the deprecated `--trust-forwarded`.
fn trusted_proxies(entries: &[String], trust_all: bool) -> Result<Vec<ipnet::IpNet>, StartError> {
    if trust_all {
        if !entries.is_empty() {
            return Err(StartError::Invalid(
                "--trust-forwarded trusts every peer: give --trust-proxy CIDR alone".into(),
            ));
        }
        tracing::warn!(
            "--trust-forwarded is deprecated and trusts every peer's X-Forwarded-For; \
             use --trust-proxy with the proxy's CIDR"
        );
        return Ok(vec![
            ipnet::IpNet::V4(ipnet::Ipv4Net::default()),
            ipnet::IpNet::V6(ipnet::Ipv6Net::default()),
        ]);
    }
    entries
        .iter()
        .map(|e| {
            let e = e.trim();
            e.parse::<ipnet::IpNet>()
                .or_else(|_| e.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map(|n| n.trunc())
                .map_err(|_| {
                    StartError::Invalid(format!(
                        "--trust-proxy {e:?} is not a CIDR (10.0.0.0/8, fd00::/8) or an address"
                    ))
                })
        })
        .collect()
}

/// The user name in a Postgres URL (the app role to grant).
fn app_role(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let (userinfo, _) = rest.split_once('@')?;
    let user = userinfo.split(':').next()?;
    (!user.is_empty()).then(|| user.to_owned())
}

/// TLS 1.3 only, from PEM files.
fn tls_acceptor(cert: &Path, key: &Path) -> Result<tokio_rustls::TlsAcceptor, StartError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| StartError::Tls(format!("{}: {e}", cert.display())))?
        .collect::<Result<_, _>>()
        .map_err(|e| StartError::Tls(format!("{}: {e}", cert.display())))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| StartError::Tls(format!("{}: {e}", key.display())))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| StartError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| StartError::Tls(e.to_string()))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(cfg)))
}

/// Deletes expired login states and sessions every minute.
fn spawn_purger(state: Arc<AppState>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            let now = state.clock.now_ms();
            if let Err(e) = state.store.purge_expired(now).await {
                tracing::warn!(error = %e, "purging expired sessions failed");
            }
        }
    });
}

fn main() -> std::process::ExitCode {
    let cli = Args::parse();
    let args = match &cli.config {
        None => cli,
        Some(path) => {
            let file = std::fs::read_to_string(path)
                .map_err(|e| e.to_string())
                .and_then(|s| {
                    serde_json::from_str::<Args>(&s).map_err(|e| format!("invalid JSON ({e})"))
                });
            match file {
                Ok(f) => merge(f, cli),
                Err(e) => {
                    eprintln!("vault-server: {}", StartError::Config(path.clone(), e));
                    return std::process::ExitCode::from(2);
                }
            }
        }
    };
    let filter = EnvFilter::try_from_env("VAULT_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    if args.log_json {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .json()
            .with_writer(std::io::stderr)
            .init();
    } else {
        use std::io::IsTerminal;
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr)
            .init();
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("vault-server: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vault-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
