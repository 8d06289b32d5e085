//! Vaults: creation and key rotation.

use crate::api::*;
use crate::server::AppState;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{Auth, JsonBody, PathParams as Path, RawJson, Remote, path_id};
use crate::server::notify::Event;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use std::sync::Arc;
use vault_core::VaultId;

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
    body: RawJson,
) -> ApiResult<StatusCode> {
    let vault: VaultId = path_id(&vault, "vault")?;
    // Authorise before saying anything about the body.
    st.store.require_owner(auth.account, vault).await?;
    let req: RotateRequest = body.parse()?;
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
