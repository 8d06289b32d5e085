//! The local encrypted replica: one SQLite file (`replica.db`) in the
//! device's own directory.
//!
//! It holds only what the server could hold, plus this device's session:
//!
//! | table | contents | secret? |
//! |---|---|---|
//! | `device` | server URL, identifier, account id, login protocol, the **encrypted** account record (`EncryptedAccount` JSON: wrapped keys only) | no |
//! | `engine` | the [`SyncEngine`] state JSON (ciphertext, wrapped keys, ids, counters) and a version counter | no |
//! | `session` | the session's access and **refresh token** | **yes: bearer secrets** |
//! | `contacts` | public identities this device has seen, pinned (trust on first use) | no |
//! | `local_unlock` | the account key sealed under a random key the user holds (the CLI's `VAULT_SESSION`) | no (useless without that key) |
//!
//! The refresh token is a bearer secret: whoever copies `replica.db` can
//! act as this device's session until it is logged out (it cannot read
//! anything: that needs the password). The directory is created `0700` and
//! the file `0600` on Unix, deleted rows are overwritten
//! (`secure_delete`), and logging out deletes the session. Nothing in the
//! replica opens without the password (or the sealed key's holder).
//!
//! Several processes may share a replica (a CLI command while a `watch`
//! runs): SQLite serialises writers, the engine row is compare-and-swap on
//! its version ([`ClientError::Busy`] when another process won), and token
//! refreshes hold the write lock so a refresh token is never spent twice.

use super::error::{ClientError, ClientResult};
use crate::api::SessionTokens;
use crate::clock::SharedClock;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::{Row, Sqlite, Transaction};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;
use vault_core::sync::SyncEngine;
use vault_core::{AccountId, EncryptedAccount, Envelope, PublicIdentity};

/// The replica's file name inside the device directory.
pub const REPLICA_FILE: &str = "replica.db";

const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS device (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        server_url TEXT NOT NULL,
        identifier TEXT NOT NULL,
        account_id TEXT NOT NULL,
        protocol TEXT NOT NULL,
        record TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS engine (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        state TEXT NOT NULL,
        version INTEGER NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS session (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        tokens TEXT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS contacts (
        account_id TEXT PRIMARY KEY,
        identifier TEXT,
        identity TEXT NOT NULL,
        verified INTEGER NOT NULL DEFAULT 0,
        first_seen INTEGER NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS local_unlock (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        account_id TEXT NOT NULL,
        sealed_key TEXT NOT NULL,
        created_at INTEGER NOT NULL
    )",
];

/// Which login protocol an account uses (as the server reported it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoginProtocol {
    /// SRP-6a.
    Srp,
    /// OPAQUE.
    Opaque,
}

impl LoginProtocol {
    /// `"srp"` or `"opaque"`.
    pub fn as_str(self) -> &'static str {
        match self {
            LoginProtocol::Srp => "srp",
            LoginProtocol::Opaque => "opaque",
        }
    }

    pub(crate) fn parse(s: &str) -> ClientResult<Self> {
        match s {
            "srp" => Ok(LoginProtocol::Srp),
            "opaque" => Ok(LoginProtocol::Opaque),
            _ => Err(ClientError::Protocol("unknown login protocol".into())),
        }
    }
}

/// What a logged-in device knows about its account (no secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// The server's base URL.
    pub server_url: String,
    /// The account identifier.
    pub identifier: String,
    /// The account id.
    pub account: AccountId,
    /// Its login protocol.
    pub protocol: LoginProtocol,
    /// The encrypted account record (unlocks offline with the password).
    pub record: EncryptedAccount,
}

/// A public identity this device has seen, pinned on first use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contact {
    /// The account.
    pub account: AccountId,
    /// Its identifier, if known.
    pub identifier: Option<String>,
    /// Its self-signed public identity.
    pub identity: PublicIdentity,
    /// The user compared the fingerprint out of band.
    pub verified: bool,
}

impl Contact {
    /// The identity's fingerprint (six groups of five digits).
    pub fn fingerprint(&self) -> String {
        self.identity.fingerprint()
    }
}

/// The device's local replica (see the [module docs](self)).
///
/// ```
/// use vault_sync::client::Replica;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// # let dir = std::env::temp_dir().join(format!("vault-replica-doc-{}", std::process::id()));
/// let replica = Replica::open(&dir).await?;
/// assert!(replica.device().await?.is_none()); // a new device has no account
/// let (engine, version) = replica.engine().await?;
/// assert_eq!(engine.pending_count(), 0);
/// replica.save_engine(&engine, version).await?;
/// // A second writer that read the old version loses the compare-and-swap.
/// assert!(replica.save_engine(&engine, version).await.is_err());
/// # replica.close().await;
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), vault_sync::client::ClientError>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Replica {
    pool: SqlitePool,
    dir: PathBuf,
    clock: SharedClock,
}

impl core::fmt::Debug for Replica {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Replica")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

fn corrupt(what: &str) -> ClientError {
    ClientError::Replica(format!("{what} in the replica does not parse"))
}

impl Replica {
    /// Opens (creating if needed) the replica in device directory `dir`.
    pub async fn open(dir: impl AsRef<Path>) -> ClientResult<Replica> {
        Replica::open_with_clock(dir, crate::clock::system()).await
    }

    /// As [`open`](Self::open), stamping rows with `clock`.
    pub async fn open_with_clock(
        dir: impl AsRef<Path>,
        clock: SharedClock,
    ) -> ClientResult<Replica> {
        let dir = dir.as_ref().to_path_buf();
        let file = dir.join(REPLICA_FILE);
        // Private before SQLite writes anything into it: the directory 0700
        // when created here, the file 0600 (created so, or tightened).
        crate::private_files::private_dir(&dir)
            .and_then(|()| crate::private_files::private_file(&file))
            .map_err(|e| ClientError::Replica(format!("cannot create {}: {e}", file.display())))?;
        let opts = SqliteConnectOptions::new()
            .filename(&file)
            .create_if_missing(false)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(15))
            .foreign_keys(true)
            .pragma("secure_delete", "on");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await?;
        let replica = Replica { pool, dir, clock };
        replica.migrate().await?;
        Ok(replica)
    }

    async fn migrate(&self) -> ClientResult<()> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let version: i64 = sqlx::query("PRAGMA user_version")
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if version > SCHEMA_VERSION {
            return Err(ClientError::Replica(
                "the replica was written by a newer version of this program".into(),
            ));
        }
        for stmt in SCHEMA {
            sqlx::query(stmt).execute(&mut *tx).await?;
        }
        sqlx::query("INSERT OR IGNORE INTO engine (id, state, version) VALUES (1, ?, 0)")
            .bind(SyncEngine::new().to_json()?)
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The device directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Closes the connection pool (the file stays).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A write transaction that holds SQLite's write lock from its start.
    pub(crate) async fn begin_immediate(&self) -> ClientResult<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    // -------------------------------------------------------------- device

    /// The account this device belongs to, if it has logged in.
    pub async fn device(&self) -> ClientResult<Option<DeviceInfo>> {
        let row = sqlx::query(
            "SELECT server_url, identifier, account_id, protocol, record FROM device WHERE id = 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let account: String = row.try_get(2)?;
        let protocol: String = row.try_get(3)?;
        let record: String = row.try_get(4)?;
        let record =
            EncryptedAccount::from_json(&record).map_err(|_| corrupt("the account record"))?;
        let account = AccountId::from_str(&account).map_err(|_| corrupt("the account id"))?;
        if record.account != account {
            return Err(corrupt("the account record"));
        }
        Ok(Some(DeviceInfo {
            server_url: row.try_get(0)?,
            identifier: row.try_get(1)?,
            account,
            protocol: LoginProtocol::parse(&protocol)?,
            record,
        }))
    }

    /// Records the account this device belongs to (replacing the record).
    pub async fn set_device(&self, info: &DeviceInfo) -> ClientResult<()> {
        let record = serde_json::to_string(&info.record)
            .map_err(|_| ClientError::Invalid("the account record".into()))?;
        sqlx::query(
            "INSERT INTO device (id, server_url, identifier, account_id, protocol, record, updated_at) \
             VALUES (1, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET server_url = excluded.server_url, \
               identifier = excluded.identifier, account_id = excluded.account_id, \
               protocol = excluded.protocol, record = excluded.record, updated_at = excluded.updated_at",
        )
        .bind(&info.server_url)
        .bind(&info.identifier)
        .bind(info.account.to_string())
        .bind(info.protocol.as_str())
        .bind(record)
        .bind(self.clock.now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets everything: account, engine, session, contacts, sealed key
    /// (logging out). The file stays, empty.
    pub async fn wipe(&self) -> ClientResult<()> {
        let mut tx = self.begin_immediate().await?;
        for t in ["device", "session", "contacts", "local_unlock"] {
            sqlx::query(&format!("DELETE FROM {t}"))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE engine SET state = ?, version = version + 1 WHERE id = 1")
            .bind(SyncEngine::new().to_json()?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        // Move the overwritten pages out of the WAL into the main file.
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // -------------------------------------------------------------- engine

    /// The persisted sync engine and its version (for [`save_engine`](Self::save_engine)).
    pub async fn engine(&self) -> ClientResult<(SyncEngine, i64)> {
        let row = sqlx::query("SELECT state, version FROM engine WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        let state: String = row.try_get(0)?;
        let engine = SyncEngine::from_json(&state).map_err(|_| corrupt("the sync state"))?;
        Ok((engine, row.try_get(1)?))
    }

    /// The engine's current version (cheap: to see whether another process
    /// changed it).
    pub async fn engine_version(&self) -> ClientResult<i64> {
        Ok(sqlx::query("SELECT version FROM engine WHERE id = 1")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?)
    }

    /// Saves the engine if the stored version is still `expected`; returns
    /// the new version, or [`ClientError::Busy`] if another writer got there
    /// first.
    pub async fn save_engine(&self, engine: &SyncEngine, expected: i64) -> ClientResult<i64> {
        let json = engine.to_json()?;
        let done = sqlx::query(
            "UPDATE engine SET state = ?, version = version + 1 WHERE id = 1 AND version = ?",
        )
        .bind(json)
        .bind(expected)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if done != 1 {
            return Err(ClientError::Busy);
        }
        Ok(expected.saturating_add(1))
    }

    // ------------------------------------------------------------- session

    /// The stored session tokens (bearer secrets).
    pub async fn session(&self) -> ClientResult<Option<SessionTokens>> {
        let row = sqlx::query("SELECT tokens FROM session WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            let t: String = r.try_get(0)?;
            serde_json::from_str(&t).map_err(|_| corrupt("the session"))
        })
        .transpose()
    }

    /// Stores (or with `None` deletes) the session tokens.
    pub async fn set_session(&self, tokens: Option<&SessionTokens>) -> ClientResult<()> {
        let mut tx = self.begin_immediate().await?;
        Self::put_session_in(&mut tx, tokens).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn session_in(
        tx: &mut Transaction<'static, Sqlite>,
    ) -> ClientResult<Option<SessionTokens>> {
        let row = sqlx::query("SELECT tokens FROM session WHERE id = 1")
            .fetch_optional(&mut **tx)
            .await?;
        row.map(|r| {
            let t: String = r.try_get(0)?;
            serde_json::from_str(&t).map_err(|_| corrupt("the session"))
        })
        .transpose()
    }

    pub(crate) async fn put_session_in(
        tx: &mut Transaction<'static, Sqlite>,
        tokens: Option<&SessionTokens>,
    ) -> ClientResult<()> {
        match tokens {
            Some(t) => {
                let json = zeroize::Zeroizing::new(
                    serde_json::to_string(t)
                        .map_err(|_| ClientError::Invalid("session tokens".into()))?,
                );
                sqlx::query(
                    "INSERT INTO session (id, tokens) VALUES (1, ?) \
                     ON CONFLICT (id) DO UPDATE SET tokens = excluded.tokens",
                )
                .bind(json.as_str())
                .execute(&mut **tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM session")
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }

    // ------------------------------------------------------------ contacts

    /// The pinned identity of `account`, if this device has seen one.
    pub async fn contact(&self, account: AccountId) -> ClientResult<Option<Contact>> {
        let row =
            sqlx::query("SELECT identifier, identity, verified FROM contacts WHERE account_id = ?")
                .bind(account.to_string())
                .fetch_optional(&self.pool)
                .await?;
        let Some(row) = row else { return Ok(None) };
        let identity: String = row.try_get(1)?;
        let identity: PublicIdentity =
            serde_json::from_str(&identity).map_err(|_| corrupt("a contact"))?;
        if identity.account != account {
            return Err(corrupt("a contact"));
        }
        Ok(Some(Contact {
            account,
            identifier: row.try_get(0)?,
            identity,
            verified: row.try_get::<i64, _>(2)? != 0,
        }))
    }

    /// Pins `contact`'s identity (first sighting), or updates its
    /// identifier and verified flag. Refuses a *different* identity for an
    /// account already pinned ([`ClientError::IdentityChanged`]).
    pub async fn pin_contact(&self, contact: &Contact) -> ClientResult<Contact> {
        contact.identity.verify()?;
        if contact.identity.account != contact.account {
            return Err(ClientError::Protocol(
                "a directory identity names another account".into(),
            ));
        }
        let mut tx = self.begin_immediate().await?;
        let row =
            sqlx::query("SELECT identity, identifier, verified FROM contacts WHERE account_id = ?")
                .bind(contact.account.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        let merged = match row {
            Some(row) => {
                let pinned: String = row.try_get(0)?;
                let pinned: PublicIdentity =
                    serde_json::from_str(&pinned).map_err(|_| corrupt("a contact"))?;
                if pinned != contact.identity {
                    return Err(ClientError::IdentityChanged {
                        account: contact
                            .identifier
                            .clone()
                            .unwrap_or_else(|| contact.account.to_string()),
                    });
                }
                let old_identifier: Option<String> = row.try_get(1)?;
                Contact {
                    account: contact.account,
                    identifier: contact.identifier.clone().or(old_identifier),
                    identity: pinned,
                    verified: contact.verified || row.try_get::<i64, _>(2)? != 0,
                }
            }
            None => contact.clone(),
        };
        let identity = serde_json::to_string(&merged.identity)
            .map_err(|_| ClientError::Invalid("identity".into()))?;
        sqlx::query(
            "INSERT INTO contacts (account_id, identifier, identity, verified, first_seen) \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET \
             identifier = excluded.identifier, verified = excluded.verified",
        )
        .bind(merged.account.to_string())
        .bind(&merged.identifier)
        .bind(identity)
        .bind(i64::from(merged.verified))
        .bind(self.clock.now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(merged)
    }

    // -------------------------------------------------------- local unlock

    /// The account key sealed under a user-held key, if one is stored.
    pub async fn local_unlock(&self) -> ClientResult<Option<(AccountId, Envelope)>> {
        let row = sqlx::query("SELECT account_id, sealed_key FROM local_unlock WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let account: String = row.try_get(0)?;
        let sealed: String = row.try_get(1)?;
        Ok(Some((
            AccountId::from_str(&account).map_err(|_| corrupt("the sealed key"))?,
            Envelope::from_text(&sealed).map_err(|_| corrupt("the sealed key"))?,
        )))
    }

    /// Stores the sealed account key (replacing any).
    pub async fn set_local_unlock(
        &self,
        account: AccountId,
        sealed: &Envelope,
    ) -> ClientResult<()> {
        sqlx::query(
            "INSERT INTO local_unlock (id, account_id, sealed_key, created_at) VALUES (1, ?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, \
             sealed_key = excluded.sealed_key, created_at = excluded.created_at",
        )
        .bind(account.to_string())
        .bind(sealed.to_text())
        .bind(self.clock.now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Deletes the sealed account key (locking).
    pub async fn clear_local_unlock(&self) -> ClientResult<bool> {
        let n = sqlx::query("DELETE FROM local_unlock")
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n > 0)
    }
}
