//! The API's one error type and its mapping to HTTP.
//!
//! Client faults get a 4xx with a stable code and a fixed message; server
//! faults get a generic 500/503 and their detail goes to the server log only
//! (sanitised by the store: SQLSTATE and constraint names, never row values).

use crate::api::{ErrorBody, ErrorCode};
use crate::store::StoreError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use vault_core::sync::wire::ItemState;

/// An error an endpoint answers with.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the request is malformed or inconsistent.
    BadRequest(String),
    /// 401: no valid access token, or a login that failed.
    Unauthorized(&'static str),
    /// 401 `authentication_failed`: wrong password or unknown account (same answer).
    AuthenticationFailed,
    /// 403.
    Forbidden(&'static str),
    /// 404.
    NotFound(&'static str),
    /// 409, with the item's current state when there is one.
    Conflict(&'static str, Option<Box<ItemState>>),
    /// 409 `stale_key`: sealed under a retired vault key generation.
    StaleKey,
    /// 413.
    PayloadTooLarge,
    /// 415.
    UnsupportedMediaType,
    /// 429, retry after this many seconds.
    RateLimited(u64),
    /// 500: detail is logged, never sent.
    Internal(String),
    /// 503: a dependency is down; detail is logged, never sent.
    Unavailable(String),
    /// A refusal with its own stable code (e.g. 409 `emergency_waiting`),
    /// optionally with the seconds to wait (`retry_after`, `Retry-After`).
    Coded {
        /// HTTP status (a 4xx).
        status: StatusCode,
        /// The stable code.
        code: ErrorCode,
        /// For people (never a secret).
        message: String,
        /// Seconds to wait before trying again, if that helps.
        retry_after: Option<u64>,
    },
}

impl ApiError {
    /// A 400 with this message.
    pub fn bad(msg: impl Into<String>) -> Self {
        ApiError::BadRequest(msg.into())
    }

    fn parts(&self) -> (StatusCode, ErrorCode, String) {
        match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest, m.clone()),
            ApiError::Unauthorized(m) => (
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthorized,
                (*m).into(),
            ),
            ApiError::AuthenticationFailed => (
                StatusCode::UNAUTHORIZED,
                ErrorCode::AuthenticationFailed,
                "wrong identifier or password".into(),
            ),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, ErrorCode::Forbidden, (*m).into()),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, ErrorCode::NotFound, (*m).into()),
            ApiError::Conflict(m, _) => (StatusCode::CONFLICT, ErrorCode::Conflict, (*m).into()),
            ApiError::StaleKey => (
                StatusCode::CONFLICT,
                ErrorCode::StaleKey,
                "sealed under a retired vault key: re-seal with the newest key".into(),
            ),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                "the request body is over the limit".into(),
            ),
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
                "send the body as application/json (UTF-8)".into(),
            ),
            ApiError::RateLimited(_) => (
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                "too many attempts: wait and try again".into(),
            ),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "internal server error".into(),
            ),
            ApiError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Unavailable,
                "the service is temporarily unavailable".into(),
            ),
            ApiError::Coded {
                status,
                code,
                message,
                ..
            } => (*status, *code, message.clone()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => ApiError::Conflict(m, None),
            StoreError::NotFound(m) => ApiError::NotFound(m),
            StoreError::Forbidden(m) => ApiError::Forbidden(m),
            StoreError::Invalid(m) => ApiError::BadRequest(m.into()),
            StoreError::Backend(b) if b.is_transient() => ApiError::Unavailable(b.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<vault_core::Error> for ApiError {
    /// Errors from parsing or checking client input with vault-core: the
    /// client's fault. (The server's own core calls map explicitly.)
    fn from(e: vault_core::Error) -> Self {
        // The codes protocol.md names for PAKE and format failures travel
        // as themselves (still 400s); the rest are `bad_request`.
        let code = match e {
            vault_core::Error::Malformed { .. } => ErrorCode::Malformed,
            vault_core::Error::UnsupportedVersion { .. } => ErrorCode::UnsupportedVersion,
            vault_core::Error::InvalidPeerValue(_) => ErrorCode::InvalidPeerValue,
            _ => ErrorCode::BadRequest,
        };
        ApiError::Coded {
            status: StatusCode::BAD_REQUEST,
            code,
            message: format!("invalid input ({})", e.code()),
            retry_after: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        match &self {
            ApiError::Internal(detail) => tracing::error!(%detail, "request failed"),
            ApiError::Unavailable(detail) => tracing::warn!(%detail, "dependency unavailable"),
            _ => tracing::debug!(code = code.as_str(), "request refused"),
        }
        let (current, retry_after) = match self {
            ApiError::Conflict(_, cur) => (cur.map(|b| *b), None),
            ApiError::RateLimited(s) => (None, Some(s)),
            ApiError::Coded { retry_after, .. } => (None, retry_after),
            _ => (None, None),
        };
        let body = ErrorBody {
            error: code,
            message,
            current,
            retry_after,
        };
        let mut resp = (status, Json(body)).into_response();
        if let Some(s) = retry_after
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"vault\""),
            );
        }
        resp
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
