//! Projects (machine secrets, `docs/secrets.md`): make an owned vault a
//! project, list, read and remove projects, their address allowlist, and
//! the rotation of secret keys after a revocation.
//!
//! Every route authorises the caller before it looks at the body, so a
//! non-member gets the same 403 whatever it sent (and whether or not the
//! project exists); ids in a body must match the path.

use crate::api::ErrorBody;
use crate::api::machine::*;
use crate::api::paths;
use crate::server::AppState;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{Auth, PathParams as Path, RawJson, Remote, path_id};
use crate::server::notify::Event;
use crate::store::{self, ProjectRecord};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use std::sync::Arc;
use vault_core::VaultId;
use vault_core::machine::GrantScope;

/// The project routes (merged into [`crate::server::router`]).
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(paths::PROJECTS, get(list_projects))
        .route(
            paths::PROJECT,
            put(attach_project).get(get_project).delete(remove_project),
        )
        .route(paths::PROJECT_ALLOWLIST, put(set_project_allowlist))
        .route(paths::PROJECT_ROTATE, post(rotate_secrets))
}

/// The project of the path, if the caller is a member: the one refusal
/// (403) for non-members and for vaults that are not projects, before
/// anything about the body is said.
pub(super) async fn member_of(
    st: &AppState,
    auth: &Auth,
    project: &str,
) -> ApiResult<ProjectRecord> {
    let project: VaultId = path_id(project, "project")?;
    Ok(st.store.project(auth.account, project).await?)
}

pub(super) fn project_body(r: ProjectRecord) -> ProjectBody {
    ProjectBody {
        project: r.public.project,
        public: r.public,
        keys: r.keys,
        key_version: r.vault_key_version,
        allowlist: r.allowlist,
        counts: ProjectCounts {
            secrets: r.secrets,
            pending_services: r.pending_services,
            pending_requests: r.pending_requests,
            open_stubs: r.open_stubs,
        },
        created_at_ms: r.created_at,
    }
}

/// Makes the caller's vault a project: its public keys and its private
/// keys sealed under the vault's current key generation. Owner only.
#[utoipa::path(put, path = "/v1/projects/{project}", tag = "projects", security(("bearer" = [])),
    params(("project" = String, Path, description = "the vault's id")),
    request_body = AttachProjectRequest,
    responses((status = 201, body = ProjectBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn attach_project(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    Path(project): Path<String>,
    body: RawJson,
) -> ApiResult<(StatusCode, Json<ProjectBody>)> {
    let project: VaultId = path_id(&project, "project")?;
    st.store.require_owner(auth.account, project).await?;
    let req: AttachProjectRequest = body.parse()?;
    if req.public.project != project || req.keys.project != project {
        return Err(ApiError::bad("the keys name another project"));
    }
    st.store
        .create_project(auth.account, &req.public, &req.keys, remote.as_deref())
        .await?;
    let record = st.store.project(auth.account, project).await?;
    st.publish(&[Event::Vault(project), Event::Project(project, None)])
        .await;
    Ok((StatusCode::CREATED, Json(project_body(record))))
}

/// The projects the caller is a member of.
#[utoipa::path(get, path = "/v1/projects", tag = "projects", security(("bearer" = [])),
    responses((status = 200, body = ProjectsBody), (status = 401, body = ErrorBody)))]
pub async fn list_projects(
    State(st): State<Arc<AppState>>,
    auth: Auth,
) -> ApiResult<Json<ProjectsBody>> {
    let projects = st.store.projects(auth.account).await?;
    Ok(Json(ProjectsBody {
        projects: projects.into_iter().map(project_body).collect(),
    }))
}

/// One project.
#[utoipa::path(get, path = "/v1/projects/{project}", tag = "projects", security(("bearer" = [])),
    params(("project" = String, Path, description = "project id")),
    responses((status = 200, body = ProjectBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn get_project(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Path(project): Path<String>,
) -> ApiResult<Json<ProjectBody>> {
    Ok(Json(project_body(member_of(&st, &auth, &project).await?)))
}

/// Removes a project's machine side (secrets, versions, services, grants,
/// requests, stubs); the vault stays. Owner only.
#[utoipa::path(delete, path = "/v1/projects/{project}", tag = "projects", security(("bearer" = [])),
    params(("project" = String, Path, description = "project id")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn remove_project(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    Path(project): Path<String>,
) -> ApiResult<StatusCode> {
    let project: VaultId = path_id(&project, "project")?;
    st.store
        .remove_project(auth.account, project, remote.as_deref())
        .await?;
    st.publish(&[Event::Vault(project), Event::Project(project, None)])
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces the project's address allowlist (IPv4 and IPv6 CIDRs; empty
/// allows any address). Owners and editors.
#[utoipa::path(put, path = "/v1/projects/{project}/allowlist", tag = "projects", security(("bearer" = [])),
    params(("project" = String, Path, description = "project id")),
    request_body = AllowlistBody,
    responses((status = 200, body = AllowlistBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn set_project_allowlist(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    Path(project): Path<String>,
    body: RawJson,
) -> ApiResult<Json<AllowlistBody>> {
    let project = member_of(&st, &auth, &project).await?.public.project;
    let req: AllowlistBody = body.parse()?;
    let cidrs = st
        .store
        .set_project_allowlist(auth.account, project, &req.cidrs, remote.as_deref())
        .await?;
    st.publish(&[Event::Project(project, None)]).await;
    Ok(Json(AllowlistBody { cidrs }))
}

/// Applies rotated secret keys after a revocation, all or nothing: each
/// secret moves to its next key generation with every version re-sealed,
/// the services that keep access get new grants, stale grants go.
#[utoipa::path(post, path = "/v1/projects/{project}/rotate", tag = "projects", security(("bearer" = [])),
    params(("project" = String, Path, description = "project id")),
    request_body = SecretsRotationRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn rotate_secrets(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    Path(project): Path<String>,
    body: RawJson,
) -> ApiResult<StatusCode> {
    let project = member_of(&st, &auth, &project).await?.public.project;
    let req: SecretsRotationRequest = body.parse()?;
    let foreign = req.secrets.iter().any(|s| s.project != project)
        || req.versions.iter().any(|v| v.project != project)
        || req.grants.iter().any(|g| g.project != project)
        || req
            .project_keys
            .as_ref()
            .is_some_and(|k| k.project != project);
    if foreign {
        return Err(ApiError::bad("the rotation names another project"));
    }
    let rotation = store::SecretsRotation {
        secrets: req.secrets,
        versions: req.versions,
        grants: req.grants,
        project_keys: req.project_keys,
    };
    st.store
        .rotate_secrets(auth.account, project, &rotation, remote.as_deref())
        .await?;
    // Services whose grants changed hear of it; every service of the
    // project re-reads what changed.
    let mut events = vec![Event::Project(project, None)];
    for g in &rotation.grants {
        let e = Event::Service(g.service);
        if !events.contains(&e) {
            events.push(e);
        }
    }
    st.publish(&events).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether every grant names this project and service (the store checks
/// signatures and generations; this catches a body filed under the wrong
/// path before it gets there).
pub(super) fn grants_address(
    grants: &[vault_core::machine::ServiceGrant],
    project: VaultId,
    service: vault_core::ServiceId,
) -> ApiResult<()> {
    if grants
        .iter()
        .any(|g| g.project != project || g.service != service)
    {
        return Err(ApiError::bad("a grant names another project or service"));
    }
    Ok(())
}

/// Whether every grant is of this one secret.
pub(super) fn grants_only_secret(
    grants: &[vault_core::machine::ServiceGrant],
    secret: vault_core::SecretId,
) -> bool {
    grants
        .iter()
        .all(|g| matches!(g.scope, GrantScope::Secret { secret: s, .. } if s == secret))
}
