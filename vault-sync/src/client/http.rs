//! [`ApiClient`]: one typed method per endpoint of [`crate::api`], over
//! reqwest (rustls), with bearer authentication and transparent refresh.
//!
//! Authenticated calls send the session's access token. When it is about to
//! expire, or the server answers 401, the client trades the refresh token for
//! a new pair once and retries; refresh tokens rotate on every use, so the
//! new one is persisted at once (in the device's [`Replica`] when the client
//! has one). Refreshing is serialised across tasks (a mutex) and across
//! processes sharing a replica (an SQLite write transaction held over the
//! refresh), because presenting a spent refresh token makes the server
//! revoke the whole session.
//!
//! Every non-2xx answer becomes a [`ClientError`]: 4xx →
//! [`ClientError::Rejected`] with the server's stable code, 5xx →
//! [`ClientError::Server`], transport failures → [`ClientError::Network`].
//! Answers are size-capped and parsed by vault-core's strict types.

use super::error::{ClientError, ClientResult};
use super::replica::Replica;
use crate::api::{self, paths};
use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;
use vault_core::prelogin::{PreloginRequest, PreloginResponse};
use vault_core::sync::wire::{Cursor, ItemState, PullPage, PushRequest, PushResponse};
use vault_core::{AccountId, ItemId, VaultId};

// Emergency access calls (`http/emergency.rs`).
mod emergency;

/// Largest answer the client reads (a feed page of large items fits).
const MAX_RESPONSE_BYTES: usize = 128 << 20;
/// Refresh this long before the access token's stated expiry.
const EXPIRY_MARGIN_SECS: i64 = 30;

/// How the client connects.
#[derive(Clone, Debug)]
pub struct HttpOptions {
    /// Per-request timeout (not applied to the event stream).
    pub timeout: Duration,
    /// Connection timeout.
    pub connect_timeout: Duration,
    /// Allow plain `http://` to hosts other than loopback. Tokens are bearer
    /// secrets, so only behind a trusted network.
    pub allow_insecure_http: bool,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            allow_insecure_http: false,
        }
    }
}

/// The outcome of a single-item compare-and-swap write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemWrite {
    /// Stored at this revision.
    Written(u64),
    /// The server holds another version (409): here it is.
    Conflict(Option<Box<ItemState>>),
}

struct Inner {
    http: reqwest::Client,
    base: String,
    timeout: Duration,
    tokens: tokio::sync::Mutex<Option<api::SessionTokens>>,
    replica: Option<Replica>,
}

/// A typed client for the sync server's HTTP API.
///
/// Cheap to clone (shares one connection pool and one session).
///
/// ```
/// use vault_sync::client::{ApiClient, HttpOptions};
/// let api = ApiClient::new("https://vault.example.com", &HttpOptions::default())?;
/// assert_eq!(api.base_url(), "https://vault.example.com");
/// // Plain HTTP only to loopback unless explicitly allowed.
/// assert!(ApiClient::new("http://127.0.0.1:8080", &HttpOptions::default()).is_ok());
/// assert!(ApiClient::new("http://vault.example.com", &HttpOptions::default()).is_err());
/// # Ok::<(), vault_sync::client::ClientError>(())
/// ```
#[derive(Clone)]
pub struct ApiClient {
    inner: Arc<Inner>,
}

impl core::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ApiClient")
            .field("base", &self.inner.base)
            .finish_non_exhaustive()
    }
}

/// Checks a server URL and returns its normalised form (no trailing `/`).
pub(crate) fn normalize_server_url(url: &str, allow_insecure_http: bool) -> ClientResult<String> {
    let parsed = reqwest::Url::parse(url.trim())
        .map_err(|_| ClientError::Invalid(format!("not a URL: {url}")))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(ClientError::Invalid(
            "the server URL must not contain credentials".into(),
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(ClientError::Invalid(
            "the server URL must not have a query or fragment".into(),
        ));
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| ClientError::Invalid(format!("no host in {url}")))?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match parsed.scheme() {
        "https" => {}
        "http" if loopback || allow_insecure_http => {}
        "http" => {
            return Err(ClientError::Invalid(
                "refusing plain http:// to a remote server (tokens are bearer secrets): use https://"
                    .into(),
            ));
        }
        other => {
            return Err(ClientError::Invalid(format!(
                "unsupported URL scheme {other}: use https://"
            )));
        }
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn fresh(t: &api::SessionTokens) -> bool {
    t.access_expires_at > now_secs().saturating_add(EXPIRY_MARGIN_SECS)
}

/// A request body, serialised before sending so it can be retried.
enum Body {
    None,
    Json(Vec<u8>),
}

fn json_body(v: &impl Serialize) -> ClientResult<Body> {
    serde_json::to_vec(v)
        .map(Body::Json)
        .map_err(|_| ClientError::Invalid("a request body did not serialise".into()))
}

/// Reads a body up to the cap.
async fn read_capped(resp: reqwest::Response) -> ClientResult<Vec<u8>> {
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
    {
        return Err(ClientError::Protocol("the answer is too large".into()));
    }
    let mut out = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if out.len().saturating_add(chunk.len()) > MAX_RESPONSE_BYTES {
            return Err(ClientError::Protocol("the answer is too large".into()));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Turns a non-2xx answer into an error, keeping the body for callers that
/// need it (409 `current`).
async fn error_of(resp: reqwest::Response) -> (ClientError, Option<api::ErrorBody>) {
    let status = resp.status();
    let body = read_capped(resp)
        .await
        .ok()
        .and_then(|b| serde_json::from_slice::<api::ErrorBody>(&b).ok());
    let (code, message, retry_after) = match &body {
        Some(b) => (
            b.error.clone(),
            // Server messages are fixed texts; cap them anyway.
            b.message.chars().take(300).collect::<String>(),
            b.retry_after,
        ),
        None => (
            format!("http_{}", status.as_u16()),
            status.canonical_reason().unwrap_or("error").to_owned(),
            None,
        ),
    };
    let err = if status.is_server_error() {
        ClientError::Server {
            status: status.as_u16(),
            code,
            message,
        }
    } else {
        ClientError::Rejected {
            status: status.as_u16(),
            code,
            message,
            retry_after,
        }
    };
    (err, body)
}

fn parse<T: DeserializeOwned>(bytes: &[u8], what: &str) -> ClientResult<T> {
    serde_json::from_slice(bytes)
        .map_err(|_| ClientError::Protocol(format!("{what}: unexpected answer")))
}

fn fill(path: &str, params: &[(&str, String)]) -> String {
    params.iter().fold(path.to_owned(), |p, (k, v)| {
        p.replace(&format!("{{{k}}}"), v)
    })
}

impl ApiClient {
    /// A client for the server at `base_url` (`https://host[:port][/prefix]`;
    /// plain `http://` only to loopback unless
    /// [`HttpOptions::allow_insecure_http`]).
    pub fn new(base_url: &str, options: &HttpOptions) -> ClientResult<Self> {
        Self::build(base_url, options, None)
    }

    /// As [`new`](Self::new), persisting rotated tokens into `replica`.
    pub(crate) fn build(
        base_url: &str,
        options: &HttpOptions,
        replica: Option<Replica>,
    ) -> ClientResult<Self> {
        let base = normalize_server_url(base_url, options.allow_insecure_http)?;
        let http = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .user_agent(concat!("vault-sync/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .https_only(base.starts_with("https://"))
            .build()
            .map_err(|_| ClientError::Network("could not set up the HTTP client".into()))?;
        Ok(ApiClient {
            inner: Arc::new(Inner {
                http,
                base,
                timeout: options.timeout,
                tokens: tokio::sync::Mutex::new(None),
                replica,
            }),
        })
    }

    /// The server's base URL, normalised.
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// Uses these tokens for authenticated calls (after a login). Does not
    /// persist them.
    pub async fn set_session(&self, tokens: Option<api::SessionTokens>) {
        *self.inner.tokens.lock().await = tokens;
    }

    /// The current tokens (bearer secrets: handle with care).
    pub async fn session(&self) -> Option<api::SessionTokens> {
        self.inner.tokens.lock().await.clone()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.inner.base, path)
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: &Body,
        bearer: Option<&str>,
        timeout: bool,
    ) -> reqwest::RequestBuilder {
        let mut rb = self.inner.http.request(method, self.url(path));
        if !query.is_empty() {
            rb = rb.query(query);
        }
        if timeout {
            rb = rb.timeout(self.inner.timeout);
        }
        if let Some(t) = bearer {
            rb = rb.bearer_auth(t);
        }
        match body {
            Body::None => rb,
            Body::Json(b) => rb
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(b.clone()),
        }
    }

    /// Sends without authentication; non-2xx → error.
    async fn send_public(&self, method: Method, path: &str, body: Body) -> ClientResult<Vec<u8>> {
        let resp = self
            .request(method, path, &[], &body, None, true)
            .send()
            .await?;
        if !resp.status().is_success() {
            return Err(error_of(resp).await.0);
        }
        read_capped(resp).await
    }

    /// The access token to use now, refreshing first if it is about to expire.
    async fn access_token(&self) -> ClientResult<String> {
        let current = self.inner.tokens.lock().await.clone();
        match current {
            Some(t) if fresh(&t) => Ok(t.access_token.clone()),
            Some(t) => self.refresh_after(Some(&t.access_token)).await,
            None => Err(ClientError::NotLoggedIn),
        }
    }

    /// Sends with the bearer token; on 401 refreshes once and retries.
    /// Returns the raw response (2xx or not) of the last attempt.
    async fn send_authed_raw(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body,
        timeout: bool,
    ) -> ClientResult<reqwest::Response> {
        let token = self.access_token().await?;
        let resp = self
            .request(method.clone(), path, query, &body, Some(&token), timeout)
            .send()
            .await?;
        if resp.status() != StatusCode::UNAUTHORIZED {
            return Ok(resp);
        }
        let token = self.refresh_after(Some(&token)).await?;
        let resp = self
            .request(method, path, query, &body, Some(&token), timeout)
            .send()
            .await?;
        if resp.status() == StatusCode::UNAUTHORIZED {
            return Err(ClientError::SessionExpired);
        }
        Ok(resp)
    }

    async fn send_authed(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body,
    ) -> ClientResult<Vec<u8>> {
        let resp = self
            .send_authed_raw(method, path, query, body, true)
            .await?;
        if !resp.status().is_success() {
            return Err(error_of(resp).await.0);
        }
        read_capped(resp).await
    }

    /// Trades the refresh token for a new pair, unless someone else (another
    /// task, or another process on the same replica) already replaced the
    /// access token `stale`. Returns the access token to use.
    async fn refresh_after(&self, stale: Option<&str>) -> ClientResult<String> {
        let mut guard = self.inner.tokens.lock().await;
        if let Some(t) = guard.as_ref()
            && Some(t.access_token.as_str()) != stale
            && fresh(t)
        {
            return Ok(t.access_token.clone());
        }
        let Some(replica) = &self.inner.replica else {
            let current = guard.clone().ok_or(ClientError::NotLoggedIn)?;
            let next = self.post_refresh(&current.refresh_token).await?;
            let access = next.access_token.clone();
            *guard = Some(next);
            return Ok(access);
        };
        // Hold the replica's write lock over the refresh so that two
        // processes never present the same refresh token.
        let mut tx = replica.begin_immediate().await?;
        let stored = Replica::session_in(&mut tx).await?;
        if let Some(s) = &stored
            && Some(s.access_token.as_str()) != stale
            && fresh(s)
        {
            let access = s.access_token.clone();
            *guard = stored;
            tx.commit().await?;
            return Ok(access);
        }
        let current = stored
            .or_else(|| guard.clone())
            .ok_or(ClientError::NotLoggedIn)?;
        let next = match self.post_refresh(&current.refresh_token).await {
            Ok(n) => n,
            Err(e) => {
                tx.rollback().await?;
                return Err(e);
            }
        };
        Replica::put_session_in(&mut tx, Some(&next)).await?;
        tx.commit().await?;
        let access = next.access_token.clone();
        *guard = Some(next);
        Ok(access)
    }

    async fn post_refresh(&self, refresh_token: &str) -> ClientResult<api::SessionTokens> {
        let body = json_body(&api::RefreshRequest {
            refresh_token: refresh_token.to_owned(),
        })?;
        match self.send_public(Method::POST, paths::REFRESH, body).await {
            Ok(b) => parse(&b, "token refresh"),
            Err(ClientError::Rejected { status: 401, .. }) => Err(ClientError::SessionExpired),
            Err(e) => Err(e),
        }
    }

    // ------------------------------------------------------------ accounts

    /// `POST /v1/prelogin`: the account's KDF config (and SRP group and
    /// salt for SRP accounts). Check it with
    /// [`PreloginResponse::checked_kdf`] before using it.
    pub async fn prelogin(&self, identifier: &str) -> ClientResult<PreloginResponse> {
        let req = PreloginRequest::new(identifier.to_owned())?;
        let b = self
            .send_public(Method::POST, paths::PRELOGIN, json_body(&req)?)
            .await?;
        let text = std::str::from_utf8(&b)
            .map_err(|_| ClientError::Protocol("pre-login: not UTF-8".into()))?;
        PreloginResponse::from_json(text)
            .map_err(|_| ClientError::Protocol("pre-login: unexpected answer".into()))
    }

    /// `POST /v1/register/opaque/start`.
    pub async fn register_opaque_start(
        &self,
        req: &api::OpaqueRegisterStart,
    ) -> ClientResult<api::OpaqueRegisterStarted> {
        let b = self
            .send_public(Method::POST, paths::REGISTER_OPAQUE_START, json_body(req)?)
            .await?;
        parse(&b, "OPAQUE registration")
    }

    /// `POST /v1/register`.
    pub async fn register(&self, req: &api::RegisterRequest) -> ClientResult<api::Registered> {
        let b = self
            .send_public(Method::POST, paths::REGISTER, json_body(req)?)
            .await?;
        parse(&b, "registration")
    }

    /// `POST /v1/login/srp/start`.
    pub async fn login_srp_start(
        &self,
        req: &api::SrpLoginStart,
    ) -> ClientResult<api::SrpLoginChallenge> {
        let b = self
            .send_public(Method::POST, paths::LOGIN_SRP_START, json_body(req)?)
            .await?;
        parse(&b, "SRP login")
    }

    /// `POST /v1/login/srp/finish`. Verify `server_proof` before using the
    /// tokens.
    pub async fn login_srp_finish(
        &self,
        req: &api::SrpLoginFinish,
    ) -> ClientResult<api::SrpLoginDone> {
        let b = self
            .send_public(Method::POST, paths::LOGIN_SRP_FINISH, json_body(req)?)
            .await?;
        parse(&b, "SRP login")
    }

    /// `POST /v1/login/opaque/start`.
    pub async fn login_opaque_start(
        &self,
        req: &api::OpaqueLoginStart,
    ) -> ClientResult<api::OpaqueLoginChallenge> {
        let b = self
            .send_public(Method::POST, paths::LOGIN_OPAQUE_START, json_body(req)?)
            .await?;
        parse(&b, "OPAQUE login")
    }

    /// `POST /v1/login/opaque/finish`.
    pub async fn login_opaque_finish(
        &self,
        req: &api::OpaqueLoginFinish,
    ) -> ClientResult<api::OpaqueLoginDone> {
        let b = self
            .send_public(Method::POST, paths::LOGIN_OPAQUE_FINISH, json_body(req)?)
            .await?;
        parse(&b, "OPAQUE login")
    }

    /// `POST /v1/token/refresh` now, whatever the access token's age.
    /// Returns the new tokens (also kept, and persisted with a replica).
    pub async fn refresh(&self) -> ClientResult<api::SessionTokens> {
        let stale = self
            .inner
            .tokens
            .lock()
            .await
            .as_ref()
            .map(|t| t.access_token.clone());
        self.refresh_after(stale.as_deref()).await?;
        self.session().await.ok_or(ClientError::NotLoggedIn)
    }

    /// `POST /v1/logout`: ends this session.
    pub async fn logout(&self) -> ClientResult<()> {
        self.send_authed(Method::POST, paths::LOGOUT, &[], Body::None)
            .await
            .map(drop)
    }

    /// `POST /v1/logout/all`: ends every session of the account (but this
    /// one with `keep_current`).
    pub async fn logout_all(&self, keep_current: bool) -> ClientResult<api::LoggedOut> {
        let b = self
            .send_authed(
                Method::POST,
                paths::LOGOUT_ALL,
                &[],
                json_body(&api::LogoutAllRequest { keep_current })?,
            )
            .await?;
        parse(&b, "logout")
    }

    /// `GET /v1/account`: the signed-in account's encrypted record.
    pub async fn account(&self) -> ClientResult<api::AccountBody> {
        let b = self
            .send_authed(Method::GET, paths::ACCOUNT, &[], Body::None)
            .await?;
        parse(&b, "account")
    }

    /// `PUT /v1/account/credentials`: a password change.
    pub async fn put_credentials(
        &self,
        req: &api::CredentialsRequest,
    ) -> ClientResult<api::CredentialsChanged> {
        let b = self
            .send_authed(Method::PUT, paths::CREDENTIALS, &[], json_body(req)?)
            .await?;
        parse(&b, "credentials")
    }

    /// `GET /v1/account/recovery`: the stored recovery kit wrap, if any.
    pub async fn recovery_kit(&self) -> ClientResult<api::RecoveryKitStatus> {
        let b = self
            .send_authed(Method::GET, paths::RECOVERY_KIT, &[], Body::None)
            .await?;
        parse(&b, "recovery kit")
    }

    /// `PUT /v1/account/recovery`: set up or replace the recovery kit.
    pub async fn put_recovery_kit(&self, req: &api::RecoveryKitBody) -> ClientResult<()> {
        self.send_authed(Method::PUT, paths::RECOVERY_KIT, &[], json_body(req)?)
            .await
            .map(drop)
    }

    /// `DELETE /v1/account/recovery`.
    pub async fn delete_recovery_kit(&self) -> ClientResult<()> {
        self.send_authed(Method::DELETE, paths::RECOVERY_KIT, &[], Body::None)
            .await
            .map(drop)
    }

    /// `POST /v1/recovery/login`: log in with the recovery kit's token.
    pub async fn recovery_login(
        &self,
        req: &api::RecoveryLoginRequest,
    ) -> ClientResult<api::RecoveryLoginDone> {
        let b = self
            .send_public(Method::POST, paths::RECOVERY_LOGIN, json_body(req)?)
            .await?;
        parse(&b, "recovery login")
    }

    /// `POST /v1/account/rotate`: apply an account key rotation.
    pub async fn rotate_account(&self, req: &api::AccountRotateRequest) -> ClientResult<()> {
        self.send_authed(Method::POST, paths::ACCOUNT_ROTATE, &[], json_body(req)?)
            .await
            .map(drop)
    }

    /// `GET /v1/directory?identifier=…`.
    pub async fn directory_by_identifier(
        &self,
        identifier: &str,
    ) -> ClientResult<api::DirectoryBody> {
        let b = self
            .send_authed(
                Method::GET,
                paths::DIRECTORY,
                &[("identifier", identifier.to_owned())],
                Body::None,
            )
            .await?;
        parse(&b, "directory")
    }

    /// `GET /v1/directory?account=…`.
    pub async fn directory_by_account(
        &self,
        account: AccountId,
    ) -> ClientResult<api::DirectoryBody> {
        let b = self
            .send_authed(
                Method::GET,
                paths::DIRECTORY,
                &[("account", account.to_string())],
                Body::None,
            )
            .await?;
        parse(&b, "directory")
    }

    // -------------------------------------------------------------- vaults

    /// `POST /v1/vaults`.
    pub async fn create_vault(
        &self,
        req: &api::CreateVaultRequest,
    ) -> ClientResult<api::VaultCreated> {
        let b = self
            .send_authed(Method::POST, paths::VAULTS, &[], json_body(req)?)
            .await?;
        parse(&b, "vault creation")
    }

    /// `GET /v1/vaults/{vault}/members`.
    pub async fn members(&self, vault: VaultId) -> ClientResult<api::MembersBody> {
        let path = fill(paths::MEMBERS, &[("vault", vault.to_string())]);
        let b = self
            .send_authed(Method::GET, &path, &[], Body::None)
            .await?;
        parse(&b, "members")
    }

    /// `PUT /v1/vaults/{vault}/members/{account}`.
    pub async fn put_member(
        &self,
        vault: VaultId,
        account: AccountId,
        req: &api::PutMemberRequest,
    ) -> ClientResult<()> {
        let path = fill(
            paths::MEMBER,
            &[
                ("vault", vault.to_string()),
                ("account", account.to_string()),
            ],
        );
        self.send_authed(Method::PUT, &path, &[], json_body(req)?)
            .await
            .map(drop)
    }

    /// `DELETE /v1/vaults/{vault}/members/{account}`. Rotate the key after.
    pub async fn remove_member(&self, vault: VaultId, account: AccountId) -> ClientResult<()> {
        let path = fill(
            paths::MEMBER,
            &[
                ("vault", vault.to_string()),
                ("account", account.to_string()),
            ],
        );
        self.send_authed(Method::DELETE, &path, &[], Body::None)
            .await
            .map(drop)
    }

    /// `POST /v1/vaults/{vault}/rotate`.
    pub async fn rotate(&self, vault: VaultId, req: &api::RotateRequest) -> ClientResult<()> {
        let path = fill(paths::ROTATE, &[("vault", vault.to_string())]);
        self.send_authed(Method::POST, &path, &[], json_body(req)?)
            .await
            .map(drop)
    }

    // --------------------------------------------------------------- items

    fn item_path(vault: VaultId, item: ItemId) -> String {
        fill(
            paths::ITEM,
            &[("vault", vault.to_string()), ("item", item.to_string())],
        )
    }

    /// `GET /v1/vaults/{vault}/items/{item}`: the item's server state.
    pub async fn get_item(&self, vault: VaultId, item: ItemId) -> ClientResult<ItemState> {
        let b = self
            .send_authed(Method::GET, &Self::item_path(vault, item), &[], Body::None)
            .await?;
        parse(&b, "item")
    }

    async fn item_write(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body,
    ) -> ClientResult<ItemWrite> {
        let resp = self
            .send_authed_raw(method, path, query, body, true)
            .await?;
        if resp.status().is_success() {
            let w: api::ItemWritten = parse(&read_capped(resp).await?, "item write")?;
            return Ok(ItemWrite::Written(w.revision));
        }
        match error_of(resp).await {
            (
                ClientError::Rejected {
                    status: 409, code, ..
                },
                body,
            ) if code == "conflict" => Ok(ItemWrite::Conflict(
                body.and_then(|b| b.current).map(Box::new),
            )),
            (e, _) => Err(e),
        }
    }

    /// `PUT /v1/vaults/{vault}/items/{item}`: compare-and-swap from `base`.
    pub async fn put_item(&self, req: &api::PutItemRequest) -> ClientResult<ItemWrite> {
        let path = Self::item_path(req.item.vault, req.item.item);
        self.item_write(Method::PUT, &path, &[], json_body(req)?)
            .await
    }

    /// `DELETE /v1/vaults/{vault}/items/{item}?base=N`.
    pub async fn delete_item(
        &self,
        vault: VaultId,
        item: ItemId,
        base: u64,
    ) -> ClientResult<ItemWrite> {
        let path = Self::item_path(vault, item);
        self.item_write(
            Method::DELETE,
            &path,
            &[("base", base.to_string())],
            Body::None,
        )
        .await
    }

    // ---------------------------------------------------------------- sync

    /// `GET /v1/sync/changes?since=…`: one page of the feed.
    pub async fn changes(
        &self,
        since: Option<&Cursor>,
        limit: Option<usize>,
    ) -> ClientResult<PullPage> {
        let mut q = Vec::new();
        if let Some(c) = since {
            q.push(("since", c.as_str().to_owned()));
        }
        if let Some(l) = limit {
            q.push(("limit", l.to_string()));
        }
        let b = self
            .send_authed(Method::GET, paths::CHANGES, &q, Body::None)
            .await?;
        let text = std::str::from_utf8(&b)
            .map_err(|_| ClientError::Protocol("feed page: not UTF-8".into()))?;
        PullPage::from_json(text)
            .map_err(|_| ClientError::Protocol("feed page: unexpected answer".into()))
    }

    /// `POST /v1/sync/push`.
    pub async fn push(&self, req: &PushRequest) -> ClientResult<PushResponse> {
        let b = self
            .send_authed(Method::POST, paths::PUSH, &[], json_body(req)?)
            .await?;
        let text =
            std::str::from_utf8(&b).map_err(|_| ClientError::Protocol("push: not UTF-8".into()))?;
        PushResponse::from_json(text)
            .map_err(|_| ClientError::Protocol("push: unexpected answer".into()))
    }

    /// `GET /v1/events`: the server-sent event stream of this account.
    pub async fn events(&self) -> ClientResult<EventStream> {
        let resp = self
            .send_authed_raw(Method::GET, paths::EVENTS, &[], Body::None, false)
            .await?;
        if !resp.status().is_success() {
            return Err(error_of(resp).await.0);
        }
        Ok(EventStream {
            stream: Box::pin(resp.bytes_stream().map(|r| r.map(|b| b.to_vec()))),
            buf: Vec::new(),
            event: String::new(),
            data: String::new(),
        })
    }

    // ----------------------------------------------------------------- ops

    /// `GET /healthz`.
    pub async fn healthz(&self) -> ClientResult<api::HealthBody> {
        let b = self
            .send_public(Method::GET, paths::HEALTHZ, Body::None)
            .await?;
        parse(&b, "health")
    }

    /// `GET /readyz`.
    pub async fn readyz(&self) -> ClientResult<api::HealthBody> {
        let b = self
            .send_public(Method::GET, paths::READYZ, Body::None)
            .await?;
        parse(&b, "readiness")
    }

    /// `GET /metrics` (Prometheus text).
    pub async fn metrics(&self) -> ClientResult<String> {
        let b = self
            .send_public(Method::GET, paths::METRICS, Body::None)
            .await?;
        String::from_utf8(b).map_err(|_| ClientError::Protocol("metrics: not UTF-8".into()))
    }

    /// `GET /openapi.json`.
    pub async fn openapi(&self) -> ClientResult<serde_json::Value> {
        let b = self
            .send_public(Method::GET, paths::OPENAPI, Body::None)
            .await?;
        parse(&b, "OpenAPI document")
    }
}

/// One server-sent event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerEvent {
    /// The `event:` name (`ready`, `changed`).
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

type ByteStream =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<Vec<u8>>> + Send>>;

/// The open `GET /v1/events` stream.
pub struct EventStream {
    stream: ByteStream,
    buf: Vec<u8>,
    event: String,
    data: String,
}

impl core::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("EventStream")
    }
}

/// Longest line the event parser buffers.
const MAX_EVENT_LINE: usize = 64 * 1024;

impl EventStream {
    /// The next event; `None` when the server closed the stream. Comments
    /// (keep-alives) are skipped.
    pub async fn next_event(&mut self) -> ClientResult<Option<ServerEvent>> {
        loop {
            while let Some(pos) = self.buf.iter().position(|b| *b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=pos).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                let line = String::from_utf8(line)
                    .map_err(|_| ClientError::Protocol("event stream: not UTF-8".into()))?;
                if line.is_empty() {
                    if self.event.is_empty() && self.data.is_empty() {
                        continue;
                    }
                    let event = if self.event.is_empty() {
                        "message".to_owned()
                    } else {
                        core::mem::take(&mut self.event)
                    };
                    return Ok(Some(ServerEvent {
                        event,
                        data: core::mem::take(&mut self.data),
                    }));
                }
                if line.starts_with(':') {
                    continue;
                }
                let (field, value) = match line.split_once(':') {
                    Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
                    None => (line.as_str(), ""),
                };
                match field {
                    "event" => self.event = value.to_owned(),
                    "data" => {
                        if !self.data.is_empty() {
                            self.data.push('\n');
                        }
                        self.data.push_str(value);
                        if self.data.len() > MAX_EVENT_LINE {
                            return Err(ClientError::Protocol(
                                "event stream: event too large".into(),
                            ));
                        }
                    }
                    _ => {}
                }
            }
            if self.buf.len() > MAX_EVENT_LINE {
                return Err(ClientError::Protocol("event stream: line too long".into()));
            }
            match self.stream.next().await {
                Some(chunk) => self.buf.extend_from_slice(&chunk?),
                None => return Ok(None),
            }
        }
    }
}
