//! [`ApiClient`]'s machine-secrets admin calls (`/v1/projects…`): one
//! typed method per endpoint of [`crate::api::machine`]. Bodies travel
//! sealed; [`UnlockedDevice`](crate::client::UnlockedDevice)'s project
//! methods seal and open them.

use super::{ApiClient, Body, fill, json_body, parse};
use crate::api::machine as m;
use crate::api::paths;
use crate::client::error::ClientResult;
use reqwest::Method;
use vault_core::machine::BlindIndex;
use vault_core::{SecretId, ServiceId, VaultId};

fn project_path(path: &str, project: VaultId) -> String {
    fill(path, &[("project", project.to_string())])
}

fn service_path(path: &str, project: VaultId, service: ServiceId) -> String {
    fill(
        path,
        &[
            ("project", project.to_string()),
            ("service", service.to_string()),
        ],
    )
}

fn secret_path(path: &str, project: VaultId, secret: SecretId) -> String {
    fill(
        path,
        &[
            ("project", project.to_string()),
            ("secret", secret.to_string()),
        ],
    )
}

fn request_path(path: &str, project: VaultId, service: ServiceId, secret: SecretId) -> String {
    fill(
        path,
        &[
            ("project", project.to_string()),
            ("service", service.to_string()),
            ("secret", secret.to_string()),
        ],
    )
}

impl ApiClient {
    // ------------------------------------------------------------ projects

    /// `PUT /v1/projects/{project}`: makes an owned vault a project.
    pub async fn attach_project(
        &self,
        project: VaultId,
        req: &m::AttachProjectRequest,
    ) -> ClientResult<m::ProjectBody> {
        let path = project_path(paths::PROJECT, project);
        let b = self
            .send_authed(Method::PUT, &path, &[], json_body(req)?)
            .await?;
        parse(&b, "project")
    }

    /// `GET /v1/projects`.
    pub async fn projects(&self) -> ClientResult<m::ProjectsBody> {
        let b = self
            .send_authed(Method::GET, paths::PROJECTS, &[], Body::None)
            .await?;
        parse(&b, "projects")
    }

    /// `GET /v1/projects/{project}`.
    pub async fn project(&self, project: VaultId) -> ClientResult<m::ProjectBody> {
        let path = project_path(paths::PROJECT, project);
        let b = self
            .send_authed(Method::GET, &path, &[], Body::None)
            .await?;
        parse(&b, "project")
    }

    /// `DELETE /v1/projects/{project}`: removes the project's machine side.
    pub async fn remove_project(&self, project: VaultId) -> ClientResult<()> {
        let path = project_path(paths::PROJECT, project);
        self.send_authed(Method::DELETE, &path, &[], Body::None)
            .await
            .map(drop)
    }

    /// `PUT /v1/projects/{project}/allowlist`: answers the normalised list.
    pub async fn set_project_allowlist(
        &self,
        project: VaultId,
        cidrs: &[String],
    ) -> ClientResult<m::AllowlistBody> {
        let path = project_path(paths::PROJECT_ALLOWLIST, project);
        let body = json_body(&m::AllowlistBody {
            cidrs: cidrs.to_vec(),
        })?;
        let b = self.send_authed(Method::PUT, &path, &[], body).await?;
        parse(&b, "allowlist")
    }

    /// `POST /v1/projects/{project}/rotate`.
    pub async fn rotate_project_secrets(
        &self,
        project: VaultId,
        req: &m::SecretsRotationRequest,
    ) -> ClientResult<()> {
        let path = project_path(paths::PROJECT_ROTATE, project);
        self.send_authed(Method::POST, &path, &[], json_body(req)?)
            .await
            .map(drop)
    }

    // ------------------------------------------------------------- secrets

    /// `GET /v1/projects/{project}/secrets`.
    pub async fn secrets(&self, project: VaultId) -> ClientResult<m::SecretsBody> {
        let path = project_path(paths::SECRETS, project);
        let b = self
            .send_authed(Method::GET, &path, &[], Body::None)
            .await?;
        parse(&b, "secrets")
    }

    /// `PUT /v1/projects/{project}/secrets/{secret}` (compare-and-swap: a
    /// lost race is [`ClientError::Rejected`](crate::client::ClientError::Rejected)
    /// 409 `conflict`).
    pub async fn put_secret(&self, req: &m::PutSecretRequest) -> ClientResult<m::SecretWritten> {
        let path = secret_path(paths::SECRET, req.secret.project, req.secret.secret);
        let b = self
            .send_authed(Method::PUT, &path, &[], json_body(req)?)
            .await?;
        parse(&b, "secret write")
    }

    /// `DELETE /v1/projects/{project}/secrets/{secret}`.
    pub async fn delete_secret(&self, project: VaultId, secret: SecretId) -> ClientResult<()> {
        let path = secret_path(paths::SECRET, project, secret);
        self.send_authed(Method::DELETE, &path, &[], Body::None)
            .await
            .map(drop)
    }

    /// `GET /v1/projects/{project}/secrets/{secret}/versions`.
    pub async fn secret_versions(
        &self,
        project: VaultId,
        secret: SecretId,
    ) -> ClientResult<m::SecretVersionsBody> {
        let path = secret_path(paths::SECRET_VERSIONS, project, secret);
        let b = self
            .send_authed(Method::GET, &path, &[], Body::None)
            .await?;
        parse(&b, "secret versions")
    }

    /// `GET /v1/projects/{project}/stubs`.
    pub async fn stubs(&self, project: VaultId) -> ClientResult<m::StubsBody> {
        let path = project_path(paths::STUBS, project);
        let b = self
            .send_authed(Method::GET, &path, &[], Body::None)
            .await?;
        parse(&b, "stubs")
    }

    /// `POST /v1/projects/{project}/stubs/{blind_index}/fill`.
    pub async fn fill_stub(&self, req: &m::FillStubRequest) -> ClientResult<m::SecretWritten> {
        let path = fill(
            paths::STUB_FILL,
            &[
                ("project", req.secret.project.to_string()),
                (
                    "blind_index",
                    BlindIndex::to_string(&req.secret.blind_index),
                ),
            ],
        );
        let b = self
            .send_authed(Method::POST, &path, &[], json_body(req)?)
            .await?;
        parse(&b, "stub fill")
    }

    // ------------------------------------------------------------ services

    /// `GET /v1/projects/{project}/services`.
    pub async fn services(&self, project: VaultId) -> ClientResult<m::ServicesBody> {
        let path = project_path(paths::SERVICES, project);
        let b = self
            .send_authed(Method::GET, &path, &[], Body::None)
            .await?;
        parse(&b, "services")
    }

    /// `POST /v1/projects/{project}/services`: issues a token (approved).
    pub async fn issue_service(
        &self,
        project: VaultId,
        req: &m::IssueServiceRequest,
    ) -> ClientResult<m::ServiceBody> {
        let path = project_path(paths::SERVICES, project);
        let b = self
            .send_authed(Method::POST, &path, &[], json_body(req)?)
            .await?;
        parse(&b, "issued service")
    }

    /// `POST /v1/projects/{project}/services/{service}/approve`.
    pub async fn approve_service(
        &self,
        project: VaultId,
        service: ServiceId,
        req: &m::ApproveServiceRequest,
    ) -> ClientResult<()> {
        let path = service_path(paths::SERVICE_APPROVE, project, service);
        self.send_authed(Method::POST, &path, &[], json_body(req)?)
            .await
            .map(drop)
    }

    /// `POST /v1/projects/{project}/services/{service}/deny`.
    pub async fn deny_service(&self, project: VaultId, service: ServiceId) -> ClientResult<()> {
        let path = service_path(paths::SERVICE_DENY, project, service);
        self.send_authed(Method::POST, &path, &[], Body::None)
            .await
            .map(drop)
    }

    /// `POST /v1/projects/{project}/services/{service}/revoke`: answers the
    /// secrets to rotate.
    pub async fn revoke_service(
        &self,
        project: VaultId,
        service: ServiceId,
    ) -> ClientResult<m::ServiceRevoked> {
        let path = service_path(paths::SERVICE_REVOKE, project, service);
        let b = self
            .send_authed(Method::POST, &path, &[], Body::None)
            .await?;
        parse(&b, "revocation")
    }

    /// `PUT /v1/projects/{project}/services/{service}/allowlist`.
    pub async fn set_service_allowlist(
        &self,
        project: VaultId,
        service: ServiceId,
        cidrs: &[String],
    ) -> ClientResult<m::AllowlistBody> {
        let path = service_path(paths::SERVICE_ALLOWLIST, project, service);
        let body = json_body(&m::AllowlistBody {
            cidrs: cidrs.to_vec(),
        })?;
        let b = self.send_authed(Method::PUT, &path, &[], body).await?;
        parse(&b, "allowlist")
    }

    /// `GET /v1/projects/{project}/services/{service}/grants`.
    pub async fn service_grants(
        &self,
        project: VaultId,
        service: ServiceId,
    ) -> ClientResult<m::ServiceGrantsBody> {
        let path = service_path(paths::SERVICE_GRANTS, project, service);
        let b = self
            .send_authed(Method::GET, &path, &[], Body::None)
            .await?;
        parse(&b, "service grants")
    }

    // ------------------------------------------------------------ requests

    /// `GET /v1/projects/{project}/requests`.
    pub async fn access_requests(&self, project: VaultId) -> ClientResult<m::AccessRequestsBody> {
        let path = project_path(paths::REQUESTS, project);
        let b = self
            .send_authed(Method::GET, &path, &[], Body::None)
            .await?;
        parse(&b, "access requests")
    }

    /// `POST /v1/projects/{project}/requests/{service}/{secret}/grant`.
    pub async fn grant_request(
        &self,
        project: VaultId,
        service: ServiceId,
        secret: SecretId,
        req: &m::GrantRequestBody,
    ) -> ClientResult<()> {
        let path = request_path(paths::REQUEST_GRANT, project, service, secret);
        self.send_authed(Method::POST, &path, &[], json_body(req)?)
            .await
            .map(drop)
    }

    /// `POST /v1/projects/{project}/requests/{service}/{secret}/deny`.
    pub async fn deny_request(
        &self,
        project: VaultId,
        service: ServiceId,
        secret: SecretId,
    ) -> ClientResult<()> {
        let path = request_path(paths::REQUEST_DENY, project, service, secret);
        self.send_authed(Method::POST, &path, &[], Body::None)
            .await
            .map(drop)
    }
}
