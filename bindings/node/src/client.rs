//! The high-level client: `vault-sync`'s [`Device`] / [`UnlockedDevice`]
//! (HTTP + an encrypted SQLite replica in a device directory) as one JS class,
//! `VaultClient`, whose methods return promises.
//!
//! Glue only. Every call runs on napi's tokio runtime (never on the event
//! loop; Argon2id on tokio's blocking pool), one at a time per client (a
//! queue: a mutex around the device). Locked and unlocked are two states of
//! the one object: `register` / `login` / `unlock` unlock it, `lock` /
//! `logout` lock it; a failed `register` / `login` / `unlock` leaves it locked.
//! Calls that need the account key reject with code `locked` while locked
//! (`not_logged_in` when the directory has no account yet).
//!
//! Results are plain objects with snake_case members (ids as UUID text, items
//! in vault-core's serde shape). Passwords are copied out of the JS string
//! into zeroizing buffers at once; secrets the caller asks for (`getItem`,
//! `readSecret`) are necessarily returned as JS strings, which the garbage
//! collector frees but never wipes.

use crate::convert::{Opts, from_js, parse_id, to_js};
use crate::error::{Failure, OrNapi, OrThrow, Result, client_rejection, glue, to_rejection};
use crate::kdf::{policy_opt, secret_key_opt};
use crate::shamir::Share;
use napi::bindgen_prelude::{ClassInstance, Either, Object, PromiseRaw, ToNapiValue};
use napi::{Env, JsString, Unknown, ValueType};
use napi_derive::napi;
use serde::Serialize;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use vault_core::item::NoPrimarySecret;
use vault_core::sync::AutoAction;
use vault_core::{
    AccountId, Item, ItemId, KdfParams, Overview, RecoveryKey, Role, SecretString, VaultId,
    VaultMeta,
};
use vault_sync::client::{
    ClientError, ClientOptions, Contact, Device, EmergencyAccess, ItemSummary, MemberInfo,
    SyncReport, UnlockedDevice, VaultSummary,
};
use zeroize::Zeroizing;

// ------------------------------------------------------------------ state

enum State {
    Locked(Box<Device>),
    Unlocked(Box<UnlockedDevice>),
    /// Between a failed transition and a successful reopen of the directory.
    Closed,
}

impl State {
    fn unlocked(&mut self) -> std::result::Result<&mut UnlockedDevice, Failure> {
        match self {
            State::Unlocked(d) => Ok(d),
            State::Locked(d) if d.info().is_none() => Err(ClientError::NotLoggedIn.into()),
            State::Locked(_) | State::Closed => Err(glue(
                "locked",
                "the client is locked: unlock it or log in first",
            )),
        }
    }

    /// Takes the device out (locking it), leaving `Closed`.
    fn take_locked(&mut self) -> Option<Device> {
        match std::mem::replace(self, State::Closed) {
            State::Locked(d) => Some(*d),
            State::Unlocked(d) => Some(d.lock()),
            State::Closed => None,
        }
    }
}

struct Inner {
    dir: PathBuf,
    options: ClientOptions,
    state: Mutex<State>,
}

impl Inner {
    async fn reopen(&self) -> std::result::Result<Device, ClientError> {
        Device::open(&self.dir, self.options.clone()).await
    }

    /// The locked device, taken out of the state (reopened if a failed
    /// transition lost it).
    async fn take_device(&self, st: &mut State) -> std::result::Result<Device, ClientError> {
        match st.take_locked() {
            Some(d) => Ok(d),
            None => self.reopen().await,
        }
    }

    /// After a consuming call failed (or logged out): the directory again,
    /// locked. If even that fails the state stays `Closed` and the next
    /// transition retries.
    async fn restore(&self, st: &mut State) {
        if let Ok(d) = self.reopen().await {
            *st = State::Locked(Box::new(d));
        }
    }
}

/// How a locked client becomes unlocked.
enum Entry {
    Register {
        server: String,
        identifier: String,
        password: Zeroizing<String>,
        params: KdfParams,
    },
    Login {
        server: String,
        identifier: String,
        password: Zeroizing<String>,
    },
    Unlock {
        password: Zeroizing<String>,
    },
    Recover {
        server: String,
        identifier: String,
        key: RecoveryKey,
        new_password: Zeroizing<String>,
        params: Option<KdfParams>,
    },
}

async fn enter(inner: Arc<Inner>, entry: Entry) -> std::result::Result<StatusJs, Failure> {
    let mut st = inner.state.lock().await;
    let device = inner.take_device(&mut st).await?;
    let result = match &entry {
        Entry::Register {
            server,
            identifier,
            password,
            params,
        } => device.register(server, identifier, password, *params).await,
        Entry::Login {
            server,
            identifier,
            password,
        } => device.login(server, identifier, password).await,
        Entry::Unlock { password } => device.unlock(password).await,
        Entry::Recover {
            server,
            identifier,
            key,
            new_password,
            params,
        } => {
            device
                .recover(server, identifier, key, new_password, *params)
                .await
        }
    };
    drop(entry);
    match result {
        Ok(d) => {
            let status = StatusJs::unlocked(&d);
            *st = State::Unlocked(Box::new(d));
            Ok(status)
        }
        Err(e) => {
            inner.restore(&mut st).await;
            Err(e.into())
        }
    }
}

// ------------------------------------------------------------ JS shapes

/// `status()` and the result of `register` / `login` / `unlock`.
#[derive(Serialize)]
struct StatusJs {
    unlocked: bool,
    account: Option<AccountId>,
    identifier: Option<String>,
    server_url: Option<String>,
    fingerprint: Option<String>,
    pending: Option<usize>,
}

impl StatusJs {
    fn unlocked(d: &UnlockedDevice) -> Self {
        StatusJs {
            unlocked: true,
            account: Some(d.account_id()),
            identifier: Some(d.identifier().to_owned()),
            server_url: Some(d.server_url().to_owned()),
            fingerprint: Some(d.fingerprint()),
            pending: Some(d.pending_count()),
        }
    }

    fn of(st: &State) -> Self {
        match st {
            State::Unlocked(d) => StatusJs::unlocked(d),
            State::Locked(d) => {
                let info = d.info();
                StatusJs {
                    unlocked: false,
                    account: info.map(|i| i.account),
                    identifier: info.map(|i| i.identifier.clone()),
                    server_url: info.map(|i| i.server_url.clone()),
                    fingerprint: info.map(|i| i.record.public_identity.fingerprint()),
                    pending: None,
                }
            }
            State::Closed => StatusJs {
                unlocked: false,
                account: None,
                identifier: None,
                server_url: None,
                fingerprint: None,
                pending: None,
            },
        }
    }
}

#[derive(Serialize)]
struct VaultJs {
    vault: VaultId,
    name: String,
    description: String,
    role: Role,
    key_version: u32,
    items: usize,
    shared_by: Option<AccountId>,
}

impl From<VaultSummary> for VaultJs {
    fn from(v: VaultSummary) -> Self {
        VaultJs {
            vault: v.vault,
            name: v.name,
            description: v.description,
            role: v.role,
            key_version: v.key_version,
            items: v.items,
            shared_by: v.shared_by,
        }
    }
}

#[derive(Serialize)]
struct ItemRowJs {
    vault: VaultId,
    item: ItemId,
    revision: u64,
    overview: Overview,
    pending: bool,
}

impl From<ItemSummary> for ItemRowJs {
    fn from(r: ItemSummary) -> Self {
        ItemRowJs {
            vault: r.vault,
            item: r.item,
            revision: r.revision,
            overview: r.overview,
            pending: r.pending,
        }
    }
}

#[derive(Serialize)]
struct ResolvedJs {
    vault: VaultId,
    item: ItemId,
    action: AutoAction,
}

#[derive(Serialize)]
struct SyncReportJs {
    pages: usize,
    pulled: usize,
    pushed: usize,
    vaults_changed: Vec<VaultId>,
    items_changed: usize,
    resolved: Vec<ResolvedJs>,
    pending: usize,
    conflicts_left: usize,
}

impl From<SyncReport> for SyncReportJs {
    fn from(r: SyncReport) -> Self {
        SyncReportJs {
            pages: r.pages,
            pulled: r.pulled,
            pushed: r.pushed,
            vaults_changed: r.vaults_changed,
            items_changed: r.items_changed,
            resolved: r
                .resolved
                .into_iter()
                .map(|c| ResolvedJs {
                    vault: c.vault,
                    item: c.item,
                    action: c.action,
                })
                .collect(),
            pending: r.pending,
            conflicts_left: r.conflicts_left,
        }
    }
}

#[derive(Serialize)]
struct ContactJs {
    account: AccountId,
    identifier: Option<String>,
    fingerprint: String,
    verified: bool,
}

impl From<&Contact> for ContactJs {
    fn from(c: &Contact) -> Self {
        ContactJs {
            account: c.account,
            identifier: c.identifier.clone(),
            fingerprint: c.fingerprint(),
            verified: c.verified,
        }
    }
}

#[derive(Serialize)]
struct MemberJs {
    account: AccountId,
    identifier: Option<String>,
    role: Role,
    key_version: u32,
    fingerprint: Option<String>,
    verified: bool,
    you: bool,
}

impl From<MemberInfo> for MemberJs {
    fn from(m: MemberInfo) -> Self {
        MemberJs {
            account: m.account,
            identifier: m.identifier,
            role: m.role,
            key_version: m.key_version,
            fingerprint: m.fingerprint,
            verified: m.verified,
            you: m.you,
        }
    }
}

#[derive(Serialize)]
struct GrantedVaultJs {
    vault: VaultId,
    key_version: u32,
}

#[derive(Serialize)]
struct EmergencyAccessJs {
    owner: AccountId,
    contact: AccountId,
    identifier: Option<String>,
    fingerprint: Option<String>,
    verified: bool,
    state: &'static str,
    wait_secs: u64,
    requested_at_ms: Option<i64>,
    release_at_ms: Option<i64>,
    vaults: Vec<GrantedVaultJs>,
    stale: Vec<VaultId>,
}

impl From<EmergencyAccess> for EmergencyAccessJs {
    fn from(e: EmergencyAccess) -> Self {
        EmergencyAccessJs {
            owner: e.owner,
            contact: e.contact,
            identifier: e.identifier,
            fingerprint: e.fingerprint,
            verified: e.verified,
            state: e.state.as_str(),
            wait_secs: e.wait.as_secs(),
            requested_at_ms: e.requested_at_ms,
            release_at_ms: e.release_at_ms,
            vaults: e
                .vaults
                .into_iter()
                .map(|(vault, key_version)| GrantedVaultJs { vault, key_version })
                .collect(),
            stale: e.stale,
        }
    }
}

#[derive(Serialize)]
struct EmergencyOverviewJs {
    as_owner: Vec<EmergencyAccessJs>,
    as_contact: Vec<EmergencyAccessJs>,
}

#[derive(Serialize)]
struct EmergencyReleaseJs {
    released: Vec<VaultId>,
    stale: Vec<VaultId>,
}

// ------------------------------------------------------------ glue helpers

/// Runs `fut` on napi's tokio runtime; `done` turns its output into a JS
/// value back on the main thread. A failure rejects with the coded `Error`.
fn run<'e, T, V>(
    env: &'e Env,
    fut: impl Future<Output = std::result::Result<T, Failure>> + Send + 'static,
    done: impl FnOnce(&'e Env, T) -> Result<V> + 'static,
) -> Result<PromiseRaw<'e, V>>
where
    T: Send + 'static,
    V: ToNapiValue,
{
    env.spawn_future_with_callback(async move { Ok(fut.await) }, move |env, out| match out {
        Ok(t) => done(env, t).map_err(|e| to_rejection(env, e)),
        Err(f) => Err(client_rejection(env, f)),
    })
    .or_napi()
}

/// [`run`] with a serde-shaped result.
fn run_json<'e, T: Serialize + Send + 'static>(
    env: &'e Env,
    fut: impl Future<Output = std::result::Result<T, Failure>> + Send + 'static,
) -> Result<PromiseRaw<'e, Unknown<'e>>> {
    run(env, fut, |env, t| to_js(env, &t))
}

/// [`run`] with no result.
fn run_unit<'e>(
    env: &'e Env,
    fut: impl Future<Output = std::result::Result<(), Failure>> + Send + 'static,
) -> Result<PromiseRaw<'e, ()>> {
    run(env, fut, |_, ()| Ok(()))
}

fn id<T: std::str::FromStr<Err = vault_core::Error>>(s: &str) -> std::result::Result<T, Failure> {
    Ok(parse_id(s)?)
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// `readSecret`'s value: the named field or the item's default secret,
/// both chosen by vault-core ([`Item::field`], [`Item::primary_secret`]).
fn pick_secret(
    item: &Item,
    title: &str,
    field: Option<&str>,
) -> std::result::Result<SecretString, Failure> {
    match field {
        Some(name) => item.field(name).ok_or_else(|| {
            ClientError::NotFound(format!("item {title} has no field {name}")).into()
        }),
        None => item.primary_secret().cloned().map_err(|e| {
            let msg = e.to_string();
            match e {
                NoPrimarySecret::NoEntries => ClientError::NotFound(msg),
                NoPrimarySecret::SeveralEntries => ClientError::Ambiguous(msg),
                NoPrimarySecret::NotForKind => ClientError::Invalid(msg),
            }
            .into()
        }),
    }
}

fn role_of(s: &str) -> std::result::Result<Role, Failure> {
    match s {
        "editor" => Ok(Role::Editor),
        "viewer" => Ok(Role::Viewer),
        "owner" => Ok(Role::Owner),
        _ => Err(ClientError::Invalid("role must be 'editor' or 'viewer'".into()).into()),
    }
}

/// `register`'s `kdf`: a preset name or a `KdfParams` object.
fn kdf_arg(env: &Env, kdf: Option<Unknown<'_>>) -> Result<KdfParams> {
    let Some(v) = kdf else {
        return Ok(KdfParams::DEFAULT);
    };
    match v.get_type().or_napi()? {
        ValueType::Undefined | ValueType::Null => Ok(KdfParams::DEFAULT),
        ValueType::String => {
            let name: String = env.from_js_value(v).or_napi()?;
            KdfParams::preset(&name).map_err(crate::error::throw)
        }
        _ => from_js(env, v, "KDF params"),
    }
}

/// `recover`'s `kdf`: absent keeps the account's KDF params.
fn kdf_opt(env: &Env, kdf: Option<Unknown<'_>>) -> Result<Option<KdfParams>> {
    match kdf {
        Some(v)
            if !matches!(
                v.get_type().or_napi()?,
                ValueType::Undefined | ValueType::Null
            ) =>
        {
            kdf_arg(env, Some(v)).map(Some)
        }
        _ => Ok(None),
    }
}

/// A recovery key as the user holds it: the kit's 24 words, or shares of a
/// split kit (`Share` handles or their `VS1-…` text). Copied out of the JS
/// values at once; parsed by vault-core on the runtime.
enum KitInput {
    Words(Zeroizing<String>),
    Shares(Vec<ShareInput>),
}

enum ShareInput {
    Text(Zeroizing<String>),
    Parsed(vault_core::Share),
}

impl KitInput {
    fn read(v: Either<String, Vec<Either<String, ClassInstance<'_, Share>>>>) -> Self {
        match v {
            Either::A(words) => KitInput::Words(Zeroizing::new(words)),
            Either::B(shares) => KitInput::Shares(
                shares
                    .into_iter()
                    .map(|s| match s {
                        Either::A(text) => ShareInput::Text(Zeroizing::new(text)),
                        Either::B(share) => ShareInput::Parsed(share.inner.clone()),
                    })
                    .collect(),
            ),
        }
    }

    /// The recovery key (`malformed` / `checksum` for words that do not
    /// parse, `shamir` for shares that do not join).
    fn key(self) -> std::result::Result<RecoveryKey, Failure> {
        let key = match self {
            KitInput::Words(w) => RecoveryKey::from_words(&w),
            KitInput::Shares(shares) => shares
                .into_iter()
                .map(|s| match s {
                    ShareInput::Text(t) => vault_core::Share::from_text(&t),
                    ShareInput::Parsed(s) => Ok(s),
                })
                .collect::<vault_core::Result<Vec<_>>>()
                .and_then(|shares| RecoveryKey::combine(&shares)),
        };
        Ok(key.or_throw()?)
    }
}

fn client_options(env: &Env, options: Option<Object<'_>>) -> Result<ClientOptions> {
    let opts = Opts::new(options);
    let mut o = ClientOptions {
        kdf_policy: policy_opt(env, &opts)?,
        secret_key: secret_key_opt(&opts)?,
        ..ClientOptions::default()
    };
    if let Some(ms) = opts.get::<u32>("timeoutMs")? {
        o.http.timeout = Duration::from_millis(u64::from(ms));
    }
    if let Some(ms) = opts.get::<u32>("connectTimeoutMs")? {
        o.http.connect_timeout = Duration::from_millis(u64::from(ms));
    }
    if let Some(b) = opts.get::<bool>("allowInsecureHttp")? {
        o.http.allow_insecure_http = b;
    }
    if let Some(s) = opts.get::<String>("conflictSuffix")? {
        o.conflict_suffix = s;
    }
    Ok(o)
}

// ------------------------------------------------------------------ class

/// A device: one account on one server, its encrypted replica in a
/// directory. Open it with `VaultClient.open(dir)`, then `login` (or
/// `register`) once online, or `unlock(password)` offline later; read with
/// `readSecret` / `listItems` / `getItem`, edit (queued offline), `sync`.
/// Every method returns a promise; calls on one client run one at a time.
/// Failures reject with an `Error` carrying `code` (see `VaultClientError`).
#[napi]
pub struct VaultClient {
    inner: Arc<Inner>,
}

#[napi]
impl VaultClient {
    /// Opens (creating it, private, if missing) the device directory `dir`,
    /// locked. Options: `policy` (the KDF floor/ceiling for parameters from
    /// the server; default `kdfPolicy()`), `secretKey` (if the account uses
    /// one), `timeoutMs` (per request, default 60000), `connectTimeoutMs`
    /// (default 10000), `allowInsecureHttp` (plain http to hosts other than
    /// loopback; default false), `conflictSuffix` (appended to the title of
    /// the local copy when a conflict keeps both; default " (conflict)").
    #[napi(
        ts_args_type = "dir: string, options?: VaultClientOptions",
        ts_return_type = "Promise<VaultClient>"
    )]
    pub fn open<'e>(
        env: &'e Env,
        dir: String,
        options: Option<Object<'_>>,
    ) -> Result<PromiseRaw<'e, VaultClient>> {
        let options = client_options(env, options)?;
        let dir = PathBuf::from(dir);
        run(
            env,
            async move {
                let device = Device::open(&dir, options.clone()).await?;
                Ok(Inner {
                    dir,
                    options,
                    state: Mutex::new(State::Locked(Box::new(device))),
                })
            },
            |_, inner| {
                Ok(VaultClient {
                    inner: Arc::new(inner),
                })
            },
        )
    }

    /// Where this client stands: `{ unlocked, account, identifier,
    /// server_url, fingerprint, pending }` (nulls before the first login;
    /// `pending`, the edits waiting for a sync, only while unlocked).
    #[napi(ts_return_type = "Promise<ClientStatus>")]
    pub fn status<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let inner = self.inner.clone();
        run_json(env, async move {
            let st = inner.state.lock().await;
            Ok(StatusJs::of(&st))
        })
    }

    /// Creates an account on `server` and logs this device in (the device
    /// directory must be new or logged out). `kdf`: a preset name
    /// (`'default'`, `'constrained'`, `'sensitive'`) or `KdfParams`; it must
    /// pass the client's policy. The password never leaves the device.
    #[napi(
        ts_args_type = "server: string, identifier: string, password: string, kdf?: KdfParams | 'default' | 'constrained' | 'sensitive'",
        ts_return_type = "Promise<ClientStatus>"
    )]
    pub fn register<'e>(
        &self,
        env: &'e Env,
        server: String,
        identifier: String,
        password: String,
        kdf: Option<Unknown<'_>>,
    ) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let password = Zeroizing::new(password);
        let params = kdf_arg(env, kdf)?;
        let entry = Entry::Register {
            server,
            identifier,
            password,
            params,
        };
        run_json(env, enter(self.inner.clone(), entry))
    }

    /// Logs in online (pre-login, the KDF policy check, Argon2id, SRP-6a or
    /// OPAQUE) and unlocks. Logging in again as the device's account keeps
    /// its replica and queued edits. A wrong password rejects with
    /// `authentication_failed` (`authFailure: true`).
    #[napi(ts_return_type = "Promise<ClientStatus>")]
    pub fn login<'e>(
        &self,
        env: &'e Env,
        server: String,
        identifier: String,
        password: String,
    ) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let entry = Entry::Login {
            server,
            identifier,
            password: Zeroizing::new(password),
        };
        run_json(env, enter(self.inner.clone(), entry))
    }

    /// Unlocks offline with the password (no network): derives the key from
    /// the stored account record. A wrong password rejects with `decrypt`
    /// (`authFailure: true`).
    #[napi(ts_return_type = "Promise<ClientStatus>")]
    pub fn unlock<'e>(
        &self,
        env: &'e Env,
        password: String,
    ) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let entry = Entry::Unlock {
            password: Zeroizing::new(password),
        };
        run_json(env, enter(self.inner.clone(), entry))
    }

    /// Locks: drops the keys from memory (the session stays; `unlock` or
    /// `login` again). A no-op when locked.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn lock<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, ()>> {
        let inner = self.inner.clone();
        run_unit(env, async move {
            let mut st = inner.state.lock().await;
            if let Some(d) = st.take_locked() {
                *st = State::Locked(Box::new(d));
            }
            Ok(())
        })
    }

    /// Ends this device's session on the server (if reachable) and wipes
    /// the replica. Resolves with whether the server confirmed (`false`
    /// when offline: the session then lives until it expires).
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn logout<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, bool>> {
        let inner = self.inner.clone();
        run(
            env,
            async move {
                let mut st = inner.state.lock().await;
                let device = inner.take_device(&mut st).await?;
                let out = device.logout().await;
                inner.restore(&mut st).await;
                Ok(out?)
            },
            |_, b| Ok(b),
        )
    }

    /// One sync round: pull the feed, resolve conflicts (keep both
    /// versions), push queued edits. Offline it rejects with `network`
    /// (`offline: true`) and the edits stay queued.
    #[napi(ts_return_type = "Promise<SyncReport>")]
    pub fn sync<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let inner = self.inner.clone();
        run_json(env, async move {
            let mut st = inner.state.lock().await;
            let report = st.unlocked()?.sync().await?;
            Ok(SyncReportJs::from(report))
        })
    }

    /// The vaults this device holds, by name (offline).
    #[napi(ts_return_type = "Promise<VaultSummary[]>")]
    pub fn vaults<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let inner = self.inner.clone();
        run_json(env, async move {
            let mut st = inner.state.lock().await;
            let vaults = st.unlocked()?.vaults();
            Ok(vaults.into_iter().map(VaultJs::from).collect::<Vec<_>>())
        })
    }

    /// The items of one vault (or of every vault), overviews only, sorted by
    /// title (offline; local edits applied).
    #[napi(ts_return_type = "Promise<ItemSummary[]>")]
    pub fn list_items<'e>(
        &self,
        env: &'e Env,
        vault_id: Option<String>,
    ) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let inner = self.inner.clone();
        run_json(env, async move {
            let vault = vault_id.as_deref().map(id::<VaultId>).transpose()?;
            let mut st = inner.state.lock().await;
            let rows = st.unlocked()?.list_items(vault)?;
            Ok(rows.into_iter().map(ItemRowJs::from).collect::<Vec<_>>())
        })
    }

    /// One item in full, decrypted (offline). Its secrets become JS strings.
    #[napi(ts_return_type = "Promise<Item>")]
    pub fn get_item<'e>(
        &self,
        env: &'e Env,
        vault_id: String,
        item_id: String,
    ) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let inner = self.inner.clone();
        run_json(env, async move {
            let (vault, item) = (id::<VaultId>(&vault_id)?, id::<ItemId>(&item_id)?);
            let mut st = inner.state.lock().await;
            Ok(st.unlocked()?.get_item(vault, item)?)
        })
    }

    /// Adds an item (queued; the next `sync` pushes it). Resolves with its id.
    #[napi(
        ts_args_type = "vaultId: string, item: Item",
        ts_return_type = "Promise<string>"
    )]
    pub fn add_item<'e>(
        &self,
        env: &'e Env,
        vault_id: String,
        item: Unknown<'_>,
    ) -> Result<PromiseRaw<'e, String>> {
        let item: Item = from_js(env, item, "item")?;
        let inner = self.inner.clone();
        run(
            env,
            async move {
                let vault = id::<VaultId>(&vault_id)?;
                let mut st = inner.state.lock().await;
                let id = st.unlocked()?.add_item(vault, &item).await?;
                Ok(id.to_string())
            },
            |_, s| Ok(s),
        )
    }

    /// Replaces an item's content (queued; the next `sync` pushes it).
    #[napi(
        ts_args_type = "vaultId: string, itemId: string, item: Item",
        ts_return_type = "Promise<void>"
    )]
    pub fn edit_item<'e>(
        &self,
        env: &'e Env,
        vault_id: String,
        item_id: String,
        item: Unknown<'_>,
    ) -> Result<PromiseRaw<'e, ()>> {
        let item: Item = from_js(env, item, "item")?;
        let inner = self.inner.clone();
        run_unit(env, async move {
            let (vault, id) = (id::<VaultId>(&vault_id)?, id::<ItemId>(&item_id)?);
            let mut st = inner.state.lock().await;
            Ok(st.unlocked()?.edit_item(vault, id, &item).await?)
        })
    }

    /// Deletes an item (queued; the next `sync` pushes it).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete_item<'e>(
        &self,
        env: &'e Env,
        vault_id: String,
        item_id: String,
    ) -> Result<PromiseRaw<'e, ()>> {
        let inner = self.inner.clone();
        run_unit(env, async move {
            let (vault, id) = (id::<VaultId>(&vault_id)?, id::<ItemId>(&item_id)?);
            let mut st = inner.state.lock().await;
            Ok(st.unlocked()?.delete_item(vault, id).await?)
        })
    }

    /// Creates a vault owned by the user (online). Resolves with its id.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn create_vault<'e>(
        &self,
        env: &'e Env,
        name: String,
        description: Option<String>,
    ) -> Result<PromiseRaw<'e, String>> {
        let inner = self.inner.clone();
        let meta = VaultMeta {
            name,
            description: description.unwrap_or_default(),
        };
        run(
            env,
            async move {
                let mut st = inner.state.lock().await;
                let id = st.unlocked()?.create_vault(&meta).await?;
                Ok(id.to_string())
            },
            |_, s| Ok(s),
        )
    }

    /// Looks a user up in the directory (online), checks the identity's
    /// signature and pins it: `{ account, identifier, fingerprint, verified }`.
    /// Compare `fingerprint` with theirs out of band before sharing.
    #[napi(ts_return_type = "Promise<Contact>")]
    pub fn lookup_user<'e>(
        &self,
        env: &'e Env,
        identifier: String,
    ) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let inner = self.inner.clone();
        run_json(env, async move {
            let mut st = inner.state.lock().await;
            let contact = st.unlocked()?.lookup_user(&identifier).await?;
            Ok(ContactJs::from(&contact))
        })
    }

    /// Shares a vault the user owns with `identifier` as `'editor'` or
    /// `'viewer'` (online; also changes an existing member's role). With
    /// `expectedFingerprint` (the digits they read out; spacing ignored) a
    /// different identity rejects with `fingerprint_mismatch` and a match
    /// marks them verified; without it the identity pinned on first sight
    /// is trusted.
    #[napi(
        ts_args_type = "vaultId: string, identifier: string, role: 'editor' | 'viewer', expectedFingerprint?: string",
        ts_return_type = "Promise<void>"
    )]
    pub fn share<'e>(
        &self,
        env: &'e Env,
        vault_id: String,
        identifier: String,
        role: String,
        expected_fingerprint: Option<String>,
    ) -> Result<PromiseRaw<'e, ()>> {
        let inner = self.inner.clone();
        run_unit(env, async move {
            let vault = id::<VaultId>(&vault_id)?;
            let role = role_of(&role)?;
            let mut st = inner.state.lock().await;
            let d = st.unlocked()?;
            let mut contact = d.lookup_user(&identifier).await?;
            if let Some(expected) = expected_fingerprint {
                let actual = contact.fingerprint();
                if digits(&expected) != digits(&actual) {
                    return Err(ClientError::FingerprintMismatch { expected, actual }.into());
                }
                contact = d.mark_verified(&contact).await?;
            }
            Ok(d.share(vault, &contact, role).await?)
        })
    }

    /// Ends a member's access to a vault the user owns (online), then
    /// rotates the vault key. Resolves with the new key generation.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn unshare<'e>(
        &self,
        env: &'e Env,
        vault_id: String,
        account_id: String,
    ) -> Result<PromiseRaw<'e, u32>> {
        let inner = self.inner.clone();
        run(
            env,
            async move {
                let (vault, member) = (id::<VaultId>(&vault_id)?, id::<AccountId>(&account_id)?);
                let mut st = inner.state.lock().await;
                Ok(st.unlocked()?.unshare(vault, member).await?)
            },
            |_, v| Ok(v),
        )
    }

    /// The members of a vault (online): `{ account, identifier, role,
    /// key_version, fingerprint, verified, you }`.
    #[napi(ts_return_type = "Promise<Member[]>")]
    pub fn members<'e>(
        &self,
        env: &'e Env,
        vault_id: String,
    ) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let inner = self.inner.clone();
        run_json(env, async move {
            let vault = id::<VaultId>(&vault_id)?;
            let mut st = inner.state.lock().await;
            let members = st.unlocked()?.members(vault).await?;
            Ok(members.into_iter().map(MemberJs::from).collect::<Vec<_>>())
        })
    }

    /// Reads a secret by item title (exact, case-sensitive), offline from
    /// the replica (`sync()` first for the newest). `vault` (a vault id or
    /// name) narrows the search. Rejects with `not_found` when no item has
    /// that title and `ambiguous` when several do. Without `field`: a
    /// login's password, an API-key item's value (when it has one entry;
    /// `ambiguous` with several), a secure note's text, a card's number, an
    /// SSH key's private key. With `field` (the names `vault get --field`
    /// takes: case, surrounding space and `-`/`_` do not matter): a field
    /// of the item's type by its JSON name or alias (`username`, `password`,
    /// `url`, `totp`, `code`, `private_key`, …), `title`, `notes`, `tags`,
    /// an API-key entry by its key (`env`: all of them as `KEY=VALUE`
    /// lines), or a custom field by name. The secret becomes a JS string.
    #[napi(
        ts_args_type = "title: string, options?: { vault?: string, field?: string }",
        ts_return_type = "Promise<string>"
    )]
    pub fn read_secret<'e>(
        &self,
        env: &'e Env,
        title: String,
        options: Option<Object<'_>>,
    ) -> Result<PromiseRaw<'e, JsString<'e>>> {
        let opts = Opts::new(options);
        let vault_q: Option<String> = opts.get("vault")?;
        let field: Option<String> = opts.get("field")?;
        let inner = self.inner.clone();
        run(
            env,
            async move {
                let mut st = inner.state.lock().await;
                let d = st.unlocked()?;
                let vault = vault_q.as_deref().map(|q| d.find_vault(q)).transpose()?;
                let rows = d.list_items(vault)?;
                let hits: Vec<&ItemSummary> =
                    rows.iter().filter(|r| r.overview.title == title).collect();
                let (v, i) = match hits.as_slice() {
                    [one] => (one.vault, one.item),
                    [] => {
                        return Err(ClientError::NotFound(format!("no item titled {title}")).into());
                    }
                    many => {
                        return Err(ClientError::Ambiguous(format!(
                            "{} items are titled {title}: pass `vault` to narrow it",
                            many.len()
                        ))
                        .into());
                    }
                };
                let item = d.get_item(v, i)?;
                pick_secret(&item, &title, field.as_deref())
            },
            |env, s: SecretString| env.create_string(s.expose_secret()).or_napi(),
        )
    }

    // ------------------------------------------------------ account lifecycle

    /// Makes a new recovery kit and stores its wrap on the server (any older
    /// kit's words stop working). Logs in again with `password` first (the
    /// server wants a recent login before anything that could reset the
    /// password). Resolves with the kit's 24 words: show them to the user
    /// once, never store them. They let `recover` set a new password on a
    /// forgotten one.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn create_recovery_kit<'e>(
        &self,
        env: &'e Env,
        password: String,
    ) -> Result<PromiseRaw<'e, JsString<'e>>> {
        let password = Zeroizing::new(password);
        let inner = self.inner.clone();
        run(
            env,
            async move {
                let mut st = inner.state.lock().await;
                let key = st.unlocked()?.create_recovery_kit(&password).await?;
                Ok(key.to_words())
            },
            |env, words: SecretString| env.create_string(words.expose_secret()).or_napi(),
        )
    }

    /// Whether the server holds a recovery kit for the account's current
    /// key generation (online).
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn has_recovery_kit<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, bool>> {
        let inner = self.inner.clone();
        run(
            env,
            async move {
                let mut st = inner.state.lock().await;
                Ok(st.unlocked()?.has_recovery_kit().await?)
            },
            |_, b| Ok(b),
        )
    }

    /// Deletes the recovery kit on the server (after a fresh login with
    /// `password`). Resolves with whether there was one.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn remove_recovery_kit<'e>(
        &self,
        env: &'e Env,
        password: String,
    ) -> Result<PromiseRaw<'e, bool>> {
        let password = Zeroizing::new(password);
        let inner = self.inner.clone();
        run(
            env,
            async move {
                let mut st = inner.state.lock().await;
                Ok(st.unlocked()?.remove_recovery_kit(&password).await?)
            },
            |_, b| Ok(b),
        )
    }

    /// Rotates the account key after a suspected compromise: logs in again
    /// with `password`, syncs, re-wraps every vault key and the identity
    /// keys under a fresh account key, and has the server apply the change
    /// in one step (it ends every other session: other devices log in
    /// again). Items are not re-encrypted. Old recovery kits (and device or
    /// PIN wraps) stop working; with `newRecoveryKit: true` a new kit is
    /// made in the same step and its 24 words are the result (show them
    /// once), otherwise `null`.
    #[napi(
        ts_args_type = "password: string, options?: { newRecoveryKit?: boolean }",
        ts_return_type = "Promise<string | null>"
    )]
    pub fn rotate_account_key<'e>(
        &self,
        env: &'e Env,
        password: String,
        options: Option<Object<'_>>,
    ) -> Result<PromiseRaw<'e, Option<JsString<'e>>>> {
        let password = Zeroizing::new(password);
        let new_kit = Opts::new(options)
            .get::<bool>("newRecoveryKit")?
            .unwrap_or(false);
        let inner = self.inner.clone();
        run(
            env,
            async move {
                let mut st = inner.state.lock().await;
                let kit = st
                    .unlocked()?
                    .rotate_account_key(&password, new_kit)
                    .await?;
                Ok(kit.map(|k| k.to_words()))
            },
            |env, words: Option<SecretString>| {
                words
                    .map(|w| env.create_string(w.expose_secret()).or_napi())
                    .transpose()
            },
        )
    }

    /// Recovers an account whose password is forgotten, on this device
    /// (new or logged out, or already this account's): logs in with the
    /// recovery kit (`wordsOrShares`: its 24 words, or shares of a split kit
    /// as `Share` handles or `VS1-…` text), opens the account key from it,
    /// sets `newPassword` (with `kdf`, a preset name or `KdfParams`; absent
    /// keeps the account's) and unlocks. The server ends every other
    /// session. The kit stays valid. Words that do not parse reject with
    /// `malformed` / `checksum`, shares that do not join with `shamir`, a
    /// kit the server does not hold with `authentication_failed`.
    #[napi(
        ts_args_type = "server: string, identifier: string, wordsOrShares: string | Array<string | Share>, newPassword: string, kdf?: KdfParams | 'default' | 'constrained' | 'sensitive'",
        ts_return_type = "Promise<ClientStatus>"
    )]
    pub fn recover<'e>(
        &self,
        env: &'e Env,
        server: String,
        identifier: String,
        words_or_shares: Either<String, Vec<Either<String, ClassInstance<'_, Share>>>>,
        new_password: String,
        kdf: Option<Unknown<'_>>,
    ) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let kit = KitInput::read(words_or_shares);
        let new_password = Zeroizing::new(new_password);
        let params = kdf_opt(env, kdf)?;
        let inner = self.inner.clone();
        run_json(env, async move {
            let entry = Entry::Recover {
                server,
                identifier,
                key: kit.key()?,
                new_password,
                params,
            };
            enter(inner, entry).await
        })
    }

    // ------------------------------------------------------ emergency access

    /// Names `identifier` (an identifier or account id) as your emergency
    /// contact for `vaultIds` (your own vaults), who may claim them
    /// `waitSeconds` after asking unless you cancel; replaces what you named
    /// for them before. With `expectedFingerprint` (the digits they read out;
    /// spacing ignored) a different identity rejects with
    /// `fingerprint_mismatch` and a match marks them verified; without it,
    /// compare the result's `fingerprint` out of band yourself (online).
    #[napi(
        ts_args_type = "identifier: string, vaultIds: string[], waitSeconds: number, expectedFingerprint?: string",
        ts_return_type = "Promise<EmergencyAccess>"
    )]
    pub fn set_emergency_contact<'e>(
        &self,
        env: &'e Env,
        identifier: String,
        vault_ids: Vec<String>,
        wait_seconds: u32,
        expected_fingerprint: Option<String>,
    ) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let inner = self.inner.clone();
        run_json(env, async move {
            let vaults = vault_ids
                .iter()
                .map(|v| id::<VaultId>(v))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let mut st = inner.state.lock().await;
            let access = st
                .unlocked()?
                .set_emergency_contact(
                    &identifier,
                    &vaults,
                    Duration::from_secs(u64::from(wait_seconds)),
                    expected_fingerprint.as_deref(),
                )
                .await?;
            Ok(EmergencyAccessJs::from(access))
        })
    }

    /// Removes your emergency contact `contact` (identifier or account id;
    /// `not_found` if they are not one). Vaults they already claimed stay
    /// shared: `unshare` them to revoke.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn remove_emergency_contact<'e>(
        &self,
        env: &'e Env,
        contact: String,
    ) -> Result<PromiseRaw<'e, ()>> {
        let inner = self.inner.clone();
        run_unit(env, async move {
            let mut st = inner.state.lock().await;
            Ok(st.unlocked()?.remove_emergency_contact(&contact).await?)
        })
    }

    /// Your emergency access both ways (online): `{ as_owner, as_contact }`,
    /// each entry with the other party's identifier and fingerprint.
    #[napi(ts_return_type = "Promise<EmergencyOverview>")]
    pub fn emergency_status<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let inner = self.inner.clone();
        run_json(env, async move {
            let mut st = inner.state.lock().await;
            let o = st.unlocked()?.emergency_status().await?;
            Ok(EmergencyOverviewJs {
                as_owner: o.as_owner.into_iter().map(Into::into).collect(),
                as_contact: o.as_contact.into_iter().map(Into::into).collect(),
            })
        })
    }

    /// As an emergency contact, asks for `owner`'s vaults (identifier or
    /// account id): the wait starts and the owner's devices are told.
    #[napi(ts_return_type = "Promise<EmergencyAccess>")]
    pub fn request_emergency_access<'e>(
        &self,
        env: &'e Env,
        owner: String,
    ) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let inner = self.inner.clone();
        run_json(env, async move {
            let mut st = inner.state.lock().await;
            let access = st.unlocked()?.request_emergency_access(&owner).await?;
            Ok(EmergencyAccessJs::from(access))
        })
    }

    /// As an owner, cancels `contact`'s pending request: nothing is released.
    #[napi(ts_return_type = "Promise<EmergencyAccess>")]
    pub fn cancel_emergency_request<'e>(
        &self,
        env: &'e Env,
        contact: String,
    ) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let inner = self.inner.clone();
        run_json(env, async move {
            let mut st = inner.state.lock().await;
            let access = st.unlocked()?.cancel_emergency_request(&contact).await?;
            Ok(EmergencyAccessJs::from(access))
        })
    }

    /// As an emergency contact, claims `owner`'s vaults once the wait has
    /// passed, then syncs so this device holds them: `{ released, stale }`
    /// (vault ids; stale ones the owner's key rotation left behind). Too
    /// early rejects with `emergency_waiting` (`retryAfter`: seconds left);
    /// also `emergency_not_requested`, `emergency_released`.
    #[napi(ts_return_type = "Promise<EmergencyRelease>")]
    pub fn claim_emergency_access<'e>(
        &self,
        env: &'e Env,
        owner: String,
    ) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let inner = self.inner.clone();
        run_json(env, async move {
            let mut st = inner.state.lock().await;
            let out = st.unlocked()?.claim_emergency_access(&owner).await?;
            Ok(EmergencyReleaseJs {
                released: out.released,
                stale: out.stale,
            })
        })
    }

    /// Re-issues your emergency grants that are older than your newest key
    /// of their vault (after a vault key rotation elsewhere), for every
    /// contact or only those covering `vaultId`. Resolves with how many
    /// contacts were updated.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn reissue_emergency_grants<'e>(
        &self,
        env: &'e Env,
        vault_id: Option<String>,
    ) -> Result<PromiseRaw<'e, u32>> {
        let inner = self.inner.clone();
        run(
            env,
            async move {
                let vault = vault_id.as_deref().map(id::<VaultId>).transpose()?;
                let mut st = inner.state.lock().await;
                let n = st.unlocked()?.reissue_emergency_grants(vault).await?;
                Ok(u32::try_from(n).unwrap_or(u32::MAX))
            },
            |_, n| Ok(n),
        )
    }
}
