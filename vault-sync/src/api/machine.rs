//! The machine-secrets admin API's bodies (`/v1/projects…`): what people's
//! clients send and receive to manage projects, secrets, service
//! identities, access requests and stubs (`docs/secrets.md`).
//!
//! Everything secret travels sealed: secret names and values inside
//! [`EncryptedSecretVersion`]s, keys wrapped or granted, hints sealed to the
//! project. The server checks shapes, ids, signatures and key generations,
//! and decides who may fetch which ciphertext; the client decrypts.
//!
//! Every request body rejects unknown fields, and ids in a body must match
//! the ids in the path (a mismatch is a 400 that changes nothing).
//!
//! ```
//! use vault_sync::api::machine::{AllowlistBody, ServiceAccess};
//! let body: AllowlistBody = serde_json::from_str(r#"{"cidrs":["10.0.0.0/8","2001:db8::/32"]}"#).unwrap();
//! assert_eq!(body.cidrs.len(), 2);
//! assert!(serde_json::from_str::<AllowlistBody>(r#"{"cidrs":[],"extra":1}"#).is_err());
//! assert_eq!(serde_json::to_string(&ServiceAccess::Project).unwrap(), r#""project""#);
//! ```

use serde::{Deserialize, Serialize};
#[cfg(feature = "server")]
use utoipa::ToSchema;
use vault_core::machine::{
    BlindIndex, EncryptedProjectKeys, EncryptedSecret, EncryptedSecretVersion, ProjectPublic,
    SealedToProject, ServiceGrant, ServicePublic,
};
use vault_core::{AccountId, SecretId, ServiceId, VaultId};

macro_rules! wire_enum {
    ($(#[$doc:meta])* $t:ident { $($(#[$vdoc:meta])* $v:ident = $s:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "server", derive(ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $t {
            $($(#[$vdoc])* #[serde(rename = $s)] $v,)*
        }

        impl $t {
            /// The wire (and stored) text.
            pub fn as_str(self) -> &'static str {
                match self { $($t::$v => $s),* }
            }
        }

        impl core::fmt::Display for $t {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// Where a service identity stands.
    ServiceStatus {
        /// Registered itself; waits for an admin to approve or deny it.
        Pending = "pending",
        /// Approved (or issued by an admin): reads what it is granted.
        Approved = "approved",
        /// Refused; reads nothing.
        Denied = "denied",
        /// Approved once, then revoked; reads nothing.
        Revoked = "revoked",
    }
);

wire_enum!(
    /// How a service identity came to be.
    ServiceOrigin {
        /// The service generated its token and registered.
        Registered = "registered",
        /// An admin's client generated the token (CI), approved at once.
        Issued = "issued",
    }
);

wire_enum!(
    /// What a service may read.
    ServiceAccess {
        /// Nothing (pending, denied or revoked).
        None = "none",
        /// Every secret of the project (it holds a vault key generation).
        Project = "project",
        /// The secrets it holds a grant for.
        Secrets = "secrets",
    }
);

wire_enum!(
    /// Where an access request stands.
    RequestStatus {
        /// Waiting for an admin.
        Pending = "pending",
        /// Granted.
        Granted = "granted",
        /// Refused.
        Denied = "denied",
    }
);

/// `PUT /v1/projects/{project}`: makes the caller's vault a project. The
/// project keys are sealed under the vault's current key generation; both
/// halves must name the vault in the path. Owner only.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AttachProjectRequest {
    /// The project's public keys (self-signed).
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::ProjectPublic))]
    pub public: ProjectPublic,
    /// Its private keys, sealed under the vault key.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::EncryptedProjectKeys))]
    pub keys: EncryptedProjectKeys,
}

/// Counters of one project.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProjectCounts {
    /// Secrets.
    pub secrets: u64,
    /// Services waiting for approval.
    pub pending_services: u64,
    /// Access requests waiting for a decision.
    pub pending_requests: u64,
    /// Names asked for that do not exist (distinct blind indexes).
    pub open_stubs: u64,
}

/// One project, as its members see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProjectBody {
    /// The project (its vault's id).
    #[cfg_attr(feature = "server", schema(value_type = String))]
    pub project: VaultId,
    /// Its public keys.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::ProjectPublic))]
    pub public: ProjectPublic,
    /// Its private keys, sealed under the vault key of `keys.key_version`.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::EncryptedProjectKeys))]
    pub keys: EncryptedProjectKeys,
    /// The vault's current key generation (what new secrets are wrapped
    /// under and what a whole-project grant must be of).
    pub key_version: u32,
    /// CIDRs its services may connect from (empty: any address).
    pub allowlist: Vec<String>,
    /// Counters.
    pub counts: ProjectCounts,
    /// When it became a project (Unix ms).
    pub created_at_ms: i64,
}

/// `GET /v1/projects`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProjectsBody {
    /// The projects the caller is a member of.
    pub projects: Vec<ProjectBody>,
}

/// `PUT …/allowlist` (project or service), and its answer (normalised:
/// host bits cleared, IPv4-mapped IPv6 as IPv4, duplicates dropped).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AllowlistBody {
    /// CIDRs (`10.0.0.0/8`, `2001:db8::/32`) or bare addresses; at most 64;
    /// empty allows any address.
    pub cidrs: Vec<String>,
}

/// One secret with its current version (its name and value are sealed
/// inside `current`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SecretBody {
    /// Its wrapped key and blind index.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::EncryptedSecret))]
    pub secret: EncryptedSecret,
    /// Its current version.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::EncryptedSecretVersion))]
    pub current: EncryptedSecretVersion,
    /// A service that could read it was revoked (or the vault key rotated)
    /// and its key awaits rotation.
    pub rotate_pending: bool,
    /// Creation time (Unix ms).
    pub created_at_ms: i64,
    /// Last write (Unix ms).
    pub updated_at_ms: i64,
    /// Reads by services (flushed counters: may lag).
    pub uses: u64,
    /// Last read by a service (Unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at_ms: Option<i64>,
}

/// `GET /v1/projects/{project}/secrets`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SecretsBody {
    /// The project's secrets, oldest first.
    pub secrets: Vec<SecretBody>,
}

/// `PUT /v1/projects/{project}/secrets/{secret}`: creates a secret
/// (`base_version` 0, version 1) or writes its next version
/// (`version.version` = `base_version + 1`), compare-and-swap: 409
/// `conflict` if the current version is no longer `base_version`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PutSecretRequest {
    /// The secret's record (same wrapped key for a new version; the blind
    /// index of the version's name).
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::EncryptedSecret))]
    pub secret: EncryptedSecret,
    /// The new version.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::EncryptedSecretVersion))]
    pub version: EncryptedSecretVersion,
    /// The version the client builds on (0: the secret is new).
    pub base_version: u32,
}

/// Answer to a secret write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SecretWritten {
    /// The secret.
    #[cfg_attr(feature = "server", schema(value_type = String))]
    pub secret: SecretId,
    /// Its current version now.
    pub version: u32,
}

/// One stored version of a secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SecretVersionBody {
    /// The sealed version.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::EncryptedSecretVersion))]
    pub version: EncryptedSecretVersion,
    /// When it was written (Unix ms).
    pub created_at_ms: i64,
}

/// `GET /v1/projects/{project}/secrets/{secret}/versions`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SecretVersionsBody {
    /// Every stored version, oldest first.
    pub versions: Vec<SecretVersionBody>,
}

/// One service identity of a project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ServiceBody {
    /// Its public half (id, X25519 key, pinned project key, auth fingerprint).
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::ServicePublic))]
    pub service: ServicePublic,
    /// The digits an admin compares with what the service printed
    /// ([`ServicePublic::fingerprint`]; clients recompute it).
    pub fingerprint: String,
    /// Its name.
    pub name: String,
    /// Its software version, as it said (`issued` for issued tokens).
    pub software_version: String,
    /// Where it stands.
    pub status: ServiceStatus,
    /// What it may read.
    pub access: ServiceAccess,
    /// How it came to be.
    pub origin: ServiceOrigin,
    /// CIDRs it may connect from (empty: any).
    pub allowlist: Vec<String>,
    /// Registration or issue time (Unix ms).
    pub created_at_ms: i64,
    /// When it was approved, denied or revoked (Unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at_ms: Option<i64>,
    /// Who decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(value_type = Option<String>))]
    pub decided_by: Option<AccountId>,
    /// When its token stops working (Unix ms), if ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<i64>,
    /// The address it registered from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_from: Option<String>,
    /// Reads (flushed counters: may lag).
    pub uses: u64,
    /// Last read (Unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at_ms: Option<i64>,
}

/// `GET /v1/projects/{project}/services`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ServicesBody {
    /// The project's service identities, oldest first.
    pub services: Vec<ServiceBody>,
}

/// `POST /v1/projects/{project}/services`: an admin issues a service token
/// (its public half; the client made the token), approved at once with
/// its grants.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IssueServiceRequest {
    /// The token's public half (must name the project in the path and pin
    /// its key).
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::ServicePublic))]
    pub service: ServicePublic,
    /// A name for people (1 to 128 bytes, no control characters).
    pub name: String,
    /// `project` or `secrets`.
    pub access: ServiceAccess,
    /// The index grant, then one project grant (current vault key
    /// generation) or one grant per secret.
    #[cfg_attr(feature = "server", schema(value_type = Vec<crate::server::openapi_schemas::ServiceGrant>))]
    pub grants: Vec<ServiceGrant>,
    /// When the token stops working (Unix ms), if ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<i64>,
}

/// `POST /v1/projects/{project}/services/{service}/approve`: approves a
/// pending service, or widens an approved one's access.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApproveServiceRequest {
    /// `project` or `secrets`.
    pub access: ServiceAccess,
    /// The grants, addressed to the service in the path (see
    /// [`IssueServiceRequest::grants`]).
    #[cfg_attr(feature = "server", schema(value_type = Vec<crate::server::openapi_schemas::ServiceGrant>))]
    pub grants: Vec<ServiceGrant>,
}

/// Answer to `POST /v1/projects/{project}/services/{service}/revoke`: the
/// secrets the service could read, now marked for rotation. Rotate them
/// next (`POST /v1/projects/{project}/rotate`); for a service that had
/// whole-project access, rotate the vault key first
/// (`POST /v1/vaults/{vault}/rotate`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ServiceRevoked {
    /// The secrets to rotate.
    #[cfg_attr(feature = "server", schema(value_type = Vec<String>))]
    pub rotate: Vec<SecretId>,
}

/// `GET /v1/projects/{project}/services/{service}/grants`: the grants filed
/// for one service (admins check them before re-granting after a rotation).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ServiceGrantsBody {
    /// The grants.
    #[cfg_attr(feature = "server", schema(value_type = Vec<crate::server::openapi_schemas::ServiceGrant>))]
    pub grants: Vec<ServiceGrant>,
}

/// `POST /v1/projects/{project}/rotate`: rotated secret keys after a
/// revocation, applied all or nothing.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SecretsRotationRequest {
    /// Each rotated secret: its next key generation, wrapped under the
    /// vault's current key generation.
    #[cfg_attr(feature = "server", schema(value_type = Vec<crate::server::openapi_schemas::EncryptedSecret>))]
    pub secrets: Vec<EncryptedSecret>,
    /// Every stored version of each rotated secret, re-sealed.
    #[cfg_attr(feature = "server", schema(value_type = Vec<crate::server::openapi_schemas::EncryptedSecretVersion>))]
    pub versions: Vec<EncryptedSecretVersion>,
    /// New grants for the services that keep access.
    #[cfg_attr(feature = "server", schema(value_type = Vec<crate::server::openapi_schemas::ServiceGrant>))]
    pub grants: Vec<ServiceGrant>,
    /// The project keys re-sealed under the vault's current generation,
    /// when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(value_type = Option<crate::server::openapi_schemas::EncryptedProjectKeys>))]
    pub project_keys: Option<EncryptedProjectKeys>,
}

/// One access request: a service asked for a secret it is not granted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AccessRequestBody {
    /// Who asks.
    #[cfg_attr(feature = "server", schema(value_type = String))]
    pub service: ServiceId,
    /// For what.
    #[cfg_attr(feature = "server", schema(value_type = String))]
    pub secret: SecretId,
    /// Where it stands.
    pub status: RequestStatus,
    /// The name and the reason, sealed to the project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(value_type = Option<crate::server::openapi_schemas::SealedToProject>))]
    pub hint: Option<SealedToProject>,
    /// How many times it asked.
    pub attempts: u64,
    /// First ask (Unix ms).
    pub first_at_ms: i64,
    /// Latest ask (Unix ms).
    pub last_at_ms: i64,
    /// When an admin decided (Unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at_ms: Option<i64>,
}

/// `GET /v1/projects/{project}/requests`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AccessRequestsBody {
    /// Newest first.
    pub requests: Vec<AccessRequestBody>,
}

/// `POST /v1/projects/{project}/requests/{service}/{secret}/grant`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GrantRequestBody {
    /// Grants of the requested secret (its current key generation) to the
    /// requesting service, and nothing else.
    #[cfg_attr(feature = "server", schema(value_type = Vec<crate::server::openapi_schemas::ServiceGrant>))]
    pub grants: Vec<ServiceGrant>,
}

/// A name a service asked for that does not exist (one row per asking
/// service).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StubBody {
    /// The blind index asked for.
    #[cfg_attr(feature = "server", schema(value_type = String))]
    pub blind_index: BlindIndex,
    /// Who asked.
    #[cfg_attr(feature = "server", schema(value_type = String))]
    pub service: ServiceId,
    /// The name and description, sealed to the project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(value_type = Option<crate::server::openapi_schemas::SealedToProject>))]
    pub hint: Option<SealedToProject>,
    /// How many times.
    pub attempts: u64,
    /// First ask (Unix ms).
    pub first_at_ms: i64,
    /// Latest ask (Unix ms).
    pub last_at_ms: i64,
}

/// `GET /v1/projects/{project}/stubs`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StubsBody {
    /// Grouped by blind index.
    pub stubs: Vec<StubBody>,
}

/// `POST /v1/projects/{project}/stubs/{blind_index}/fill`: creates the
/// missing secret (its blind index must be the one in the path) and grants
/// it to the approved services that asked, in one step.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FillStubRequest {
    /// The new secret (version 1, key generation 1).
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::EncryptedSecret))]
    pub secret: EncryptedSecret,
    /// Its first version.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi_schemas::EncryptedSecretVersion))]
    pub version: EncryptedSecretVersion,
    /// Grants of the new secret to services that asked for it.
    #[cfg_attr(feature = "server", schema(value_type = Vec<crate::server::openapi_schemas::ServiceGrant>))]
    pub grants: Vec<ServiceGrant>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn enums_round_trip_and_bodies_refuse_unknown_fields() {
        for s in [
            ServiceStatus::Pending,
            ServiceStatus::Approved,
            ServiceStatus::Denied,
            ServiceStatus::Revoked,
        ] {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            assert_eq!(serde_json::from_str::<ServiceStatus>(&json).unwrap(), s);
        }
        assert!(serde_json::from_str::<ServiceAccess>(r#""everything""#).is_err());
        assert!(
            serde_json::from_str::<ApproveServiceRequest>(
                r#"{"access":"project","grants":[],"more":true}"#
            )
            .is_err()
        );
        let r: ApproveServiceRequest =
            serde_json::from_str(r#"{"access":"secrets","grants":[]}"#).unwrap();
        assert_eq!(r.access, ServiceAccess::Secrets);
    }
}
