//! A project's service identities (list, issue, approve, deny, revoke,
//! allowlist, grants) and its access requests (list, grant, deny).
//!
//! Approval is cryptographic: the admin's client seals keys to the
//! service's X25519 key and signs them with the project's Ed25519 key; the
//! server checks the signatures, addresses and key generations and files
//! the grants. Non-members get one 403 before the body is looked at; ids in
//! a body must match the path.

use super::projects::{grants_address, grants_only_secret, member_of};
use crate::api::ErrorBody;
use crate::api::machine::*;
use crate::api::paths;
use crate::server::AppState;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{Auth, PathParams as Path, RawJson, Remote, path_id};
use crate::server::notify::Event;
use crate::store;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use std::sync::Arc;
use vault_core::{SecretId, ServiceId, VaultId};

/// The service and access-request routes (merged into
/// [`crate::server::router`]).
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(paths::SERVICES, get(list_services).post(issue_service))
        .route(paths::SERVICE_APPROVE, post(approve_service))
        .route(paths::SERVICE_DENY, post(deny_service))
        .route(paths::SERVICE_REVOKE, post(revoke_service))
        .route(paths::SERVICE_ALLOWLIST, put(set_service_allowlist))
        .route(paths::SERVICE_GRANTS, get(service_grants))
        .route(paths::REQUESTS, get(list_requests))
        .route(paths::REQUEST_GRANT, post(grant_request))
        .route(paths::REQUEST_DENY, post(deny_request))
}

fn status_of(s: store::ServiceStatus) -> ServiceStatus {
    match s {
        store::ServiceStatus::Pending => ServiceStatus::Pending,
        store::ServiceStatus::Approved => ServiceStatus::Approved,
        store::ServiceStatus::Denied => ServiceStatus::Denied,
        store::ServiceStatus::Revoked => ServiceStatus::Revoked,
    }
}

fn access_of(a: store::ServiceAccess) -> ServiceAccess {
    match a {
        store::ServiceAccess::None => ServiceAccess::None,
        store::ServiceAccess::Project => ServiceAccess::Project,
        store::ServiceAccess::Secrets => ServiceAccess::Secrets,
    }
}

fn access_to_store(a: ServiceAccess) -> store::ServiceAccess {
    match a {
        ServiceAccess::None => store::ServiceAccess::None,
        ServiceAccess::Project => store::ServiceAccess::Project,
        ServiceAccess::Secrets => store::ServiceAccess::Secrets,
    }
}

fn origin_of(o: store::ServiceOrigin) -> ServiceOrigin {
    match o {
        store::ServiceOrigin::Registered => ServiceOrigin::Registered,
        store::ServiceOrigin::Issued => ServiceOrigin::Issued,
    }
}

fn request_status_of(s: store::RequestStatus) -> RequestStatus {
    match s {
        store::RequestStatus::Pending => RequestStatus::Pending,
        store::RequestStatus::Granted => RequestStatus::Granted,
        store::RequestStatus::Denied => RequestStatus::Denied,
    }
}

fn service_body(r: store::ServiceRecord) -> ServiceBody {
    ServiceBody {
        fingerprint: r.public.fingerprint(),
        service: r.public,
        name: r.name,
        software_version: r.software_version,
        status: status_of(r.status),
        access: access_of(r.access),
        origin: origin_of(r.origin),
        allowlist: r.allowlist,
        created_at_ms: r.created_at,
        decided_at_ms: r.decided_at,
        decided_by: r.decided_by,
        expires_at_ms: r.expires_at,
        registered_from: r.registered_from,
        uses: r.uses,
        last_used_at_ms: r.last_used_at,
    }
}

/// The project and service of a path, the caller checked as a member.
async fn service_path(
    st: &AppState,
    auth: &Auth,
    project: &str,
    service: &str,
) -> ApiResult<(VaultId, ServiceId)> {
    let project = member_of(st, auth, project).await?.public.project;
    let service: ServiceId = path_id(service, "service")?;
    Ok((project, service))
}

/// The project's service identities, with their fingerprints.
#[utoipa::path(get, path = "/v1/projects/{project}/services", tag = "services", security(("bearer" = [])),
    params(("project" = String, Path, description = "project id")),
    responses((status = 200, body = ServicesBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_services(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Path(project): Path<String>,
) -> ApiResult<Json<ServicesBody>> {
    let project = path_id(&project, "project")?;
    let rows = st.store.services(auth.account, project).await?;
    Ok(Json(ServicesBody {
        services: rows.into_iter().map(service_body).collect(),
    }))
}

/// Issues a service token: the admin's client made the token and sends
/// its public half with the grants; the service is approved at once.
/// Owners and editors.
#[utoipa::path(post, path = "/v1/projects/{project}/services", tag = "services", security(("bearer" = [])),
    params(("project" = String, Path, description = "project id")),
    request_body = IssueServiceRequest,
    responses((status = 201, body = ServiceBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn issue_service(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    Path(project): Path<String>,
    body: RawJson,
) -> ApiResult<(StatusCode, Json<ServiceBody>)> {
    let project = member_of(&st, &auth, &project).await?.public.project;
    let req: IssueServiceRequest = body.parse()?;
    if req.service.project != project {
        return Err(ApiError::bad("the service belongs to another project"));
    }
    let service = req.service.service;
    grants_address(&req.grants, project, service)?;
    let issued = store::IssuedService {
        public: req.service,
        name: req.name,
        approval: store::Approval {
            access: access_to_store(req.access),
            grants: req.grants,
        },
        expires_at: req.expires_at_ms,
    };
    st.store
        .issue_service(auth.account, &issued, remote.as_deref())
        .await?;
    st.publish(&[Event::Service(service)]).await;
    let record = st
        .store
        .services(auth.account, project)
        .await?
        .into_iter()
        .find(|s| s.public.service == service)
        .ok_or_else(|| ApiError::Internal("an issued service is not listed".into()))?;
    Ok((StatusCode::CREATED, Json(service_body(record))))
}

/// Approves a pending service with its grants (the index grant and either
/// one project grant or secret grants), or widens an approved one's
/// access. Owners and editors.
#[utoipa::path(post, path = "/v1/projects/{project}/services/{service}/approve", tag = "services", security(("bearer" = [])),
    params(("project" = String, Path, description = "project id"), ("service" = String, Path, description = "service id")),
    request_body = ApproveServiceRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn approve_service(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    Path((project, service)): Path<(String, String)>,
    body: RawJson,
) -> ApiResult<StatusCode> {
    let (project, service) = service_path(&st, &auth, &project, &service).await?;
    let req: ApproveServiceRequest = body.parse()?;
    grants_address(&req.grants, project, service)?;
    let approval = store::Approval {
        access: access_to_store(req.access),
        grants: req.grants,
    };
    st.store
        .approve_service(auth.account, project, service, &approval, remote.as_deref())
        .await?;
    st.publish(&[Event::Service(service)]).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Denies a pending service. Owners and editors. (No body.)
#[utoipa::path(post, path = "/v1/projects/{project}/services/{service}/deny", tag = "services", security(("bearer" = [])),
    params(("project" = String, Path, description = "project id"), ("service" = String, Path, description = "service id")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn deny_service(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    Path((project, service)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let project: VaultId = path_id(&project, "project")?;
    let service: ServiceId = path_id(&service, "service")?;
    st.store
        .deny_service(auth.account, project, service, remote.as_deref())
        .await?;
    st.publish(&[Event::Service(service)]).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes an approved service: it authenticates no more and its grants
/// are gone. Answers the secrets it could read, now marked for rotation
/// (rotate them with `POST /v1/projects/{project}/rotate`; after a
/// whole-project service, rotate the vault key first). Owners and editors.
#[utoipa::path(post, path = "/v1/projects/{project}/services/{service}/revoke", tag = "services", security(("bearer" = [])),
    params(("project" = String, Path, description = "project id"), ("service" = String, Path, description = "service id")),
    responses((status = 200, body = ServiceRevoked), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn revoke_service(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    Path((project, service)): Path<(String, String)>,
) -> ApiResult<Json<ServiceRevoked>> {
    let project: VaultId = path_id(&project, "project")?;
    let service: ServiceId = path_id(&service, "service")?;
    let rotate = st
        .store
        .revoke_service(auth.account, project, service, remote.as_deref())
        .await?;
    st.publish(&[Event::Service(service)]).await;
    Ok(Json(ServiceRevoked { rotate }))
}

/// Replaces a service's address allowlist. Owners and editors.
#[utoipa::path(put, path = "/v1/projects/{project}/services/{service}/allowlist", tag = "services", security(("bearer" = [])),
    params(("project" = String, Path, description = "project id"), ("service" = String, Path, description = "service id")),
    request_body = AllowlistBody,
    responses((status = 200, body = AllowlistBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_service_allowlist(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    Path((project, service)): Path<(String, String)>,
    body: RawJson,
) -> ApiResult<Json<AllowlistBody>> {
    let (project, service) = service_path(&st, &auth, &project, &service).await?;
    let req: AllowlistBody = body.parse()?;
    let cidrs = st
        .store
        .set_service_allowlist(
            auth.account,
            project,
            service,
            &req.cidrs,
            remote.as_deref(),
        )
        .await?;
    st.publish(&[Event::Service(service)]).await;
    Ok(Json(AllowlistBody { cidrs }))
}

/// The grants filed for one service (an admin's client checks them before
/// re-granting after a rotation).
#[utoipa::path(get, path = "/v1/projects/{project}/services/{service}/grants", tag = "services", security(("bearer" = [])),
    params(("project" = String, Path, description = "project id"), ("service" = String, Path, description = "service id")),
    responses((status = 200, body = ServiceGrantsBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn service_grants(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Path((project, service)): Path<(String, String)>,
) -> ApiResult<Json<ServiceGrantsBody>> {
    let project: VaultId = path_id(&project, "project")?;
    let service: ServiceId = path_id(&service, "service")?;
    let grants = st
        .store
        .service_grants(auth.account, project, service)
        .await?;
    Ok(Json(ServiceGrantsBody { grants }))
}

/// The project's access requests, newest first, with the reasons sealed to
/// the project.
#[utoipa::path(get, path = "/v1/projects/{project}/requests", tag = "services", security(("bearer" = [])),
    params(("project" = String, Path, description = "project id")),
    responses((status = 200, body = AccessRequestsBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_requests(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Path(project): Path<String>,
) -> ApiResult<Json<AccessRequestsBody>> {
    let project = path_id(&project, "project")?;
    let rows = st.store.access_requests(auth.account, project).await?;
    Ok(Json(AccessRequestsBody {
        requests: rows
            .into_iter()
            .map(|r| AccessRequestBody {
                service: r.service,
                secret: r.secret,
                status: request_status_of(r.status),
                hint: r.hint,
                attempts: r.attempts,
                first_at_ms: r.first_at,
                last_at_ms: r.last_at,
                decided_at_ms: r.decided_at,
            })
            .collect(),
    }))
}

/// The project, service and secret of a request's path.
async fn request_path(
    st: &AppState,
    auth: &Auth,
    project: &str,
    service: &str,
    secret: &str,
) -> ApiResult<(VaultId, ServiceId, SecretId)> {
    let (project, service) = service_path(st, auth, project, service).await?;
    let secret: SecretId = path_id(secret, "secret")?;
    Ok((project, service, secret))
}

/// Grants an access request: grants of the requested secret to the
/// requesting (approved) service. Owners and editors.
#[utoipa::path(post, path = "/v1/projects/{project}/requests/{service}/{secret}/grant", tag = "services", security(("bearer" = [])),
    params(("project" = String, Path, description = "project id"), ("service" = String, Path, description = "service id"), ("secret" = String, Path, description = "secret id")),
    request_body = GrantRequestBody,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn grant_request(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    Path((project, service, secret)): Path<(String, String, String)>,
    body: RawJson,
) -> ApiResult<StatusCode> {
    let (project, service, secret) = request_path(&st, &auth, &project, &service, &secret).await?;
    let req: GrantRequestBody = body.parse()?;
    grants_address(&req.grants, project, service)?;
    if req.grants.is_empty() || !grants_only_secret(&req.grants, secret) {
        return Err(ApiError::bad("grant the requested secret, and only it"));
    }
    st.store
        .decide_request(
            auth.account,
            project,
            service,
            secret,
            Some(&req.grants),
            remote.as_deref(),
        )
        .await?;
    st.publish(&[Event::Service(service)]).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Denies an access request (asking again only counts the attempt).
/// Owners and editors. (No body.)
#[utoipa::path(post, path = "/v1/projects/{project}/requests/{service}/{secret}/deny", tag = "services", security(("bearer" = [])),
    params(("project" = String, Path, description = "project id"), ("service" = String, Path, description = "service id"), ("secret" = String, Path, description = "secret id")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn deny_request(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Remote(remote): Remote,
    Path((project, service, secret)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let project: VaultId = path_id(&project, "project")?;
    let service: ServiceId = path_id(&service, "service")?;
    let secret: SecretId = path_id(&secret, "secret")?;
    st.store
        .decide_request(
            auth.account,
            project,
            service,
            secret,
            None,
            remote.as_deref(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
