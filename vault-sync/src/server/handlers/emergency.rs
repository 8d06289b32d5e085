//! Emergency access: an owner names a trusted contact and the vaults it may
//! ask for; the contact asks, the owner can cancel during the wait, and once
//! it has passed the contact claims the vaults (see
//! [`crate::store::emergency`] for the states and the one-transaction
//! claim, `docs/protocol.md` "Emergency access" for the flow).
//!
//! Refused claims are 409s with their own codes: `emergency_waiting` (with
//! `retry_after`, the seconds left, and the release time in the message),
//! `emergency_not_requested`, `emergency_released`.

use crate::api::*;
use crate::server::AppState;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{Auth, JsonBody, PathParams as Path, Remote, path_id};
use crate::server::notify::Event;
use crate::store::emergency::MAX_EMERGENCY_WAIT_MS;
use crate::store::{EmergencyClaim, EmergencyEntry, EmergencyStatus};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use std::sync::Arc;
use vault_core::AccountId;

fn entry_body(e: &EmergencyEntry) -> EmergencyEntryBody {
    EmergencyEntryBody {
        owner: e.owner,
        contact: e.contact,
        state: e.state,
        wait_secs: u64::try_from(e.wait_ms / 1000).unwrap_or(0),
        requested_at_ms: e.requested_at,
        release_at_ms: e.release_at(),
        vaults: e
            .vaults
            .iter()
            .map(|(vault, key_version)| EmergencyVaultBody {
                vault: *vault,
                key_version: *key_version,
            })
            .collect(),
        created_at_ms: e.created_at,
        updated_at_ms: e.updated_at,
    }
}

fn list_body(s: &EmergencyStatus) -> EmergencyListBody {
    EmergencyListBody {
        as_owner: s.as_owner.iter().map(entry_body).collect(),
        as_contact: s.as_contact.iter().map(entry_body).collect(),
    }
}

/// The caller's emergency access, both ways.
#[utoipa::path(get, path = "/v1/emergency", tag = "emergency", security(("bearer" = [])),
    responses((status = 200, body = EmergencyListBody), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(st): State<Arc<AppState>>,
    auth: Auth,
) -> ApiResult<Json<EmergencyListBody>> {
    let status = st.store.emergency_status(auth.account).await?;
    Ok(Json(list_body(&status)))
}

/// Names (or replaces) the caller's emergency contact for the vaults of
/// the grants. Replacing resets the state to idle, except that the same
/// vaults with the same wait (a refresh after a key rotation) leave a
/// pending request running.
#[utoipa::path(put, path = "/v1/emergency/contacts/{contact}", tag = "emergency", security(("bearer" = [])),
    params(("contact" = String, Path, description = "the contact's account id")),
    request_body = PutEmergencyContactRequest,
    responses((status = 200, body = EmergencyEntryBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn put_contact(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    Path(contact): Path<String>,
    JsonBody(req): JsonBody<PutEmergencyContactRequest>,
) -> ApiResult<Json<EmergencyEntryBody>> {
    let contact: AccountId = path_id(&contact, "account")?;
    let min = st.config.emergency_min_wait.as_secs();
    let max = u64::try_from(MAX_EMERGENCY_WAIT_MS / 1000).unwrap_or(u64::MAX);
    if req.wait_secs < min.max(1) || req.wait_secs > max {
        return Err(ApiError::bad(format!(
            "the waiting period must be {} to {max} seconds",
            min.max(1)
        )));
    }
    let wait_ms = i64::try_from(req.wait_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let entry = st
        .store
        .set_emergency_contact(
            auth.account,
            contact,
            wait_ms,
            &req.grants,
            remote.as_deref(),
        )
        .await?;
    st.publish(&[Event::Account(contact)]).await;
    Ok(Json(entry_body(&entry)))
}

/// Removes the caller's emergency contact. Vaults it already received stay
/// shared: remove it from them like any member.
#[utoipa::path(delete, path = "/v1/emergency/contacts/{contact}", tag = "emergency", security(("bearer" = [])),
    params(("contact" = String, Path, description = "the contact's account id")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_contact(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    Path(contact): Path<String>,
) -> ApiResult<StatusCode> {
    let contact: AccountId = path_id(&contact, "account")?;
    st.store
        .remove_emergency_contact(auth.account, contact, remote.as_deref())
        .await?;
    st.publish(&[Event::Account(contact)]).await;
    Ok(StatusCode::NO_CONTENT)
}

/// The owner cancels the contact's pending request: nothing is released.
#[utoipa::path(post, path = "/v1/emergency/contacts/{contact}/cancel", tag = "emergency", security(("bearer" = [])),
    params(("contact" = String, Path, description = "the contact's account id")),
    responses((status = 200, body = EmergencyEntryBody), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn cancel(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    Path(contact): Path<String>,
) -> ApiResult<Json<EmergencyEntryBody>> {
    let contact: AccountId = path_id(&contact, "account")?;
    let entry = st
        .store
        .cancel_emergency_request(auth.account, contact, remote.as_deref())
        .await?;
    st.publish(&[Event::Account(contact)]).await;
    Ok(Json(entry_body(&entry)))
}

/// The contact asks for the owner's vaults: the wait starts (asking again
/// while a request is pending changes nothing). The owner's devices are
/// told at once (an event on their stream), so the owner can cancel.
#[utoipa::path(post, path = "/v1/emergency/grantors/{owner}/request", tag = "emergency", security(("bearer" = [])),
    params(("owner" = String, Path, description = "the owner's account id")),
    responses((status = 200, body = EmergencyEntryBody), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn request(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    Path(owner): Path<String>,
) -> ApiResult<Json<EmergencyEntryBody>> {
    let owner: AccountId = path_id(&owner, "account")?;
    let entry = st
        .store
        .request_emergency_access(auth.account, owner, st.clock.now_ms(), remote.as_deref())
        .await?;
    st.publish(&[Event::Account(owner)]).await;
    Ok(Json(entry_body(&entry)))
}

/// The contact claims the owner's vaults once the wait has passed: in one
/// transaction the request is marked released and the contact becomes a
/// viewer of every vault whose grant is at the vault's current key
/// generation (sync to receive them). Refusals change nothing.
#[utoipa::path(post, path = "/v1/emergency/grantors/{owner}/claim", tag = "emergency", security(("bearer" = [])),
    params(("owner" = String, Path, description = "the owner's account id")),
    responses((status = 200, body = EmergencyClaimed), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "`emergency_waiting` (with `retry_after`), `emergency_not_requested` or `emergency_released`")))]
pub async fn claim(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    Path(owner): Path<String>,
) -> ApiResult<Json<EmergencyClaimed>> {
    let owner: AccountId = path_id(&owner, "account")?;
    let now = st.clock.now_ms();
    let outcome = st
        .store
        .claim_emergency_access(auth.account, owner, now, remote.as_deref())
        .await?;
    match outcome {
        EmergencyClaim::Released { released, stale } => {
            let mut events = vec![Event::Account(auth.account), Event::Account(owner)];
            events.extend(released.iter().copied().map(Event::Vault));
            st.publish(&events).await;
            Ok(Json(EmergencyClaimed { released, stale }))
        }
        EmergencyClaim::Waiting { release_at } => {
            let left_ms = u64::try_from(release_at.saturating_sub(now)).unwrap_or(0);
            Err(ApiError::Coded {
                status: StatusCode::CONFLICT,
                code: crate::api::ErrorCode::EmergencyWaiting,
                message: format!(
                    "the waiting period has not passed: the vaults can be claimed at {release_at} (Unix ms)"
                ),
                retry_after: Some(left_ms.div_ceil(1000).max(1)),
            })
        }
        EmergencyClaim::NotRequested => Err(ApiError::Coded {
            status: StatusCode::CONFLICT,
            code: crate::api::ErrorCode::EmergencyNotRequested,
            message: "no request is pending (never made, or cancelled by the owner): request access first".into(),
            retry_after: None,
        }),
        EmergencyClaim::AlreadyReleased => Err(ApiError::Coded {
            status: StatusCode::CONFLICT,
            code: crate::api::ErrorCode::EmergencyReleased,
            message: "the vaults were already released".into(),
            retry_after: None,
        }),
    }
}
