//! Sharing: the identity directory and a vault's members.

use crate::api::*;
use crate::server::AppState;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{
    Auth, PathParams as Path, Query, RawJson, Remote, canonical_identifier, path_id,
};
use crate::server::notify::Event;
use crate::store::Lookup;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use std::sync::Arc;
use vault_core::{AccountId, VaultId};

/// One public identity, named exactly (no listing or search).
#[utoipa::path(get, path = "/v1/directory", tag = "sharing", security(("bearer" = [])),
    params(DirectoryQuery),
    responses((status = 200, body = DirectoryBody), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn directory(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    Query(q): Query<DirectoryQuery>,
) -> ApiResult<Json<DirectoryBody>> {
    // Sharing by identifier necessarily tells a signed-in user whether an
    // identifier has an account; lookups share the login-start cap per
    // address so the directory cannot be enumerated quickly.
    let address =
        crate::server::ratelimit::LimitKey::address(remote.as_deref().unwrap_or("unknown"));
    match st
        .limiter
        .check_start(std::slice::from_ref(&address), &address)
        .await
    {
        Ok(None) => {}
        Ok(Some(secs)) => return Err(ApiError::RateLimited(secs)),
        Err(e) => return Err(ApiError::Unavailable(e.to_string())),
    }
    let canonical;
    let by = match (&q.identifier, &q.account) {
        (Some(i), None) => {
            canonical = canonical_identifier(i)?;
            Lookup::Identifier(&canonical)
        }
        (None, Some(a)) => Lookup::Account(path_id(a, "account")?),
        _ => return Err(ApiError::bad("give exactly one of identifier and account")),
    };
    let e = st
        .store
        .lookup_identity(auth.account, by)
        .await?
        .ok_or(ApiError::NotFound("no such account"))?;
    Ok(Json(DirectoryBody {
        account: e.account,
        identifier: e.identifier,
        identity: e.identity,
    }))
}

/// A vault's active members (all of them for its owner, yourself otherwise).
#[utoipa::path(get, path = "/v1/vaults/{vault}/members", tag = "sharing", security(("bearer" = [])),
    params(("vault" = String, Path, description = "vault id")),
    responses((status = 200, body = MembersBody), (status = 400, body = ErrorBody)))]
pub async fn members(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Path(vault): Path<String>,
) -> ApiResult<Json<MembersBody>> {
    let vault: VaultId = path_id(&vault, "vault")?;
    let members = st.store.members(auth.account, vault).await?;
    Ok(Json(MembersBody {
        members: members
            .into_iter()
            .map(|m| MemberBody {
                account: m.account,
                role: m.role,
                key_version: m.key_version,
            })
            .collect(),
    }))
}

/// Adds a member to the caller's vault, or changes its role or keys.
#[utoipa::path(put, path = "/v1/vaults/{vault}/members/{account}", tag = "sharing", security(("bearer" = [])),
    params(("vault" = String, Path, description = "vault id"), ("account" = String, Path, description = "member's account id")),
    request_body = PutMemberRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn put_member(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    Path((vault, member)): Path<(String, String)>,
    body: RawJson,
) -> ApiResult<StatusCode> {
    let vault: VaultId = path_id(&vault, "vault")?;
    // Who may manage members first: a non-member gets the same 403 as for
    // any other part of the vault, whatever it sent.
    st.store.require_owner(auth.account, vault).await?;
    let member: AccountId = path_id(&member, "account")?;
    let req: PutMemberRequest = body.parse()?;
    if req.role == vault_core::Role::Owner {
        return Err(ApiError::bad(
            "a vault has one owner: give the member editor or viewer",
        ));
    }
    st.store
        .add_member(
            auth.account,
            vault,
            member,
            req.role,
            &req.keys,
            remote.as_deref(),
        )
        .await?;
    st.publish(&[Event::Account(member), Event::Vault(vault)])
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends a member's access to the caller's vault. Rotate the key afterwards.
#[utoipa::path(delete, path = "/v1/vaults/{vault}/members/{account}", tag = "sharing", security(("bearer" = [])),
    params(("vault" = String, Path, description = "vault id"), ("account" = String, Path, description = "member's account id")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_member(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    Path((vault, member)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let vault: VaultId = path_id(&vault, "vault")?;
    st.store.require_owner(auth.account, vault).await?;
    let member: AccountId = path_id(&member, "account")?;
    st.store
        .remove_member(auth.account, vault, member, remote.as_deref())
        .await?;
    st.publish(&[Event::Account(member), Event::Vault(vault)])
        .await;
    Ok(StatusCode::NO_CONTENT)
}
