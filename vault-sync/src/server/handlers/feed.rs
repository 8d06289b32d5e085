//! The change feed and batched pushes (what sync uses).

use crate::api::*;
use crate::server::AppState;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{Auth, JsonBody, Query};
use crate::server::notify::Event;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use vault_core::VaultId;
use vault_core::sync::wire::{Cursor, PushRequest, PushResponse, PushResult, WIRE_VERSION};

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
