//! Machine secrets in the store: projects, secrets and their versions,
//! service identities, grants, access requests and stubs (`docs/secrets.md`).
//!
//! The store sees what the server sees: ciphertext, public keys, blind
//! indexes, ids, counts and times. It checks everything it can without a
//! key: that JSON parses into the core types, that ids agree with the path,
//! that every grant is signed by the project's Ed25519 key and addressed to
//! the service it is filed under, that versions count up by one, that a
//! rotation covers every version and bumps the key generation.
//!
//! | table | holds | tenant |
//! |---|---|---|
//! | `projects` | `ProjectPublic`, `EncryptedProjectKeys`, key generation, address allowlist | the vault (`project_id` → `vaults`) |
//! | `secrets` | `EncryptedSecret` (wrapped key), blind index, current version, key generations | `project_id` |
//! | `secret_versions` | `EncryptedSecretVersion` per version | `(project_id, secret_id)` |
//! | `services` | `ServicePublic`, name, software version, status, access, allowlist, expiry | `project_id` |
//! | `service_grants` | `ServiceGrant` per scope (index, project generation, secret key generation) | `(service_id, project_id)` |
//! | `access_requests` | per (service, secret): status, sealed hint, attempts | `(service_id, project_id)` |
//! | `stubs` | per (project, blind index, service): sealed hint, attempts | `(service_id, project_id)` |
//! | `service_usage`, `secret_usage` | access counters (flushed in batches) | `project_id` |

use super::error::{Result, StoreError};
use super::types::Millis;
use super::{Backend, Store, dispatch};
use vault_core::machine::{
    BlindIndex, EncryptedProjectKeys, EncryptedSecret, EncryptedSecretVersion, ProjectPublic,
    SealedToProject, ServiceGrant, ServicePublic,
};
use vault_core::{AccountId, SecretId, ServiceId, VaultId};

/// Most CIDRs in one allowlist.
pub const MAX_ALLOWLIST: usize = 64;
/// Most pending self-registrations per project (a flood of registrations
/// cannot bury the real ones; approve or deny to make room).
pub const MAX_PENDING_SERVICES: i64 = 100;
/// Largest sealed secret version (its JSON), in bytes: a 64 KiB value
/// sealed, base64url-encoded, with its envelope and ids.
pub const MAX_SECRET_VERSION_JSON: usize = 96 * 1024;
/// Most blind indexes in one batch read.
pub const MAX_BATCH: usize = 200;
/// Longest service name or software version, in bytes.
pub const MAX_SERVICE_LABEL: usize = 128;

/// Where a service identity stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServiceStatus {
    /// Registered itself; waits for a member to approve or deny.
    Pending,
    /// Approved (or issued by a member): may read what it is granted.
    Approved,
    /// Refused; reads nothing.
    Denied,
    /// Approved once, then revoked; reads nothing.
    Revoked,
}

/// How a service identity came to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServiceOrigin {
    /// The service generated its token and registered (`RegisterToken`).
    Registered,
    /// A member generated the token (CI); approved from the start.
    Issued,
}

/// What an approved service may read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServiceAccess {
    /// Nothing (pending, denied, revoked).
    None,
    /// Every secret of the project (it holds a vault key generation).
    Project,
    /// The secrets it holds a grant for.
    Secrets,
}

/// Where an access request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RequestStatus {
    /// Waiting for a member.
    Pending,
    /// Granted (the grant is filed).
    Granted,
    /// Refused; asking again only counts the attempt.
    Denied,
}

macro_rules! text_enum {
    ($t:ident { $($v:ident = $s:literal),* $(,)? }) => {
        impl $t {
            /// The stored (and wire) name.
            pub fn as_str(self) -> &'static str {
                match self { $($t::$v => $s),* }
            }
            /// Parses the stored name.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some($t::$v),)* _ => None }
            }
        }
        impl core::fmt::Display for $t {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
text_enum!(ServiceStatus { Pending = "pending", Approved = "approved", Denied = "denied", Revoked = "revoked" });
text_enum!(ServiceOrigin { Registered = "registered", Issued = "issued" });
text_enum!(ServiceAccess { None = "none", Project = "project", Secrets = "secrets" });
text_enum!(RequestStatus { Pending = "pending", Granted = "granted", Denied = "denied" });

/// A project as its members see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectRecord {
    /// The public keys (anyone may seal to it; services pin its Ed25519 key).
    pub public: ProjectPublic,
    /// Its private keys, sealed under the vault key of `keys.key_version`.
    pub keys: EncryptedProjectKeys,
    /// The vault's current key generation (a `project` grant must be of it).
    pub vault_key_version: u32,
    /// CIDRs its services may connect from (empty: any address).
    pub allowlist: Vec<String>,
    /// Secrets.
    pub secrets: u64,
    /// Services waiting for approval.
    pub pending_services: u64,
    /// Access requests waiting for a decision.
    pub pending_requests: u64,
    /// Names asked for that do not exist (distinct blind indexes).
    pub open_stubs: u64,
    /// Creation time.
    pub created_at: Millis,
}

/// A secret with its current version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretRow {
    /// Its wrapped key and blind index.
    pub secret: EncryptedSecret,
    /// Its current version.
    pub current: EncryptedSecretVersion,
    /// A service that could read it was revoked and its key not yet rotated.
    pub rotate_pending: bool,
    /// Creation time.
    pub created_at: Millis,
    /// Last write.
    pub updated_at: Millis,
    /// Reads by services (flushed counters: may lag by a second).
    pub uses: u64,
    /// Last read by a service.
    pub last_used_at: Option<Millis>,
}

/// One stored version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretVersionRow {
    /// The sealed version.
    pub version: EncryptedSecretVersion,
    /// When it was written.
    pub created_at: Millis,
}

/// A service identity as members see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceRecord {
    /// Its public half (id, X25519 key, pinned project key, auth fingerprint).
    pub public: ServicePublic,
    /// Its name (what it said when it registered, or what the member typed).
    pub name: String,
    /// Its software version, as it said.
    pub software_version: String,
    /// Where it stands.
    pub status: ServiceStatus,
    /// How it came to be.
    pub origin: ServiceOrigin,
    /// What it may read.
    pub access: ServiceAccess,
    /// CIDRs it may connect from (empty: any).
    pub allowlist: Vec<String>,
    /// When its token stops working, if ever.
    pub expires_at: Option<Millis>,
    /// The address it registered from.
    pub registered_from: Option<String>,
    /// Registration (or issue) time.
    pub created_at: Millis,
    /// When it was approved, denied or revoked.
    pub decided_at: Option<Millis>,
    /// Who decided.
    pub decided_by: Option<AccountId>,
    /// Reads (flushed counters).
    pub uses: u64,
    /// Last read.
    pub last_used_at: Option<Millis>,
}

/// What the server needs to authenticate and authorise a service's call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceAuth {
    /// The service's public half (its `auth_fingerprint` is checked).
    pub public: ServicePublic,
    /// Where it stands.
    pub status: ServiceStatus,
    /// What it may read.
    pub access: ServiceAccess,
    /// When its token stops working.
    pub expires_at: Option<Millis>,
    /// Its own allowlist.
    pub allowlist: Vec<String>,
    /// Its project's allowlist.
    pub project_allowlist: Vec<String>,
}

/// An access request as members see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessRequestRow {
    /// Who asks.
    pub service: ServiceId,
    /// For what.
    pub secret: SecretId,
    /// Where it stands.
    pub status: RequestStatus,
    /// The name and reason, sealed to the project.
    pub hint: Option<SealedToProject>,
    /// How many times it asked.
    pub attempts: u64,
    /// First ask.
    pub first_at: Millis,
    /// Latest ask.
    pub last_at: Millis,
    /// When a member decided.
    pub decided_at: Option<Millis>,
}

/// A name a service asked for that does not exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StubRow {
    /// The blind index asked for.
    pub blind_index: BlindIndex,
    /// Who asked.
    pub service: ServiceId,
    /// The name and description, sealed to the project.
    pub hint: Option<SealedToProject>,
    /// How many times.
    pub attempts: u64,
    /// First ask.
    pub first_at: Millis,
    /// Latest ask.
    pub last_at: Millis,
}

/// The answer to a service's read of one blind index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchOutcome {
    /// Granted: the stored JSON of the secret and its current version.
    Found {
        /// The secret.
        secret: SecretId,
        /// `EncryptedSecret` JSON.
        secret_json: String,
        /// `EncryptedSecretVersion` JSON.
        version_json: String,
    },
    /// No secret has this blind index: a stub was recorded.
    NotFound,
    /// The secret exists and is not granted: an access request was filed
    /// (or counted; `Denied` if a member already refused it).
    NotGranted {
        /// The secret.
        secret: SecretId,
        /// The request's status after this attempt.
        status: RequestStatus,
    },
}

/// One secret an authenticated service may read, as
/// [`Store::list_granted_secrets`] hands it out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantedSecret {
    /// The secret.
    pub secret: SecretId,
    /// `EncryptedSecret` JSON.
    pub secret_json: String,
    /// `EncryptedSecretVersion` JSON (the current version).
    pub version_json: String,
}

/// Rotated secret keys after a revocation (see [`Store::rotate_secrets`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SecretsRotation {
    /// Each rotated secret: the next key generation, wrapped under the
    /// vault's current key generation.
    pub secrets: Vec<EncryptedSecret>,
    /// Every stored version of each rotated secret, re-sealed.
    pub versions: Vec<EncryptedSecretVersion>,
    /// New grants for the services that keep access (their grants of the
    /// rotated secrets' old generations, and project grants of older vault
    /// key generations, are dropped).
    pub grants: Vec<ServiceGrant>,
    /// The project keys re-sealed under the vault's current generation,
    /// when it changed.
    pub project_keys: Option<EncryptedProjectKeys>,
}

/// A member's decision on a pending service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approval {
    /// Whole project or chosen secrets.
    pub access: ServiceAccess,
    /// The grants: always the index grant, then a project grant of the
    /// current vault key generation or one grant per chosen secret.
    pub grants: Vec<ServiceGrant>,
}

/// A service token a member issues (CI), approved from the start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedService {
    /// The token's public half.
    pub public: ServicePublic,
    /// A name for people.
    pub name: String,
    /// What it reads, with its grants.
    pub approval: Approval,
    /// When the token stops working.
    pub expires_at: Option<Millis>,
}

/// Access counters to add (from the server's in-memory tally).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UsageBatch {
    /// Per service: project, reads, last read.
    pub services: Vec<(ServiceId, VaultId, u64, Millis)>,
    /// Per secret: project, reads, last read.
    pub secrets: Vec<(VaultId, SecretId, u64, Millis)>,
}

/// Normalises and checks an allowlist: each entry a CIDR (`10.0.0.0/8`,
/// `2001:db8::/32`) or a bare address (a /32 or /128), host bits cleared,
/// IPv4-mapped IPv6 networks (`::ffff:10.0.0.0/104`) rewritten as IPv4, at
/// most [`MAX_ALLOWLIST`] entries, duplicates dropped.
pub fn normalize_allowlist(entries: &[String]) -> Result<Vec<String>> {
    if entries.len() > MAX_ALLOWLIST {
        return Err(StoreError::Invalid("at most 64 CIDRs in an allowlist"));
    }
    let mut out: Vec<ipnet::IpNet> = Vec::with_capacity(entries.len());
    for e in entries {
        let e = e.trim();
        let net: ipnet::IpNet = match e.parse::<ipnet::IpNet>() {
            Ok(n) => n,
            Err(_) => e
                .parse::<std::net::IpAddr>()
                .map(ipnet::IpNet::from)
                .map_err(|_| StoreError::Invalid("allowlist entries are CIDRs or addresses"))?,
        };
        let net = match net {
            ipnet::IpNet::V6(v6) => match v6.addr().to_ipv4_mapped() {
                Some(v4) if v6.prefix_len() >= 96 => ipnet::IpNet::V4(
                    ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96)
                        .map_err(|_| StoreError::Invalid("bad mapped IPv4 prefix"))?,
                ),
                _ => net,
            },
            n => n,
        };
        let net = net.trunc();
        if !out.contains(&net) {
            out.push(net);
        }
    }
    Ok(out.iter().map(ToString::to_string).collect())
}

pub(crate) fn check_label(s: &str, what: &'static str) -> Result<()> {
    if s.is_empty()
        || s.len() > MAX_SERVICE_LABEL
        || s.chars().any(vault_core::identifier::is_deceptive_char)
    {
        return Err(StoreError::Invalid(what));
    }
    Ok(())
}

impl Store {
    // ------------------------------------------------------------ projects (members)

    /// Makes `me`'s vault a project: its public keys and its sealed project
    /// keys (sealed under the vault's current key generation). Owner only.
    /// [`StoreError::Conflict`] if it already is one.
    pub async fn create_project(
        &self,
        me: AccountId,
        public: &ProjectPublic,
        keys: &EncryptedProjectKeys,
        remote: Option<&str>,
    ) -> Result<()> {
        dispatch!(self.create_project(me, public, keys, remote))
    }

    /// The projects `me` is a member of.
    pub async fn projects(&self, me: AccountId) -> Result<Vec<ProjectRecord>> {
        dispatch!(self.projects(me, None))
    }

    /// One project, if `me` is a member ([`StoreError::Forbidden`] otherwise).
    pub async fn project(&self, me: AccountId, project: VaultId) -> Result<ProjectRecord> {
        dispatch!(self.projects(me, Some(project)))?
            .into_iter()
            .next()
            .ok_or(StoreError::Forbidden("not a member of the vault"))
    }

    /// Removes a project's machine side (secrets, versions, services,
    /// grants, requests, stubs); the vault stays. Owner only.
    pub async fn remove_project(
        &self,
        me: AccountId,
        project: VaultId,
        remote: Option<&str>,
    ) -> Result<()> {
        dispatch!(self.remove_project(me, project, remote))
    }

    /// Replaces the project's address allowlist ([`normalize_allowlist`]).
    /// Owners and editors.
    pub async fn set_project_allowlist(
        &self,
        me: AccountId,
        project: VaultId,
        allowlist: &[String],
        remote: Option<&str>,
    ) -> Result<Vec<String>> {
        dispatch!(self.set_project_allowlist(me, project, allowlist, remote))
    }

    // ------------------------------------------------------------ secrets (members)

    /// The project's secrets with their current versions.
    pub async fn secrets(&self, me: AccountId, project: VaultId) -> Result<Vec<SecretRow>> {
        dispatch!(self.secrets(me, project))
    }

    /// Every stored version of one secret, oldest first.
    pub async fn secret_versions(
        &self,
        me: AccountId,
        project: VaultId,
        secret: SecretId,
    ) -> Result<Vec<SecretVersionRow>> {
        dispatch!(self.secret_versions(me, project, secret))
    }

    /// Writes a secret: `base_version` 0 creates it (version 1), otherwise
    /// `version` must be `base_version + 1` and the current version must
    /// still be `base_version` ([`StoreError::Conflict`] if not, or if
    /// another secret has the blind index). The record's key generations
    /// must be the stored ones (rotations go through
    /// [`Store::rotate_secrets`]). Filled stubs for the blind index are
    /// removed. Owners and editors.
    pub async fn put_secret(
        &self,
        me: AccountId,
        secret: &EncryptedSecret,
        version: &EncryptedSecretVersion,
        base_version: u32,
        remote: Option<&str>,
    ) -> Result<()> {
        dispatch!(self.put_secret(me, secret, version, base_version, remote))
    }

    /// Deletes a secret with its versions, grants and requests.
    pub async fn delete_secret(
        &self,
        me: AccountId,
        project: VaultId,
        secret: SecretId,
        remote: Option<&str>,
    ) -> Result<()> {
        dispatch!(self.delete_secret(me, project, secret, remote))
    }

    /// Applies a rotation after a revocation, all or nothing: each secret
    /// moves to the next key generation with every version re-sealed, the
    /// grants of services keeping access are replaced, and stale grants
    /// (old secret key or vault key generations) are dropped.
    pub async fn rotate_secrets(
        &self,
        me: AccountId,
        project: VaultId,
        rotation: &SecretsRotation,
        remote: Option<&str>,
    ) -> Result<()> {
        dispatch!(self.rotate_secrets(me, project, rotation, remote))
    }

    // ------------------------------------------------------------ services (members)

    /// The project's service identities.
    pub async fn services(&self, me: AccountId, project: VaultId) -> Result<Vec<ServiceRecord>> {
        dispatch!(self.services(me, project))
    }

    /// The grants filed for one service (members check them before
    /// re-granting).
    pub async fn service_grants(
        &self,
        me: AccountId,
        project: VaultId,
        service: ServiceId,
    ) -> Result<Vec<ServiceGrant>> {
        dispatch!(self.grants_for(Some(me), project, service))
    }

    /// Issues a service token (its public half), approved at once.
    pub async fn issue_service(
        &self,
        me: AccountId,
        issued: &IssuedService,
        remote: Option<&str>,
    ) -> Result<()> {
        dispatch!(self.issue_service(me, issued, remote))
    }

    /// Approves a pending service, or widens an approved one's access
    /// (more grants). The grants are checked (signed by the project key,
    /// addressed to the service, of current key generations).
    pub async fn approve_service(
        &self,
        me: AccountId,
        project: VaultId,
        service: ServiceId,
        approval: &Approval,
        remote: Option<&str>,
    ) -> Result<()> {
        dispatch!(self.approve_service(me, project, service, approval, remote))
    }

    /// Denies a pending service.
    pub async fn deny_service(
        &self,
        me: AccountId,
        project: VaultId,
        service: ServiceId,
        remote: Option<&str>,
    ) -> Result<()> {
        dispatch!(self.deny_service(me, project, service, remote))
    }

    /// Revokes a service: it authenticates no more, its grants are gone,
    /// and the secrets it could read are marked for rotation (returned:
    /// rotate them next with [`Store::rotate_secrets`]; a whole-project
    /// service also needs a vault key rotation first).
    pub async fn revoke_service(
        &self,
        me: AccountId,
        project: VaultId,
        service: ServiceId,
        remote: Option<&str>,
    ) -> Result<Vec<SecretId>> {
        dispatch!(self.revoke_service(me, project, service, remote))
    }

    /// Replaces a service's allowlist.
    pub async fn set_service_allowlist(
        &self,
        me: AccountId,
        project: VaultId,
        service: ServiceId,
        allowlist: &[String],
        remote: Option<&str>,
    ) -> Result<Vec<String>> {
        dispatch!(self.set_service_allowlist(me, project, service, allowlist, remote))
    }

    /// Access requests of the project, newest first.
    pub async fn access_requests(
        &self,
        me: AccountId,
        project: VaultId,
    ) -> Result<Vec<AccessRequestRow>> {
        dispatch!(self.access_requests(me, project))
    }

    /// Grants (with `grants`, for the secret asked for) or denies (`None`)
    /// an access request.
    pub async fn decide_request(
        &self,
        me: AccountId,
        project: VaultId,
        service: ServiceId,
        secret: SecretId,
        grants: Option<&[ServiceGrant]>,
        remote: Option<&str>,
    ) -> Result<()> {
        dispatch!(self.decide_request(me, project, service, secret, grants, remote))
    }

    /// The project's stubs (one row per asking service).
    pub async fn stubs(&self, me: AccountId, project: VaultId) -> Result<Vec<StubRow>> {
        dispatch!(self.stubs(me, project))
    }

    /// Fills a stub: creates the secret (its blind index must be the
    /// stub's) and files `grants` for the services that asked (each must be
    /// approved), in one transaction; the stub rows go.
    pub async fn fill_stub(
        &self,
        me: AccountId,
        secret: &EncryptedSecret,
        version: &EncryptedSecretVersion,
        grants: &[ServiceGrant],
        remote: Option<&str>,
    ) -> Result<()> {
        dispatch!(self.fill_stub(me, secret, version, grants, remote))
    }

    // ------------------------------------------------------------ the service side

    /// A project's public key (for a registering service without a `vpr1`
    /// reference). `None` if there is no such project.
    pub async fn project_public(&self, project: VaultId) -> Result<Option<ProjectPublic>> {
        dispatch!(self.project_public(project))
    }

    /// A service registers itself (pending), with its audit event.
    /// [`StoreError::NotFound`] for an unknown project,
    /// [`StoreError::Conflict`] for a known service id (a replay),
    /// [`StoreError::Forbidden`] when the project has
    /// [`MAX_PENDING_SERVICES`] pending already.
    pub async fn register_service(
        &self,
        public: &ServicePublic,
        name: &str,
        software_version: &str,
        remote: Option<&str>,
    ) -> Result<ProjectPublic> {
        dispatch!(self.register_service(public, name, software_version, remote))
    }

    /// What authenticating `service` needs. `None` if unknown.
    pub async fn service_auth(&self, service: ServiceId) -> Result<Option<ServiceAuth>> {
        dispatch!(self.service_auth(service))
    }

    /// The grants of an authenticated service, for its keyring.
    pub async fn my_grants(
        &self,
        service: ServiceId,
        project: VaultId,
    ) -> Result<Vec<ServiceGrant>> {
        dispatch!(self.grants_for(None, project, service))
    }

    /// Reads blind indexes for an authenticated, approved service, in one
    /// read; then, only if some are missing or not granted, files stubs and
    /// access requests (with the given hints) in one write. Results are in
    /// input order.
    pub async fn fetch_secrets(
        &self,
        service: ServiceId,
        project: VaultId,
        access: ServiceAccess,
        wanted: &[(BlindIndex, Option<SealedToProject>)],
    ) -> Result<Vec<FetchOutcome>> {
        dispatch!(self.fetch_secrets(service, project, access, wanted))
    }

    /// The secrets an authenticated, approved service may read, with
    /// their current versions, in one read: every secret of the project
    /// for whole-project access (a grant of the secret's vault key
    /// generation), the granted ones otherwise. Ordered by secret id, at
    /// most `limit` (1 to [`MAX_BATCH`]), those after `after` (paging).
    /// Files nothing. [`StoreError::Forbidden`] for a service without
    /// access.
    pub async fn list_granted_secrets(
        &self,
        service: ServiceId,
        project: VaultId,
        access: ServiceAccess,
        after: Option<SecretId>,
        limit: usize,
    ) -> Result<Vec<GrantedSecret>> {
        dispatch!(self.list_granted_secrets(service, project, access, after, limit))
    }

    /// Adds access counters.
    pub async fn record_usage(&self, batch: &UsageBatch) -> Result<()> {
        dispatch!(self.record_usage(batch))
    }

    /// Appends service audit events in one transaction (group commit).
    /// Every event's actor must be a service. Returns their sequence numbers.
    pub async fn audit_append_batch(&self, events: &[super::AuditEvent]) -> Result<Vec<i64>> {
        dispatch!(self.audit_append_batch(events))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn allowlists_normalise() {
        let got = normalize_allowlist(&[
            "10.1.2.3/8".into(),
            "10.0.0.0/8".into(),
            "2001:db8::1".into(),
            "::ffff:192.168.0.0/112".into(),
            " 192.0.2.7 ".into(),
        ])
        .unwrap();
        assert_eq!(
            got,
            [
                "10.0.0.0/8",
                "2001:db8::1/128",
                "192.168.0.0/16",
                "192.0.2.7/32"
            ]
        );
        assert!(normalize_allowlist(&["10.0.0.0/33".into()]).is_err());
        assert!(normalize_allowlist(&["example.com".into()]).is_err());
        assert!(normalize_allowlist(&vec!["10.0.0.1".to_owned(); 65]).is_err());
    }
}
