//! Machine secrets for admins (`docs/secrets.md`): projects, their
//! secrets, the service identities that read them, access requests and
//! stubs, from a signed-in [`UnlockedDevice`].
//!
//! A **project** is a vault with [`ProjectKeys`] beside its vault key
//! (sealed under it, so every member holds them). Everything is sealed and
//! opened here, with vault-core: the server sees blind indexes, sealed
//! names and values, wrapped keys and grants, never a name or a value.
//! Every answer is checked: a project's public key must be the one its
//! sealed keys make, a secret's name must be the one its blind index was
//! looked up by, a service's fingerprint and pinned project key are
//! compared before anything is granted to it.
//!
//! Revoking a service rotates what it could read, like unsharing a vault:
//! each secret it held moves to a new key generation (every version
//! re-sealed) and the services that keep access get new grants; after a
//! whole-project service the vault key rotates first
//! ([`UnlockedDevice::rotate_vault_key`]) and every secret follows.
//!
//! ```no_run
//! use vault_sync::client::{AccessSpec, UnlockedDevice};
//! # async fn f(admin: &mut UnlockedDevice) -> Result<(), vault_sync::client::ClientError> {
//! let created = admin.create_project("payments").await?;
//! println!("services register with {}", created.reference);
//! admin.set_secret(created.project, "STRIPE_KEY", "sk_live_…", "the live key").await?;
//! // A token for CI that reads one secret (shown once: store it like a password).
//! let issued = admin
//!     .issue_service_token(created.project, "ci", &AccessSpec::Secrets(vec!["STRIPE_KEY".into()]), None)
//!     .await?;
//! println!("{}", issued.token.expose_secret());
//! // A service registered itself: compare the digits it printed, then approve.
//! for s in admin.services(created.project).await? {
//!     println!("{} {} {}", s.service, s.name, s.fingerprint);
//! }
//! # Ok(()) }
//! ```

use super::device::UnlockedDevice;
use super::error::{ClientError, ClientResult};
use crate::api::machine as wire;
use std::collections::BTreeMap;
use std::time::Duration;
use vault_core::machine::{
    BlindIndex, EncryptedSecret, EncryptedSecretVersion, GrantScope, ProjectKeys, ProjectPublic,
    SecretEntry, SecretName, SecretValueKey, ServiceGrant, ServicePublic, ServiceToken, StubHint,
};
use vault_core::{Role, SecretId, SecretString, ServiceId, VaultId, VaultKey, VaultMeta, rng};

pub use crate::api::machine::{
    ProjectCounts, RequestStatus, ServiceAccess, ServiceOrigin, ServiceStatus,
};

/// How many times a secret write is tried when another writer got there
/// first (compare-and-swap): once, then once more on the fresh state.
const WRITE_ATTEMPTS: usize = 2;
/// Roughly the most sealed versions one rotation request carries (the
/// server caps bodies at 1 MiB by default): larger rotations are split.
const ROTATION_BATCH_BYTES: usize = 512 * 1024;

/// What a service may read.
#[derive(Clone, PartialEq, Eq)]
pub enum AccessSpec {
    /// Every secret of the project, present and future (a grant of the
    /// vault key's current generation).
    WholeProject,
    /// These secrets (by name), each granted on its own.
    Secrets(Vec<String>),
}

// Names are kept from the server and out of logs.
impl core::fmt::Debug for AccessSpec {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            AccessSpec::WholeProject => f.write_str("WholeProject"),
            AccessSpec::Secrets(names) => write!(f, "Secrets({} names)", names.len()),
        }
    }
}

impl AccessSpec {
    fn wire(&self) -> ServiceAccess {
        match self {
            AccessSpec::WholeProject => ServiceAccess::Project,
            AccessSpec::Secrets(_) => ServiceAccess::Secrets,
        }
    }
}

/// A new project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedProject {
    /// The project (its vault's id).
    pub project: VaultId,
    /// What services register with: `vpr1.<project>.<Ed25519 key>`.
    pub reference: String,
    /// The project's fingerprint, for service operators to compare.
    pub fingerprint: String,
}

/// One project, as its members see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectInfo {
    /// The project.
    pub project: VaultId,
    /// Its vault's name (decrypted), or a placeholder if its key is not open.
    pub name: String,
    /// The user's role in it, if this device holds the vault.
    pub role: Option<Role>,
    /// What services register with (`vpr1.…`).
    pub reference: String,
    /// The project's fingerprint.
    pub fingerprint: String,
    /// The vault's current key generation.
    pub key_version: u32,
    /// CIDRs its services may connect from (empty: any).
    pub allowlist: Vec<String>,
    /// Counters.
    pub counts: ProjectCounts,
    /// When it became a project (Unix ms).
    pub created_at_ms: i64,
}

/// One secret, decrypted. `Debug` shows neither its name nor its value.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretInfo {
    /// The secret.
    pub secret: SecretId,
    /// Its name.
    pub name: SecretName,
    /// Its current value.
    pub value: SecretString,
    /// Its description.
    pub description: String,
    /// Its current version.
    pub version: u32,
    /// Its key must be rotated (a service that could read it was revoked).
    pub rotate_pending: bool,
    /// Creation time (Unix ms).
    pub created_at_ms: i64,
    /// Last write (Unix ms).
    pub updated_at_ms: i64,
    /// Reads by services.
    pub uses: u64,
    /// Last read by a service (Unix ms).
    pub last_used_at_ms: Option<i64>,
}

impl core::fmt::Debug for SecretInfo {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SecretInfo")
            .field("secret", &self.secret)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// One version of a secret, decrypted. `Debug` shows its number only.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretVersionInfo {
    /// The version number.
    pub version: u32,
    /// The name it had.
    pub name: SecretName,
    /// Its value.
    pub value: SecretString,
    /// Its description.
    pub description: String,
    /// When it was written (Unix ms).
    pub created_at_ms: i64,
}

impl core::fmt::Debug for SecretVersionInfo {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SecretVersionInfo")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// What a secret write did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecretWrite {
    /// The secret.
    pub secret: SecretId,
    /// Its version now (1 for a new secret).
    pub version: u32,
}

/// One service identity of a project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceInfo {
    /// The service.
    pub service: ServiceId,
    /// Its name.
    pub name: String,
    /// Its software version, as it said.
    pub software_version: String,
    /// Where it stands.
    pub status: ServiceStatus,
    /// What it may read.
    pub access: ServiceAccess,
    /// How it came to be.
    pub origin: ServiceOrigin,
    /// Its fingerprint (computed here from its public key): compare it with
    /// what the service printed before approving.
    pub fingerprint: String,
    /// It pinned this project's real signing key. A service that pinned
    /// another was given a wrong project reference and cannot be approved.
    pub pins_project_key: bool,
    /// CIDRs it may connect from (empty: any).
    pub allowlist: Vec<String>,
    /// Registration or issue time (Unix ms).
    pub created_at_ms: i64,
    /// When it was decided (Unix ms).
    pub decided_at_ms: Option<i64>,
    /// When its token stops working (Unix ms).
    pub expires_at_ms: Option<i64>,
    /// Reads.
    pub uses: u64,
    /// Last read (Unix ms).
    pub last_used_at_ms: Option<i64>,
    /// Its public half.
    pub public: ServicePublic,
}

/// An issued service token: show `token` once (it is the service's whole
/// credential); the server only ever saw its public half.
#[derive(Clone, Debug)]
pub struct IssuedToken {
    /// The service.
    pub service: ServiceId,
    /// The token text (`vst1.…`; secret, `Debug` redacted).
    pub token: SecretString,
    /// Its fingerprint.
    pub fingerprint: String,
}

/// What a revocation did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RevokeReport {
    /// The vault key's new generation, when the service had whole-project
    /// access (the vault key rotated first).
    pub vault_key_version: Option<u32>,
    /// See [`RotationReport`].
    pub rotation: RotationReport,
}

/// What a rotation of secret keys did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RotationReport {
    /// The secrets moved to a new key generation.
    pub rotated: Vec<SecretId>,
    /// The services that received new grants.
    pub regranted: Vec<ServiceId>,
    /// The project keys were sealed again under the vault's newest key.
    pub project_keys_resealed: bool,
}

/// An access request, with its hint opened. `Debug` shows ids only.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessRequestInfo {
    /// Who asks.
    pub service: ServiceId,
    /// Its name, if it is still listed.
    pub service_name: Option<String>,
    /// For what.
    pub secret: SecretId,
    /// The secret's name, if it opened.
    pub secret_name: Option<SecretName>,
    /// What the service said (name and reason), if it sent a hint that
    /// opened and matches the secret.
    pub hint: Option<StubHint>,
    /// Where it stands.
    pub status: RequestStatus,
    /// How many times it asked.
    pub attempts: u64,
    /// First ask (Unix ms).
    pub first_at_ms: i64,
    /// Latest ask (Unix ms).
    pub last_at_ms: i64,
    /// When it was decided (Unix ms).
    pub decided_at_ms: Option<i64>,
}

impl core::fmt::Debug for AccessRequestInfo {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AccessRequestInfo")
            .field("service", &self.service)
            .field("secret", &self.secret)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// One service that asked for a missing name.
#[derive(Clone, PartialEq, Eq)]
pub struct StubAsker {
    /// The service.
    pub service: ServiceId,
    /// Its name, if it is still listed.
    pub service_name: Option<String>,
    /// What it said the secret is for, if its hint opened.
    pub description: Option<String>,
    /// How many times it asked.
    pub attempts: u64,
    /// First ask (Unix ms).
    pub first_at_ms: i64,
    /// Latest ask (Unix ms).
    pub last_at_ms: i64,
}

impl core::fmt::Debug for StubAsker {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StubAsker")
            .field("service", &self.service)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// A missing name, with every service that asked for it. `Debug` shows
/// no name.
#[derive(Clone, PartialEq, Eq)]
pub struct StubInfo {
    /// The blind index asked for.
    pub blind_index: BlindIndex,
    /// The name, if a hint opened (and matches the blind index).
    pub name: Option<SecretName>,
    /// Who asked.
    pub askers: Vec<StubAsker>,
}

impl core::fmt::Debug for StubInfo {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StubInfo")
            .field("blind_index", &self.blind_index)
            .field("askers", &self.askers.len())
            .finish_non_exhaustive()
    }
}

/// What filling a stub did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilledStub {
    /// The new secret.
    pub secret: SecretId,
    /// The services granted it.
    pub granted: Vec<ServiceId>,
}

/// A project opened on this device: the server's record, its keys (checked
/// against the public key the server hands services), and the vault key of
/// the current generation.
struct Opened {
    project: VaultId,
    body: wire::ProjectBody,
    keys: ProjectKeys,
    current: VaultKey,
}

impl Opened {
    fn public(&self) -> &ProjectPublic {
        &self.body.public
    }
}

/// A secret of the listing with its key and current entry.
struct Open {
    row: wire::SecretBody,
    key: SecretValueKey,
    entry: SecretEntry,
}

fn json_len(v: &impl serde::Serialize) -> usize {
    serde_json::to_vec(v).map_or(0, |b| b.len())
}

fn is_conflict(e: &ClientError) -> bool {
    matches!(
        e,
        ClientError::Rejected {
            status: 409,
            code: crate::api::ErrorCode::Conflict,
            ..
        }
    )
}

fn service_info(s: wire::ServiceBody, pinned: &[u8; 32]) -> ServiceInfo {
    ServiceInfo {
        service: s.service.service,
        name: s.name,
        software_version: s.software_version,
        status: s.status,
        access: s.access,
        origin: s.origin,
        // Computed here: the server's copy is for clients that cannot.
        fingerprint: s.service.fingerprint(),
        pins_project_key: &s.service.project_signing_key == pinned,
        allowlist: s.allowlist,
        created_at_ms: s.created_at_ms,
        decided_at_ms: s.decided_at_ms,
        expires_at_ms: s.expires_at_ms,
        uses: s.uses,
        last_used_at_ms: s.last_used_at_ms,
        public: s.service,
    }
}

mod projects;
mod requests;
mod secrets;
mod services;
