//! Single-item reads and compare-and-swap writes.

use crate::api::*;
use crate::server::AppState;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{Auth, JsonBody, PathParams as Path, Query, path_id};
use crate::server::notify::Event;
use axum::Json;
use axum::extract::State;
use std::sync::Arc;
use vault_core::sync::wire::{ItemState, OpId, PushResult, PushWrite, RejectReason};
use vault_core::{ItemId, VaultId};

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
