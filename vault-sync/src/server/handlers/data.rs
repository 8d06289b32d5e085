//! Vaults, members, items and the change feed.

use crate::api::*;
use crate::server::AppState;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{
    Auth, JsonBody, PathParams as Path, Query, Remote, check_identifier, path_id,
};
use crate::server::notify::Event;
use crate::store::Lookup;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use vault_core::sync::wire::{
    Cursor, ItemState, OpId, PushRequest, PushResponse, PushResult, PushWrite, RejectReason,
    WIRE_VERSION,
};
use vault_core::{AccountId, ItemId, VaultId};

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
    let by = match (&q.identifier, &q.account) {
        (Some(i), None) => {
            check_identifier(i)?;
            Lookup::Identifier(i)
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

/// Creates a vault owned by the caller.
#[utoipa::path(post, path = "/v1/vaults", tag = "vaults", security(("bearer" = [])),
    request_body = CreateVaultRequest,
    responses((status = 201, body = VaultCreated), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_vault(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    JsonBody(req): JsonBody<CreateVaultRequest>,
) -> ApiResult<(StatusCode, Json<VaultCreated>)> {
    st.store
        .create_vault(auth.account, &req.meta, &req.key, remote.as_deref())
        .await?;
    st.publish(&[Event::Account(auth.account)]).await;
    Ok((
        StatusCode::CREATED,
        Json(VaultCreated {
            vault: req.meta.vault,
        }),
    ))
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
    JsonBody(req): JsonBody<PutMemberRequest>,
) -> ApiResult<StatusCode> {
    let vault: VaultId = path_id(&vault, "vault")?;
    let member: AccountId = path_id(&member, "account")?;
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
    let member: AccountId = path_id(&member, "account")?;
    st.store
        .remove_member(auth.account, vault, member, remote.as_deref())
        .await?;
    st.publish(&[Event::Account(member), Event::Vault(vault)])
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Rotates the caller's vault to a new key generation, atomically.
#[utoipa::path(post, path = "/v1/vaults/{vault}/rotate", tag = "vaults", security(("bearer" = [])),
    params(("vault" = String, Path, description = "vault id")),
    request_body = RotateRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn rotate(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    Path(vault): Path<String>,
    JsonBody(req): JsonBody<RotateRequest>,
) -> ApiResult<StatusCode> {
    let vault: VaultId = path_id(&vault, "vault")?;
    if req.meta.vault != vault {
        return Err(ApiError::bad("the metadata names another vault"));
    }
    let members: Vec<_> = req
        .members
        .into_iter()
        .map(|m| (m.account, m.keys))
        .collect();
    st.store
        .rotate_vault_key(
            auth.account,
            &req.meta,
            &req.items,
            &members,
            remote.as_deref(),
        )
        .await?;
    st.publish(&[Event::Vault(vault)]).await;
    Ok(StatusCode::NO_CONTENT)
}

fn item_path(vault: &str, item: &str) -> ApiResult<(VaultId, ItemId)> {
    Ok((path_id(vault, "vault")?, path_id(item, "item")?))
}

/// One item's current state.
#[utoipa::path(get, path = "/v1/vaults/{vault}/items/{item}", tag = "items", security(("bearer" = [])),
    params(("vault" = String, Path, description = "vault id"), ("item" = String, Path, description = "item id")),
    responses((status = 200, body = Object, description = "ItemState"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_item(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Path((vault, item)): Path<(String, String)>,
) -> ApiResult<Json<ItemState>> {
    let (vault, item) = item_path(&vault, &item)?;
    let s = st
        .store
        .item(auth.account, vault, item)
        .await?
        .ok_or(ApiError::NotFound("no such item"))?;
    Ok(Json(s))
}

/// Applies one write and answers for it alone; tells the vault's other
/// devices if it landed.
async fn write_one(st: &AppState, auth: Auth, w: PushWrite) -> ApiResult<Json<ItemWritten>> {
    let vault = w.vault();
    let r = st.store.push(auth.account, &[w]).await?;
    let ok = matches!(r.first(), Some(PushResult::Ok { .. }));
    let out = single(r.into_iter().next());
    if ok {
        st.publish(&[Event::Vault(vault)]).await;
    }
    out
}

/// Maps one push result to a single-item answer.
fn single(result: Option<PushResult>) -> ApiResult<Json<ItemWritten>> {
    match result {
        Some(PushResult::Ok { revision, .. }) => Ok(Json(ItemWritten { revision })),
        Some(PushResult::Conflict { current, .. }) => Err(ApiError::Conflict(
            "the item changed: merge with the current version and retry",
            Some(Box::new(current)),
        )),
        Some(PushResult::Rejected { reason, .. }) => Err(match reason {
            RejectReason::StaleKey => ApiError::StaleKey,
            RejectReason::Forbidden => ApiError::Forbidden("you may not write to this vault"),
            RejectReason::NotFound => ApiError::NotFound("no such vault or item"),
            RejectReason::TooLarge => ApiError::PayloadTooLarge,
            _ => ApiError::BadRequest(format!("write rejected: {}", reason.as_str())),
        }),
        None => Err(ApiError::Internal("push returned no result".into())),
    }
}

/// Writes an item if the server still holds revision `base` (0: new).
/// 409 with the current state otherwise.
#[utoipa::path(put, path = "/v1/vaults/{vault}/items/{item}", tag = "items", security(("bearer" = [])),
    params(("vault" = String, Path, description = "vault id"), ("item" = String, Path, description = "item id")),
    request_body = PutItemRequest,
    responses((status = 200, body = ItemWritten), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn put_item(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Path((vault, item)): Path<(String, String)>,
    JsonBody(req): JsonBody<PutItemRequest>,
) -> ApiResult<Json<ItemWritten>> {
    let (vault, item) = item_path(&vault, &item)?;
    if req.item.vault != vault || req.item.item != item {
        return Err(ApiError::bad("the blob names another vault or item"));
    }
    let w = PushWrite::Upsert {
        op: OpId(0),
        base: req.base,
        item: req.item,
    };
    write_one(&st, auth, w).await
}

/// Deletes an item (leaves a tombstone) if the server still holds `base`.
#[utoipa::path(delete, path = "/v1/vaults/{vault}/items/{item}", tag = "items", security(("bearer" = [])),
    params(("vault" = String, Path, description = "vault id"), ("item" = String, Path, description = "item id"), DeleteItemQuery),
    responses((status = 200, body = ItemWritten), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_item(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Path((vault, item)): Path<(String, String)>,
    Query(q): Query<DeleteItemQuery>,
) -> ApiResult<Json<ItemWritten>> {
    let (vault, item) = item_path(&vault, &item)?;
    let w = PushWrite::Delete {
        op: OpId(0),
        vault,
        item,
        base: q.base,
    };
    write_one(&st, auth, w).await
}

/// A page of the caller's change feed after `since`.
#[utoipa::path(get, path = "/v1/sync/changes", tag = "sync", security(("bearer" = [])),
    params(ChangesQuery),
    responses((status = 200, body = Object, description = "PullPage"), (status = 400, body = ErrorBody)))]
pub async fn changes(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Query(q): Query<ChangesQuery>,
) -> ApiResult<Response> {
    let since = q
        .since
        .map(Cursor::new)
        .transpose()
        .map_err(|_| ApiError::bad("since is not a cursor"))?;
    let limit = q.limit.unwrap_or(st.config.default_page);
    if limit == 0 {
        return Err(ApiError::bad("limit must be at least 1"));
    }
    // The store writes the page's JSON with the items' stored JSON copied
    // in: no parse and re-serialise of every blob.
    let json = st
        .store
        .pull_json(auth.account, since.as_ref(), limit)
        .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

/// Applies a batch of compare-and-swap writes, each independently, in one
/// transaction; answers per write.
#[utoipa::path(post, path = "/v1/sync/push", tag = "sync", security(("bearer" = [])),
    request_body(content = Object, description = "PushRequest"),
    responses((status = 200, body = Object, description = "PushResponse"), (status = 400, body = ErrorBody)))]
pub async fn push(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    JsonBody(req): JsonBody<PushRequest>,
) -> ApiResult<Json<PushResponse>> {
    if req.v != WIRE_VERSION {
        return Err(ApiError::bad("unsupported wire version"));
    }
    let results = st.store.push(auth.account, &req.writes).await?;
    let mut vaults: Vec<VaultId> = req
        .writes
        .iter()
        .zip(&results)
        .filter(|(_, r)| matches!(r, PushResult::Ok { .. }))
        .map(|(w, _)| w.vault())
        .collect();
    vaults.sort_unstable_by_key(|v| v.0);
    vaults.dedup();
    if !vaults.is_empty() {
        let events: Vec<Event> = vaults.into_iter().map(Event::Vault).collect();
        st.publish(&events).await;
    }
    Ok(Json(PushResponse {
        v: WIRE_VERSION,
        results,
    }))
}
