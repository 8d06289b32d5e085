//! A project's secrets (sealed names and values, versions, compare-and-swap
//! writes) and its stubs (names services asked for that do not exist).
//!
//! The server hands members ciphertext only: a secret's name is sealed
//! inside its versions, and their clients decrypt. Non-members get one 403
//! before the body is looked at; ids in a body must match the path.

use super::projects::{grants_only_secret, member_of};
use crate::api::ErrorBody;
use crate::api::machine::*;
use crate::api::paths;
use crate::server::AppState;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{Auth, PathParams as Path, RawJson, Remote, path_id};
use crate::server::notify::Event;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use std::sync::Arc;
use vault_core::SecretId;
use vault_core::machine::{BlindIndex, EncryptedSecret, EncryptedSecretVersion};

/// The secret and stub routes (merged into [`crate::server::router`]).
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(paths::SECRETS, get(list_secrets))
        .route(paths::SECRET, put(put_secret).delete(delete_secret))
        .route(paths::SECRET_VERSIONS, get(secret_versions))
        .route(paths::STUBS, get(list_stubs))
        .route(paths::STUB_FILL, post(fill_stub))
}

/// Refuses a record or version that names another project or secret than
/// the path.
fn same_secret(
    secret: &EncryptedSecret,
    version: &EncryptedSecretVersion,
    project: vault_core::VaultId,
    id: Option<SecretId>,
) -> ApiResult<()> {
    let id = id.unwrap_or(secret.secret);
    if secret.project != project
        || version.project != project
        || secret.secret != id
        || version.secret != id
    {
        return Err(ApiError::bad(
            "the secret or its version names another project or secret",
        ));
    }
    Ok(())
}

/// The project's secrets, each with its current sealed version.
#[utoipa::path(get, path = "/v1/projects/{project}/secrets", tag = "secrets", security(("bearer" = [])),
    params(("project" = String, Path, description = "project id")),
    responses((status = 200, body = SecretsBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_secrets(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Path(project): Path<String>,
) -> ApiResult<Json<SecretsBody>> {
    let project = path_id(&project, "project")?;
    let rows = st.store.secrets(auth.account, project).await?;
    Ok(Json(SecretsBody {
        secrets: rows
            .into_iter()
            .map(|r| SecretBody {
                secret: r.secret,
                current: r.current,
                rotate_pending: r.rotate_pending,
                created_at_ms: r.created_at,
                updated_at_ms: r.updated_at,
                uses: r.uses,
                last_used_at_ms: r.last_used_at,
            })
            .collect(),
    }))
}

/// Creates a secret (`base_version` 0) or writes its next version if the
/// server still holds `base_version` (409 `conflict` otherwise, or when
/// another secret has the name's blind index). Owners and editors.
#[utoipa::path(put, path = "/v1/projects/{project}/secrets/{secret}", tag = "secrets", security(("bearer" = [])),
    params(("project" = String, Path, description = "project id"), ("secret" = String, Path, description = "secret id")),
    request_body = PutSecretRequest,
    responses((status = 200, body = SecretWritten, description = "a new version"), (status = 201, body = SecretWritten, description = "a new secret"),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn put_secret(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    Path((project, secret)): Path<(String, String)>,
    body: RawJson,
) -> ApiResult<(StatusCode, Json<SecretWritten>)> {
    let project = member_of(&st, &auth, &project).await?.public.project;
    let secret: SecretId = path_id(&secret, "secret")?;
    let req: PutSecretRequest = body.parse()?;
    same_secret(&req.secret, &req.version, project, Some(secret))?;
    st.store
        .put_secret(
            auth.account,
            &req.secret,
            &req.version,
            req.base_version,
            remote.as_deref(),
        )
        .await?;
    st.publish(&[Event::Project(project, Some(secret))]).await;
    let status = if req.base_version == 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(SecretWritten {
            secret,
            version: req.version.version,
        }),
    ))
}

/// Deletes a secret with its versions, grants and requests. Owners and
/// editors.
#[utoipa::path(delete, path = "/v1/projects/{project}/secrets/{secret}", tag = "secrets", security(("bearer" = [])),
    params(("project" = String, Path, description = "project id"), ("secret" = String, Path, description = "secret id")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_secret(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    Path((project, secret)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let project = path_id(&project, "project")?;
    let secret: SecretId = path_id(&secret, "secret")?;
    st.store
        .delete_secret(auth.account, project, secret, remote.as_deref())
        .await?;
    st.publish(&[Event::Project(project, Some(secret))]).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Every stored version of a secret, oldest first (its history).
#[utoipa::path(get, path = "/v1/projects/{project}/secrets/{secret}/versions", tag = "secrets", security(("bearer" = [])),
    params(("project" = String, Path, description = "project id"), ("secret" = String, Path, description = "secret id")),
    responses((status = 200, body = SecretVersionsBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn secret_versions(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Path((project, secret)): Path<(String, String)>,
) -> ApiResult<Json<SecretVersionsBody>> {
    let project = path_id(&project, "project")?;
    let secret: SecretId = path_id(&secret, "secret")?;
    let rows = st
        .store
        .secret_versions(auth.account, project, secret)
        .await?;
    Ok(Json(SecretVersionsBody {
        versions: rows
            .into_iter()
            .map(|r| SecretVersionBody {
                version: r.version,
                created_at_ms: r.created_at,
            })
            .collect(),
    }))
}

/// Names services asked for that do not exist: one row per blind index and
/// asking service, with the name and description sealed to the project.
#[utoipa::path(get, path = "/v1/projects/{project}/stubs", tag = "secrets", security(("bearer" = [])),
    params(("project" = String, Path, description = "project id")),
    responses((status = 200, body = StubsBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_stubs(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Path(project): Path<String>,
) -> ApiResult<Json<StubsBody>> {
    let project = path_id(&project, "project")?;
    let rows = st.store.stubs(auth.account, project).await?;
    Ok(Json(StubsBody {
        stubs: rows
            .into_iter()
            .map(|r| StubBody {
                blind_index: r.blind_index,
                service: r.service,
                hint: r.hint,
                attempts: r.attempts,
                first_at_ms: r.first_at,
                last_at_ms: r.last_at,
            })
            .collect(),
    }))
}

/// Fills a stub: creates the secret (its blind index must be the path's)
/// and grants it to approved services that asked for it, in one step.
/// Owners and editors.
#[utoipa::path(post, path = "/v1/projects/{project}/stubs/{blind_index}/fill", tag = "secrets", security(("bearer" = [])),
    params(("project" = String, Path, description = "project id"), ("blind_index" = String, Path, description = "the stub's blind index (base64url)")),
    request_body = FillStubRequest,
    responses((status = 201, body = SecretWritten), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn fill_stub(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    Path((project, blind_index)): Path<(String, String)>,
    body: RawJson,
) -> ApiResult<(StatusCode, Json<SecretWritten>)> {
    let project = member_of(&st, &auth, &project).await?.public.project;
    let blind_index: BlindIndex = path_id(&blind_index, "blind index")?;
    let req: FillStubRequest = body.parse()?;
    same_secret(&req.secret, &req.version, project, None)?;
    if req.secret.blind_index != blind_index {
        return Err(ApiError::bad(
            "the secret has another blind index than the stub",
        ));
    }
    if req.grants.iter().any(|g| g.project != project)
        || !grants_only_secret(&req.grants, req.secret.secret)
    {
        return Err(ApiError::bad("a fill grants the new secret only"));
    }
    st.store
        .fill_stub(
            auth.account,
            &req.secret,
            &req.version,
            &req.grants,
            remote.as_deref(),
        )
        .await?;
    let mut events = vec![Event::Project(project, Some(req.secret.secret))];
    for g in &req.grants {
        let e = Event::Service(g.service);
        if !events.contains(&e) {
            events.push(e);
        }
    }
    st.publish(&events).await;
    Ok((
        StatusCode::CREATED,
        Json(SecretWritten {
            secret: req.secret.secret,
            version: req.version.version,
        }),
    ))
}
