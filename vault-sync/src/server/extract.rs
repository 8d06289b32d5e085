//! Request extractors that turn every kind of bad input into an
//! [`ApiError`] with a JSON body: wrong content type (415), oversized body
//! (413), malformed JSON, wrong types or unknown fields (400), bad query
//! strings and path ids (400), missing or invalid tokens (401).
//!
//! JSON error messages give the category and position only, never a piece
//! of the input (serde's messages quote values, which may be secrets).

use super::AppState;
use super::error::ApiError;
use super::tokens::Claims;
use crate::store::SessionId;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;
use std::sync::Arc;
use vault_core::AccountId;

/// A JSON request body.
pub struct JsonBody<T>(pub T);

fn json_error(e: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Syntax => "malformed JSON",
        Category::Eof => "truncated JSON",
        Category::Data => "a field is missing, unknown or has the wrong type or value",
        Category::Io => "unreadable body",
    };
    ApiError::bad(format!(
        "invalid request body: {what} (line {}, column {})",
        e.line(),
        e.column()
    ))
}

/// Parses a JSON document; errors give the category and position only.
/// The document must be an object: serde would otherwise also accept a
/// struct in its positional array form (`[]` for a struct of defaults).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::bad(
            "invalid request body: expected a JSON object",
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| json_error(&e))
}

/// Checks an account identifier before it reaches the store or a PAKE:
/// 1 to 256 bytes, no control characters (Postgres refuses NUL, and no
/// one means a line break or a bidi override in a name they type).
pub fn check_identifier(identifier: &str) -> Result<(), ApiError> {
    if identifier.is_empty() || identifier.len() > crate::store::MAX_IDENTIFIER_LEN {
        return Err(ApiError::bad("the identifier must be 1 to 256 bytes"));
    }
    if identifier.chars().any(|c| {
        c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    }) {
        return Err(ApiError::bad(
            "the identifier must not contain control or bidi-override characters",
        ));
    }
    Ok(())
}

/// Path parameters, with rejections (bad UTF-8, wrong count) as JSON 400s.
pub struct PathParams<T>(pub T);

impl<T, S> FromRequestParts<S> for PathParams<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(t)| PathParams(t))
            .map_err(|_| ApiError::bad("a path parameter is malformed"))
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::bad("could not read the request body")
            }
        })?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// A query string.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or("");
        serde_urlencoded_from_str(q).map(Query)
    }
}

fn serde_urlencoded_from_str<T: DeserializeOwned>(q: &str) -> Result<T, ApiError> {
    axum::extract::Query::<T>::try_from_uri(
        &format!("/?{q}")
            .parse()
            .map_err(|_| ApiError::bad("invalid query string"))?,
    )
    .map(|axum::extract::Query(t)| t)
    .map_err(|_| {
        ApiError::bad("invalid query string: a parameter is missing, unknown or malformed")
    })
}

/// Parses a path segment as an id.
pub fn path_id<T: core::str::FromStr>(s: &str, what: &'static str) -> Result<T, ApiError> {
    s.parse()
        .map_err(|_| ApiError::bad(format!("the {what} id in the path is malformed")))
}

/// The client's address for throttling and the audit log: the socket's
/// peer, or with `trust_forwarded` the first `X-Forwarded-For` entry (set
/// it only behind a proxy that overwrites that header).
pub fn remote_addr(parts: &Parts, trust_forwarded: bool) -> Option<String> {
    if trust_forwarded
        && let Some(first) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
    {
        let first = first.trim();
        if !first.is_empty() && first.len() <= 64 && first.parse::<std::net::IpAddr>().is_ok() {
            return Some(first.to_owned());
        }
    }
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

/// The caller's address.
pub struct Remote(pub Option<String>);

impl FromRequestParts<Arc<AppState>> for Remote {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &Arc<AppState>) -> Result<Self, ApiError> {
        Ok(Remote(remote_addr(parts, st.config.trust_forwarded)))
    }
}

/// A signed-in caller: a valid access token for an active session.
#[derive(Clone, Copy, Debug)]
pub struct Auth {
    /// The account.
    pub account: AccountId,
    /// The session.
    pub session: SessionId,
    /// The token's claims.
    pub claims: Claims,
}

impl FromRequestParts<Arc<AppState>> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &Arc<AppState>) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError::Unauthorized("missing bearer token"))?;
        let claims = st
            .tokens
            .verify(token.trim(), super::now_secs())
            .ok_or(ApiError::Unauthorized("invalid or expired access token"))?;
        st.sessions
            .check_active(&st.store, claims.account, claims.session)
            .await?;
        Ok(Auth {
            account: claims.account,
            session: claims.session,
            claims,
        })
    }
}
