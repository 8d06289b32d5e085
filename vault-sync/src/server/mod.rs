//! The blind sync server as a library: an axum [`Router`] over the
//! [`Store`].
//!
//! [`router`] builds the whole HTTP API (see `docs/protocol.md` §11 and
//! `GET /openapi.json`); `vault-server` mounts it and adds configuration,
//! TLS and the listener. Where IO happens: the store (one transaction per
//! call), the notifier (Postgres `NOTIFY`, [`notify`]), the login throttle
//! (Redis, [`ratelimit`]); everything else is request in, response out.
//!
//! What the server learns: ids, sizes, revisions, times and addresses. The
//! PAKE server halves run here, but they only ever see verifiers, OPAQUE
//! records and protocol messages; keys and items arrive sealed.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use vault_core::*;
//! use vault_sync::server::{ServerConfig, ServerSecrets, AppState, router};
//! use vault_sync::store::{Store, StoreConfig};
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let mut rng = rng::os_rng();
//! let secrets = ServerSecrets::generate(&mut rng);
//! # let dir = std::env::temp_dir().join(format!("vault-server-doc-{}", AccountId::generate(&mut rng)));
//! # std::fs::create_dir_all(&dir).unwrap();
//! let store = Store::open_sqlite(dir.join("vault.db"), StoreConfig::new(secrets.state_key())).await?;
//! let state = AppState::new(store, ServerConfig::default(), secrets);
//! let app: axum::Router = router(Arc::new(state));
//! # drop(app);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

pub mod error;
pub mod extract;
pub mod grpc;
pub mod handlers;
pub mod login;
pub mod machine;
pub mod metrics;
pub mod notify;
pub mod openapi;
pub mod openapi_schemas;
pub mod ratelimit;
pub mod tokens;

use crate::clock::SharedClock;
use crate::store::{SessionId, Store};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use error::ApiError;
use notify::{Event, Notifier};
use ratelimit::{LimitConfig, Limiter};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokens::TokenSigner;
use tokio::sync::watch;
use vault_core::opaque::ServerSetup;
use vault_core::prelogin::PreloginServer;
use vault_core::srp::SrpGroup;
use vault_core::{AccountId, KdfParams, SecretString, SymmetricKey};

/// Which PAKE new accounts register with (and which one unknown
/// identifiers appear to use at pre-login).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// SRP-6a (RFC 5054).
    Srp,
    /// OPAQUE (RFC 9807).
    Opaque,
}

/// The server's behaviour (all of it has defaults).
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Largest request body, bytes (default 1 MiB).
    pub max_body_bytes: usize,
    /// Access token lifetime (default 15 min).
    pub access_ttl: Duration,
    /// Session lifetime without a refresh (default 30 days).
    pub refresh_ttl: Duration,
    /// How long after a refresh the same old refresh token may be presented
    /// again and get the same new one (a retry after a lost answer, or
    /// concurrent refreshes of one client), instead of counting as reuse
    /// (default 10 s).
    pub refresh_grace: Duration,
    /// How long a login may sit between its two messages (default 60 s).
    pub login_ttl: Duration,
    /// A password change needs a login at most this old (default 10 min).
    pub fresh_login: Duration,
    /// Protocol for new registrations (default OPAQUE).
    pub protocol: Protocol,
    /// KDF params of the fake pre-login answer: set them to what your
    /// clients register with (default [`KdfParams::DEFAULT`]).
    pub fake_kdf: KdfParams,
    /// The deployment's reverse proxies (default none): a peer inside these
    /// networks may say who its client is in `X-Forwarded-For` or
    /// `Forwarded` (walked from the right); anyone else's headers are
    /// ignored ([`machine::client_addr`]).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Longest wait of a service call for its audit events to commit; past
    /// it the call is refused (default 2 s; [`machine::audit_batch`]).
    pub audit_timeout: Duration,
    /// How long a service's authentication record is reused without a
    /// lookup on this node (default 5 s; changes published through the
    /// notifier evict at once).
    pub service_auth_cache_ttl: Duration,
    /// `WatchSecrets` streams one service identity may hold open on this
    /// node (default 16).
    pub max_watch_streams_per_service: usize,
    /// How long an active session is trusted without a lookup on this node
    /// (revocations published through the notifier evict at once).
    pub session_cache_ttl: Duration,
    /// Default feed page size.
    pub default_page: usize,
    /// Login throttle.
    pub limits: LimitConfig,
    /// Shortest waiting period an owner may give an emergency contact
    /// (default 24 h; the longest is 90 days).
    pub emergency_min_wait: Duration,
    /// A request body must arrive within this (default 30 s).
    pub body_read_timeout: Duration,
    /// Event streams one session may hold open (default 4).
    pub max_event_streams_per_session: usize,
    /// Event streams one account may hold open over all its sessions
    /// (default 32).
    pub max_event_streams_per_account: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_body_bytes: 1 << 20,
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            refresh_grace: Duration::from_secs(10),
            login_ttl: Duration::from_secs(60),
            fresh_login: Duration::from_secs(10 * 60),
            protocol: Protocol::Opaque,
            fake_kdf: KdfParams::DEFAULT,
            trusted_proxies: Vec::new(),
            audit_timeout: Duration::from_secs(2),
            service_auth_cache_ttl: Duration::from_secs(5),
            max_watch_streams_per_service: 16,
            session_cache_ttl: Duration::from_secs(30),
            default_page: 500,
            limits: LimitConfig::default(),
            emergency_min_wait: Duration::from_secs(24 * 3600),
            body_read_timeout: Duration::from_secs(30),
            max_event_streams_per_session: 4,
            max_event_streams_per_account: 32,
        }
    }
}

/// The deployment's secrets: stable across restarts and shared by every
/// node. `Debug` prints nothing secret.
///
/// Stored as JSON (`to_json`/`from_json`):
/// `{"v":1,"prelogin":b64,"token":b64,"state":b64,"opaque":{ServerSetup}}`.
#[derive(Clone)]
pub struct ServerSecrets {
    prelogin: SymmetricKey,
    token: SymmetricKey,
    state: SymmetricKey,
    opaque: ServerSetup,
}

impl core::fmt::Debug for ServerSecrets {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ServerSecrets(<redacted>)")
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretsFile {
    v: u8,
    prelogin: String,
    token: String,
    state: String,
    opaque: ServerSetup,
}

/// Why a secrets file was refused.
#[derive(Debug, thiserror::Error)]
#[error("invalid server secrets file: {0}")]
pub struct SecretsError(&'static str);

impl ServerSecrets {
    /// Fresh secrets.
    pub fn generate(rng: &mut impl vault_core::rng::CryptoRng) -> Self {
        ServerSecrets {
            prelogin: SymmetricKey::generate(rng),
            token: SymmetricKey::generate(rng),
            state: SymmetricKey::generate(rng),
            opaque: ServerSetup::generate(rng),
        }
    }

    /// The key login states are sealed under ([`crate::store::StoreConfig::new`]).
    pub fn state_key(&self) -> SymmetricKey {
        self.state.clone()
    }

    /// The secrets file's JSON. Secret.
    pub fn to_json(&self) -> SecretString {
        let f = SecretsFile {
            v: 1,
            prelogin: B64.encode(self.prelogin.expose_secret()),
            token: B64.encode(self.token.expose_secret()),
            state: B64.encode(self.state.expose_secret()),
            opaque: self.opaque.clone(),
        };
        SecretString::from(serde_json::to_string_pretty(&f).unwrap_or_default())
    }

    /// Parses a secrets file.
    pub fn from_json(json: &str) -> Result<Self, SecretsError> {
        let f: SecretsFile =
            serde_json::from_str(json).map_err(|_| SecretsError("not the expected JSON"))?;
        if f.v != 1 {
            return Err(SecretsError("unknown version"));
        }
        let key = |s: &str| {
            let b = B64
                .decode(s)
                .map_err(|_| SecretsError("a key is not base64url"))?;
            SymmetricKey::from_slice(&b).map_err(|_| SecretsError("a key is not 32 bytes"))
        };
        Ok(ServerSecrets {
            prelogin: key(&f.prelogin)?,
            token: key(&f.token)?,
            state: key(&f.state)?,
            opaque: f.opaque,
        })
    }
}

/// An account record and login record of the same shape as real ones, made
/// once at startup with throwaway keys (and a cheap KDF: only its parse
/// cost matters), never stored or sent.
struct Decoy {
    record: String,
    protocol: &'static str,
    auth: String,
}

impl Decoy {
    fn make(protocol: Protocol, setup: &ServerSetup) -> Option<Decoy> {
        let mut rng = vault_core::rng::os_rng();
        let (_, creds) = vault_core::UnlockedAccount::create(
            "decoy",
            None,
            KdfParams::INSECURE_TEST_ONLY,
            &mut rng,
        )
        .ok()?;
        let record = serde_json::to_string(&creds.encrypted).ok()?;
        let identifier = "decoy@decoy.invalid";
        let auth = match protocol {
            Protocol::Srp => crate::store::AuthRecord::Srp(
                vault_core::srp::SrpClient::register(
                    identifier,
                    &creds.auth_key,
                    SrpGroup::default(),
                    &mut rng,
                )
                .ok()?,
            ),
            Protocol::Opaque => {
                use vault_core::opaque::ClientRegistration;
                let (client, request) =
                    ClientRegistration::start(identifier, &creds.auth_key, &mut rng).ok()?;
                let response = setup.registration_response(identifier, &request).ok()?;
                let done = client.finish(&response, &mut rng).ok()?;
                crate::store::AuthRecord::Opaque(Box::new(done.record))
            }
        };
        Some(Decoy {
            record,
            protocol: auth.protocol().as_str(),
            auth: auth.to_json(),
        })
    }
}

/// Active sessions this node has checked recently.
#[derive(Default)]
pub struct SessionCache {
    ttl: Duration,
    map: Mutex<HashMap<SessionId, (AccountId, Instant)>>,
}

impl core::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SessionCache")
    }
}

const SESSION_CACHE_MAX: usize = 100_000;

impl SessionCache {
    /// `Ok` if `session` of `account` is active (cached or looked up).
    pub async fn check_active(
        &self,
        store: &Store,
        now_ms: i64,
        account: AccountId,
        session: SessionId,
    ) -> Result<(), ApiError> {
        let now = Instant::now();
        if let Ok(m) = self.map.lock()
            && let Some((a, at)) = m.get(&session)
            && *a == account
            && now.duration_since(*at) < self.ttl
        {
            return Ok(());
        }
        let s = store.session(account, session).await?;
        if !s.is_some_and(|s| s.is_active(now_ms)) {
            self.evict_session(session);
            return Err(ApiError::Unauthorized("the session has ended"));
        }
        if let Ok(mut m) = self.map.lock() {
            if m.len() >= SESSION_CACHE_MAX {
                m.clear();
            }
            m.insert(session, (account, now));
        }
        Ok(())
    }

    fn evict_session(&self, session: SessionId) {
        if let Ok(mut m) = self.map.lock() {
            m.remove(&session);
        }
    }

    fn evict_account(&self, account: AccountId) {
        if let Ok(mut m) = self.map.lock() {
            m.retain(|_, (a, _)| *a != account);
        }
    }

    fn clear(&self) {
        if let Ok(mut m) = self.map.lock() {
            m.clear();
        }
    }
}

/// Everything a handler needs.
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Settings.
    pub config: ServerConfig,
    /// Pre-login answers and fake SRP records (rebuilt when the mix of
    /// account kinds is refreshed: [`AppState::refresh_fake_mix`]).
    prelogin: std::sync::RwLock<Arc<PreloginServer>>,
    prelogin_key: SymmetricKey,
    /// OPAQUE server setup.
    pub opaque: ServerSetup,
    /// Access token signer.
    pub tokens: TokenSigner,
    /// Login throttle.
    pub limiter: Limiter,
    /// Change notifications.
    pub notifier: Notifier,
    /// Session check cache.
    pub sessions: SessionCache,
    /// Metrics.
    pub metrics: metrics::Metrics,
    /// The clock (the store's: [`Store::clock`]).
    pub clock: SharedClock,
    /// Open event streams per session and per account.
    pub(crate) streams: handlers::events::StreamCounts,
    /// The service side of machine secrets: audit batcher, service auth
    /// cache, access counters, watch streams ([`machine`]).
    pub machine: machine::MachineState,
    /// A stored account of the shape real ones have, parsed on the unknown
    /// identifier path of pre-login so both paths do the same work.
    decoy: Option<Decoy>,
    /// Flips to `true` when the server is shutting down (ends event streams).
    pub shutdown: watch::Receiver<bool>,
    shutdown_tx: watch::Sender<bool>,
}

impl core::fmt::Debug for AppState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// A state with an in-memory throttle and in-process notifications (one
    /// node); swap them with [`with_limiter`](Self::with_limiter) and
    /// [`with_notifier`](Self::with_notifier) for several nodes.
    pub fn new(store: Store, config: ServerConfig, secrets: ServerSecrets) -> Self {
        let (shutdown_tx, shutdown) = watch::channel(false);
        AppState {
            prelogin: std::sync::RwLock::new(Arc::new(PreloginServer::new(
                secrets.prelogin.clone(),
                config.fake_kdf,
                SrpGroup::default(),
            ))),
            prelogin_key: secrets.prelogin.clone(),
            opaque: secrets.opaque.clone(),
            tokens: TokenSigner::new(secrets.token.clone()),
            limiter: Limiter::memory_with_clock(config.limits.clone(), store.clock().clone()),
            notifier: Notifier::local(),
            sessions: SessionCache {
                ttl: config.session_cache_ttl,
                map: Mutex::new(HashMap::new()),
            },
            metrics: metrics::Metrics::default(),
            clock: store.clock().clone(),
            streams: handlers::events::StreamCounts::default(),
            machine: machine::MachineState::new(&config),
            decoy: Decoy::make(config.protocol, &secrets.opaque),
            store,
            config,
            shutdown,
            shutdown_tx,
        }
    }

    /// Parses the decoy account as a store read parses a real one (the
    /// unknown-identifier path of pre-login; see `Decoy`).
    pub(crate) fn decoy_record(&self) {
        if let Some(d) = &self.decoy {
            // Copies as a row read makes them, then the same parse.
            let (record, auth) = (d.record.clone(), d.auth.clone());
            let parsed = crate::store::types::parse_account_parts(&record, d.protocol, &auth);
            std::hint::black_box(parsed.map(|(r, a)| (r.account, a.protocol())).is_ok());
        }
    }

    /// Pre-login answers and fake records, with the current mix of kinds.
    pub fn prelogin(&self) -> Arc<PreloginServer> {
        self.prelogin
            .read()
            .map(|p| p.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Re-reads the deployment's mix of account kinds and draws pre-login
    /// fakes from it from now on (call at startup and every few minutes:
    /// [`spawn_fake_mix_refresher`]). With no accounts yet, fakes look like
    /// new accounts (the configured protocol and `fake_kdf`). Returns how
    /// many kinds there are.
    pub async fn refresh_fake_mix(&self) -> Result<usize, crate::store::StoreError> {
        let mut mix = self.store.account_kinds().await?;
        if mix.is_empty() {
            mix.push(vault_core::prelogin::FakeProfile {
                srp_group: (self.config.protocol == Protocol::Srp).then(SrpGroup::default),
                kdf_params: self.config.fake_kdf,
                weight: 1,
            });
        }
        let server = PreloginServer::new(
            self.prelogin_key.clone(),
            self.config.fake_kdf,
            SrpGroup::default(),
        )
        .with_mix(&mix);
        if let Ok(mut p) = self.prelogin.write() {
            *p = Arc::new(server);
        }
        Ok(mix.len())
    }

    /// Uses this throttle.
    pub fn with_limiter(mut self, limiter: Limiter) -> Self {
        self.limiter = limiter;
        self
    }

    /// Uses this notifier.
    pub fn with_notifier(mut self, notifier: Notifier) -> Self {
        self.notifier = notifier;
        self
    }

    /// Ends every event stream (call when shutting down, so graceful
    /// shutdown is not held open by long-lived streams).
    pub fn begin_shutdown(&self) {
        let _ = self.shutdown_tx.send(true);
    }

    /// Publishes events and applies them to this node's session cache at
    /// once (other nodes apply them when they hear them).
    pub(crate) async fn publish(&self, events: &[Event]) {
        self.apply_locally(events);
        self.notifier.publish(events).await;
    }

    fn apply_locally(&self, events: &[Event]) {
        for e in events {
            match e {
                Event::SessionRevoked(s) => self.sessions.evict_session(*s),
                Event::Account(a) => self.sessions.evict_account(*a),
                Event::Resync => self.sessions.clear(),
                Event::Vault(_) | Event::Project(..) | Event::Service(_) => {}
            }
            self.machine.apply(e);
        }
    }
}

/// Refreshes the pre-login fake mix now and then every `every`.
pub fn spawn_fake_mix_refresher(state: Arc<AppState>, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            if let Err(e) = state.refresh_fake_mix().await {
                tracing::warn!(error = %e, "refreshing the pre-login fake mix failed");
            }
        }
    });
}

/// Keeps this node's session cache in step with revocations published by
/// any node. Spawn once per process.
pub fn spawn_cache_listener(state: Arc<AppState>) {
    let mut rx = state.notifier.subscribe();
    tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(e) => state.apply_locally(&[e]),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => state.sessions.clear(),
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}

/// Runs each request's handler in its own task, so a client that hangs up
/// does not cancel it half-way: a write either completes or never starts,
/// and a database connection is never returned to the pool in the middle of
/// opening a transaction (sqlx 0.8.6 can then leave it inside one; see
/// transact-rs/sqlx#4393).
async fn run_to_completion(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    match tokio::spawn(next.run(req)).await {
        Ok(resp) => resp,
        Err(e) => axum::response::IntoResponse::into_response(ApiError::Internal(format!(
            "handler task failed: {e}"
        ))),
    }
}

/// The whole HTTP API.
pub fn router(state: Arc<AppState>) -> Router {
    use handlers::*;
    let api = Router::new()
        .route(crate::api::paths::PRELOGIN, post(auth::prelogin))
        .route(
            crate::api::paths::REGISTER_OPAQUE_START,
            post(auth::register_opaque_start),
        )
        .route(crate::api::paths::REGISTER, post(auth::register))
        .route(crate::api::paths::LOGIN_SRP_START, post(auth::srp_start))
        .route(crate::api::paths::LOGIN_SRP_FINISH, post(auth::srp_finish))
        .route(
            crate::api::paths::LOGIN_OPAQUE_START,
            post(auth::opaque_start),
        )
        .route(
            crate::api::paths::LOGIN_OPAQUE_FINISH,
            post(auth::opaque_finish),
        )
        .route(crate::api::paths::REFRESH, post(auth::refresh))
        .route(crate::api::paths::LOGOUT, post(auth::logout))
        .route(crate::api::paths::LOGOUT_ALL, post(auth::logout_all))
        .route(crate::api::paths::ACCOUNT, get(auth::account))
        .route(crate::api::paths::CREDENTIALS, put(auth::credentials))
        .route(
            crate::api::paths::RECOVERY_KIT,
            get(lifecycle::get_recovery)
                .put(lifecycle::put_recovery)
                .delete(lifecycle::delete_recovery),
        )
        .route(
            crate::api::paths::RECOVERY_LOGIN,
            post(lifecycle::recovery_login),
        )
        .route(
            crate::api::paths::ACCOUNT_ROTATE,
            post(lifecycle::rotate_account),
        )
        .route(crate::api::paths::DIRECTORY, get(members::directory))
        .route(crate::api::paths::VAULTS, post(vaults::create_vault))
        .route(crate::api::paths::MEMBERS, get(members::members))
        .route(
            crate::api::paths::MEMBER,
            put(members::put_member).delete(members::remove_member),
        )
        .route(crate::api::paths::ROTATE, post(vaults::rotate))
        .route(
            crate::api::paths::ITEM,
            get(items::get_item)
                .put(items::put_item)
                .delete(items::delete_item),
        )
        .route(crate::api::paths::CHANGES, get(feed::changes))
        .route(crate::api::paths::PUSH, post(feed::push))
        .route(crate::api::paths::EVENTS, get(events::events))
        .route(crate::api::paths::HEALTHZ, get(system::healthz))
        .route(crate::api::paths::READYZ, get(system::readyz))
        .route(crate::api::paths::METRICS, get(system::metrics))
        .route(crate::api::paths::OPENAPI, get(system::openapi))
        .route(crate::api::paths::EMERGENCY, get(emergency::list))
        .route(
            crate::api::paths::EMERGENCY_CONTACT,
            put(emergency::put_contact).delete(emergency::remove_contact),
        )
        .route(crate::api::paths::EMERGENCY_CANCEL, post(emergency::cancel))
        .route(
            crate::api::paths::EMERGENCY_REQUEST,
            post(emergency::request),
        )
        .route(crate::api::paths::EMERGENCY_CLAIM, post(emergency::claim))
        // The service-facing gRPC interface, on the same listener (h2c, or
        // h2 by ALPN under TLS): `/vault.secrets.v1.Secrets/*`.
        .merge(grpc::routes(state.clone()))
        // The machine-secrets admin API for people (`/v1/projects/…`).
        .merge(projects::routes())
        .merge(secrets::routes())
        .merge(services::routes())
        .fallback(system::not_found)
        .method_not_allowed_fallback(system::method_not_allowed);
    api.layer(axum::middleware::from_fn(run_to_completion))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        // A body that trickles in ends the request (the handler sees a body
        // error, answers 408) instead of holding it open.
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            state.config.body_read_timeout,
        ))
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                // Method and route template only: never the query string (it
                // may carry a cursor) nor any header (tokens).
                .make_span_with(|req: &axum::http::Request<_>| {
                    let route = req
                        .extensions()
                        .get::<axum::extract::MatchedPath>()
                        .map(|p| p.as_str().to_owned())
                        .unwrap_or_default();
                    tracing::info_span!("request", method = %req.method(), route = %route)
                }),
        )
        .with_state(state)
}
