//! [`Device`] (locked: a device directory and its replica) and
//! [`UnlockedDevice`] (the account key in memory: read, edit, sync, share).

use super::error::{ClientError, ClientResult};
use super::http::{ApiClient, HttpOptions};
use super::replica::{Contact, DeviceInfo, Replica};
use crate::clock::SharedClock;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use std::collections::BTreeMap;
use std::path::Path;
use vault_core::sync::SyncEngine;
use vault_core::sync::wire::MemberKey;
use vault_core::{
    AccountId, Context, Envelope, KdfPolicy, PublicIdentity, SecretKey, SecretString, SymmetricKey,
    UnlockedAccount, VaultId, VaultKey, rng,
};

/// What the client enforces and how it connects.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// The floor and ceiling for KDF parameters from the server (and for
    /// new accounts). Keep the default outside tests.
    pub kdf_policy: KdfPolicy,
    /// The account's Secret Key (2SKD), if it uses one.
    pub secret_key: Option<SecretKey>,
    /// HTTP settings.
    pub http: HttpOptions,
    /// Appended to the title of the local copy when a conflict keeps both
    /// versions.
    pub conflict_suffix: String,
    /// The clock (token expiry, replica timestamps). Default the system
    /// clock.
    pub clock: SharedClock,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            kdf_policy: KdfPolicy::default(),
            secret_key: None,
            http: HttpOptions::default(),
            conflict_suffix: " (conflict)".into(),
            clock: crate::clock::system(),
        }
    }
}

/// A device directory: its replica, locked. Log in, register, or unlock it
/// to get an [`UnlockedDevice`].
///
/// ```
/// use vault_sync::client::{ClientOptions, Device};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// # let dir = std::env::temp_dir().join(format!("vault-device-doc-{}", std::process::id()));
/// let device = Device::open(&dir, ClientOptions::default()).await?;
/// assert!(device.info().is_none()); // not logged in yet
/// // Unlocking needs an account on this device.
/// assert_eq!(device.unlock("pw").await.unwrap_err().code(), "not_logged_in");
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), vault_sync::client::ClientError>(())
/// # }).unwrap();
/// ```
pub struct Device {
    pub(super) replica: Replica,
    pub(super) info: Option<DeviceInfo>,
    pub(super) options: ClientOptions,
}

impl core::fmt::Debug for Device {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Device")
            .field("replica", &self.replica)
            .field(
                "info",
                &self.info.as_ref().map(|i| (&i.identifier, &i.server_url)),
            )
            .finish_non_exhaustive()
    }
}

impl Device {
    /// Opens the device directory `dir` (created, private, if missing).
    pub async fn open(dir: impl AsRef<Path>, options: ClientOptions) -> ClientResult<Device> {
        let replica = Replica::open_with_clock(dir, options.clock.clone()).await?;
        let info = replica.device().await?;
        Ok(Device {
            replica,
            info,
            options,
        })
    }

    /// The account this device belongs to, once logged in.
    pub fn info(&self) -> Option<&DeviceInfo> {
        self.info.as_ref()
    }

    /// The local replica.
    pub fn replica(&self) -> &Replica {
        &self.replica
    }

    /// The options this device was opened with.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    pub(super) fn require_info(&self) -> ClientResult<&DeviceInfo> {
        self.info.as_ref().ok_or(ClientError::NotLoggedIn)
    }

    /// An API client for this device's server with its stored session.
    pub async fn api(&self) -> ClientResult<ApiClient> {
        let info = self.require_info()?;
        let api = ApiClient::build(
            &info.server_url,
            &self.options.http,
            Some(self.replica.clone()),
            self.options.clock.clone(),
        )?;
        api.set_session(self.replica.session().await?).await;
        Ok(api)
    }

    /// Unlocks offline with the password: derives the master KEK from the
    /// stored record's KDF config (checked against the policy) and opens the
    /// account key. No network.
    pub async fn unlock(self, password: &str) -> ClientResult<UnlockedDevice> {
        let info = self.require_info()?.clone();
        let record = info.record.clone();
        let password = zeroize::Zeroizing::new(password.to_owned());
        let secret_key = self.options.secret_key.clone();
        let policy = self.options.kdf_policy;
        let account =
            super::blocking(move || record.unlock(password.as_str(), secret_key.as_ref(), &policy))
                .await??;
        UnlockedDevice::new(self.replica, info, account, self.options).await
    }

    /// Unlocks with the account key itself (e.g. from a platform keystore).
    pub async fn unlock_with_account_key(
        self,
        account_key: SymmetricKey,
    ) -> ClientResult<UnlockedDevice> {
        let info = self.require_info()?.clone();
        let account = info.record.unlock_with_account_key(account_key)?;
        UnlockedDevice::new(self.replica, info, account, self.options).await
    }

    /// Unlocks with a session key from [`UnlockedDevice::create_session_key`]
    /// (the CLI's `VAULT_SESSION`). Fails if the device was locked since
    /// ([`clear_session_key`](Self::clear_session_key)) or the key is wrong.
    pub async fn unlock_with_session_key(
        self,
        session_key: &SymmetricKey,
    ) -> ClientResult<UnlockedDevice> {
        let info = self.require_info()?.clone();
        let (account, sealed) = self.replica.local_unlock().await?.ok_or_else(|| {
            ClientError::NotFound("this device is locked: unlock it again".into())
        })?;
        if account != info.account {
            return Err(ClientError::Crypto(vault_core::Error::Decrypt));
        }
        let raw = sealed.open(session_key, &Context::AccountKey { account })?;
        let account_key = SymmetricKey::from_slice(&raw)?;
        let account = info.record.unlock_with_account_key(account_key)?;
        UnlockedDevice::new(self.replica, info, account, self.options).await
    }

    /// Deletes the sealed account key ("lock"): every session key made by
    /// [`UnlockedDevice::create_session_key`] stops working. Returns whether
    /// there was one.
    pub async fn clear_session_key(&self) -> ClientResult<bool> {
        self.replica.clear_local_unlock().await
    }
}

/// A session key as text (unpadded base64url of its 32 bytes), e.g. for an
/// environment variable. Secret.
///
/// ```
/// use vault_sync::client::{encode_session_key, parse_session_key};
/// let key = vault_core::SymmetricKey::generate(&mut vault_core::rng::os_rng());
/// let text = encode_session_key(&key);
/// assert_eq!(parse_session_key(text.expose_secret()).unwrap(), key);
/// assert!(parse_session_key("nope").is_err());
/// ```
pub fn encode_session_key(key: &SymmetricKey) -> SecretString {
    SecretString::from(B64.encode(key.expose_secret()))
}

/// Parses [`encode_session_key`]'s text.
pub fn parse_session_key(text: &str) -> ClientResult<SymmetricKey> {
    let raw = zeroize::Zeroizing::new(
        B64.decode(text.trim())
            .map_err(|_| ClientError::Invalid("the session key is not valid".into()))?,
    );
    SymmetricKey::from_slice(&raw)
        .map_err(|_| ClientError::Invalid("the session key is not valid".into()))
}

/// A device with its account unlocked: read and edit items (offline too),
/// sync, share. Every step that changes the replica persists it at once.
pub struct UnlockedDevice {
    pub(super) replica: Replica,
    pub(super) api: ApiClient,
    pub(super) info: DeviceInfo,
    pub(super) account: UnlockedAccount,
    pub(super) engine: SyncEngine,
    pub(super) engine_version: i64,
    /// Opened vault keys, per vault and generation.
    pub(super) keys: BTreeMap<VaultId, BTreeMap<u32, VaultKey>>,
    /// Why a vault's keys could not be opened (e.g. offline and the
    /// grant's sender is not pinned yet).
    pub(super) key_errors: BTreeMap<VaultId, String>,
    pub(super) options: ClientOptions,
}

impl core::fmt::Debug for UnlockedDevice {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("UnlockedDevice")
            .field("identifier", &self.info.identifier)
            .field("account", &self.info.account)
            .field("server", &self.info.server_url)
            .finish_non_exhaustive()
    }
}

impl UnlockedDevice {
    pub(super) async fn new(
        replica: Replica,
        info: DeviceInfo,
        account: UnlockedAccount,
        options: ClientOptions,
    ) -> ClientResult<UnlockedDevice> {
        let api = ApiClient::build(
            &info.server_url,
            &options.http,
            Some(replica.clone()),
            options.clock.clone(),
        )?;
        api.set_session(replica.session().await?).await;
        let (engine, engine_version) = replica.engine().await?;
        let mut d = UnlockedDevice {
            replica,
            api,
            info,
            account,
            engine,
            engine_version,
            keys: BTreeMap::new(),
            key_errors: BTreeMap::new(),
            options,
        };
        d.refresh_keys().await;
        Ok(d)
    }

    /// The account's id.
    pub fn account_id(&self) -> AccountId {
        self.info.account
    }

    /// The account identifier.
    pub fn identifier(&self) -> &str {
        &self.info.identifier
    }

    /// The server URL.
    pub fn server_url(&self) -> &str {
        &self.info.server_url
    }

    /// What the device knows about its account.
    pub fn info(&self) -> &DeviceInfo {
        &self.info
    }

    /// The unlocked account (keys in memory).
    pub fn account(&self) -> &UnlockedAccount {
        &self.account
    }

    /// The sync engine (read-only view: pending edits, conflicts, cursor).
    pub fn engine(&self) -> &SyncEngine {
        &self.engine
    }

    /// The HTTP client (shares this device's session).
    pub fn api(&self) -> &ApiClient {
        &self.api
    }

    /// The replica.
    pub fn replica(&self) -> &Replica {
        &self.replica
    }

    /// This account's identity fingerprint, to read out to people you share
    /// with (they compare it with what their `share` shows).
    pub fn fingerprint(&self) -> String {
        self.account.fingerprint()
    }

    /// Locks: drops the keys, returns the locked device.
    pub fn lock(self) -> Device {
        Device {
            replica: self.replica,
            info: Some(self.info),
            options: self.options,
        }
    }

    /// Seals the account key under a fresh random key, stores the sealed
    /// blob in the replica and returns the key (the CLI prints it as
    /// `VAULT_SESSION`): whoever holds it can unlock this device without
    /// the password until [`Device::clear_session_key`]. Replaces any
    /// earlier one.
    pub async fn create_session_key(&self) -> ClientResult<SymmetricKey> {
        let mut rng = rng::os_rng();
        let key = SymmetricKey::generate(&mut rng);
        let account = self.info.account;
        let sealed = Envelope::seal(
            &key,
            &Context::AccountKey { account },
            self.account.account_key().expose_secret(),
            &mut rng,
        )?;
        self.replica.set_local_unlock(account, &sealed).await?;
        Ok(key)
    }

    // ---------------------------------------------------------- persistence

    /// Saves the engine (compare-and-swap on its version).
    pub(super) async fn persist(&mut self) -> ClientResult<()> {
        self.engine_version = self
            .replica
            .save_engine(&self.engine, self.engine_version)
            .await?;
        Ok(())
    }

    /// Reloads the engine if another process changed it.
    pub(super) async fn reload_if_changed(&mut self) -> ClientResult<()> {
        if self.replica.engine_version().await? != self.engine_version {
            let (engine, version) = self.replica.engine().await?;
            self.engine = engine;
            self.engine_version = version;
            self.refresh_keys().await;
        }
        Ok(())
    }

    // ------------------------------------------------------------ identities

    /// The public identity of `account`: this device's pinned copy, or the
    /// directory's (verified, then pinned on first use).
    pub async fn identity_of(&self, account: AccountId) -> ClientResult<PublicIdentity> {
        if account == self.info.account {
            return Ok(self.account.public_identity().clone());
        }
        if let Some(c) = self.replica.contact(account).await? {
            return Ok(c.identity);
        }
        let body = self.api.directory_by_account(account).await?;
        if body.account != account {
            return Err(ClientError::Protocol(
                "the directory answered for another account".into(),
            ));
        }
        let contact = Contact {
            account,
            identifier: Some(body.identifier),
            identity: body.identity,
            verified: false,
        };
        Ok(self.replica.pin_contact(&contact).await?.identity)
    }

    /// Looks a user up in the directory by identifier, checks the identity's
    /// self-signature and that it matches what this device pinned for that
    /// account before (if anything), and pins it. Show
    /// [`Contact::fingerprint`] to the user to compare out of band.
    pub async fn lookup_user(&self, identifier: &str) -> ClientResult<Contact> {
        let identifier = &super::auth::canonical_identifier(identifier)?;
        let body = match self.api.directory_by_identifier(identifier).await {
            Err(ClientError::Rejected { status: 404, .. }) => {
                return Err(ClientError::NotFound(format!("no user {identifier}")));
            }
            other => other?,
        };
        if body.identifier != *identifier {
            return Err(ClientError::Protocol(
                "the directory answered for another identifier".into(),
            ));
        }
        if body.identity.account != body.account {
            return Err(ClientError::Protocol(
                "a directory identity names another account".into(),
            ));
        }
        let contact = Contact {
            account: body.account,
            identifier: Some(body.identifier),
            identity: body.identity,
            verified: false,
        };
        self.replica.pin_contact(&contact).await
    }

    /// The one fingerprint check before trusting a contact: compares
    /// `expected` (what they read out, in any spacing) with the contact's
    /// identity by [`vault_core::PublicIdentity::fingerprint_matches`] (digits only,
    /// constant time). A mismatch is [`ClientError::FingerprintMismatch`];
    /// a match marks them verified ([`mark_verified`](Self::mark_verified))
    /// and returns the updated contact. Sharing, emergency contacts and
    /// every front end go through here.
    pub async fn verify_fingerprint(
        &self,
        contact: &Contact,
        expected: &str,
    ) -> ClientResult<Contact> {
        if !contact.identity.fingerprint_matches(expected) {
            return Err(ClientError::FingerprintMismatch {
                expected: expected.to_owned(),
                actual: contact.fingerprint(),
            });
        }
        self.mark_verified(contact).await
    }

    /// Marks a pinned contact as verified (the user compared fingerprints).
    pub async fn mark_verified(&self, contact: &Contact) -> ClientResult<Contact> {
        let mut c = contact.clone();
        c.verified = true;
        self.replica.pin_contact(&c).await
    }

    // ------------------------------------------------------------ vault keys

    /// Opens every vault key generation the engine's memberships carry that
    /// is not open yet; forgets keys of vaults no longer held. Failures are
    /// kept per vault (see [`vault_key_error`](Self::vault_key_error)).
    pub(super) async fn refresh_keys(&mut self) {
        let mut work: Vec<(VaultId, MemberKey)> = Vec::new();
        let live: Vec<VaultId> = self.engine.vaults().map(|(v, _)| v).collect();
        self.keys.retain(|v, _| live.contains(v));
        self.key_errors.retain(|v, _| live.contains(v));
        for (vault, m) in self.engine.vaults() {
            for k in &m.keys {
                let version = match k {
                    MemberKey::Wrapped(w) => w.key_version,
                    MemberKey::Grant(g) => g.key_version,
                };
                let have = self
                    .keys
                    .get(&vault)
                    .is_some_and(|ks| ks.contains_key(&version));
                if !have {
                    work.push((vault, k.clone()));
                }
            }
        }
        for (vault, k) in work {
            match self.open_member_key(vault, &k).await {
                Ok(key) => {
                    self.keys
                        .entry(vault)
                        .or_default()
                        .insert(key.key_version(), key);
                    self.key_errors.remove(&vault);
                }
                Err(e) => {
                    self.key_errors.insert(vault, e.to_string());
                }
            }
        }
    }

    async fn open_member_key(&self, vault: VaultId, k: &MemberKey) -> ClientResult<VaultKey> {
        let key = match k {
            MemberKey::Wrapped(w) => {
                if w.vault != vault {
                    return Err(ClientError::Protocol(
                        "a vault key names another vault".into(),
                    ));
                }
                self.account.unwrap_vault_key(w)?
            }
            MemberKey::Grant(g) => {
                if g.vault != vault {
                    return Err(ClientError::Protocol("a grant names another vault".into()));
                }
                let sender = self.identity_of(g.sender).await?;
                self.account.open_grant(g, &sender)?
            }
        };
        Ok(key)
    }

    /// Why `vault`'s keys could not be opened, if they could not.
    pub fn vault_key_error(&self, vault: VaultId) -> Option<&str> {
        self.key_errors.get(&vault).map(String::as_str)
    }

    /// The newest open key of `vault`.
    pub fn vault_key(&self, vault: VaultId) -> ClientResult<&VaultKey> {
        self.keys
            .get(&vault)
            .and_then(|ks| ks.values().next_back())
            .ok_or_else(|| match self.key_errors.get(&vault) {
                Some(e) => {
                    ClientError::Invalid(format!("the vault's key could not be opened: {e}"))
                }
                None => ClientError::NotFound(format!("no key for vault {vault}: sync first")),
            })
    }

    /// The open key of `vault` at generation `version`.
    pub(super) fn vault_key_at(&self, vault: VaultId, version: u32) -> ClientResult<&VaultKey> {
        self.keys
            .get(&vault)
            .and_then(|ks| ks.get(&version))
            .ok_or_else(|| {
                ClientError::NotFound(format!(
                    "no key generation {version} of vault {vault}: sync first"
                ))
            })
    }

    /// Every open vault key (all vaults, all generations).
    pub(super) fn all_keys(&self) -> Vec<VaultKey> {
        self.keys
            .values()
            .flat_map(|ks| ks.values().cloned())
            .collect()
    }
}
