//! The data the store takes and returns. Blobs are vault-core's own types
//! (ciphertext and public keys); the rest are ids, counters and times.

use super::error::{Result, StoreError};
use crate::clock::SharedClock;
use core::fmt;
use core::str::FromStr;
use sha2::Digest;
use vault_core::opaque::RegistrationRecord;
use vault_core::srp::SrpRegistration;
use vault_core::{AccountId, EncryptedAccount, PublicIdentity, Role, SecretString, SymmetricKey};

/// Unix time in milliseconds, as the store records it.
pub type Millis = i64;

/// Longest account identifier the store accepts, in bytes (the PAKEs' limit).
pub const MAX_IDENTIFIER_LEN: usize = vault_core::srp::MAX_IDENTIFIER_LEN;

/// Longest client address recorded in the audit log, in bytes.
pub const MAX_REMOTE_LEN: usize = 128;

/// Which login protocol an account registered with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthProtocol {
    /// SRP-6a (RFC 5054).
    Srp,
    /// OPAQUE (RFC 9807).
    Opaque,
}

impl AuthProtocol {
    /// The stored name: `"srp"` or `"opaque"`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthProtocol::Srp => "srp",
            AuthProtocol::Opaque => "opaque",
        }
    }
    pub(crate) fn parse(s: &str) -> Result<Self> {
        match s {
            "srp" => Ok(AuthProtocol::Srp),
            "opaque" => Ok(AuthProtocol::Opaque),
            _ => Err(StoreError::Corrupt("unknown auth protocol")),
        }
    }
    fn id(self) -> u8 {
        match self {
            AuthProtocol::Srp => 1,
            AuthProtocol::Opaque => 2,
        }
    }
}

/// What the server keeps to log an account in: an SRP verifier or an OPAQUE
/// registration record. Neither is a password equivalent; both allow offline
/// guessing at Argon2id cost (OPAQUE's only with the server's `ServerSetup`),
/// so their `Debug` is redacted and they are never logged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthRecord {
    /// SRP-6a group, salt and verifier.
    Srp(SrpRegistration),
    /// OPAQUE registration record (boxed: it is large).
    Opaque(Box<RegistrationRecord>),
}

impl AuthRecord {
    /// The protocol.
    pub fn protocol(&self) -> AuthProtocol {
        match self {
            AuthRecord::Srp(_) => AuthProtocol::Srp,
            AuthRecord::Opaque(_) => AuthProtocol::Opaque,
        }
    }
    pub(crate) fn to_json(&self) -> String {
        match self {
            AuthRecord::Srp(r) => r.to_json(),
            AuthRecord::Opaque(r) => r.to_json(),
        }
    }
    pub(crate) fn from_stored(protocol: &str, json: &str) -> Result<Self> {
        let bad = |_| StoreError::Corrupt("auth record");
        Ok(match AuthProtocol::parse(protocol)? {
            AuthProtocol::Srp => AuthRecord::Srp(SrpRegistration::from_json(json).map_err(bad)?),
            AuthProtocol::Opaque => {
                AuthRecord::Opaque(Box::new(RegistrationRecord::from_json(json).map_err(bad)?))
            }
        })
    }
}

/// A new account: its identifier (what the user types: an email or a name),
/// the encrypted account record and the login record. `Debug` shows the
/// account id only.
#[derive(Clone)]
pub struct NewAccount {
    /// 1 to [`MAX_IDENTIFIER_LEN`] bytes, used exactly as given (the PAKEs
    /// bind it byte for byte; canonicalise before calling).
    pub identifier: String,
    /// The record from `UnlockedAccount::create`; its `account` is the new id.
    pub record: EncryptedAccount,
    /// The SRP verifier or OPAQUE record made from the same password.
    pub auth: AuthRecord,
}

/// An account as stored. `Debug` shows ids, versions and times only.
#[derive(Clone)]
pub struct AccountRecord {
    /// The account.
    pub account: AccountId,
    /// Its identifier.
    pub identifier: String,
    /// KDF config, wrapped keys, public identity.
    pub record: EncryptedAccount,
    /// The login record.
    pub auth: AuthRecord,
    /// Bumped by every credential replacement; sessions remember theirs.
    pub credentials_version: i64,
    /// When it was created.
    pub created_at: Millis,
    /// When its credentials last changed.
    pub updated_at: Millis,
    /// The spelling its login record was made with, when that is not
    /// `identifier`: only accounts created before identifiers were
    /// normalised (pre-login tells the client to use it in the PAKE).
    pub pake_identifier: Option<String>,
}

/// Parses a stored account record and login record: the one parse both a
/// store read and the pre-login decoy (`AppState::decoy_record`) run.
pub(crate) fn parse_account_parts(
    record: &str,
    protocol: &str,
    auth: &str,
) -> Result<(EncryptedAccount, AuthRecord)> {
    let record: EncryptedAccount =
        serde_json::from_str(record).map_err(|_| StoreError::Corrupt("account record"))?;
    Ok((record, AuthRecord::from_stored(protocol, auth)?))
}

/// An account's kind as `account_kinds` counts it: login protocol, SRP
/// group, KDF params (`"srp/rfc5054-3072/65536/3/4"`, `"opaque//65536/3/4"`).
pub(crate) fn account_kind(record: &EncryptedAccount, auth: &AuthRecord) -> String {
    let p = record.kdf.params;
    let (protocol, group) = match auth {
        AuthRecord::Srp(r) => ("srp", r.group().name()),
        AuthRecord::Opaque(_) => ("opaque", ""),
    };
    format!(
        "{protocol}/{group}/{}/{}/{}",
        p.memory_kib, p.iterations, p.parallelism
    )
}

/// Reads an `account_kinds` key back (`None` for one this build does not
/// know: a group from a newer release).
pub(crate) fn parse_account_kind(
    kind: &str,
    accounts: i64,
) -> Option<vault_core::prelogin::FakeProfile> {
    let mut parts = kind.split('/');
    let (protocol, group) = (parts.next()?, parts.next()?);
    let mut num = || parts.next()?.parse::<u32>().ok();
    let (m, t, p) = (num()?, num()?, num()?);
    let srp_group = match (protocol, group) {
        ("srp", g) => Some(serde_json::from_value(serde_json::Value::String(g.to_owned())).ok()?),
        ("opaque", "") => None,
        _ => return None,
    };
    Some(vault_core::prelogin::FakeProfile {
        srp_group,
        kdf_params: vault_core::KdfParams {
            memory_kib: m,
            iterations: t,
            parallelism: p,
        },
        weight: u64::try_from(accounts).ok()?,
    })
}

impl AccountRecord {
    /// The identifier inside the PAKE (SRP's `I`, OPAQUE's credential
    /// identifier) for this account.
    pub fn pake_identifier(&self) -> &str {
        self.pake_identifier.as_deref().unwrap_or(&self.identifier)
    }
}

impl fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewAccount")
            .field("account", &self.record.account)
            .field("protocol", &self.auth.protocol())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for AccountRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountRecord")
            .field("account", &self.account)
            .field("protocol", &self.auth.protocol())
            .field("credentials_version", &self.credentials_version)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish_non_exhaustive()
    }
}

/// One entry of the public identity directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryEntry {
    /// The account.
    pub account: AccountId,
    /// Its identifier.
    pub identifier: String,
    /// Its self-signed public keys.
    pub identity: PublicIdentity,
}

/// How to find someone in the directory.
#[derive(Clone, Copy, Debug)]
pub enum Lookup<'a> {
    /// By account id (e.g. a grant's sender).
    Account(AccountId),
    /// By identifier (someone to share with).
    Identifier(&'a str),
}

/// A vault member, as its owner (or the member itself) sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// The member.
    pub account: AccountId,
    /// Its role.
    pub role: Role,
    /// Newest vault key generation it holds.
    pub key_version: u32,
}

macro_rules! random_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; 16]);

        impl $name {
            /// A fresh random id.
            pub fn generate(rng: &mut impl vault_core::rng::CryptoRng) -> Self {
                let mut b = [0u8; 16];
                rng.fill_bytes(&mut b);
                $name(b)
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&hex::encode(self.0))
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }
        impl FromStr for $name {
            type Err = StoreError;
            /// Parses 32 lowercase hex characters.
            fn from_str(s: &str) -> Result<Self> {
                let mut b = [0u8; 16];
                if s.len() != 32 || s.bytes().any(|c| c.is_ascii_uppercase()) {
                    return Err(StoreError::Invalid(concat!(stringify!($name), " must be 32 lowercase hex characters")));
                }
                hex::decode_to_slice(s, &mut b)
                    .map_err(|_| StoreError::Invalid(concat!(stringify!($name), " must be 32 lowercase hex characters")))?;
                Ok($name(b))
            }
        }
    };
}

random_id!(
    /// A session's id (the revocable id inside an access token): 128 random
    /// bits, 32 hex characters. Not secret on its own.
    SessionId
);
random_id!(
    /// A login in flight (between a PAKE's two messages): 128 random bits,
    /// 32 hex characters. Whoever holds it can finish that login, so treat it
    /// as a short-lived bearer handle.
    LoginId
);

/// SHA-256 of a bearer token (a refresh token). The store keeps only this.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

impl TokenHash {
    /// Hashes a token. Tokens are long random strings, so a plain hash is
    /// enough: there is nothing to guess.
    pub fn of(token: &[u8]) -> Self {
        TokenHash(sha2::Sha256::digest(token).into())
    }
    pub(crate) fn to_hex(self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(<redacted>)")
    }
}

/// A session to create at the end of a login.
#[derive(Clone, Debug)]
pub struct NewSession {
    /// Its id (put it in the access tokens).
    pub id: SessionId,
    /// Hash of its first refresh token.
    pub refresh: TokenHash,
    /// When its refresh token stops working.
    pub expires_at: Millis,
}

/// A session as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// Its id.
    pub id: SessionId,
    /// Whose.
    pub account: AccountId,
    /// The account's credentials version when the session began.
    pub credentials_version: i64,
    /// Created.
    pub created_at: Millis,
    /// Last refresh-token rotation.
    pub refreshed_at: Millis,
    /// When the current refresh token stops working.
    pub expires_at: Millis,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Millis>,
}

impl Session {
    /// Neither revoked nor expired at `now`.
    pub fn is_active(&self, now: Millis) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

/// What presenting a refresh token did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// The token was current: it is replaced by the new one.
    Rotated(Session),
    /// The token was rotated out within the grace window, and into exactly
    /// the `next` presented now (a repeated or concurrent refresh of the
    /// same token): nothing changes; answer with the same new token.
    Repeated(Session),
    /// The token had already been rotated out: someone else holds a copy.
    /// The whole session has been revoked (committed); refuse the request.
    Reused {
        /// The revoked session.
        session: SessionId,
        /// Whose it was.
        account: AccountId,
    },
}

/// A login in flight to park between its two messages.
#[derive(Clone, Debug)]
pub struct NewLoginState {
    /// Its handle, sent to the client.
    pub id: LoginId,
    /// The account, or `None` for an unknown identifier (fake record).
    pub account: Option<AccountId>,
    /// The protocol.
    pub protocol: AuthProtocol,
    /// The server half's state (`ServerAwaitingClientProof::to_json` or
    /// `ServerLogin::to_json`). Sealed before it is written.
    pub state: SecretString,
    /// When it stops being usable.
    pub expires_at: Millis,
}

/// A login state taken out of the store (it is gone from the store now).
#[derive(Clone, Debug)]
pub struct LoginState {
    /// The account, or `None` for an unknown identifier.
    pub account: Option<AccountId>,
    /// The protocol.
    pub protocol: AuthProtocol,
    /// The server half's state.
    pub state: SecretString,
}

/// What an audit event records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuditAction {
    /// Registration.
    AccountCreate,
    /// Password change / credential replacement.
    CredentialsReplace,
    /// A login finished.
    Login,
    /// One session revoked (logout).
    SessionRevoke,
    /// All sessions revoked ("log out all devices").
    SessionRevokeAll,
    /// A rotated-out refresh token was presented again.
    RefreshReuse,
    /// A vault was created.
    VaultCreate,
    /// A member was added or its role or keys changed.
    MemberAdd,
    /// A member was removed.
    MemberRemove,
    /// The vault key was rotated.
    VaultRotate,
    /// A recovery kit was set up or replaced.
    RecoverySet,
    /// The recovery kit was removed.
    RecoveryRemove,
    /// A login with the recovery kit (forgotten password).
    RecoveryLogin,
    /// The account key was rotated (one change set).
    AccountRotate,
    /// An emergency contact was named or changed.
    EmergencySet,
    /// An emergency contact was removed.
    EmergencyRemove,
    /// An emergency contact asked for access (the wait starts).
    EmergencyRequest,
    /// The owner cancelled an emergency request.
    EmergencyCancel,
    /// An emergency request expired and its grants were released.
    EmergencyRelease,
    /// A vault became a project (machine secrets attached).
    ProjectCreate,
    /// A project's machine secrets were removed.
    ProjectRemove,
    /// A project's or service's address allowlist changed.
    AllowlistSet,
    /// A secret was created or got a new version (by a member).
    SecretWrite,
    /// A secret was deleted.
    SecretDelete,
    /// Secrets' keys were rotated (after a revocation).
    SecretRotate,
    /// A service registered itself (pending approval).
    ServiceRegister,
    /// A member issued a service token (approved at once).
    ServiceIssue,
    /// A member approved a service (grants sealed to it).
    ServiceApprove,
    /// A member denied a pending service.
    ServiceDeny,
    /// A member revoked a service.
    ServiceRevoke,
    /// A service read a secret (`outcome` says whether it got it).
    SecretAccess,
    /// A service asked for a name that does not exist: a stub.
    SecretStub,
    /// A service asked for a secret it is not granted: an access request.
    AccessRequest,
    /// A member granted an access request.
    AccessGrant,
    /// A member denied an access request.
    AccessDeny,
    /// A member filled a stub (created the secret asked for).
    StubFill,
    /// A service was refused because of its address (allowlist).
    AddressDenied,
    /// A service token failed authentication.
    ServiceAuthFail,
}

impl AuditAction {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::AccountCreate => "account.create",
            AuditAction::CredentialsReplace => "account.credentials",
            AuditAction::Login => "session.login",
            AuditAction::SessionRevoke => "session.revoke",
            AuditAction::SessionRevokeAll => "session.revoke_all",
            AuditAction::RefreshReuse => "session.refresh_reuse",
            AuditAction::VaultCreate => "vault.create",
            AuditAction::MemberAdd => "member.add",
            AuditAction::MemberRemove => "member.remove",
            AuditAction::VaultRotate => "vault.rotate",
            AuditAction::RecoverySet => "recovery.set",
            AuditAction::RecoveryRemove => "recovery.remove",
            AuditAction::RecoveryLogin => "recovery.login",
            AuditAction::AccountRotate => "account.rotate",
            AuditAction::EmergencySet => "emergency.set",
            AuditAction::EmergencyRemove => "emergency.remove",
            AuditAction::EmergencyRequest => "emergency.request",
            AuditAction::EmergencyCancel => "emergency.cancel",
            AuditAction::EmergencyRelease => "emergency.release",
            AuditAction::ProjectCreate => "project.create",
            AuditAction::ProjectRemove => "project.remove",
            AuditAction::AllowlistSet => "project.allowlist",
            AuditAction::SecretWrite => "secret.write",
            AuditAction::SecretDelete => "secret.delete",
            AuditAction::SecretRotate => "secret.rotate",
            AuditAction::ServiceRegister => "service.register",
            AuditAction::ServiceIssue => "service.issue",
            AuditAction::ServiceApprove => "service.approve",
            AuditAction::ServiceDeny => "service.deny",
            AuditAction::ServiceRevoke => "service.revoke",
            AuditAction::SecretAccess => "secret.access",
            AuditAction::SecretStub => "secret.stub",
            AuditAction::AccessRequest => "access.request",
            AuditAction::AccessGrant => "access.grant",
            AuditAction::AccessDeny => "access.deny",
            AuditAction::StubFill => "stub.fill",
            AuditAction::AddressDenied => "service.address_denied",
            AuditAction::ServiceAuthFail => "service.auth_fail",
        }
    }
}

/// How an audited action ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuditOutcome {
    /// It happened.
    Success,
    /// Refused (wrong password, not permitted, throttled).
    Denied,
    /// It failed for another reason.
    Failed,
}

impl AuditOutcome {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Success => "success",
            AuditOutcome::Denied => "denied",
            AuditOutcome::Failed => "failed",
        }
    }
}

/// Who acted, or what was acted on, in an audit event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuditParty {
    /// A person (stored as the account id).
    Account(AccountId),
    /// A service identity (stored as `service:<id>`).
    Service(vault_core::ServiceId),
    /// A machine secret (stored as `secret:<id>`; its name is never stored).
    Secret(vault_core::SecretId),
}

impl core::fmt::Display for AuditParty {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            AuditParty::Account(a) => write!(f, "{a}"),
            AuditParty::Service(s) => write!(f, "service:{s}"),
            AuditParty::Secret(s) => write!(f, "secret:{s}"),
        }
    }
}

impl From<AccountId> for AuditParty {
    fn from(a: AccountId) -> Self {
        AuditParty::Account(a)
    }
}

/// One audit event: who, what, to what, from where, how it ended. The store
/// adds when (its clock) and the chain hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// Who did it (`None`: not signed in, e.g. a failed login).
    pub actor: Option<AuditParty>,
    /// What.
    pub action: AuditAction,
    /// The vault (or project) concerned, if any.
    pub vault: Option<vault_core::VaultId>,
    /// What or whom it was done to, if not the actor (a share's
    /// recipient, the account a failed login was for, the service approved,
    /// the secret read).
    pub subject: Option<AuditParty>,
    /// The client's address, if known (at most [`MAX_REMOTE_LEN`] printable
    /// ASCII bytes).
    pub remote: Option<String>,
    /// How it ended.
    pub outcome: AuditOutcome,
}

impl AuditEvent {
    /// A successful action by `actor` (an account), with no vault, subject
    /// or address.
    pub fn new(actor: Option<AccountId>, action: AuditAction) -> Self {
        Self::by(actor.map(AuditParty::Account), action)
    }

    /// A successful action by any party.
    pub fn by(actor: Option<AuditParty>, action: AuditAction) -> Self {
        AuditEvent {
            actor,
            action,
            vault: None,
            subject: None,
            remote: None,
            outcome: AuditOutcome::Success,
        }
    }

    /// The acting account, if a person acted.
    pub fn actor_account(&self) -> Option<AccountId> {
        match self.actor {
            Some(AuditParty::Account(a)) => Some(a),
            _ => None,
        }
    }
}

/// The result of verifying the audit chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditSummary {
    /// Rows checked.
    pub rows: u64,
    /// The head's sequence number (= `rows` when intact).
    pub head_seq: i64,
    /// The head hash: publish or anchor it elsewhere to detect a rewrite of
    /// the whole chain.
    pub head_hash: [u8; 32],
}

/// Settings of a store.
#[non_exhaustive]
pub struct StoreConfig {
    /// Largest item blob (its JSON) accepted, in bytes; larger writes are
    /// rejected `too_large`. Default 512 KiB.
    pub max_blob_bytes: usize,
    /// Most writes per push. Default [`MAX_WRITES_PER_PUSH`](vault_core::sync::wire::MAX_WRITES_PER_PUSH) (100).
    pub max_writes_per_push: usize,
    /// Largest feed page, in changes. Default 10,000.
    pub max_page_size: usize,
    /// Connection pool size. Default 8.
    pub max_connections: u32,
    /// The clock that stamps rows (`created_at`, audit times). Default
    /// the system clock; tests pass a [`ManualClock`](crate::clock::ManualClock).
    pub clock: SharedClock,
    pub(crate) state_key: SymmetricKey,
}

impl StoreConfig {
    /// Defaults, with `state_key` sealing the login states in flight. Keep it
    /// stable across restarts and nodes (from config or a KMS); losing it
    /// only fails the logins in flight.
    pub fn new(state_key: SymmetricKey) -> Self {
        StoreConfig {
            max_blob_bytes: 512 * 1024,
            max_writes_per_push: vault_core::sync::wire::MAX_WRITES_PER_PUSH,
            max_page_size: 10_000,
            max_connections: 8,
            clock: crate::clock::system(),
            state_key,
        }
    }
}

impl fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreConfig")
            .field("max_blob_bytes", &self.max_blob_bytes)
            .field("max_writes_per_push", &self.max_writes_per_push)
            .field("max_page_size", &self.max_page_size)
            .field("max_connections", &self.max_connections)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

pub(crate) fn check_identifier(identifier: &str) -> Result<()> {
    if identifier.is_empty() || identifier.len() > MAX_IDENTIFIER_LEN {
        return Err(StoreError::Invalid("identifier must be 1 to 256 bytes"));
    }
    Ok(())
}

pub(crate) fn check_remote(remote: Option<&str>) -> Result<()> {
    match remote {
        Some(r) if r.len() > MAX_REMOTE_LEN || !r.bytes().all(|b| b.is_ascii_graphic()) => Err(
            StoreError::Invalid("remote address must be at most 128 printable ASCII bytes"),
        ),
        _ => Ok(()),
    }
}

/// Associated data binding a sealed login state to its handle and protocol.
pub(crate) fn login_state_context(id: &LoginId, protocol: AuthProtocol) -> Vec<u8> {
    let mut ctx = Vec::with_capacity(32);
    ctx.extend_from_slice(b"vault-sync login-state\0");
    ctx.extend_from_slice(&id.0);
    ctx.push(protocol.id());
    ctx
}
