//! Service secrets: `vault-secrets`' [`SecretsClient`] (gRPC, the project's
//! grants opened and every value decrypted in this process) as the JS class
//! `SecretsClientBase`, made by `createSecretsClient`, whose methods return
//! promises.
//!
//! Glue only: the configuration rules (environment variables, the token
//! file's permissions, plain `http://` only to this machine), the schema
//! rules, the calls, the cache and the watcher are all `vault-secrets`' and
//! `vault-core`'s. This file reads the JS options, lets them stand in for
//! the environment variables, runs every call on napi's tokio runtime (never
//! on the event loop) and maps [`SecretsError`] onto a JS `Error` with a
//! stable `code` (see [`code_of`]).
//!
//! The client connects lazily: `createSecretsClient` checks the
//! configuration and the schema at once (throwing synchronously), the first
//! call connects (concurrent first calls share one connection), and
//! `close()` stops the watcher and drops the connection.
//!
//! The class's TypeScript is napi's, generated from the doc comments below;
//! `SecretsClient<S>` (src/types.d.ts) is the same class typed by a schema
//! (`getSecret` then takes only the schema's names).

use crate::convert::{Opts, json_text};
use crate::error::{Code, OrNapi, Result, to_rejection};
use napi::bindgen_prelude::{
    FromNapiValue, Function, JsError, JsObjectValue, Object, PromiseRaw, ToNapiValue,
};
use napi::{Env, JsString, Unknown, ValueType};
use napi_derive::napi;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use vault_secrets::schema::SecretsSchema;
use vault_secrets::{
    ConfigError, ENV_ALLOW_HTTP, ENV_CA_FILE, ENV_SERVER, ENV_TOKEN, ENV_TOKEN_FILE, EnvConfig,
    SecretString, SecretsClient, SecretsError,
};
use zeroize::Zeroizing;

// ------------------------------------------------------------------ errors

/// The stable `code` of a failure: the server's code for what the server
/// refused (`secret_not_found`, `access_requested`, `pending_approval`,
/// `unauthenticated`, …, as `secrets.proto` lists them), vault-core's for a
/// grant or secret that does not open (`decrypt`, `bad_signature`, …), and
/// fixed names for the client's own failures: `network` (the server could
/// not be reached; TLS), `timeout`, `config` (options, environment, token
/// file), `invalid_argument` (a name that is not a secret name),
/// `protocol` (an answer that does not check out).
fn code_of(e: &SecretsError) -> Cow<'static, str> {
    Cow::Borrowed(match e {
        SecretsError::Unauthenticated => "unauthenticated",
        SecretsError::PendingApproval => "pending_approval",
        SecretsError::Denied => "denied",
        SecretsError::NotAllowedFromAddress => "not_allowed_from_address",
        SecretsError::NotFound => "secret_not_found",
        SecretsError::AccessRequested => "access_requested",
        SecretsError::AccessDenied => "access_denied",
        SecretsError::RateLimited { .. } => "rate_limited",
        SecretsError::TooManyPending => "too_many_pending",
        SecretsError::AlreadyRegistered => "already_registered",
        SecretsError::ProjectNotFound => "project_not_found",
        // `detail` is fixed words for the server's codes (the audit log
        // could not record the access), or what the transport said.
        SecretsError::Unavailable { detail } if detail.starts_with("audit_unavailable") => {
            "audit_unavailable"
        }
        SecretsError::Unavailable { .. } => "unavailable",
        SecretsError::Rejected { code } => return Cow::Owned(code.clone()),
        SecretsError::Timeout => "timeout",
        SecretsError::Transport { .. } => "network",
        SecretsError::Config(_) => "config",
        SecretsError::InvalidArgument(_) => "invalid_argument",
        SecretsError::Crypto(c) => c.code(),
        SecretsError::Protocol(_) => "protocol",
        SecretsError::Deserialize => "malformed",
        _ => "unknown",
    })
}

/// What a call fails with: the client's error, or the glue's (already in
/// the thrown form).
enum Failure {
    Secrets(SecretsError),
    Glue(napi::Error<Code>),
}

impl From<SecretsError> for Failure {
    fn from(e: SecretsError) -> Self {
        Failure::Secrets(e)
    }
}

impl From<napi::Error<Code>> for Failure {
    fn from(e: napi::Error<Code>) -> Self {
        Failure::Glue(e)
    }
}

/// The thrown form of a client error: `code` and the client's message
/// (which never holds a value, a name or the token).
fn thrown(e: &SecretsError) -> napi::Error<Code> {
    napi::Error::new(Code(code_of(e)), e.to_string())
}

/// A configuration error, thrown synchronously by `createSecretsClient`.
fn config_error(e: ConfigError) -> napi::Error<Code> {
    thrown(&SecretsError::Config(e))
}

/// A glue failure with its own code.
fn glue(code: &'static str, message: &'static str) -> napi::Error<Code> {
    napi::Error::new(Code(Cow::Borrowed(code)), message)
}

/// The `Error` a promise rejects with; `retryAfter` (seconds) when the
/// server rate-limits and says for how long.
fn rejection(env: &Env, f: Failure) -> napi::Error {
    let e = match f {
        Failure::Glue(e) => return to_rejection(env, e),
        Failure::Secrets(e) => e,
    };
    let js: Unknown<'_> = JsError::from(thrown(&e)).into_unknown(*env);
    if let SecretsError::RateLimited {
        retry_after: Some(d),
    } = &e
        && let Ok(mut obj) = Object::from_unknown(js)
    {
        let _ = obj.set("retryAfter", u32::try_from(d.as_secs()).unwrap_or(u32::MAX));
    }
    napi::Error::from(js)
}

/// Runs `fut` on napi's tokio runtime; `done` builds the JS result back on
/// the main thread.
fn run<'e, T, V>(
    env: &'e Env,
    fut: impl Future<Output = std::result::Result<T, Failure>> + Send + 'static,
    done: impl FnOnce(&'e Env, T) -> Result<V> + 'static,
) -> Result<PromiseRaw<'e, V>>
where
    T: Send + 'static,
    V: ToNapiValue,
{
    crate::error::spawn_promise(env, fut, done, rejection)
}

// ------------------------------------------------------------------ state

struct Inner {
    config: EnvConfig,
    schema: Option<SecretsSchema>,
    /// The connected client (after the first call), shared by every call.
    client: Mutex<Option<SecretsClient>>,
    /// One connection attempt at a time.
    connecting: tokio::sync::Mutex<()>,
    closed: AtomicBool,
}

impl Inner {
    fn slot(&self) -> MutexGuard<'_, Option<SecretsClient>> {
        self.client.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn check_open(&self) -> std::result::Result<(), Failure> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(glue("closed", "the secrets client is closed").into());
        }
        Ok(())
    }

    /// The connected client: connects on first use.
    async fn client(&self) -> std::result::Result<SecretsClient, Failure> {
        self.check_open()?;
        if let Some(c) = self.slot().as_ref() {
            return Ok(c.clone());
        }
        let _one = self.connecting.lock().await;
        self.check_open()?;
        if let Some(c) = self.slot().as_ref() {
            return Ok(c.clone());
        }
        let c = SecretsClient::connect_with(
            &self.config.server_url,
            self.config.token.clone(),
            self.config.options.clone(),
        )
        .await?;
        // close() may have run meanwhile: then the new client is dropped.
        self.check_open()?;
        *self.slot() = Some(c.clone());
        Ok(c)
    }

    /// The schema's description of `name` (sealed into the stub or access
    /// request the server files if the secret is missing or not granted).
    fn description(&self, name: &str) -> String {
        self.schema
            .as_ref()
            .and_then(|s| s.secrets.get(name))
            .map(|e| e.description.clone())
            .unwrap_or_default()
    }
}

// ------------------------------------------------------------ JS shapes

/// One result of `getSecrets`.
#[derive(Serialize)]
struct SecretResultJs<'a> {
    name: &'a str,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<Cow<'static, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

/// One entry of `listSecrets`.
#[derive(Serialize)]
struct SecretEntryJs<'a> {
    name: &'a str,
    value: &'a str,
}

/// `JSON.parse(text)` by V8: an object whose members are exactly the
/// text's (a secret named `__proto__` becomes an own member, not the
/// prototype, as it would with property assignment).
fn parse_json<'e>(env: &'e Env, text: &str) -> Result<Unknown<'e>> {
    let global = env.get_global().or_napi()?;
    let json: Object<'_> = global.get_named_property("JSON").or_napi()?;
    let parse: Function<'_, JsString<'_>, Unknown<'e>> =
        json.get_named_property("parse").or_napi()?;
    parse.call(env.create_string(text).or_napi()?).or_napi()
}

// ------------------------------------------------------------ options

/// The members `createSecretsClient`'s options may have.
const OPTION_KEYS: &[&str] = &[
    "server",
    "token",
    "tokenFile",
    "caFile",
    "allowInsecureHttp",
    "connectTimeoutMs",
    "cacheTtlMs",
    "timeoutMs",
    "schema",
];

/// Members that make an object a schema rather than options (the schema's
/// own keywords; no option has these names).
const SCHEMA_KEYS: &[&str] = &[
    "$schema",
    "$id",
    "title",
    "description",
    "type",
    "properties",
    "required",
    "additionalProperties",
];

fn is_nullish(v: &Unknown<'_>) -> Result<bool> {
    Ok(matches!(
        v.get_type().or_napi()?,
        ValueType::Undefined | ValueType::Null
    ))
}

/// The object's own enumerable member names.
fn keys_of(obj: &Object<'_>) -> Result<Vec<String>> {
    let names: Vec<String> = Object::keys(obj).or_napi()?;
    Ok(names)
}

/// Parses a schema given as JSON text or as the parsed object.
fn parse_schema(env: &Env, value: Unknown<'_>) -> Result<SecretsSchema> {
    let text = json_text(env, value, "secrets schema")?;
    // The message names the place (`/properties/API_KEY/type`), never a
    // value: a schema holds none (`default` and `examples` are refused).
    SecretsSchema::parse(&text)
        .map_err(|e| napi::Error::new(Code(Cow::Borrowed("malformed")), e.to_string()))
}

/// A duration option in milliseconds: a finite number from 0 to a year
/// (a negative number is refused, not wrapped around as a `u32` would be).
fn millis(opts: &Opts<'_>, key: &str) -> Result<Option<Duration>> {
    const MAX_MS: f64 = 365.0 * 24.0 * 3600.0 * 1000.0;
    match opts.get::<f64>(key)? {
        None => Ok(None),
        Some(ms) if ms.is_finite() && (0.0..=MAX_MS).contains(&ms) => {
            Ok(Some(Duration::from_secs_f64(ms / 1000.0)))
        }
        Some(_) => Err(glue(
            "invalid_argument",
            "cacheTtlMs, timeoutMs and connectTimeoutMs are milliseconds: a number from 0 to a year",
        )),
    }
}

/// A process environment variable (Node's `process.env` writes through to
/// it).
fn env_var(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

fn build(env: &Env, options: Option<Object<'_>>, schema: Option<Unknown<'_>>) -> Result<Inner> {
    if let Some(o) = &options {
        for k in keys_of(o)? {
            if !OPTION_KEYS.contains(&k.as_str()) {
                return Err(glue(
                    "invalid_argument",
                    "unknown option: the options are server, token, tokenFile, caFile, allowInsecureHttp, cacheTtlMs, timeoutMs, connectTimeoutMs and schema",
                ));
            }
        }
    }
    let opts = Opts::new(options);
    let server: Option<String> = opts.get("server")?;
    let token: Option<Zeroizing<String>> = opts.get::<String>("token")?.map(Zeroizing::new);
    let token_file: Option<String> = opts.get("tokenFile")?;
    let ca_file: Option<String> = opts.get("caFile")?;
    let allow_http: Option<bool> = opts.get("allowInsecureHttp")?;
    let cache_ttl = millis(&opts, "cacheTtlMs")?;
    let timeout = millis(&opts, "timeoutMs")?;
    let connect_timeout = millis(&opts, "connectTimeoutMs")?;
    let schema = match (schema, opts.get::<Unknown<'_>>("schema")?) {
        (Some(_), Some(_)) => {
            return Err(glue(
                "invalid_argument",
                "the schema is given twice (as the first argument and as options.schema)",
            ));
        }
        (Some(s), None) | (None, Some(s)) => Some(parse_schema(env, s)?),
        (None, None) => None,
    };
    // The options stand in for the variables `SecretsClient::from_env`
    // reads; a token given either way replaces both token variables.
    let explicit_token = token.is_some() || token_file.is_some();
    let lookup = |key: &str| -> Option<String> {
        match key {
            ENV_SERVER => server.clone().or_else(|| env_var(key)),
            ENV_TOKEN if explicit_token => token.as_ref().map(|t| t.as_str().to_owned()),
            ENV_TOKEN_FILE if explicit_token => token_file.clone(),
            ENV_CA_FILE => ca_file.clone().or_else(|| env_var(key)),
            ENV_ALLOW_HTTP => allow_http
                .map(|b| if b { "1" } else { "0" }.to_owned())
                .or_else(|| env_var(key)),
            _ => env_var(key),
        }
    };
    let mut config = EnvConfig::from_lookup(lookup).map_err(config_error)?;
    if let Some(d) = cache_ttl {
        config.options.cache_ttl = d;
    }
    for (d, slot) in [
        (timeout, &mut config.options.timeout),
        (connect_timeout, &mut config.options.connect_timeout),
    ] {
        match d {
            Some(d) if d.is_zero() => {
                return Err(glue(
                    "invalid_argument",
                    "timeoutMs and connectTimeoutMs must be positive",
                ));
            }
            Some(d) => *slot = d,
            None => {}
        }
    }
    Ok(Inner {
        config,
        schema,
        client: Mutex::new(None),
        connecting: tokio::sync::Mutex::new(()),
        closed: AtomicBool::new(false),
    })
}

/// Makes a client for a service's secrets: `createSecretsClient(options?)`
/// or `createSecretsClient(schema, options?)` (what
/// `vault secrets schema typescript` declares). Options, each falling back
/// to its environment variable as `SecretsClient::from_env` reads them:
/// `server` (`VAULT_SERVER`: `https://…`, or `http://` to this machine
/// only unless `allowInsecureHttp` / `VAULT_ALLOW_HTTP=1`), `token` (the `vst1.…`
/// text, `VAULT_SERVICE_TOKEN`) or `tokenFile` (`VAULT_SERVICE_TOKEN_FILE`,
/// not readable by group or others; either option replaces both
/// variables), `caFile` (`VAULT_CA_FILE`: extra CA certificates, PEM),
/// `cacheTtlMs` (how long opened values are served from memory;
/// `VAULT_SECRETS_CACHE_TTL` in seconds; default 60 s, 0: no cache),
/// `timeoutMs` (per call, default 30000), `connectTimeoutMs` (default
/// 10000) and `schema` (the parsed
/// `secrets.schema.json`, or its text: `getAll` reads its names and every
/// read sends a name's description along). A first argument is taken as
/// the schema when it is a string, when options follow it, or when it has
/// a schema keyword (`properties`, `required`, `type`, `$schema`, …).
///
/// Checks the configuration and the schema at once (throws with code
/// `config`, `malformed` or `invalid_argument`; never quoting the token);
/// connects on the first call. Type the client with the schema's
/// interface: `createSecretsClient<Secrets>({ schema })`.
#[napi(
    ts_generic_types = "S extends SecretValuesOf<S> = SecretValues",
    ts_args_type = "...args: [options?: SecretsClientOptions] | [schema: SecretsSchemaDocument | string, options?: SecretsClientOptions]",
    ts_return_type = "SecretsClient<S>"
)]
pub fn create_secrets_client(
    env: &Env,
    first: Option<Unknown<'_>>,
    second: Option<Unknown<'_>>,
) -> Result<SecretsClientBase> {
    let first = match first {
        Some(v) if !is_nullish(&v)? => Some(v),
        _ => None,
    };
    let second = match second {
        Some(v) if !is_nullish(&v)? => Some(v),
        _ => None,
    };
    let object = |v: Unknown<'_>| -> Result<Object<'_>> {
        if v.get_type().or_napi()? != ValueType::Object {
            return Err(glue("invalid_argument", "the options must be an object"));
        }
        Object::from_unknown(v).or_napi()
    };
    let inner = match (first, second) {
        (None, None) => build(env, None, None)?,
        (None, Some(_)) => {
            return Err(glue(
                "invalid_argument",
                "createSecretsClient(schema, options): the schema is missing",
            ));
        }
        (Some(schema), Some(options)) => build(env, Some(object(options)?), Some(schema))?,
        (Some(v), None) => match v.get_type().or_napi()? {
            ValueType::String => build(env, None, Some(v))?,
            ValueType::Object => {
                let obj = Object::from_unknown(v).or_napi()?;
                let is_schema = keys_of(&obj)?
                    .iter()
                    .any(|k| SCHEMA_KEYS.contains(&k.as_str()));
                if is_schema {
                    build(env, None, Some(v))?
                } else {
                    build(env, Some(obj), None)?
                }
            }
            _ => {
                return Err(glue(
                    "invalid_argument",
                    "createSecretsClient takes an options object or a schema",
                ));
            }
        },
    };
    Ok(SecretsClientBase {
        inner: Arc::new(inner),
    })
}

/// TypeScript declarations for a schema-typed client: vault-core's
/// generator, the one `vault secrets schema typescript` runs. `schema` is
/// the parsed `secrets.schema.json` or its text; `interfaceName` defaults
/// to `Secrets`. Throws `malformed` (naming the place) for a schema that
/// is not one. `scripts/schema-dts.mjs` wraps it as a command.
#[napi(ts_args_type = "schema: SecretsSchemaDocument | string, interfaceName?: string")]
pub fn secrets_schema_typescript(
    env: &Env,
    schema: Unknown<'_>,
    interface_name: Option<String>,
) -> Result<String> {
    let schema = parse_schema(env, schema)?;
    Ok(schema.to_typescript(interface_name.as_deref().unwrap_or("Secrets")))
}

// ------------------------------------------------------------------ class

/// A service's client of its project's secrets (`vault-secrets`): reads
/// what the project grants this service over gRPC and decrypts it in this
/// process; the server never sees a value or a name. Made by
/// `createSecretsClient`; `SecretsClient<S>` is this class typed by a
/// schema. Every method returns a promise and runs off the event loop;
/// calls run concurrently over one connection. Opened values are cached
/// for `cacheTtlMs`; `watch()` drops changed ones at once. Failures reject
/// with an `Error` carrying `code` (see `SecretsError`); no message holds a
/// value, a secret name or the token.
#[napi]
pub struct SecretsClientBase {
    inner: Arc<Inner>,
}

#[napi]
impl SecretsClientBase {
    /// The project's id (from the token).
    #[napi(getter)]
    pub fn project(&self) -> String {
        self.inner.config.token.project().to_string()
    }

    /// This service's id (from the token).
    #[napi(getter)]
    pub fn service(&self) -> String {
        self.inner.config.token.service().to_string()
    }

    /// The server's URL, normalised.
    #[napi(getter)]
    pub fn server(&self) -> String {
        self.inner.config.server_url.clone()
    }

    /// Whether the watcher started by `watch()` is running.
    #[napi(getter)]
    pub fn is_watching(&self) -> bool {
        self.inner
            .slot()
            .as_ref()
            .is_some_and(SecretsClient::is_watching)
    }

    /// The value of secret `name` (from the cache, or `GetSecret`). The
    /// name travels sealed to the project, with its description from the
    /// schema: if the secret is missing (`secret_not_found`) or not granted
    /// to this service (`access_requested`; `access_denied` once refused)
    /// the project's members see which name was asked for and why.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn get_secret<'e>(
        &self,
        env: &'e Env,
        name: String,
    ) -> Result<PromiseRaw<'e, JsString<'e>>> {
        let inner = self.inner.clone();
        run(
            env,
            async move {
                let c = inner.client().await?;
                let description = inner.description(&name);
                Ok(c.get_with_description(&name, &description).await?)
            },
            |env, v: SecretString| env.create_string(v.expose_secret()).or_napi(),
        )
    }

    /// Several secrets in one round trip (`GetSecrets`; cached ones from
    /// memory): one result per name, in order, `{ name, ok: true, value }`
    /// or `{ name, ok: false, code, message }` for a name that is missing
    /// or not granted (a stub or access request is filed for it). A
    /// failure of the call itself rejects.
    #[napi(
        ts_args_type = "names: readonly string[]",
        ts_return_type = "Promise<SecretResult[]>"
    )]
    pub fn get_secrets<'e>(
        &self,
        env: &'e Env,
        names: Vec<String>,
    ) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let inner = self.inner.clone();
        run(
            env,
            async move {
                let c = inner.client().await?;
                let results = c.get_many(&names).await?;
                Ok((names, results))
            },
            |env, (names, results)| {
                let rows: Vec<SecretResultJs<'_>> = names
                    .iter()
                    .zip(&results)
                    .map(|(name, r)| match r {
                        Ok(v) => SecretResultJs {
                            name,
                            ok: true,
                            value: Some(v.expose_secret()),
                            code: None,
                            message: None,
                        },
                        Err(e) => SecretResultJs {
                            name,
                            ok: false,
                            value: None,
                            code: Some(code_of(e)),
                            message: Some(e.to_string()),
                        },
                    })
                    .collect();
                env.to_js_value(&rows).or_napi()
            },
        )
    }

    /// Every secret this service may read, by name (`ListSecrets`): the
    /// whole project's with whole-project access, the granted ones
    /// otherwise. `[{ name, value }]`, sorted by name. Files nothing on the
    /// server (no name is asked for).
    #[napi(ts_return_type = "Promise<SecretEntry[]>")]
    pub fn list_secrets<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let inner = self.inner.clone();
        run(
            env,
            async move {
                let c = inner.client().await?;
                Ok(c.list().await?)
            },
            |env, list| {
                let rows: Vec<SecretEntryJs<'_>> = list
                    .iter()
                    .map(|(name, value)| SecretEntryJs {
                        name: name.as_str(),
                        value: value.expose_secret(),
                    })
                    .collect();
                env.to_js_value(&rows).or_napi()
            },
        )
    }

    /// Every secret the schema names, in one round trip, each asked for
    /// with its description: an object from name to value. A required
    /// secret that is missing or not granted rejects (`secret_not_found`,
    /// `access_requested`, …); an optional one is left out. Needs the
    /// `schema` option (else `invalid_argument`).
    #[napi(ts_return_type = "Promise<object>")]
    pub fn get_all<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, Unknown<'e>>> {
        let inner = self.inner.clone();
        run(
            env,
            async move {
                let Some(schema) = &inner.schema else {
                    return Err(glue(
                        "invalid_argument",
                        "getAll needs a schema: createSecretsClient({ schema })",
                    )
                    .into());
                };
                let c = inner.client().await?;
                let mut all: HashMap<String, SecretString> = c.get_all_with_schema(schema).await?;
                // get_all_with_schema also fills lower-cased aliases (for
                // struct fields): keep the schema's names only.
                all.retain(|name, _| schema.secrets.contains_key(name));
                // Borrowed values: the JSON text is the one copy (wiped).
                let map: BTreeMap<&str, &str> = all
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.expose_secret()))
                    .collect();
                let text = serde_json::to_string(&map)
                    .map_err(|_| glue("protocol", "the secrets did not serialise"))?;
                Ok(Zeroizing::new(text))
            },
            |env, text: Zeroizing<String>| parse_json(env, &text),
        )
    }

    /// Starts the background watcher (`WatchSecrets`): a changed secret's
    /// cached value is dropped at once, everything on a change of grants,
    /// and after a revocation every read rejects with `unauthenticated`.
    /// Resolves once the stream is open (its errors reject here); later it
    /// reconnects by itself. Idempotent. It does not keep the process
    /// alive.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn watch<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, ()>> {
        let inner = self.inner.clone();
        run(
            env,
            async move {
                let c = inner.client().await?;
                Ok(c.watch().await?)
            },
            |_, ()| Ok(()),
        )
    }

    /// Stops the watcher and drops the connection, the cached values and
    /// the keys. Calls already running finish; later ones reject with
    /// `closed`. Idempotent.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, ()>> {
        let inner = self.inner.clone();
        inner.closed.store(true, Ordering::SeqCst);
        run(
            env,
            async move {
                // After a connection attempt in flight (which sees `closed`).
                let _one = inner.connecting.lock().await;
                let client = inner.slot().take();
                if let Some(c) = client {
                    c.unwatch();
                    c.invalidate();
                }
                Ok(())
            },
            |_, ()| Ok(()),
        )
    }
}
