//! The OpenAPI document, generated from the handlers' annotations and the
//! body types in [`crate::api`] (served at `GET /openapi.json`).
//!
//! vault-core's own JSON types (envelopes, PAKE messages, feed pages) appear
//! as `object`: their exact shapes are specified in `docs/format.md` and
//! `docs/protocol.md`, and they validate themselves when parsed.

use super::handlers::emergency;
use super::handlers::{auth, data, events, lifecycle, ops};
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
        data::directory, data::create_vault, data::members, data::put_member, data::remove_member,
        data::rotate, data::get_item, data::put_item, data::delete_item, data::changes, data::push,
        events::events, ops::healthz, ops::readyz, ops::metrics, ops::openapi,
        emergency::list, emergency::put_contact, emergency::remove_contact, emergency::cancel,
        emergency::request, emergency::claim,
        lifecycle::get_recovery, lifecycle::put_recovery, lifecycle::delete_recovery,
        lifecycle::recovery_login, lifecycle::rotate_account,
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
        RecoveryLoginDone, AccountRotateRequest,
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
        ] {
            assert!(
                paths.contains_key(p),
                "{p} missing from the OpenAPI document"
            );
        }
    }
}
