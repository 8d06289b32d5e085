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
pub mod handlers;
pub mod metrics;
pub mod notify;
pub mod openapi;
pub mod ratelimit;
pub mod tokens;

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
    /// How long a login may sit between its two messages (default 60 s).
    pub login_ttl: Duration,
    /// A password change needs a login at most this old (default 10 min).
    pub fresh_login: Duration,
    /// Protocol for new registrations (default OPAQUE).
    pub protocol: Protocol,
    /// KDF params of the fake pre-login answer: set them to what your
    /// clients register with (default [`KdfParams::DEFAULT`]).
    pub fake_kdf: KdfParams,
    /// Trust the first `X-Forwarded-For` entry as the client's address.
    pub trust_forwarded: bool,
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
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_body_bytes: 1 << 20,
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            login_ttl: Duration::from_secs(60),
            fresh_login: Duration::from_secs(10 * 60),
            protocol: Protocol::Opaque,
            fake_kdf: KdfParams::DEFAULT,
            trust_forwarded: false,
            session_cache_ttl: Duration::from_secs(30),
            default_page: 500,
            limits: LimitConfig::default(),
            emergency_min_wait: Duration::from_secs(24 * 3600),
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
        if !s.is_some_and(|s| s.is_active(now_ms())) {
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
    /// Pre-login answers and fake SRP records.
    pub prelogin: PreloginServer,
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
            prelogin: PreloginServer::new(
                secrets.prelogin.clone(),
                config.fake_kdf,
                SrpGroup::default(),
            ),
            opaque: secrets.opaque.clone(),
            tokens: TokenSigner::new(secrets.token.clone()),
            limiter: Limiter::memory(config.limits.clone()),
            notifier: Notifier::local(),
            sessions: SessionCache {
                ttl: config.session_cache_ttl,
                map: Mutex::new(HashMap::new()),
            },
            metrics: metrics::Metrics::default(),
            store,
            config,
            shutdown,
            shutdown_tx,
        }
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
                Event::Vault(_) => {}
            }
        }
    }
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

/// Now, Unix seconds.
pub(crate) fn now_secs() -> i64 {
    now_ms() / 1000
}

/// Now, Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    crate::store::now_ms()
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
        .route(crate::api::paths::DIRECTORY, get(data::directory))
        .route(crate::api::paths::VAULTS, post(data::create_vault))
        .route(crate::api::paths::MEMBERS, get(data::members))
        .route(
            crate::api::paths::MEMBER,
            put(data::put_member).delete(data::remove_member),
        )
        .route(crate::api::paths::ROTATE, post(data::rotate))
        .route(
            crate::api::paths::ITEM,
            get(data::get_item)
                .put(data::put_item)
                .delete(data::delete_item),
        )
        .route(crate::api::paths::CHANGES, get(data::changes))
        .route(crate::api::paths::PUSH, post(data::push))
        .route(crate::api::paths::EVENTS, get(events::events))
        .route(crate::api::paths::HEALTHZ, get(ops::healthz))
        .route(crate::api::paths::READYZ, get(ops::readyz))
        .route(crate::api::paths::METRICS, get(ops::metrics))
        .route(crate::api::paths::OPENAPI, get(ops::openapi))
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
        .fallback(ops::not_found)
        .method_not_allowed_fallback(ops::method_not_allowed);
    api.layer(axum::middleware::from_fn(run_to_completion))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
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
