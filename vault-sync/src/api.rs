//! The HTTP API's request and response bodies, shared by the server
//! ([`crate::server`]) and the client ([`crate::client`]).
//!
//! Every body is JSON; every request body rejects unknown fields. vault-core
//! types travel in their own JSON form (they validate themselves when
//! parsed), so a body that parses is well formed down to the last byte of
//! every key and blob. The endpoint table is in `docs/protocol.md` §11 and,
//! generated from the code, at `GET /openapi.json`.
//!
//! ```
//! use vault_sync::api::{ErrorBody, paths};
//! let e: ErrorBody = serde_json::from_str(r#"{"error":"conflict","message":"the item changed"}"#).unwrap();
//! assert_eq!(e.error, vault_sync::api::ErrorCode::Conflict);
//! assert_eq!(paths::PRELOGIN, "/v1/prelogin");
//! ```

use serde::{Deserialize, Serialize};
#[cfg(feature = "server")]
use utoipa::ToSchema;
use vault_core::opaque::{
    Ke1, Ke2, Ke3, RegistrationRecord, RegistrationRequest, RegistrationResponse,
};
use vault_core::srp::{ClientHello, ClientProof, ServerChallenge, ServerProof, SrpRegistration};
use vault_core::sync::wire::{ItemState, MemberKey};
use vault_core::{
    AccountId, AccountKeyRotation, EncryptedAccount, EncryptedItem, EncryptedVault, PublicIdentity,
    RecoveryWrap, Role, VaultId, WrappedVaultKey,
};

/// The endpoints' paths (axum syntax for parameters).
pub mod paths {
    /// `POST`: pre-login (KDF params and salt; fake for unknown identifiers).
    pub const PRELOGIN: &str = "/v1/prelogin";
    /// `POST`: OPAQUE registration, first step (stateless on the server).
    pub const REGISTER_OPAQUE_START: &str = "/v1/register/opaque/start";
    /// `POST`: create an account (SRP verifier or OPAQUE record included).
    pub const REGISTER: &str = "/v1/register";
    /// `POST`: SRP login, first step.
    pub const LOGIN_SRP_START: &str = "/v1/login/srp/start";
    /// `POST`: SRP login, second step; issues tokens.
    pub const LOGIN_SRP_FINISH: &str = "/v1/login/srp/finish";
    /// `POST`: OPAQUE login, first step.
    pub const LOGIN_OPAQUE_START: &str = "/v1/login/opaque/start";
    /// `POST`: OPAQUE login, second step; issues tokens.
    pub const LOGIN_OPAQUE_FINISH: &str = "/v1/login/opaque/finish";
    /// `POST`: trade a refresh token for new tokens (the old one is spent).
    pub const REFRESH: &str = "/v1/token/refresh";
    /// `POST`: end this session.
    pub const LOGOUT: &str = "/v1/logout";
    /// `POST`: end every session of the account but, optionally, this one.
    pub const LOGOUT_ALL: &str = "/v1/logout/all";
    /// `GET`: the signed-in account's record.
    pub const ACCOUNT: &str = "/v1/account";
    /// `PUT`: replace the account record and login record (password change).
    pub const CREDENTIALS: &str = "/v1/account/credentials";
    /// `GET` the recovery kit's wrap, `PUT` a new one, `DELETE` it.
    pub const RECOVERY_KIT: &str = "/v1/account/recovery";
    /// `POST`: rotate the account key (one change set, applied atomically).
    pub const ACCOUNT_ROTATE: &str = "/v1/account/rotate";
    /// `POST`: log in with the recovery kit (forgotten password).
    pub const RECOVERY_LOGIN: &str = "/v1/recovery/login";
    /// `GET`: one public identity, by `?identifier=` or `?account=`.
    pub const DIRECTORY: &str = "/v1/directory";
    /// `POST`: create a vault.
    pub const VAULTS: &str = "/v1/vaults";
    /// `GET`: a vault's members.
    pub const MEMBERS: &str = "/v1/vaults/{vault}/members";
    /// `PUT`: add or change a member; `DELETE`: remove one.
    pub const MEMBER: &str = "/v1/vaults/{vault}/members/{account}";
    /// `POST`: rotate a vault's key.
    pub const ROTATE: &str = "/v1/vaults/{vault}/rotate";
    /// `GET` an item's state; `PUT` (compare-and-swap) or `DELETE` it.
    pub const ITEM: &str = "/v1/vaults/{vault}/items/{item}";
    /// `GET`: a page of the change feed (`?since=&limit=`).
    pub const CHANGES: &str = "/v1/sync/changes";
    /// `POST`: a batch of compare-and-swap writes.
    pub const PUSH: &str = "/v1/sync/push";
    /// `GET`: server-sent events: `changed` when this account's feed moved.
    pub const EVENTS: &str = "/v1/events";
    /// `GET`: liveness.
    pub const HEALTHZ: &str = "/healthz";
    /// `GET`: readiness (the database answers).
    pub const READYZ: &str = "/readyz";
    /// `GET`: Prometheus metrics.
    pub const METRICS: &str = "/metrics";
    /// `GET`: this API's OpenAPI document.
    pub const OPENAPI: &str = "/openapi.json";
    /// `GET`: this account's emergency access, as owner and as contact.
    pub const EMERGENCY: &str = "/v1/emergency";
    /// `PUT`: name (or replace) an emergency contact with its grants;
    /// `DELETE`: remove it.
    pub const EMERGENCY_CONTACT: &str = "/v1/emergency/contacts/{contact}";
    /// `POST`: the owner cancels the contact's pending request.
    pub const EMERGENCY_CANCEL: &str = "/v1/emergency/contacts/{contact}/cancel";
    /// `POST`: the contact asks for the owner's vaults (the wait starts).
    pub const EMERGENCY_REQUEST: &str = "/v1/emergency/grantors/{owner}/request";
    /// `POST`: the contact claims the vaults once the wait has passed.
    pub const EMERGENCY_CLAIM: &str = "/v1/emergency/grantors/{owner}/claim";
    /// `GET`: the caller's projects (machine secrets, [`super::machine`]).
    pub const PROJECTS: &str = "/v1/projects";
    /// `PUT`: make an owned vault a project; `GET` one; `DELETE` its machine side.
    pub const PROJECT: &str = "/v1/projects/{project}";
    /// `PUT`: replace the project's address allowlist.
    pub const PROJECT_ALLOWLIST: &str = "/v1/projects/{project}/allowlist";
    /// `POST`: apply rotated secret keys after a revocation.
    pub const PROJECT_ROTATE: &str = "/v1/projects/{project}/rotate";
    /// `GET`: the project's secrets with their current (sealed) versions.
    pub const SECRETS: &str = "/v1/projects/{project}/secrets";
    /// `PUT`: create a secret or write its next version (compare-and-swap); `DELETE` it.
    pub const SECRET: &str = "/v1/projects/{project}/secrets/{secret}";
    /// `GET`: every stored version of a secret.
    pub const SECRET_VERSIONS: &str = "/v1/projects/{project}/secrets/{secret}/versions";
    /// `GET`: the project's service identities; `POST`: issue a token (approved).
    pub const SERVICES: &str = "/v1/projects/{project}/services";
    /// `POST`: approve a service (or widen its access) with grants.
    pub const SERVICE_APPROVE: &str = "/v1/projects/{project}/services/{service}/approve";
    /// `POST`: deny a pending service.
    pub const SERVICE_DENY: &str = "/v1/projects/{project}/services/{service}/deny";
    /// `POST`: revoke a service; answers the secrets to rotate.
    pub const SERVICE_REVOKE: &str = "/v1/projects/{project}/services/{service}/revoke";
    /// `PUT`: replace a service's address allowlist.
    pub const SERVICE_ALLOWLIST: &str = "/v1/projects/{project}/services/{service}/allowlist";
    /// `GET`: the grants filed for a service.
    pub const SERVICE_GRANTS: &str = "/v1/projects/{project}/services/{service}/grants";
    /// `GET`: the project's access requests.
    pub const REQUESTS: &str = "/v1/projects/{project}/requests";
    /// `POST`: grant an access request.
    pub const REQUEST_GRANT: &str = "/v1/projects/{project}/requests/{service}/{secret}/grant";
    /// `POST`: deny an access request.
    pub const REQUEST_DENY: &str = "/v1/projects/{project}/requests/{service}/{secret}/deny";
    /// `GET`: names services asked for that do not exist.
    pub const STUBS: &str = "/v1/projects/{project}/stubs";
    /// `POST`: create the missing secret and grant it to the services that asked.
    pub const STUB_FILL: &str = "/v1/projects/{project}/stubs/{blind_index}/fill";
}

pub mod machine;

stable_codes! {
    /// The stable machine code of every error response (`ErrorBody::error`),
    /// written as the snake_case text shown on each variant. The server
    /// answers with these; the client, the CLI and the bindings match on
    /// them, never on the text.
    ///
    /// A code this build does not know (from a newer server) parses as
    /// [`ErrorCode::Unknown`]; treat it like its HTTP status class.
    ///
    /// ```
    /// use vault_sync::api::ErrorCode;
    /// assert_eq!(ErrorCode::StaleKey.as_str(), "stale_key");
    /// assert_eq!("conflict".parse::<ErrorCode>(), Ok(ErrorCode::Conflict));
    /// assert_eq!(serde_json::to_string(&ErrorCode::RateLimited).unwrap(), r#""rate_limited""#);
    /// let later: ErrorCode = serde_json::from_str(r#""some_new_code""#).unwrap();
    /// assert_eq!(later, ErrorCode::Unknown);
    /// ```
    #[cfg_attr(feature = "server", derive(ToSchema))]
    ErrorCode;
    /// 400: the request is malformed or inconsistent.
    BadRequest = "bad_request",
    /// 400: a value failed vault-core's parsing (`vault_core::Error::Malformed`).
    Malformed = "malformed",
    /// 400: a format version this server does not read.
    UnsupportedVersion = "unsupported_version",
    /// 400: a PAKE message carried an invalid group element or value.
    InvalidPeerValue = "invalid_peer_value",
    /// 401: no valid access token.
    Unauthorized = "unauthorized",
    /// 401: wrong identifier or password (one answer for both).
    AuthenticationFailed = "authentication_failed",
    /// 403: not allowed.
    Forbidden = "forbidden",
    /// 404.
    NotFound = "not_found",
    /// 405.
    MethodNotAllowed = "method_not_allowed",
    /// 409: a compare-and-swap lost; the body may carry the current state.
    Conflict = "conflict",
    /// 409: sealed under a retired vault key generation.
    StaleKey = "stale_key",
    /// 409: an emergency claim before the wait has passed (`retry_after`).
    EmergencyWaiting = "emergency_waiting",
    /// 409: an emergency claim with no request.
    EmergencyNotRequested = "emergency_not_requested",
    /// 409: an emergency claim after the vaults were released.
    EmergencyReleased = "emergency_released",
    /// 413.
    PayloadTooLarge = "payload_too_large",
    /// 415.
    UnsupportedMediaType = "unsupported_media_type",
    /// 429: wait `retry_after` seconds.
    RateLimited = "rate_limited",
    /// 429: this session or account already holds as many event streams
    /// as the server allows; close one first.
    TooManyStreams = "too_many_streams",
    /// 500: the detail is in the server's log only.
    Internal = "internal",
    /// 503: a dependency is down.
    Unavailable = "unavailable",
}

/// Every error response: a stable machine code and a message for people.
/// Neither ever contains a secret, a token or blob content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
pub struct ErrorBody {
    /// The stable code ([`ErrorCode`]).
    pub error: ErrorCode,
    /// What went wrong, in words.
    pub message: String,
    /// On `conflict` from an item write: the item's current state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(value_type = Option<Object>))]
    pub current: Option<ItemState>,
    /// On `rate_limited`: seconds to wait (also in `Retry-After`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// The login record a registration or password change sends.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum AuthRecordBody {
    /// SRP-6a group, salt and verifier.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::SrpRegistration))]
    Srp(SrpRegistration),
    /// OPAQUE registration record.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::RegistrationRecord))]
    Opaque(Box<RegistrationRecord>),
}

/// `POST /v1/register/opaque/start`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OpaqueRegisterStart {
    /// The account identifier (1–256 bytes, used exactly as given).
    pub identifier: String,
    /// The client's blinded registration request.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::RegistrationRequest))]
    pub request: RegistrationRequest,
}

/// Answer to [`OpaqueRegisterStart`].
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OpaqueRegisterStarted {
    /// The server's evaluated response.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::RegistrationResponse))]
    pub response: RegistrationResponse,
}

/// `POST /v1/register`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// The account identifier (1–256 bytes, used exactly as given).
    pub identifier: String,
    /// The encrypted account record (`UnlockedAccount::create`).
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::EncryptedAccount))]
    pub record: EncryptedAccount,
    /// SRP verifier or OPAQUE record, made from the same password.
    pub auth: AuthRecordBody,
}

/// Answer to [`RegisterRequest`] (201).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Registered {
    /// The new account's id.
    #[cfg_attr(feature = "server", schema(value_type = String))]
    pub account: AccountId,
}

/// `POST /v1/login/srp/start`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SrpLoginStart {
    /// `{group, identifier, A}`.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::ClientHello))]
    pub hello: ClientHello,
}

/// Answer to [`SrpLoginStart`].
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SrpLoginChallenge {
    /// Names this login in flight (single use, short-lived).
    pub login_id: String,
    /// `{group, s, B}`.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::ServerChallenge))]
    pub challenge: ServerChallenge,
}

/// `POST /v1/login/srp/finish`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SrpLoginFinish {
    /// From [`SrpLoginChallenge::login_id`].
    pub login_id: String,
    /// `{M1}`.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::ClientProof))]
    pub proof: ClientProof,
}

/// Answer to [`SrpLoginFinish`].
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SrpLoginDone {
    /// `{M2}`: verify it before trusting the tokens.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::ServerProof))]
    pub server_proof: ServerProof,
    /// The new session.
    pub session: SessionTokens,
}

/// `POST /v1/login/opaque/start`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OpaqueLoginStart {
    /// The account identifier.
    pub identifier: String,
    /// KE1.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::Ke1))]
    pub ke1: Ke1,
}

/// Answer to [`OpaqueLoginStart`].
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OpaqueLoginChallenge {
    /// Names this login in flight (single use, short-lived).
    pub login_id: String,
    /// KE2.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::Ke2))]
    pub ke2: Ke2,
}

/// `POST /v1/login/opaque/finish`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OpaqueLoginFinish {
    /// From [`OpaqueLoginChallenge::login_id`].
    pub login_id: String,
    /// KE3.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::Ke3))]
    pub ke3: Ke3,
}

/// Answer to [`OpaqueLoginFinish`].
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OpaqueLoginDone {
    /// The new session.
    pub session: SessionTokens,
}

/// A session's tokens. `Debug` redacts both tokens.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SessionTokens {
    /// The account.
    #[cfg_attr(feature = "server", schema(value_type = String))]
    pub account: AccountId,
    /// The session id (what "log out" revokes).
    pub session_id: String,
    /// Bearer token for every authenticated request; short-lived.
    pub access_token: String,
    /// Unix seconds when the access token expires.
    pub access_expires_at: i64,
    /// Single-use token to get the next pair from `POST /v1/token/refresh`.
    pub refresh_token: String,
    /// Unix seconds when the session (and the refresh token) expires.
    pub refresh_expires_at: i64,
}

impl core::fmt::Debug for SessionTokens {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SessionTokens")
            .field("account", &self.account)
            .field("session_id", &self.session_id)
            .field("access_token", &"<redacted>")
            .field("refresh_token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// `POST /v1/token/refresh`. `Debug` redacts the token.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The current refresh token.
    pub refresh_token: String,
}

impl core::fmt::Debug for RefreshRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("RefreshRequest { refresh_token: <redacted> }")
    }
}

/// `POST /v1/logout/all`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LogoutAllRequest {
    /// Keep the session making this request.
    #[serde(default)]
    pub keep_current: bool,
}

/// Answer to [`LogoutAllRequest`].
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoggedOut {
    /// How many sessions were ended.
    pub revoked: u64,
}

/// `GET /v1/account`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AccountBody {
    /// The account id.
    #[cfg_attr(feature = "server", schema(value_type = String))]
    pub account: AccountId,
    /// The identifier.
    pub identifier: String,
    /// The encrypted account record.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::EncryptedAccount))]
    pub record: EncryptedAccount,
    /// `srp` or `opaque`.
    pub protocol: String,
    /// Bumped by every credentials change.
    pub credentials_version: i64,
}

/// `PUT /v1/account/credentials`: the re-wrapped account record and the
/// login record made from the new password, replaced together. Needs a
/// session that logged in within the last 10 minutes.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CredentialsRequest {
    /// The account record re-wrapped under the new password.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::EncryptedAccount))]
    pub record: EncryptedAccount,
    /// The new verifier / record.
    pub auth: AuthRecordBody,
}

/// `PUT /v1/account/recovery`: a new recovery kit's wrap (it replaces the
/// old one). Needs a fresh login, like a password change.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecoveryKitBody {
    /// The account key under the recovery key, and the auth token's hash.
    #[cfg_attr(feature = "server", schema(value_type = Object))]
    pub wrap: RecoveryWrap,
}

/// `GET /v1/account/recovery`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecoveryKitStatus {
    /// The stored wrap, if a kit is set up.
    #[cfg_attr(feature = "server", schema(value_type = Option<Object>))]
    pub wrap: Option<RecoveryWrap>,
}

/// `POST /v1/recovery/login`: proves knowledge of the recovery key.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecoveryLoginRequest {
    /// The account's identifier.
    pub identifier: String,
    /// `RecoveryKey::auth_token`, unpadded base64url (32 bytes).
    pub token: String,
}

/// Answer to [`RecoveryLoginRequest`]: a fresh session, the record and the
/// wrap to open with the recovery key. Set a new password next
/// (`PUT /v1/account/credentials`), which ends every other session.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecoveryLoginDone {
    /// Tokens of a new session.
    pub session: SessionTokens,
    /// The account record.
    pub account: AccountBody,
    /// The recovery wrap.
    #[cfg_attr(feature = "server", schema(value_type = Object))]
    pub wrap: RecoveryWrap,
}

/// `POST /v1/account/rotate`: an account key rotation change set, and the
/// new recovery kit's wrap (without one, the old kit is deleted: it holds
/// the old key). Needs a fresh login; ends every other session.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AccountRotateRequest {
    /// The change set.
    #[cfg_attr(feature = "server", schema(value_type = Object))]
    pub change: AccountKeyRotation,
    /// A recovery kit for the new generation, if the account keeps one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(value_type = Option<Object>))]
    pub recovery: Option<RecoveryWrap>,
}

/// Answer to [`CredentialsRequest`].
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CredentialsChanged {
    /// The new credentials version.
    pub credentials_version: i64,
}

/// `GET /v1/directory` query: exactly one of the two.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "server", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct DirectoryQuery {
    /// Look up by identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// Look up by account id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

/// Answer to [`DirectoryQuery`].
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DirectoryBody {
    /// The account id.
    #[cfg_attr(feature = "server", schema(value_type = String))]
    pub account: AccountId,
    /// Its identifier.
    pub identifier: String,
    /// Its self-signed public identity: compare fingerprints out of band.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::PublicIdentity))]
    pub identity: PublicIdentity,
}

/// `POST /v1/vaults`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateVaultRequest {
    /// The sealed vault metadata (names the vault id and key generation).
    #[cfg_attr(feature = "server", schema(value_type = Object))]
    pub meta: EncryptedVault,
    /// The vault key wrapped for its owner.
    #[cfg_attr(feature = "server", schema(value_type = Object))]
    pub key: WrappedVaultKey,
}

/// Answer to [`CreateVaultRequest`] (201).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VaultCreated {
    /// The vault id.
    #[cfg_attr(feature = "server", schema(value_type = String))]
    pub vault: VaultId,
}

/// One member of a vault.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MemberBody {
    /// The member.
    #[cfg_attr(feature = "server", schema(value_type = String))]
    pub account: AccountId,
    /// `owner`, `editor` or `viewer`.
    #[cfg_attr(feature = "server", schema(value_type = String))]
    pub role: Role,
    /// The newest key generation it holds.
    pub key_version: u32,
}

/// `GET /v1/vaults/{vault}/members`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MembersBody {
    /// The active members (all for the owner; only yourself otherwise).
    pub members: Vec<MemberBody>,
}

/// `PUT /v1/vaults/{vault}/members/{account}`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PutMemberRequest {
    /// The member's role.
    #[cfg_attr(feature = "server", schema(value_type = String))]
    pub role: Role,
    /// The vault key generations for this member (grants signed by the owner).
    #[cfg_attr(feature = "server", schema(value_type = Vec<Object>))]
    pub keys: Vec<MemberKey>,
}

/// One member's keys in a rotation.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RotationMemberKeys {
    /// The member.
    #[cfg_attr(feature = "server", schema(value_type = String))]
    pub account: AccountId,
    /// Its keys for the new generation.
    #[cfg_attr(feature = "server", schema(value_type = Vec<Object>))]
    pub keys: Vec<MemberKey>,
}

/// `POST /v1/vaults/{vault}/rotate`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RotateRequest {
    /// The metadata sealed under the new generation.
    #[cfg_attr(feature = "server", schema(value_type = Object))]
    pub meta: EncryptedVault,
    /// Every live item re-wrapped (at its current revision).
    #[cfg_attr(feature = "server", schema(value_type = Vec<Object>))]
    pub items: Vec<EncryptedItem>,
    /// Every active member's new keys (the owner's included).
    pub members: Vec<RotationMemberKeys>,
}

/// `PUT /v1/vaults/{vault}/items/{item}`: compare-and-swap.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PutItemRequest {
    /// The revision the client builds on (0: the item does not exist yet).
    pub base: u64,
    /// The blob, sealed for revision `base + 1`.
    #[cfg_attr(feature = "server", schema(value_type = Object))]
    pub item: EncryptedItem,
}

/// `DELETE /v1/vaults/{vault}/items/{item}?base=N`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "server", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct DeleteItemQuery {
    /// The revision the client expects the server to hold.
    pub base: u64,
}

/// Answer to an item write that was applied.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ItemWritten {
    /// The item's new revision.
    pub revision: u64,
}

/// `GET /v1/sync/changes` query.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "server", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct ChangesQuery {
    /// The `next` cursor of the last page applied; absent on the first sync.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Page size (clamped by the server; default 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

/// `GET /healthz` and `/readyz`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HealthBody {
    /// `ok`, or why not.
    pub status: String,
}

/// `PUT /v1/emergency/contacts/{contact}`: name `contact` as the caller's
/// emergency contact for the vaults of `grants`, or replace what was named.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PutEmergencyContactRequest {
    /// The waiting period in seconds (at least the server's minimum, default
    /// 24 hours; at most 90 days).
    pub wait_secs: u64,
    /// One grant per vault (distinct vaults the caller owns, at their current
    /// key generation), role viewer, sent by the caller to the contact.
    #[cfg_attr(feature = "server", schema(value_type = Vec<Object>))]
    pub grants: Vec<vault_core::VaultGrant>,
}

/// One granted vault of an emergency contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EmergencyVaultBody {
    /// The vault.
    #[cfg_attr(feature = "server", schema(value_type = String))]
    pub vault: VaultId,
    /// The key generation its grant holds (a claim releases it only if this
    /// is still the vault's current one).
    pub key_version: u32,
}

/// Where an emergency contact's request stands (the wire and the
/// database use the same text).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EmergencyState {
    /// Named; the contact has not asked.
    Idle,
    /// The contact asked; the wait is running (the owner may cancel).
    Requested,
    /// The contact claimed the vaults after the wait.
    Released,
}

impl EmergencyState {
    /// `idle`, `requested` or `released`.
    pub fn as_str(self) -> &'static str {
        match self {
            EmergencyState::Idle => "idle",
            EmergencyState::Requested => "requested",
            EmergencyState::Released => "released",
        }
    }
}

impl core::str::FromStr for EmergencyState {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "idle" => Ok(EmergencyState::Idle),
            "requested" => Ok(EmergencyState::Requested),
            "released" => Ok(EmergencyState::Released),
            _ => Err(()),
        }
    }
}

/// One emergency contact, as its owner or its contact sees it. No grant is
/// ever sent back: the contact receives them as memberships once released.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EmergencyEntryBody {
    /// Whose vaults.
    #[cfg_attr(feature = "server", schema(value_type = String))]
    pub owner: AccountId,
    /// Who may ask for them.
    #[cfg_attr(feature = "server", schema(value_type = String))]
    pub contact: AccountId,
    /// Where the request stands.
    pub state: EmergencyState,
    /// The waiting period, in seconds.
    pub wait_secs: u64,
    /// When the contact asked (Unix ms), if it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_at_ms: Option<i64>,
    /// When the vaults may be claimed (Unix ms): `requested_at_ms` plus the wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_at_ms: Option<i64>,
    /// The granted vaults.
    pub vaults: Vec<EmergencyVaultBody>,
    /// When the owner named the contact (Unix ms).
    pub created_at_ms: i64,
    /// The last change (Unix ms).
    pub updated_at_ms: i64,
}

/// `GET /v1/emergency`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EmergencyListBody {
    /// The contacts the caller named.
    pub as_owner: Vec<EmergencyEntryBody>,
    /// The owners who named the caller.
    pub as_contact: Vec<EmergencyEntryBody>,
}

/// Answer to `POST /v1/emergency/grantors/{owner}/claim`. A claim that is
/// refused changes nothing: 409 `emergency_waiting` (with `retry_after`,
/// the seconds left), `emergency_not_requested` or `emergency_released`
/// (a second claim: the memberships it made are the owner's to manage).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EmergencyClaimed {
    /// The vaults the caller now holds as a viewer (sync to receive them).
    #[cfg_attr(feature = "server", schema(value_type = Vec<String>))]
    pub released: Vec<VaultId>,
    /// Vaults whose grant is of an older key generation than the vault's
    /// (the owner rotated the key without re-issuing it): not released.
    #[cfg_attr(feature = "server", schema(value_type = Vec<String>))]
    pub stale: Vec<VaultId>,
}
