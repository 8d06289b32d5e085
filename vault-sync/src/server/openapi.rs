//! The OpenAPI document, generated from the handlers' annotations and the
//! body types in [`crate::api`] (served at `GET /openapi.json`).
//!
//! The login messages, pre-login and the registration record are typed
//! ([`super::openapi_schemas`]), so a client can be written from this
//! document alone; sealed blobs (vault metadata, items, grants, feed
//! pages) appear as `object`: their byte formats are in `docs/format.md`.

use super::handlers::emergency;
use super::handlers::{auth, events, feed, items, lifecycle, members, system, vaults};
use super::handlers::{projects, secrets, services};
use super::openapi_schemas as wire;
use crate::api::*;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Vault sync API", version = "1", description = "The blind sync server: it stores and relays only ciphertext, wrapped keys and public identities."),
    paths(
        auth::prelogin, auth::register_opaque_start, auth::register,
        auth::srp_start, auth::srp_finish, auth::opaque_start, auth::opaque_finish,
        auth::refresh, auth::logout, auth::logout_all, auth::account, auth::credentials,
        members::directory, vaults::create_vault, members::members, members::put_member, members::remove_member,
        vaults::rotate, items::get_item, items::put_item, items::delete_item, feed::changes, feed::push,
        events::events, system::healthz, system::readyz, system::metrics, system::openapi,
        emergency::list, emergency::put_contact, emergency::remove_contact, emergency::cancel,
        emergency::request, emergency::claim,
        lifecycle::get_recovery, lifecycle::put_recovery, lifecycle::delete_recovery,
        lifecycle::recovery_login, lifecycle::rotate_account,
        projects::list_projects, projects::attach_project, projects::get_project,
        projects::remove_project, projects::set_project_allowlist, projects::rotate_secrets,
        secrets::list_secrets, secrets::put_secret, secrets::delete_secret,
        secrets::secret_versions, secrets::list_stubs, secrets::fill_stub,
        services::list_services, services::issue_service, services::approve_service,
        services::deny_service, services::revoke_service, services::set_service_allowlist,
        services::service_grants, services::list_requests, services::grant_request,
        services::deny_request,
    ),
    components(schemas(
        ErrorBody, AuthRecordBody, OpaqueRegisterStart, OpaqueRegisterStarted, RegisterRequest,
        PutEmergencyContactRequest, EmergencyVaultBody, EmergencyEntryBody, EmergencyListBody,
        EmergencyClaimed,
        Registered, SrpLoginStart, SrpLoginChallenge, SrpLoginFinish, SrpLoginDone,
        OpaqueLoginStart, OpaqueLoginChallenge, OpaqueLoginFinish, OpaqueLoginDone, SessionTokens,
        RefreshRequest, LogoutAllRequest, LoggedOut, AccountBody, CredentialsRequest,
        CredentialsChanged, DirectoryBody, CreateVaultRequest, VaultCreated, MemberBody,
        MembersBody, PutMemberRequest, RotationMemberKeys, RotateRequest, PutItemRequest,
        ItemWritten, HealthBody, RecoveryKitBody, RecoveryKitStatus, RecoveryLoginRequest,
        RecoveryLoginDone, AccountRotateRequest, ErrorCode, EmergencyState,
        wire::PreloginRequest, wire::PreloginResponse, wire::SrpPrelogin, wire::KdfConfig,
        wire::KdfParams, wire::SrpGroupName, wire::SrpRegistration, wire::ClientHello,
        wire::ServerChallenge, wire::ClientProof, wire::ServerProof, wire::RegistrationRequest,
        wire::RegistrationResponse, wire::RegistrationRecord, wire::Ke1, wire::Ke2, wire::Ke3,
        wire::EncryptedAccount, wire::PublicIdentity,
        machine::ServiceStatus, machine::ServiceOrigin, machine::ServiceAccess,
        machine::RequestStatus, machine::AttachProjectRequest, machine::ProjectCounts,
        machine::ProjectBody, machine::ProjectsBody, machine::AllowlistBody, machine::SecretBody,
        machine::SecretsBody, machine::PutSecretRequest, machine::SecretWritten,
        machine::SecretVersionBody, machine::SecretVersionsBody, machine::ServiceBody,
        machine::ServicesBody, machine::IssueServiceRequest, machine::ApproveServiceRequest,
        machine::ServiceRevoked, machine::ServiceGrantsBody, machine::SecretsRotationRequest,
        machine::AccessRequestBody, machine::AccessRequestsBody, machine::GrantRequestBody,
        machine::StubBody, machine::StubsBody, machine::FillStubRequest,
        wire::ProjectPublic, wire::EncryptedProjectKeys, wire::EncryptedSecret,
        wire::EncryptedSecretVersion, wire::ServicePublic, wire::GrantScopeKind, wire::GrantScope,
        wire::ServiceGrant, wire::SealPurpose, wire::SealedToProject,
    )),
    modifiers(&Bearer),
)]
pub struct ApiDoc;

/// The document as JSON.
pub fn document_json() -> String {
    ApiDoc::openapi().to_json().unwrap_or_else(|_| "{}".into())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_route_is_documented() {
        let doc: serde_json::Value = serde_json::from_str(&document_json()).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        for p in [
            paths::PRELOGIN,
            paths::REGISTER,
            paths::LOGIN_SRP_START,
            paths::LOGIN_OPAQUE_FINISH,
            paths::REFRESH,
            paths::ACCOUNT,
            paths::CREDENTIALS,
            paths::DIRECTORY,
            paths::VAULTS,
            paths::MEMBER,
            paths::ROTATE,
            paths::ITEM,
            paths::CHANGES,
            paths::PUSH,
            paths::EVENTS,
            paths::HEALTHZ,
            paths::READYZ,
            paths::METRICS,
            paths::OPENAPI,
            paths::EMERGENCY,
            paths::EMERGENCY_CONTACT,
            paths::EMERGENCY_CANCEL,
            paths::EMERGENCY_REQUEST,
            paths::EMERGENCY_CLAIM,
            paths::PROJECTS,
            paths::PROJECT,
            paths::PROJECT_ALLOWLIST,
            paths::PROJECT_ROTATE,
            paths::SECRETS,
            paths::SECRET,
            paths::SECRET_VERSIONS,
            paths::SERVICES,
            paths::SERVICE_APPROVE,
            paths::SERVICE_DENY,
            paths::SERVICE_REVOKE,
            paths::SERVICE_ALLOWLIST,
            paths::SERVICE_GRANTS,
            paths::REQUESTS,
            paths::REQUEST_GRANT,
            paths::REQUEST_DENY,
            paths::STUBS,
            paths::STUB_FILL,
        ] {
            assert!(
                paths.contains_key(p),
                "{p} missing from the OpenAPI document"
            );
        }
    }
}
