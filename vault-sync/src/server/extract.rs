//! Request extractors that turn every kind of bad input into an
//! [`ApiError`] with a JSON body: wrong content type (415), oversized body
//! (413), malformed JSON, wrong types or unknown fields (400), bad query
//! strings and path ids (400), missing or invalid tokens (401).
//!
//! JSON error messages give the category and position only, never a piece
//! of the input (serde's messages quote values, which may be secrets).

use super::AppState;
use super::error::ApiError;
pub use super::machine::client_addr::{Proxies, client_ip};
use super::tokens::Claims;
use crate::api::ErrorCode;
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
    let message = format!(
        "invalid request body: {what} (line {}, column {})",
        e.line(),
        e.column()
    );
    // A vault-core value (a PAKE message, a record) that parsed as JSON but
    // failed its own checks answers with the core's documented code
    // (protocol.md §11), recognised by the core's error text. The message
    // still quotes nothing from the input.
    let code = match e.classify() {
        Category::Data => core_code_of(&e.to_string()),
        _ => ErrorCode::BadRequest,
    };
    ApiError::Coded {
        status: axum::http::StatusCode::BAD_REQUEST,
        code,
        message,
        retry_after: None,
    }
}

/// The [`ErrorCode`] of a vault-core error text (its `Display` forms), or
/// `bad_request`.
fn core_code_of(text: &str) -> ErrorCode {
    if text.starts_with("malformed ") {
        ErrorCode::Malformed
    } else if text.starts_with("unsupported ") && text.contains(" version ") {
        ErrorCode::UnsupportedVersion
    } else if text.starts_with("invalid peer value") {
        ErrorCode::InvalidPeerValue
    } else {
        ErrorCode::BadRequest
    }
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
    if identifier
        .chars()
        .any(vault_core::identifier::is_deceptive_char)
    {
        return Err(ApiError::bad(
            "the identifier must not contain control or bidi-override characters",
        ));
    }
    Ok(())
}

/// The canonical form of an identifier from a request
/// ([`vault_core::identifier::normalize_identifier`]): what every lookup and
/// throttle key uses, so look-alike spellings reach one account or none.
pub fn canonical_identifier(identifier: &str) -> Result<String, ApiError> {
    check_identifier(identifier)?;
    vault_core::identifier::normalize_identifier(identifier).map_err(|e| match e {
        vault_core::Error::Malformed { reason, .. } => ApiError::Coded {
            status: axum::http::StatusCode::BAD_REQUEST,
            code: crate::api::ErrorCode::Malformed,
            message: format!("the identifier is not valid: it {reason}"),
            retry_after: None,
        },
        other => ApiError::from(other),
    })
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

/// Whether a `Content-Type` is JSON in UTF-8: `application/json`, with no
/// `charset` or `charset=utf-8` (RFC 8259 §8.1: JSON between systems is
/// UTF-8; a body declared in another charset would be misread).
fn is_utf8_json(content_type: &str) -> bool {
    let mut parts = content_type.split(';');
    let media = parts.next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return false;
    }
    parts.all(|p| match p.split_once('=') {
        Some((k, v)) if k.trim().eq_ignore_ascii_case("charset") => {
            let v = v.trim().trim_matches('"');
            v.eq_ignore_ascii_case("utf-8") || v.eq_ignore_ascii_case("utf8")
        }
        _ => true,
    })
}

/// A JSON request body, checked (content type, size) but not yet parsed:
/// for handlers that must authorise the caller before saying anything
/// about the body, so a non-member learns nothing from a 400.
pub struct RawJson(Bytes);

impl RawJson {
    /// Parses the body (as [`JsonBody`] would have).
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        parse_json(&self.0)
    }
}

impl<S: Send + Sync> FromRequest<S> for RawJson {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(is_utf8_json);
        if !json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::bad("could not read the request body (cut off, or sent too slowly)")
            }
        })?;
        Ok(RawJson(bytes))
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        RawJson::from_request(req, state)
            .await?
            .parse()
            .map(JsonBody)
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

/// The client's address for throttling and the audit log, in canonical
/// text: the socket's peer, or when the peer is one of `proxies` the
/// address its `X-Forwarded-For` / `Forwarded` header gives, walked from
/// the right past trusted hops ([`client_addr`](super::machine::client_addr)).
/// Handlers pass `&st.config.trusted_proxies`; `true` trusts every peer,
/// `false` none. IPv4-mapped IPv6 becomes IPv4 and junk entries stop the
/// walk, so one client cannot get fresh throttle buckets by spelling its
/// address in different ways.
pub fn remote_addr<'a>(parts: &Parts, proxies: impl Into<Proxies<'a>>) -> Option<String> {
    remote_ip(parts, proxies).map(|ip| ip.to_string())
}

/// [`remote_addr`], as an address.
pub fn remote_ip<'a>(parts: &Parts, proxies: impl Into<Proxies<'a>>) -> Option<std::net::IpAddr> {
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    client_ip(peer, &parts.headers, proxies.into())
}

/// The token of an `Authorization: Bearer <token>` header; the scheme name
/// is case-insensitive (RFC 7235 §2.1).
pub fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token)
}

/// The caller's address.
pub struct Remote(pub Option<String>);

impl FromRequestParts<Arc<AppState>> for Remote {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &Arc<AppState>) -> Result<Self, ApiError> {
        Ok(Remote(remote_addr(parts, &st.config.trusted_proxies)))
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
            .and_then(bearer_token)
            .ok_or(ApiError::Unauthorized("missing bearer token"))?;
        let claims = st
            .tokens
            .verify(token.trim(), st.clock.now_secs())
            .ok_or(ApiError::Unauthorized("invalid or expired access token"))?;
        st.sessions
            .check_active(&st.store, st.clock.now_ms(), claims.account, claims.session)
            .await?;
        Ok(Auth {
            account: claims.account,
            session: claims.session,
            claims,
        })
    }
}
