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
use crate::clock::SharedClock;
use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;

// The endpoint methods, by resource: each file adds an `impl ApiClient` block
// on top of the core here (construction, sending, token refresh, errors).
mod account;
mod auth;
mod emergency;
mod events;
mod items;
mod machine;
mod sync;
mod system;
mod vaults;

pub use events::{EventStream, ServerEvent};
pub use items::ItemWrite;

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

struct Inner {
    http: reqwest::Client,
    base: String,
    timeout: Duration,
    tokens: tokio::sync::Mutex<Option<api::SessionTokens>>,
    replica: Option<Replica>,
    clock: SharedClock,
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

/// Whether an access token is still good for a request sent now.
fn fresh(t: &api::SessionTokens, now_secs: i64) -> bool {
    t.access_expires_at > now_secs.saturating_add(EXPIRY_MARGIN_SECS)
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
            b.error,
            // Server messages are fixed texts; cap them anyway.
            b.message.chars().take(300).collect::<String>(),
            b.retry_after,
        ),
        None => (
            // No error body (a proxy, or a server that is not ours).
            crate::api::ErrorCode::Unknown,
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
        Self::build(base_url, options, None, crate::clock::system())
    }

    /// As [`new`](Self::new), persisting rotated tokens into `replica`.
    pub(crate) fn build(
        base_url: &str,
        options: &HttpOptions,
        replica: Option<Replica>,
        clock: SharedClock,
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
                clock,
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
            Some(t) if fresh(&t, self.inner.clock.now_secs()) => Ok(t.access_token.clone()),
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
            && fresh(t, self.inner.clock.now_secs())
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
            && fresh(s, self.inner.clock.now_secs())
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
}
