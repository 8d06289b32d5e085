//! Account lifecycle: the recovery kit (store it, log in with it) and
//! account key rotation. The server stores and compares; it never sees the
//! recovery key or an account key (see `vault_core::recovery`,
//! `vault_core::rotation` and docs/protocol.md §12).

use crate::api::*;
use crate::server::AppState;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{Auth, JsonBody, Remote, canonical_identifier};
use crate::server::handlers::auth::account_body;
use crate::server::login::{login_failed, login_succeeded, require_fresh_login, throttle};
use crate::server::notify::Event;
use crate::store::AuditAction;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use std::sync::Arc;
use vault_core::SymmetricKey;

/// The stored recovery kit wrap, if any (to show whether a kit is set up).
#[utoipa::path(get, path = "/v1/account/recovery", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = RecoveryKitStatus), (status = 401, body = ErrorBody)))]
pub async fn get_recovery(
    State(st): State<Arc<AppState>>,
    auth: Auth,
) -> ApiResult<Json<RecoveryKitStatus>> {
    Ok(Json(RecoveryKitStatus {
        wrap: st.store.recovery(auth.account).await?,
    }))
}

/// Sets up (or replaces) the recovery kit. Needs a fresh login: whoever can
/// set the kit can later reset the password with it.
#[utoipa::path(put, path = "/v1/account/recovery", tag = "account", security(("bearer" = [])),
    request_body = RecoveryKitBody,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn put_recovery(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    JsonBody(req): JsonBody<RecoveryKitBody>,
) -> ApiResult<StatusCode> {
    require_fresh_login(&st, &auth).await?;
    st.store
        .set_recovery(auth.account, &req.wrap, remote.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes the recovery kit (its words stop working). Needs a fresh login.
#[utoipa::path(delete, path = "/v1/account/recovery", tag = "account", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_recovery(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
) -> ApiResult<StatusCode> {
    require_fresh_login(&st, &auth).await?;
    if st
        .store
        .remove_recovery(auth.account, remote.as_deref())
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("no recovery kit is set up"))
    }
}

/// Logs in with the recovery kit: `{identifier, token}` → a fresh session,
/// the account record and the wrap. Throttled with the logins (same keys,
/// same backoff); an unknown identifier, an account without a kit and a
/// wrong token all fail alike with `authentication_failed`.
#[utoipa::path(post, path = "/v1/recovery/login", tag = "auth",
    request_body = RecoveryLoginRequest,
    responses((status = 200, body = RecoveryLoginDone), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn recovery_login(
    State(st): State<Arc<AppState>>,
    Remote(remote): Remote,
    JsonBody(req): JsonBody<RecoveryLoginRequest>,
) -> ApiResult<Json<RecoveryLoginDone>> {
    let identifier = canonical_identifier(&req.identifier)?;
    let token = vault_core::encoding::b64_decode(&req.token, "token")
        .ok()
        .and_then(|b| SymmetricKey::from_slice(&b).ok())
        .ok_or(ApiError::bad(
            "token must be 32 bytes of unpadded base64url",
        ))?;
    throttle(&st, &identifier, remote.as_deref()).await?;
    let found = st.store.recovery_by_identifier(&identifier).await?;
    let (account, wrap) = match found {
        Some((account, wrap)) if wrap.check_auth_token(&token) => (account, wrap),
        other => {
            return Err(login_failed(
                &st,
                AuditAction::RecoveryLogin,
                "recovery",
                other.map(|(a, _)| a),
                &identifier,
                remote.as_deref(),
            )
            .await);
        }
    };
    let session = login_succeeded(
        &st,
        AuditAction::RecoveryLogin,
        "recovery",
        account,
        &identifier,
        remote.as_deref(),
    )
    .await?;
    let body = account_body(st.store.account(account).await?);
    Ok(Json(RecoveryLoginDone {
        session,
        account: body,
        wrap,
    }))
}

/// Applies an account key rotation change set, all-or-nothing. Needs a
/// fresh login; ends every other session. `409` if the account key was
/// rotated since the change set was made (a replay) or a vault key changed
/// meanwhile.
#[utoipa::path(post, path = "/v1/account/rotate", tag = "account", security(("bearer" = [])),
    request_body = AccountRotateRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn rotate_account(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    JsonBody(req): JsonBody<AccountRotateRequest>,
) -> ApiResult<StatusCode> {
    require_fresh_login(&st, &auth).await?;
    st.store
        .rotate_account_key(
            auth.account,
            &req.change,
            req.recovery.as_ref(),
            Some(auth.session),
            remote.as_deref(),
        )
        .await?;
    st.publish(&[Event::Account(auth.account)]).await;
    Ok(StatusCode::NO_CONTENT)
}
