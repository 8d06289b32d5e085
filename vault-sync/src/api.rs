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
//! assert_eq!(e.error, "conflict");
//! assert_eq!(paths::PRELOGIN, "/v1/prelogin");
//! ```

use serde::{Deserialize, Serialize};
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
}

/// Every error response: a stable machine code and a message for people.
/// Neither ever contains a secret, a token or blob content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// Stable code: `bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `conflict`, `payload_too_large`, `rate_limited`, `unsupported_media_type`,
    /// `internal`, `unavailable`, `authentication_failed`, `stale_key`, …
    pub error: String,
    /// What went wrong, in words.
    pub message: String,
    /// On `conflict` from an item write: the item's current state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub current: Option<ItemState>,
    /// On `rate_limited`: seconds to wait (also in `Retry-After`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// The login record a registration or password change sends.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum AuthRecordBody {
    /// SRP-6a group, salt and verifier.
    #[schema(value_type = Object)]
    Srp(SrpRegistration),
    /// OPAQUE registration record.
    #[schema(value_type = Object)]
    Opaque(Box<RegistrationRecord>),
}

/// `POST /v1/register/opaque/start`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpaqueRegisterStart {
    /// The account identifier (1–256 bytes, used exactly as given).
    pub identifier: String,
    /// The client's blinded registration request.
    #[schema(value_type = Object)]
    pub request: RegistrationRequest,
}

/// Answer to [`OpaqueRegisterStart`].
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpaqueRegisterStarted {
    /// The server's evaluated response.
    #[schema(value_type = Object)]
    pub response: RegistrationResponse,
}

/// `POST /v1/register`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// The account identifier (1–256 bytes, used exactly as given).
    pub identifier: String,
    /// The encrypted account record (`UnlockedAccount::create`).
    #[schema(value_type = Object)]
    pub record: EncryptedAccount,
    /// SRP verifier or OPAQUE record, made from the same password.
    pub auth: AuthRecordBody,
}

/// Answer to [`RegisterRequest`] (201).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Registered {
    /// The new account's id.
    #[schema(value_type = String)]
    pub account: AccountId,
}

/// `POST /v1/login/srp/start`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SrpLoginStart {
    /// `{group, identifier, A}`.
    #[schema(value_type = Object)]
    pub hello: ClientHello,
}

/// Answer to [`SrpLoginStart`].
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SrpLoginChallenge {
    /// Names this login in flight (single use, short-lived).
    pub login_id: String,
    /// `{group, s, B}`.
    #[schema(value_type = Object)]
    pub challenge: ServerChallenge,
}

/// `POST /v1/login/srp/finish`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SrpLoginFinish {
    /// From [`SrpLoginChallenge::login_id`].
    pub login_id: String,
    /// `{M1}`.
    #[schema(value_type = Object)]
    pub proof: ClientProof,
}

/// Answer to [`SrpLoginFinish`].
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SrpLoginDone {
    /// `{M2}`: verify it before trusting the tokens.
    #[schema(value_type = Object)]
    pub server_proof: ServerProof,
    /// The new session.
    pub session: SessionTokens,
}

/// `POST /v1/login/opaque/start`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpaqueLoginStart {
    /// The account identifier.
    pub identifier: String,
    /// KE1.
    #[schema(value_type = Object)]
    pub ke1: Ke1,
}

/// Answer to [`OpaqueLoginStart`].
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpaqueLoginChallenge {
    /// Names this login in flight (single use, short-lived).
    pub login_id: String,
    /// KE2.
    #[schema(value_type = Object)]
    pub ke2: Ke2,
}

/// `POST /v1/login/opaque/finish`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpaqueLoginFinish {
    /// From [`OpaqueLoginChallenge::login_id`].
    pub login_id: String,
    /// KE3.
    #[schema(value_type = Object)]
    pub ke3: Ke3,
}

/// Answer to [`OpaqueLoginFinish`].
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpaqueLoginDone {
    /// The new session.
    pub session: SessionTokens,
}

/// A session's tokens. `Debug` redacts both tokens.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionTokens {
    /// The account.
    #[schema(value_type = String)]
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
#[derive(Clone, Serialize, Deserialize, ToSchema)]
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
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogoutAllRequest {
    /// Keep the session making this request.
    #[serde(default)]
    pub keep_current: bool,
}

/// Answer to [`LogoutAllRequest`].
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoggedOut {
    /// How many sessions were ended.
    pub revoked: u64,
}

/// `GET /v1/account`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountBody {
    /// The account id.
    #[schema(value_type = String)]
    pub account: AccountId,
    /// The identifier.
    pub identifier: String,
    /// The encrypted account record.
    #[schema(value_type = Object)]
    pub record: EncryptedAccount,
    /// `srp` or `opaque`.
    pub protocol: String,
    /// Bumped by every credentials change.
    pub credentials_version: i64,
}

/// `PUT /v1/account/credentials`: the re-wrapped account record and the
/// login record made from the new password, replaced together. Needs a
/// session that logged in within the last 10 minutes.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialsRequest {
    /// The account record re-wrapped under the new password.
    #[schema(value_type = Object)]
    pub record: EncryptedAccount,
    /// The new verifier / record.
    pub auth: AuthRecordBody,
}

/// `PUT /v1/account/recovery`: a new recovery kit's wrap (it replaces the
/// old one). Needs a fresh login, like a password change.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoveryKitBody {
    /// The account key under the recovery key, and the auth token's hash.
    #[schema(value_type = Object)]
    pub wrap: RecoveryWrap,
}

/// `GET /v1/account/recovery`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoveryKitStatus {
    /// The stored wrap, if a kit is set up.
    #[schema(value_type = Option<Object>)]
    pub wrap: Option<RecoveryWrap>,
}

/// `POST /v1/recovery/login`: proves knowledge of the recovery key.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
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
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoveryLoginDone {
    /// Tokens of a new session.
    pub session: SessionTokens,
    /// The account record.
    pub account: AccountBody,
    /// The recovery wrap.
    #[schema(value_type = Object)]
    pub wrap: RecoveryWrap,
}

/// `POST /v1/account/rotate`: an account key rotation change set, and the
/// new recovery kit's wrap (without one, the old kit is deleted: it holds
/// the old key). Needs a fresh login; ends every other session.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountRotateRequest {
    /// The change set.
    #[schema(value_type = Object)]
    pub change: AccountKeyRotation,
    /// A recovery kit for the new generation, if the account keeps one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub recovery: Option<RecoveryWrap>,
}

/// Answer to [`CredentialsRequest`].
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialsChanged {
    /// The new credentials version.
    pub credentials_version: i64,
}

/// `GET /v1/directory` query: exactly one of the two.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::IntoParams)]
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
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DirectoryBody {
    /// The account id.
    #[schema(value_type = String)]
    pub account: AccountId,
    /// Its identifier.
    pub identifier: String,
    /// Its self-signed public identity: compare fingerprints out of band.
    #[schema(value_type = Object)]
    pub identity: PublicIdentity,
}

/// `POST /v1/vaults`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateVaultRequest {
    /// The sealed vault metadata (names the vault id and key generation).
    #[schema(value_type = Object)]
    pub meta: EncryptedVault,
    /// The vault key wrapped for its owner.
    #[schema(value_type = Object)]
    pub key: WrappedVaultKey,
}

/// Answer to [`CreateVaultRequest`] (201).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VaultCreated {
    /// The vault id.
    #[schema(value_type = String)]
    pub vault: VaultId,
}

/// One member of a vault.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberBody {
    /// The member.
    #[schema(value_type = String)]
    pub account: AccountId,
    /// `owner`, `editor` or `viewer`.
    #[schema(value_type = String)]
    pub role: Role,
    /// The newest key generation it holds.
    pub key_version: u32,
}

/// `GET /v1/vaults/{vault}/members`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MembersBody {
    /// The active members (all for the owner; only yourself otherwise).
    pub members: Vec<MemberBody>,
}

/// `PUT /v1/vaults/{vault}/members/{account}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutMemberRequest {
    /// The member's role.
    #[schema(value_type = String)]
    pub role: Role,
    /// The vault key generations for this member (grants signed by the owner).
    #[schema(value_type = Vec<Object>)]
    pub keys: Vec<MemberKey>,
}

/// One member's keys in a rotation.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotationMemberKeys {
    /// The member.
    #[schema(value_type = String)]
    pub account: AccountId,
    /// Its keys for the new generation.
    #[schema(value_type = Vec<Object>)]
    pub keys: Vec<MemberKey>,
}

/// `POST /v1/vaults/{vault}/rotate`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateRequest {
    /// The metadata sealed under the new generation.
    #[schema(value_type = Object)]
    pub meta: EncryptedVault,
    /// Every live item re-wrapped (at its current revision).
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<EncryptedItem>,
    /// Every active member's new keys (the owner's included).
    pub members: Vec<RotationMemberKeys>,
}

/// `PUT /v1/vaults/{vault}/items/{item}`: compare-and-swap.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutItemRequest {
    /// The revision the client builds on (0: the item does not exist yet).
    pub base: u64,
    /// The blob, sealed for revision `base + 1`.
    #[schema(value_type = Object)]
    pub item: EncryptedItem,
}

/// `DELETE /v1/vaults/{vault}/items/{item}?base=N`.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DeleteItemQuery {
    /// The revision the client expects the server to hold.
    pub base: u64,
}

/// Answer to an item write that was applied.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemWritten {
    /// The item's new revision.
    pub revision: u64,
}

/// `GET /v1/sync/changes` query.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::IntoParams)]
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
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthBody {
    /// `ok`, or why not.
    pub status: String,
}

/// `PUT /v1/emergency/contacts/{contact}`: name `contact` as the caller's
/// emergency contact for the vaults of `grants`, or replace what was named.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutEmergencyContactRequest {
    /// The waiting period in seconds (at least the server's minimum, default
    /// 24 hours; at most 90 days).
    pub wait_secs: u64,
    /// One grant per vault (distinct vaults the caller owns, at their current
    /// key generation), role viewer, sent by the caller to the contact.
    #[schema(value_type = Vec<Object>)]
    pub grants: Vec<vault_core::VaultGrant>,
}

/// One granted vault of an emergency contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmergencyVaultBody {
    /// The vault.
    #[schema(value_type = String)]
    pub vault: VaultId,
    /// The key generation its grant holds (a claim releases it only if this
    /// is still the vault's current one).
    pub key_version: u32,
}

/// One emergency contact, as its owner or its contact sees it. No grant is
/// ever sent back: the contact receives them as memberships once released.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmergencyEntryBody {
    /// Whose vaults.
    #[schema(value_type = String)]
    pub owner: AccountId,
    /// Who may ask for them.
    #[schema(value_type = String)]
    pub contact: AccountId,
    /// `idle`, `requested` or `released`.
    pub state: String,
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
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmergencyClaimed {
    /// The vaults the caller now holds as a viewer (sync to receive them).
    #[schema(value_type = Vec<String>)]
    pub released: Vec<VaultId>,
    /// Vaults whose grant is of an older key generation than the vault's
    /// (the owner rotated the key without re-issuing it): not released.
    #[schema(value_type = Vec<String>)]
    pub stale: Vec<VaultId>,
}
