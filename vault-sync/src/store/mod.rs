//! The server's storage layer: one schema, one implementation, two backends
//! (SQLite, the embedded default; Postgres with row-level security).
//!
//! # Schema
//!
//! `migrations/{sqlite,postgres}/` hold the same numbered migrations; a test
//! compares the migrated schemas (tables, columns, types, nullability).
//!
//! | table | holds | tenant |
//! |---|---|---|
//! | `accounts` | identifier, `EncryptedAccount` JSON, auth protocol + SRP verifier / OPAQUE record, credentials version | `account_id` |
//! | `identities` | the public identity directory (`PublicIdentity` JSON) | `account_id`; FK `(account_id, identifier)` → `accounts` |
//! | `vaults` | owner, current key generation, `EncryptedVault` JSON, `meta_seq` | `owner_id` |
//! | `memberships` | role, `MemberKey`s JSON (wrapped key / grant), newest key generation, active flag, `seq`, `access_seq` | `account_id`; FK `(vault_id, vault_owner)` → `vaults (vault_id, owner_id)` |
//! | `items` | current state per item: revision, key generation, `EncryptedItem` JSON or tombstone, `seq` | via `memberships` |
//! | `sessions` | SHA-256 of the current and previous refresh token, expiry, revocation | `account_id` |
//! | `login_states` | PAKE server state between two messages, sealed (XChaCha20-Poly1305 under the state key), expiry | the random `login_id` |
//! | `audit_log`, `audit_head` | append-only, hash-chained events ([`audit`]) | `actor` / `subject` |
//! | `emergency_access` | an owner's emergency contact: wait, state, when asked, `VaultGrant`s JSON ([`emergency`]) | `owner_id` (writes) / `contact_id` (its two steps) |
//! | `feed_clock` | the feed sequence counter | — |
//!
//! # The feed
//!
//! A single clock row is ticked (`UPDATE … RETURNING`) as the *first*
//! statement of every transaction that changes what a feed shows; it stamps
//! the rows it writes with that `seq`. Its row lock (Postgres) or the single
//! writer (SQLite) holds until commit, so `seq` order is commit order (a
//! reader never later finds a row older than one it already returned), and
//! what such a transaction reads (membership, role, key generation) cannot
//! change under it before it commits: a push cannot land a blob sealed under
//! a key generation a concurrent rotation just retired, nor a write from a
//! member a concurrent revocation just removed. The price is that feed
//! writers commit one at a time; the lock is held for a push's statements
//! and its commit only.
//!
//! A user's feed is computed, not stored: the user's memberships joined with
//! their vaults' items, each entry at a position `(eff, kind, vault, item)`
//! (`eff`: the seq at which it last changed for this user), after the
//! cursor, in position order, in one statement per page however large the
//! page (no N+1, no fan-out on write, no full dump: an unchanged feed is an
//! index probe per vault). A membership that starts,
//! or gets a new key generation, moves its vault's items after that point
//! (`access_seq`), so they are sent again; an ended one yields
//! `vault_removed`. Each item appears once, in its current state.
//!
//! # Writes
//!
//! Item writes are compare-and-swap on the revision (`UPDATE … WHERE
//! revision = base`, or `INSERT … ON CONFLICT DO NOTHING` for `base` 0); a
//! write that loses gets the current state back. A push is one transaction,
//! committed before any result is returned. Audited operations (account,
//! credentials, vault, membership, session events) write their audit row in
//! the same transaction: no action without its record.
//!
//! # Access control
//!
//! Every query filters by the acting account. On Postgres the app role is
//! also fenced in by row-level security ([`postgres`]): every table ENABLEs
//! and FORCEs it, and each transaction sets its scope with `set_config(..,
//! true)`.

pub mod audit;
mod cursor;
pub mod emergency;
pub mod error;
pub mod machine;
mod migrations;
pub mod postgres;
mod sqlite;
pub mod types;

pub use emergency::{EmergencyClaim, EmergencyEntry, EmergencyState, EmergencyStatus};
pub use error::{BackendError, Result, StoreError};
pub use machine::{
    AccessRequestRow, Approval, FetchOutcome, IssuedService, ProjectRecord, RequestStatus,
    SecretRow, SecretVersionRow, SecretsRotation, ServiceAccess, ServiceAuth, ServiceOrigin,
    ServiceRecord, ServiceStatus, StubRow, UsageBatch, normalize_allowlist,
};
pub use postgres::{PgAdmin, check_app_role, check_rls_posture};
pub use types::*;

use std::path::Path;
use vault_core::sync::wire::{Cursor, ItemState, MemberKey, PullPage, PushResult, PushWrite};
use vault_core::{
    AccountId, EncryptedAccount, EncryptedVault, ItemId, Role, VaultId, WrappedVaultKey,
};

/// Who a transaction acts for: the Postgres scope settings (SQLite ignores it).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scope<'a> {
    /// No scope: on Postgres, sees nothing (used by the owner's verifier).
    None,
    /// A signed-in account.
    Account(AccountId),
    /// Pre-login lookup of one identifier.
    Identifier(&'a str),
    /// A login in flight.
    Login(&'a LoginId),
    /// A refresh token's hash.
    Refresh(&'a TokenHash),
    /// A signed-in account looking up one directory entry.
    Directory {
        me: AccountId,
        account: Option<AccountId>,
        identifier: Option<&'a str>,
    },
    /// An audit event with no actor.
    Anonymous,
    /// Deleting what expired before this time.
    Purge(Millis),
    /// Reading the account-kind counts (pre-login's fake mix).
    Stats,
    /// An authenticated service identity and its project.
    Service {
        service: vault_core::ServiceId,
        project: VaultId,
    },
    /// Looking up one service identity (authentication, before its
    /// project is known).
    ServiceLookup(vault_core::ServiceId),
    /// A service registering itself with a project.
    Register {
        service: vault_core::ServiceId,
        project: VaultId,
    },
    /// Reading one project's public key.
    ProjectPublic(VaultId),
    /// Flushing access counters.
    Usage,
    /// Appending a batch of service audit rows.
    AuditBatch,
}

impl Scope<'_> {
    /// The `(setting, value)` pairs this scope sets.
    pub(crate) fn settings(&self) -> Vec<(&'static str, String)> {
        match *self {
            Scope::None => vec![],
            Scope::Account(a) => vec![("vault.account", a.to_string())],
            Scope::Identifier(i) => vec![("vault.identifier", i.to_owned())],
            Scope::Login(l) => vec![("vault.login", l.to_string())],
            Scope::Refresh(h) => vec![("vault.refresh", h.to_hex())],
            Scope::Directory {
                me,
                account,
                identifier,
            } => {
                let mut s = vec![("vault.account", me.to_string())];
                if let Some(a) = account {
                    s.push(("vault.lookup_account", a.to_string()));
                }
                if let Some(i) = identifier {
                    s.push(("vault.lookup_identifier", i.to_owned()));
                }
                s
            }
            Scope::Anonymous => vec![("vault.audit", "anonymous".to_owned())],
            Scope::Purge(t) => vec![("vault.expired_before", t.to_string())],
            Scope::Stats => vec![("vault.stats", "read".to_owned())],
            Scope::Service { service, project } => vec![
                ("vault.service", service.to_string()),
                ("vault.project", project.to_string()),
            ],
            Scope::ServiceLookup(s) => vec![("vault.service", s.to_string())],
            Scope::Register { service, project } => vec![
                ("vault.register", service.to_string()),
                ("vault.project_public", project.to_string()),
            ],
            Scope::ProjectPublic(p) => vec![("vault.project_public", p.to_string())],
            Scope::Usage => vec![("vault.usage", "flush".to_owned())],
            Scope::AuditBatch => vec![("vault.audit", "batch".to_owned())],
        }
    }
}

/// What a transaction does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Reads only.
    Read,
    /// Writes.
    Write,
    /// Reads several statements from one snapshot.
    Snapshot,
    /// Reads on a hot path whose statement costs more to plan than to run
    /// (the feed, a service's secret reads). Postgres: plan it once per
    /// connection, no parallel workers; see `postgres::begin`.
    HotRead,
}

enum Backend {
    Sqlite(sqlite::sql::Ops),
    Postgres(postgres::sql::Ops),
}

/// The store: every operation the server performs on its database.
///
/// Cheap to share behind an `Arc`; it holds a connection pool. Every method
/// is one transaction, committed before it returns.
pub struct Store {
    backend: Backend,
}

impl core::fmt::Debug for Store {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend_name())
            .finish_non_exhaustive()
    }
}

macro_rules! dispatch {
    ($self:ident . $method:ident ( $($arg:expr),* $(,)? )) => {
        match &$self.backend {
            Backend::Sqlite(o) => o.$method($($arg),*).await,
            Backend::Postgres(o) => o.$method($($arg),*).await,
        }
    };
}
use dispatch;

impl Store {
    /// Opens (creating if needed) a SQLite database file and migrates it.
    pub async fn open_sqlite(path: impl AsRef<Path>, config: StoreConfig) -> Result<Store> {
        Ok(Store {
            backend: Backend::Sqlite(sqlite::open(path.as_ref(), config).await?),
        })
    }

    /// Connects to Postgres as the app role and checks it cannot bypass
    /// row-level security ([`check_rls_posture`]). Does not migrate: the
    /// owner role does that ([`PgAdmin::migrate`]).
    pub async fn connect_postgres(url: &str, config: StoreConfig) -> Result<Store> {
        Ok(Store {
            backend: Backend::Postgres(postgres::connect(url, config).await?),
        })
    }

    /// The clock this store stamps rows with ([`StoreConfig::clock`]); the
    /// server uses the same one.
    pub fn clock(&self) -> &crate::clock::SharedClock {
        match &self.backend {
            Backend::Sqlite(o) => o.clock(),
            Backend::Postgres(o) => o.clock(),
        }
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// How many data statements this store has run (transaction control not
    /// counted): for metrics, and for tests that check a call's query count.
    pub fn statements(&self) -> u64 {
        match &self.backend {
            Backend::Sqlite(o) => o.statements(),
            Backend::Postgres(o) => o.statements(),
        }
    }

    /// Checks the database answers (`SELECT 1`), for readiness probes.
    pub async fn ping(&self) -> Result<()> {
        let r = match &self.backend {
            Backend::Sqlite(o) => sqlx::query("SELECT 1").execute(&o.pool).await.map(|_| ()),
            Backend::Postgres(o) => sqlx::query("SELECT 1").execute(&o.pool).await.map(|_| ()),
        };
        r.map_err(StoreError::from)
    }

    /// Closes the pool, waiting for connections in use.
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(o) => o.pool.close().await,
            Backend::Postgres(o) => o.pool.close().await,
        }
    }

    // ------------------------------------------------------------ accounts

    /// Registers an account and publishes its identity, in one transaction
    /// with its audit event. [`StoreError::Conflict`] if the id or identifier
    /// is taken; [`StoreError::Invalid`] if the record is inconsistent (its
    /// public identity must be self-signed and name the account).
    pub async fn create_account(&self, new: &NewAccount, remote: Option<&str>) -> Result<()> {
        dispatch!(self.create_account(new, remote))
    }

    /// The account with this identifier, for pre-login and login. `None` if
    /// there is none: answer with the fake pre-login / fake record then.
    pub async fn account_by_identifier(&self, identifier: &str) -> Result<Option<AccountRecord>> {
        dispatch!(self.account_by_identifier(identifier))
    }

    /// The signed-in account's own record.
    pub async fn account(&self, me: AccountId) -> Result<AccountRecord> {
        dispatch!(self.account(me))
    }

    /// Replaces the account record and the login record together (password
    /// change, recovery), bumps the credentials version and
    /// revokes every session but `keep_session`, in one transaction. The
    /// public identity must not change. Returns the new credentials version.
    pub async fn replace_credentials(
        &self,
        me: AccountId,
        record: &EncryptedAccount,
        auth: &AuthRecord,
        keep_session: Option<SessionId>,
        remote: Option<&str>,
    ) -> Result<i64> {
        dispatch!(self.replace_credentials(me, record, auth, keep_session, remote))
    }

    /// Sets or replaces the recovery kit (it must hold the current account
    /// key generation).
    pub async fn set_recovery(
        &self,
        me: AccountId,
        wrap: &vault_core::RecoveryWrap,
        remote: Option<&str>,
    ) -> Result<()> {
        dispatch!(self.set_recovery(me, wrap, remote))
    }

    /// Removes the recovery kit; returns whether there was one.
    pub async fn remove_recovery(&self, me: AccountId, remote: Option<&str>) -> Result<bool> {
        dispatch!(self.remove_recovery(me, remote))
    }

    /// The account's recovery kit, if any.
    pub async fn recovery(&self, me: AccountId) -> Result<Option<vault_core::RecoveryWrap>> {
        dispatch!(self.recovery(me))
    }

    /// Before a recovery login: the account of `identifier` and its kit
    /// (`None` if either is missing).
    pub async fn recovery_by_identifier(
        &self,
        identifier: &str,
    ) -> Result<Option<(AccountId, vault_core::RecoveryWrap)>> {
        dispatch!(self.recovery_by_identifier(identifier))
    }

    /// Applies an account key rotation change set all-or-nothing (see
    /// [`vault_core::rotation`]): the next-generation record, every vault
    /// key wrap of the account replaced, the recovery kit replaced by
    /// `recovery` or removed, every session but `keep_session` ended. A
    /// change set made from an older generation (a replay) is a
    /// [`StoreError::Conflict`].
    pub async fn rotate_account_key(
        &self,
        me: AccountId,
        change: &vault_core::AccountKeyRotation,
        recovery: Option<&vault_core::RecoveryWrap>,
        keep_session: Option<SessionId>,
        remote: Option<&str>,
    ) -> Result<()> {
        dispatch!(self.rotate_account_key(me, change, recovery, keep_session, remote))
    }

    /// The deployment's mix of account kinds (login protocol, SRP group,
    /// KDF params, with how many accounts have each), for drawing
    /// pre-login fakes ([`vault_core::prelogin::PreloginServer::with_mix`]).
    pub async fn account_kinds(&self) -> Result<Vec<vault_core::prelogin::FakeProfile>> {
        dispatch!(self.account_kinds())
    }

    /// One directory entry, named exactly (no listing or search).
    pub async fn lookup_identity(
        &self,
        me: AccountId,
        by: Lookup<'_>,
    ) -> Result<Option<DirectoryEntry>> {
        dispatch!(self.lookup_identity(me, by))
    }

    // ------------------------------------------------------------ vaults

    /// Creates a vault owned by `me`, with `me` as its first member (role
    /// owner, the key wrapped for `me`).
    pub async fn create_vault(
        &self,
        me: AccountId,
        meta: &EncryptedVault,
        owner_key: &WrappedVaultKey,
        remote: Option<&str>,
    ) -> Result<()> {
        dispatch!(self.create_vault(me, meta, owner_key, remote))
    }

    /// Adds `member` to `me`'s vault, or changes its role or keys. Only the
    /// vault's owner may; every key must name this vault and member (grants:
    /// sent by `me`, with this role). The member's feed then carries the
    /// vault and, if access is new or the key generation changed, all of its
    /// items.
    pub async fn add_member(
        &self,
        me: AccountId,
        vault: VaultId,
        member: AccountId,
        role: Role,
        keys: &[MemberKey],
        remote: Option<&str>,
    ) -> Result<()> {
        dispatch!(self.add_member(me, vault, member, role, keys, remote))
    }

    /// Ends `member`'s access to `me`'s vault (its feed reports
    /// `vault_removed`). Rotate the vault key afterwards.
    pub async fn remove_member(
        &self,
        me: AccountId,
        vault: VaultId,
        member: AccountId,
        remote: Option<&str>,
    ) -> Result<()> {
        dispatch!(self.remove_member(me, vault, member, remote))
    }

    /// Rotates `me`'s vault to the next key generation, atomically: the new
    /// sealed metadata, every live item re-wrapped under the new key (at its
    /// current revision, as `VaultKey::rotate` returns them), and the new
    /// keys of every active member (the owner included). Item writes sealed
    /// under the old generation are then rejected `stale_key`, and every
    /// member's feed carries the new keys and the re-wrapped items.
    /// [`StoreError::Conflict`] if an item changed or appeared meanwhile, or
    /// an active member has no new key (fetch and rotate again),
    /// [`StoreError::Invalid`] if a key or an item names something else.
    pub async fn rotate_vault_key(
        &self,
        me: AccountId,
        meta: &EncryptedVault,
        items: &[vault_core::EncryptedItem],
        member_keys: &[(AccountId, Vec<MemberKey>)],
        remote: Option<&str>,
    ) -> Result<()> {
        dispatch!(self.rotate_vault_key(me, meta, items, member_keys, remote))
    }

    /// The vault's active members: all of them for its owner, only itself
    /// for any other member; [`StoreError::Forbidden`] for a non-member
    /// (the same refusal as for its items).
    pub async fn members(&self, me: AccountId, vault: VaultId) -> Result<Vec<Member>> {
        dispatch!(self.members(me, vault))
    }

    /// `Ok` if `me` owns `vault`; [`StoreError::Forbidden`] otherwise (a
    /// non-member gets the same refusal as everywhere else in the vault).
    /// Handlers check this before looking at a request body.
    pub async fn require_owner(&self, me: AccountId, vault: VaultId) -> Result<()> {
        dispatch!(self.require_owner(me, vault))
    }

    /// The vaults `me` is an active member of (to route change notifications).
    pub async fn my_vaults(&self, me: AccountId) -> Result<Vec<VaultId>> {
        dispatch!(self.my_vaults(me))
    }

    // ------------------------------------------------------------ items

    /// Applies compare-and-swap writes, each independently and in order, in
    /// one transaction committed before returning (the wire module's rules:
    /// `ok` at `base + 1`, `conflict` with the current state, or `rejected`).
    /// [`StoreError::Invalid`] if there are more than
    /// [`StoreConfig::max_writes_per_push`].
    pub async fn push(&self, me: AccountId, writes: &[PushWrite]) -> Result<Vec<PushResult>> {
        dispatch!(self.push(me, writes))
    }

    /// One item's current state, if `me` is a member of its vault.
    pub async fn item(
        &self,
        me: AccountId,
        vault: VaultId,
        item: ItemId,
    ) -> Result<Option<ItemState>> {
        dispatch!(self.item(me, vault, item))
    }

    /// A page of `me`'s change feed after `since` (from the start if
    /// `None`): at most `limit` changes (clamped to
    /// [`StoreConfig::max_page_size`]), in one query.
    /// [`StoreError::Invalid`] for a cursor this store did not issue.
    pub async fn pull(
        &self,
        me: AccountId,
        since: Option<&Cursor>,
        limit: usize,
    ) -> Result<PullPage> {
        dispatch!(self.pull(me, since, limit))
    }

    /// The page [`pull`](Self::pull) returns, as its wire JSON (what
    /// `PullPage::to_json` would give, up to field order), with the items'
    /// stored JSON copied in rather than parsed and re-serialised: the fast
    /// path for an HTTP handler.
    pub async fn pull_json(
        &self,
        me: AccountId,
        since: Option<&Cursor>,
        limit: usize,
    ) -> Result<String> {
        dispatch!(self.pull_json(me, since, limit))
    }

    // ------------------------------------------------------------ sessions

    /// Starts a session for `me` (after a successful login).
    pub async fn create_session(&self, me: AccountId, new: &NewSession) -> Result<Session> {
        dispatch!(self.create_session(me, new))
    }

    /// `me`'s session `id`, to check an access token's session is still
    /// active ([`Session::is_active`]).
    pub async fn session(&self, me: AccountId, id: SessionId) -> Result<Option<Session>> {
        dispatch!(self.session(me, id))
    }

    /// Presents a refresh token (its hash): rotates it to `next` if it is
    /// current and the session is active. A token already rotated out is
    /// a [`RefreshOutcome::Repeated`] if it was rotated into this same
    /// `next` less than `grace` ms ago (the same client retrying or racing
    /// itself: `next` is derived from the presented token), else reuse of
    /// a stolen copy: the session is revoked ([`RefreshOutcome::Reused`]).
    /// [`StoreError::NotFound`] for an unknown token,
    /// [`StoreError::Forbidden`] for a revoked or expired session.
    pub async fn rotate_refresh(
        &self,
        presented: &TokenHash,
        next: &TokenHash,
        now: Millis,
        expires_at: Millis,
        grace: Millis,
    ) -> Result<RefreshOutcome> {
        dispatch!(self.rotate_refresh(presented, next, now, expires_at, grace))
    }

    /// Revokes one of `me`'s sessions (logout). Returns whether it was active.
    pub async fn revoke_session(
        &self,
        me: AccountId,
        id: SessionId,
        now: Millis,
        remote: Option<&str>,
    ) -> Result<bool> {
        Ok(dispatch!(self.revoke_sessions(me, Some(id), None, now, remote))? > 0)
    }

    /// Revokes all of `me`'s sessions but `except` ("log out all devices").
    /// Returns how many were active.
    pub async fn revoke_all_sessions(
        &self,
        me: AccountId,
        except: Option<SessionId>,
        now: Millis,
        remote: Option<&str>,
    ) -> Result<u64> {
        dispatch!(self.revoke_sessions(me, None, except, now, remote))
    }

    // ------------------------------------------------------------ logins in flight

    /// Parks a login's server state, sealed under the state key.
    pub async fn put_login_state(&self, state: &NewLoginState) -> Result<()> {
        dispatch!(self.put_login_state(state))
    }

    /// Takes a login's state out (deleted and committed before it is
    /// returned, so it finishes at most once). `None` if unknown, already
    /// taken or expired at `now`.
    pub async fn take_login_state(&self, id: &LoginId, now: Millis) -> Result<Option<LoginState>> {
        dispatch!(self.take_login_state(id, now))
    }

    /// Deletes login states and sessions that expired before `now`. Returns
    /// (login states, sessions) deleted.
    pub async fn purge_expired(&self, now: Millis) -> Result<(u64, u64)> {
        dispatch!(self.purge_expired(now))
    }

    // ------------------------------------------------------------ audit

    /// Appends an event to the audit chain (for events with no store
    /// operation of their own, e.g. logins). Returns its sequence number.
    pub async fn audit_append(&self, event: &AuditEvent) -> Result<i64> {
        dispatch!(self.audit_append(event))
    }

    /// Verifies the whole audit chain. On SQLite directly; on Postgres the
    /// app role cannot read every row, so this is
    /// [`StoreError::Forbidden`]: use [`PgAdmin::verify_audit`].
    pub async fn audit_verify(&self) -> Result<AuditSummary> {
        match &self.backend {
            Backend::Sqlite(o) => sqlite::sql::verify_audit(&o.pool).await,
            Backend::Postgres(_) => Err(StoreError::Forbidden(
                "the app role cannot read the whole audit log; verify with PgAdmin",
            )),
        }
    }
}
