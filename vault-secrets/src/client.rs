//! [`SecretsClient`]: the calls, the keyring, the value cache.

use crate::config::{ClientOptions, EnvConfig, check_server_url};
use crate::error::{ConfigError, SecretsError};
use crate::fields::{from_pairs, secret_name_of, struct_fields};
use crate::watch;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use tonic::{Request, Status};
use vault_core::machine::schema::SecretsSchema;
use vault_core::machine::{
    BlindIndex, EncryptedSecret, EncryptedSecretVersion, ProjectPublic, ProjectRef, SealPurpose,
    SecretEntry, SecretName, ServiceGrant, ServiceKeyring, ServiceToken,
};
use vault_core::{SecretId, SecretString, ServiceId, VaultId, rng};
use vault_sync::grpc::{GrpcCode, proto};
use zeroize::Zeroizing;

/// The generated client over tonic's channel.
pub(crate) type Rpc = proto::secrets_client::SecretsClient<Channel>;

/// Most blind indexes in one `GetSecrets` call (the server's cap).
const MAX_BATCH: usize = 200;
/// Largest answer accepted: a page of 200 secrets of the largest size
/// (64 KiB values, sealed and encoded) fits.
const MAX_RESPONSE_BYTES: usize = 32 << 20;
/// Most `ListSecrets` pages followed (200 000 secrets): a server that
/// keeps answering "more" is cut off.
const MAX_PAGES: usize = 1000;

/// What a service may read, as its grants say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Every secret of the project, present and future.
    WholeProject,
    /// The secrets granted one by one.
    Secrets,
}

/// The answer to [`SecretsClient::register`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    /// The service's fingerprint (computed here from the token): read it to
    /// the approving member, who sees the same digits.
    pub fingerprint: String,
    /// The project's public keys, checked against the key the token pinned.
    pub project: ProjectPublic,
}

/// One opened value in the cache.
struct Cached {
    secret: SecretId,
    value: SecretString,
    at: Instant,
}

/// What the client remembers between calls.
#[derive(Default)]
struct State {
    keyring: Option<Arc<ServiceKeyring>>,
    values: HashMap<SecretName, Cached>,
    /// Bumped by every invalidation: an answer fetched before one is not
    /// cached after it.
    generation: u64,
    /// The server said REVOKED: nothing is served any more.
    revoked: bool,
}

pub(crate) struct Inner {
    pub(crate) rpc: Rpc,
    token: ServiceToken,
    server_url: String,
    options: ClientOptions,
    state: Mutex<State>,
    /// One `GetAccess` at a time (concurrent first calls share it).
    keyring_lock: tokio::sync::Mutex<()>,
    watcher: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(h) = self
            .watcher
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
        {
            h.abort();
        }
    }
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `msg` with the auth header (`Bearer vsa1.…`, marked sensitive so
    /// tonic's and hyper's debug output leave it out).
    pub(crate) fn authed<T>(&self, msg: T) -> Result<Request<T>, SecretsError> {
        let header = Zeroizing::new(format!(
            "Bearer {}",
            self.token.auth_header().expose_secret()
        ));
        let mut value: MetadataValue<Ascii> = header
            .as_str()
            .parse()
            .map_err(|_| SecretsError::Protocol("the auth header is not ASCII"))?;
        value.set_sensitive(true);
        let mut r = Request::new(msg);
        r.metadata_mut().insert("authorization", value);
        Ok(r)
    }

    /// Runs one unary call (or opens a stream) within the call timeout.
    pub(crate) async fn call<T>(
        &self,
        fut: impl Future<Output = Result<tonic::Response<T>, Status>>,
    ) -> Result<T, SecretsError> {
        match tokio::time::timeout(self.options.timeout, fut).await {
            Err(_) => Err(SecretsError::Timeout),
            Ok(Err(status)) => Err(SecretsError::from_status(&status)),
            Ok(Ok(r)) => Ok(r.into_inner()),
        }
    }

    fn generation(&self) -> u64 {
        self.state().generation
    }

    /// A cached value of `name` (fresh within the TTL).
    fn cached(&self, name: &SecretName) -> Result<Option<SecretString>, SecretsError> {
        let mut st = self.state();
        if st.revoked {
            return Err(SecretsError::Unauthenticated);
        }
        let ttl = self.options.cache_ttl;
        match st.values.get(name) {
            Some(c) if c.at.elapsed() < ttl => Ok(Some(c.value.clone())),
            Some(_) => {
                st.values.remove(name);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    /// Caches an opened value, unless something was invalidated since the
    /// fetch started (`generation`) or caching is off.
    fn remember(&self, generation: u64, name: &SecretName, secret: SecretId, value: &SecretString) {
        if self.options.cache_ttl.is_zero() {
            return;
        }
        let mut st = self.state();
        if st.generation != generation || st.revoked {
            return;
        }
        st.values.insert(
            name.clone(),
            Cached {
                secret,
                value: value.clone(),
                at: Instant::now(),
            },
        );
    }

    /// Drops cached values: of one secret, or all of them.
    pub(crate) fn drop_values(&self, secret: Option<SecretId>) {
        let mut st = self.state();
        st.generation = st.generation.wrapping_add(1);
        match secret {
            Some(id) => st.values.retain(|_, c| c.secret != id),
            None => st.values.clear(),
        }
    }

    /// Drops the keyring and every cached value.
    pub(crate) fn drop_all(&self) {
        let mut st = self.state();
        st.generation = st.generation.wrapping_add(1);
        st.values.clear();
        st.keyring = None;
    }

    /// The server said the service is revoked: drop everything and refuse
    /// every later read.
    pub(crate) fn revoke(&self) {
        self.drop_all();
        self.state().revoked = true;
    }
}

/// The service-side client of a Vault project: reads the secrets the
/// project grants this service, decrypting them in this process.
///
/// Cheap to clone (clones share the connection, keyring and cache). The
/// watcher started by [`watch`](Self::watch) stops when the last clone is
/// dropped. `Debug` shows ids and counts, never the token or a value.
///
/// ```no_run
/// # async fn f() -> Result<(), vault_secrets::SecretsError> {
/// // VAULT_SERVER and VAULT_SERVICE_TOKEN(_FILE) from the environment.
/// let client = vault_secrets::SecretsClient::from_env().await?;
/// client.watch().await?; // changes drop cached values at once
/// let url = client.get("DATABASE_URL").await?;
/// connect(url.expose_secret());
/// # Ok(()) }
/// # fn connect(_: &str) {}
/// ```
#[derive(Clone)]
pub struct SecretsClient {
    inner: Arc<Inner>,
}

impl core::fmt::Debug for SecretsClient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let st = self.inner.state();
        f.debug_struct("SecretsClient")
            .field("server", &self.inner.server_url)
            .field("project", &self.inner.token.project())
            .field("service", &self.inner.token.service())
            .field("cache_ttl", &self.inner.options.cache_ttl)
            .field("cached", &st.values.len())
            .field("keyring", &st.keyring.is_some())
            .field("revoked", &st.revoked)
            .finish_non_exhaustive()
    }
}

/// A checked secret name (the caller's input: never echoed in an error).
fn secret_name(name: &str) -> Result<SecretName, SecretsError> {
    SecretName::new(name).map_err(|_| SecretsError::InvalidArgument("not a valid secret name"))
}

/// Parses a JSON document of the server's answer.
fn parse_doc<T: DeserializeOwned>(text: &str, what: &'static str) -> Result<T, SecretsError> {
    serde_json::from_str(text).map_err(|_| SecretsError::Protocol(what))
}

/// A secret and its current version as the server handed them out.
struct Sealed {
    secret: EncryptedSecret,
    version: EncryptedSecretVersion,
}

/// Whether an opening failure may be cured by fresh grants (a rotation
/// moved the secret to a key generation the cached keyring lacks).
fn retryable(e: &vault_core::Error) -> bool {
    matches!(
        e,
        vault_core::Error::NotGranted(_) | vault_core::Error::Decrypt
    )
}

/// A new service token for the project of a `vpr1.` reference (what
/// `vault project create` prints), generated here: its private key never
/// leaves this process. Save its [`to_text`](ServiceToken::to_text) in a
/// file only the service can read, then [`SecretsClient::register`].
///
/// ```
/// # fn f(reference: &str) -> Result<(), vault_secrets::SecretsError> {
/// let token = vault_secrets::new_token(reference)?;
/// println!("service {}", token.service());
/// # Ok(()) }
/// ```
pub fn new_token(reference: &str) -> Result<ServiceToken, SecretsError> {
    let r: ProjectRef = reference.parse().map_err(|_| {
        SecretsError::InvalidArgument("not a project reference (vpr1.<project>.<key>)")
    })?;
    Ok(ServiceToken::generate(
        r.project,
        r.ed25519,
        &mut rng::os_rng(),
    ))
}

impl SecretsClient {
    /// Connects to `server_url` as the service of `token`, with the
    /// default [`ClientOptions`] (60 s cache, no plain HTTP beyond this
    /// host).
    ///
    /// ```no_run
    /// # async fn f(text: &str) -> Result<(), vault_secrets::SecretsError> {
    /// let token = vault_secrets::parse_token(text)?;
    /// let client = vault_secrets::SecretsClient::connect("https://vault.example.com", token).await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect(server_url: &str, token: ServiceToken) -> Result<Self, SecretsError> {
        Self::connect_with(server_url, token, ClientOptions::default()).await
    }

    /// Connects with `options`. The URL must pass [`check_server_url`];
    /// `https://` verifies the server against the built-in Mozilla roots
    /// plus [`ClientOptions::ca_pem`].
    pub async fn connect_with(
        server_url: &str,
        token: ServiceToken,
        options: ClientOptions,
    ) -> Result<Self, SecretsError> {
        let url = check_server_url(server_url, options.allow_http)?;
        let channel = channel(&url, &options).await?;
        let rpc = Rpc::new(channel).max_decoding_message_size(MAX_RESPONSE_BYTES);
        Ok(SecretsClient {
            inner: Arc::new(Inner {
                rpc,
                token,
                server_url: url,
                options,
                state: Mutex::new(State::default()),
                keyring_lock: tokio::sync::Mutex::new(()),
                watcher: Mutex::new(None),
            }),
        })
    }

    /// Connects as [`EnvConfig::from_env`] says (`VAULT_SERVER`,
    /// `VAULT_SERVICE_TOKEN` or `VAULT_SERVICE_TOKEN_FILE`, …).
    pub async fn from_env() -> Result<Self, SecretsError> {
        let c = EnvConfig::from_env()?;
        Self::connect_with(&c.server_url, c.token, c.options).await
    }

    /// The project.
    pub fn project(&self) -> VaultId {
        self.inner.token.project()
    }

    /// The service.
    pub fn service(&self) -> ServiceId {
        self.inner.token.service()
    }

    /// The service's fingerprint (what an approver compares).
    pub fn fingerprint(&self) -> String {
        self.inner.token.public().fingerprint()
    }

    /// Registers the token's public half with the project (self-
    /// registration): the service is pending until a member approves it.
    /// Checks that the server's project key is the one the token pinned.
    /// [`SecretsError::AlreadyRegistered`] if it was registered before.
    ///
    /// ```no_run
    /// # async fn f(client: vault_secrets::SecretsClient) -> Result<(), vault_secrets::SecretsError> {
    /// let reg = client.register("billing-api", env!("CARGO_PKG_VERSION")).await?;
    /// eprintln!("waiting for approval; fingerprint {}", reg.fingerprint);
    /// # Ok(()) }
    /// ```
    pub async fn register(
        &self,
        service_name: &str,
        service_version: &str,
    ) -> Result<Registration, SecretsError> {
        let public = self.inner.token.public();
        let service = serde_json::to_string(&public)
            .map_err(|_| SecretsError::Protocol("the token's public half did not serialise"))?;
        let mut rpc = self.inner.rpc.clone();
        let r = self
            .inner
            .call(rpc.register_token(proto::RegisterTokenRequest {
                service,
                service_name: service_name.to_owned(),
                service_version: service_version.to_owned(),
            }))
            .await?;
        let project: ProjectPublic = parse_doc(&r.project, "the project is not a ProjectPublic")?;
        self.check_project(&project)?;
        let fingerprint = public.fingerprint();
        if !public.fingerprint_matches(&r.fingerprint) {
            return Err(SecretsError::Protocol(
                "the server's fingerprint is not the token's",
            ));
        }
        Ok(Registration {
            fingerprint,
            project,
        })
    }

    fn check_project(&self, project: &ProjectPublic) -> Result<(), SecretsError> {
        if project.project != self.inner.token.project() {
            return Err(SecretsError::Protocol(
                "the server answered another project",
            ));
        }
        project.verify(Some(self.inner.token.project_signing_key()))?;
        Ok(())
    }

    /// Asks the server for the service's grants now (dropping the cached
    /// keyring) and says what they give. [`SecretsError::PendingApproval`]
    /// until a member approves: poll this after [`register`](Self::register).
    pub async fn access(&self) -> Result<Access, SecretsError> {
        let _one = self.inner.keyring_lock.lock().await;
        let generation = self.inner.generation();
        let (ring, access) = self.fetch_keyring().await?;
        let mut st = self.inner.state();
        if st.generation == generation {
            st.keyring = Some(Arc::new(ring));
        }
        Ok(access)
    }

    /// Drops the cached keyring and values (the next reads ask the server).
    pub fn invalidate(&self) {
        self.inner.drop_all();
    }

    /// `GetAccess`, opened into a keyring (every grant verified against
    /// the pinned project key).
    async fn fetch_keyring(&self) -> Result<(ServiceKeyring, Access), SecretsError> {
        let mut rpc = self.inner.rpc.clone();
        let r = self
            .inner
            .call(rpc.get_access(self.inner.authed(proto::GetAccessRequest {})?))
            .await?;
        if r.status != "approved" {
            return Err(SecretsError::Protocol("GetAccess answered another status"));
        }
        let access = match r.access.as_str() {
            "project" => Access::WholeProject,
            "secrets" => Access::Secrets,
            _ => return Err(SecretsError::Protocol("GetAccess answered another access")),
        };
        let grants = r
            .grants
            .iter()
            .map(|g| parse_doc::<ServiceGrant>(g, "a grant is not a ServiceGrant"))
            .collect::<Result<Vec<_>, _>>()?;
        let project: ProjectPublic = parse_doc(&r.project, "the project is not a ProjectPublic")?;
        self.check_project(&project)?;
        let mut ring = ServiceKeyring::open(&self.inner.token, &grants)?;
        ring.set_project_public(project)?;
        Ok((ring, access))
    }

    /// The cached keyring, or a fresh one.
    async fn keyring(&self) -> Result<Arc<ServiceKeyring>, SecretsError> {
        if let Some(k) = self.current_keyring()? {
            return Ok(k);
        }
        let _one = self.inner.keyring_lock.lock().await;
        if let Some(k) = self.current_keyring()? {
            return Ok(k);
        }
        self.load_keyring().await
    }

    fn current_keyring(&self) -> Result<Option<Arc<ServiceKeyring>>, SecretsError> {
        let st = self.inner.state();
        if st.revoked {
            return Err(SecretsError::Unauthenticated);
        }
        Ok(st.keyring.clone())
    }

    /// Fetches and caches a keyring (the caller holds `keyring_lock`).
    async fn load_keyring(&self) -> Result<Arc<ServiceKeyring>, SecretsError> {
        let generation = self.inner.generation();
        let ring = Arc::new(self.fetch_keyring().await?.0);
        let mut st = self.inner.state();
        if st.generation == generation && !st.revoked {
            st.keyring = Some(ring.clone());
        }
        Ok(ring)
    }

    /// A keyring newer than `stale` (fetched now unless another call did
    /// already).
    async fn refresh_keyring(
        &self,
        stale: &Arc<ServiceKeyring>,
    ) -> Result<Arc<ServiceKeyring>, SecretsError> {
        let _one = self.inner.keyring_lock.lock().await;
        if let Some(k) = self.current_keyring()?
            && !Arc::ptr_eq(&k, stale)
        {
            return Ok(k);
        }
        self.inner.state().keyring = None;
        self.load_keyring().await
    }

    /// The sealed hint of a read: the name and `description`, sealed to
    /// the project, so a stub or access request tells members what is
    /// missing.
    fn hint(
        &self,
        ring: &ServiceKeyring,
        name: &SecretName,
        description: &str,
    ) -> Result<String, SecretsError> {
        let sealed = ring
            .seal_hint(SealPurpose::Stub, name, description, &mut rng::os_rng())
            .map_err(|e| match e {
                vault_core::Error::Malformed { .. } => SecretsError::InvalidArgument(
                    "a description is at most 1024 bytes, without control characters",
                ),
                e => e.into(),
            })?;
        serde_json::to_string(&sealed)
            .map_err(|_| SecretsError::Protocol("a hint did not serialise"))
    }

    /// Parses a handed-out secret and version and checks that they belong
    /// together, to this project and (when asked for by name) to `bidx`.
    fn sealed(
        &self,
        secret: &str,
        version: &str,
        bidx: Option<&BlindIndex>,
    ) -> Result<Sealed, SecretsError> {
        let secret: EncryptedSecret = parse_doc(secret, "a secret is not an EncryptedSecret")?;
        let version: EncryptedSecretVersion =
            parse_doc(version, "a version is not an EncryptedSecretVersion")?;
        if secret.project != self.inner.token.project() || version.secret != secret.secret {
            return Err(SecretsError::Protocol(
                "a secret of another project, or a version of another secret",
            ));
        }
        if bidx.is_some_and(|b| *b != secret.blind_index) {
            return Err(SecretsError::Protocol(
                "the server answered another secret than asked for",
            ));
        }
        Ok(Sealed { secret, version })
    }

    /// Opens handed-out secrets with `ring`, fetching fresh grants once if
    /// some do not open (a rotation since the keyring was fetched).
    async fn open_all(
        &self,
        ring: Arc<ServiceKeyring>,
        items: &[Sealed],
    ) -> Result<Vec<SecretEntry>, SecretsError> {
        let mut out: Vec<Option<SecretEntry>> = Vec::with_capacity(items.len());
        let mut retry = false;
        for s in items {
            match open_checked(&ring, s) {
                Ok(e) => out.push(Some(e)),
                Err(e) if retryable(&e) => {
                    retry = true;
                    out.push(None);
                }
                Err(e) => return Err(e.into()),
            }
        }
        if retry {
            let fresh = self.refresh_keyring(&ring).await?;
            for (slot, s) in out.iter_mut().zip(items) {
                if slot.is_none() {
                    *slot = Some(open_checked(&fresh, s)?);
                }
            }
        }
        let out: Vec<SecretEntry> = out.into_iter().flatten().collect();
        // One name, one secret: a server listing two records that open to
        // the same name would make the cache (keyed by name) ambiguous.
        let mut names: Vec<&SecretName> = out.iter().map(|e| &e.name).collect();
        names.sort();
        if names.windows(2).any(|w| w.first() == w.last()) {
            return Err(SecretsError::Protocol(
                "the server handed out two secrets with one name",
            ));
        }
        Ok(out)
    }

    /// The value of secret `name`, from the cache or the server
    /// (`GetSecret`), decrypted here. The call sends the name sealed to
    /// the project, so if the secret is missing ([`SecretsError::NotFound`])
    /// or not granted ([`SecretsError::AccessRequested`]) the project's
    /// members see which name was asked for.
    ///
    /// ```no_run
    /// # async fn f(client: &vault_secrets::SecretsClient) -> Result<(), vault_secrets::SecretsError> {
    /// match client.get("STRIPE_KEY").await {
    ///     Ok(key) => println!("{} bytes", key.expose_secret().len()),
    ///     Err(vault_secrets::SecretsError::NotFound) => eprintln!("ask an admin to add STRIPE_KEY"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, name: &str) -> Result<SecretString, SecretsError> {
        self.get_with_description(name, "").await
    }

    /// [`get`](Self::get), telling the project's members what the secret
    /// is for if it is missing or not granted: `description` (at most
    /// 1024 bytes) is sealed with the name into the stub or access
    /// request.
    ///
    /// ```no_run
    /// # async fn f(client: &vault_secrets::SecretsClient) -> Result<(), vault_secrets::SecretsError> {
    /// let hook = client.get_with_description("STRIPE_WEBHOOK_SECRET", "verifies Stripe's webhook calls").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_with_description(
        &self,
        name: &str,
        description: &str,
    ) -> Result<SecretString, SecretsError> {
        let name = secret_name(name)?;
        if let Some(v) = self.inner.cached(&name)? {
            return Ok(v);
        }
        let generation = self.inner.generation();
        let ring = self.keyring().await?;
        let bidx = ring.blind_index(&name)?;
        let hint = self.hint(&ring, &name, description)?;
        let mut rpc = self.inner.rpc.clone();
        let r = self
            .inner
            .call(rpc.get_secret(self.inner.authed(proto::GetSecretRequest {
                blind_index: bidx.to_string(),
                hint,
            })?))
            .await?;
        let sealed = self.sealed(&r.secret, &r.version, Some(&bidx))?;
        let id = sealed.secret.secret;
        let entry = self
            .open_all(ring, std::slice::from_ref(&sealed))
            .await?
            .into_iter()
            .next()
            .ok_or(SecretsError::Protocol("nothing opened"))?;
        if entry.name != name {
            return Err(SecretsError::Protocol(
                "the server answered another secret than asked for",
            ));
        }
        self.inner.remember(generation, &name, id, &entry.value);
        Ok(entry.value)
    }

    /// Several secrets in one round trip (`GetSecrets`; the cached ones
    /// without asking): one result per name, in order. A missing or
    /// ungranted name is an `Err` in its slot (with a stub or access
    /// request filed, as for [`get`](Self::get)); a failure of the call
    /// itself is the outer `Err`.
    ///
    /// ```no_run
    /// # async fn f(client: &vault_secrets::SecretsClient) -> Result<(), vault_secrets::SecretsError> {
    /// let got = client.get_many(&["DATABASE_URL", "REDIS_URL"]).await?;
    /// for r in &got {
    ///     if let Err(e) = r { eprintln!("{e}"); }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_many<S: AsRef<str>>(
        &self,
        names: &[S],
    ) -> Result<Vec<Result<SecretString, SecretsError>>, SecretsError> {
        let wanted = names
            .iter()
            .map(|n| Ok((secret_name(n.as_ref())?, "")))
            .collect::<Result<Vec<_>, SecretsError>>()?;
        self.fetch_many(&wanted).await
    }

    /// `GetSecrets` for `wanted` (name, description), in chunks of 200,
    /// the cached ones served from memory.
    async fn fetch_many(
        &self,
        wanted: &[(SecretName, &str)],
    ) -> Result<Vec<Result<SecretString, SecretsError>>, SecretsError> {
        let mut results: Vec<Option<Result<SecretString, SecretsError>>> =
            Vec::with_capacity(wanted.len());
        for (name, _) in wanted {
            results.push(self.inner.cached(name)?.map(Ok));
        }
        let todo: Vec<usize> = (0..wanted.len())
            .filter(|i| results.get(*i).is_some_and(Option::is_none))
            .collect();
        if !todo.is_empty() {
            let generation = self.inner.generation();
            let ring = self.keyring().await?;
            for chunk in todo.chunks(MAX_BATCH) {
                self.fetch_chunk(generation, &ring, wanted, chunk, &mut results)
                    .await?;
            }
        }
        results
            .into_iter()
            .map(|r| r.ok_or(SecretsError::Protocol("an item has no outcome")))
            .collect()
    }

    async fn fetch_chunk(
        &self,
        generation: u64,
        ring: &Arc<ServiceKeyring>,
        wanted: &[(SecretName, &str)],
        chunk: &[usize],
        results: &mut [Option<Result<SecretString, SecretsError>>],
    ) -> Result<(), SecretsError> {
        let mut items = Vec::with_capacity(chunk.len());
        let mut bidxs = Vec::with_capacity(chunk.len());
        for &i in chunk {
            let (name, description) = wanted
                .get(i)
                .ok_or(SecretsError::Protocol("index out of range"))?;
            let bidx = ring.blind_index(name)?;
            items.push(proto::SecretRequest {
                blind_index: bidx.to_string(),
                hint: self.hint(ring, name, description)?,
            });
            bidxs.push(bidx);
        }
        let mut rpc = self.inner.rpc.clone();
        let r = self
            .inner
            .call(rpc.get_secrets(self.inner.authed(proto::GetSecretsRequest { items })?))
            .await?;
        if r.results.len() != chunk.len() {
            return Err(SecretsError::Protocol(
                "GetSecrets answered another number of results",
            ));
        }
        let mut found: Vec<usize> = Vec::new();
        let mut sealed: Vec<Sealed> = Vec::new();
        for ((&i, bidx), res) in chunk.iter().zip(&bidxs).zip(&r.results) {
            if res.blind_index != bidx.to_string() {
                return Err(SecretsError::Protocol("GetSecrets answered out of order"));
            }
            let outcome = match proto::Outcome::try_from(res.outcome) {
                Ok(proto::Outcome::Found) => {
                    sealed.push(self.sealed(&res.secret, &res.version, Some(bidx))?);
                    found.push(i);
                    continue;
                }
                Ok(proto::Outcome::NotFound) => SecretsError::NotFound,
                Ok(proto::Outcome::PermissionDenied)
                    if res.code.parse() == Ok(GrpcCode::AccessDenied) =>
                {
                    SecretsError::AccessDenied
                }
                Ok(proto::Outcome::PermissionDenied) => SecretsError::AccessRequested,
                _ => return Err(SecretsError::Protocol("GetSecrets answered no outcome")),
            };
            if let Some(slot) = results.get_mut(i) {
                *slot = Some(Err(outcome));
            }
        }
        let entries = self.open_all(ring.clone(), &sealed).await?;
        for ((i, s), entry) in found.into_iter().zip(&sealed).zip(entries) {
            let (name, _) = wanted
                .get(i)
                .ok_or(SecretsError::Protocol("index out of range"))?;
            if entry.name != *name {
                return Err(SecretsError::Protocol(
                    "the server answered another secret than asked for",
                ));
            }
            self.inner
                .remember(generation, name, s.secret.secret, &entry.value);
            if let Some(slot) = results.get_mut(i) {
                *slot = Some(Ok(entry.value));
            }
        }
        Ok(())
    }

    /// Every secret this service may read, by name (`ListSecrets`, all
    /// pages): the whole project's for whole-project access, the granted
    /// ones otherwise. Sorted by name; the values are cached as if read
    /// one by one. Files nothing: no name is asked for.
    ///
    /// ```no_run
    /// # async fn f(client: &vault_secrets::SecretsClient) -> Result<(), vault_secrets::SecretsError> {
    /// let mut cmd = std::process::Command::new("./server");
    /// for (name, value) in client.list().await? {
    ///     if name.is_env_name() {
    ///         cmd.env(name.as_str(), value.expose_secret());
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list(&self) -> Result<Vec<(SecretName, SecretString)>, SecretsError> {
        let generation = self.inner.generation();
        let ring = self.keyring().await?;
        let mut sealed = Vec::new();
        let mut page_token = String::new();
        for _ in 0..MAX_PAGES {
            let mut rpc = self.inner.rpc.clone();
            let r = self
                .inner
                .call(
                    rpc.list_secrets(self.inner.authed(proto::ListSecretsRequest {
                        page_size: 0,
                        page_token: page_token.clone(),
                    })?),
                )
                .await?;
            for l in &r.secrets {
                sealed.push(self.sealed(&l.secret, &l.version, None)?);
            }
            if r.next_page_token.is_empty() {
                let entries = self.open_all(ring, &sealed).await?;
                let mut out = Vec::with_capacity(entries.len());
                for (s, entry) in sealed.iter().zip(entries) {
                    self.inner
                        .remember(generation, &entry.name, s.secret.secret, &entry.value);
                    out.push((entry.name, entry.value));
                }
                out.sort_by(|a, b| a.0.cmp(&b.0));
                return Ok(out);
            }
            if r.next_page_token == page_token {
                return Err(SecretsError::Protocol("ListSecrets repeated a page"));
            }
            page_token = r.next_page_token;
        }
        Err(SecretsError::Protocol("ListSecrets did not end"))
    }

    /// Fills a struct with secrets, one per field, in one round trip.
    /// A field names its secret by its name upper-cased (`database_url` →
    /// `DATABASE_URL`), or exactly as written when it has upper-case
    /// letters (`#[serde(rename = "Api.Key")]`). Fields may be `String`,
    /// [`SecretString`] or `Option` of either: a missing or ungranted
    /// secret leaves an `Option` field `None` (with a stub or access
    /// request filed); for any other field it is the error.
    ///
    /// ```no_run
    /// #[derive(serde::Deserialize)]
    /// struct Secrets {
    ///     database_url: vault_secrets::SecretString,
    ///     stripe_key: Option<String>,
    /// }
    /// # async fn f(client: &vault_secrets::SecretsClient) -> Result<(), vault_secrets::SecretsError> {
    /// let s: Secrets = client.get_all().await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_all<T: DeserializeOwned>(&self) -> Result<T, SecretsError> {
        let fields = struct_fields::<T>().ok_or(ConfigError::NotAStruct)?;
        let wanted = fields
            .iter()
            .map(|f| Ok((secret_name(&secret_name_of(f))?, "")))
            .collect::<Result<Vec<_>, SecretsError>>()?;
        let results = self.fetch_many(&wanted).await?;
        let mut pairs: Vec<(&str, SecretString)> = Vec::new();
        let mut first_err = None;
        for (field, r) in fields.iter().zip(results) {
            match r {
                Ok(v) => pairs.push((field, v)),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        from_pairs(pairs.iter().map(|(k, v)| (*k, v.expose_secret())))
            .map_err(|e| first_err.unwrap_or(e))
    }

    /// Fills a struct with the secrets a `secrets.schema.json` declares,
    /// in one round trip, each asked for with its description (so stubs
    /// tell members what it is for). A required secret that is missing or
    /// not granted is the error; an optional one is left out. A field
    /// matches a secret by its exact name or its name lower-cased
    /// (`database_url` ↔ `DATABASE_URL`).
    ///
    /// ```no_run
    /// use vault_secrets::schema::SecretsSchema;
    /// #[derive(serde::Deserialize)]
    /// struct Secrets { database_url: String, stripe_key: Option<String> }
    /// # async fn f(client: &vault_secrets::SecretsClient) -> Result<(), Box<dyn std::error::Error>> {
    /// let schema = SecretsSchema::parse(&std::fs::read_to_string("secrets.schema.json")?)?;
    /// let s: Secrets = client.get_all_with_schema(&schema).await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_all_with_schema<T: DeserializeOwned>(
        &self,
        schema: &SecretsSchema,
    ) -> Result<T, SecretsError> {
        let mut wanted = Vec::with_capacity(schema.secrets.len());
        let mut required = Vec::with_capacity(schema.secrets.len());
        for (name, entry) in &schema.secrets {
            wanted.push((secret_name(name)?, entry.description.as_str()));
            required.push(entry.required);
        }
        let results = self.fetch_many(&wanted).await?;
        let names: Vec<&str> = wanted.iter().map(|(n, _)| n.as_str()).collect();
        let mut pairs: Vec<(String, SecretString)> = Vec::new();
        for (((name, _), r), req) in wanted.iter().zip(results).zip(required) {
            match r {
                Ok(v) => {
                    let lower = name.as_str().to_lowercase();
                    if lower != name.as_str() && !names.contains(&lower.as_str()) {
                        pairs.push((lower, v.clone()));
                    }
                    pairs.push((name.as_str().to_owned(), v));
                }
                Err(e) if req => return Err(e),
                Err(_) => {}
            }
        }
        from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.expose_secret())))
    }

    /// Starts the background watcher (`WatchSecrets`): a change to a
    /// secret drops its cached value; a change of grants, a resync or a
    /// reconnect drops the keyring and every value; `REVOKED` drops
    /// everything and every later read fails with
    /// [`SecretsError::Unauthenticated`]. Returns once the stream is open
    /// (so its errors show here); later it reconnects by itself with
    /// backoff, and stops for good when the token is refused. Idempotent;
    /// the task ends with the last clone of the client.
    pub async fn watch(&self) -> Result<(), SecretsError> {
        if self
            .inner
            .watcher
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .is_some_and(|h| !h.is_finished())
        {
            return Ok(());
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| ConfigError::NoRuntime)?;
        let stream = watch::open(&self.inner).await?;
        let task = runtime.spawn(watch::run(Arc::downgrade(&self.inner), stream));
        let mut slot = self
            .inner
            .watcher
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(old) = slot.replace(task) {
            old.abort();
        }
        Ok(())
    }

    /// Stops the watcher (cached values then live out their TTL).
    pub fn unwatch(&self) {
        if let Some(h) = self
            .inner
            .watcher
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
        {
            h.abort();
        }
    }

    /// Whether the watcher is running.
    pub fn is_watching(&self) -> bool {
        self.inner
            .watcher
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .is_some_and(|h| !h.is_finished())
    }
}

/// A channel to `url` (checked): TLS for `https://` with the built-in
/// roots plus the options' CA; HTTP/2 keep-alive pings so an idle watch
/// stream survives NATs and notices a dead peer.
async fn channel(url: &str, options: &ClientOptions) -> Result<Channel, SecretsError> {
    let mut ep = Endpoint::from_shared(url.to_owned())
        .map_err(|_| ConfigError::InvalidUrl("not a valid URL"))?
        .connect_timeout(options.connect_timeout)
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(Duration::from_secs(20))
        .keep_alive_while_idle(true);
    if url.starts_with("https://") {
        let mut tls = ClientTlsConfig::new().with_webpki_roots();
        if let Some(pem) = &options.ca_pem {
            tls = tls.ca_certificate(Certificate::from_pem(pem));
        }
        ep = ep.tls_config(tls).map_err(|_| ConfigError::InvalidCa)?;
    }
    match tokio::time::timeout(options.connect_timeout, ep.connect()).await {
        Err(_) => Err(SecretsError::Timeout),
        Ok(Err(e)) => Err(SecretsError::transport(&e)),
        Ok(Ok(c)) => Ok(c),
    }
}

/// Opens one handed-out secret and checks that the name sealed inside it
/// is the one its record is filed under. The record's blind index is not
/// authenticated, the sealed name is (`ServiceKeyring::open_named`): a
/// server swapping records between names is caught here, for `get` and
/// for `list` alike.
fn open_checked(ring: &ServiceKeyring, s: &Sealed) -> Result<SecretEntry, vault_core::Error> {
    let entry = ring.open_secret(&s.secret, &s.version)?;
    if ring.blind_index(&entry.name)? != s.secret.blind_index {
        return Err(vault_core::Error::Decrypt);
    }
    Ok(entry)
}
