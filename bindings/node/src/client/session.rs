//! Opening a client, its status, and the transitions between locked and
//! unlocked: `register`, `login`, `unlock`, `lock`, `logout`.

use super::{Entry, Inner, State, StatusJs, VaultClient, enter, kdf_arg, run, run_json, run_unit};
use crate::convert::Opts;
use crate::error::Result;
use crate::kdf::{policy_opt, secret_key_opt};
use napi::bindgen_prelude::{Object, PromiseRaw};
use napi::{Env, Unknown};
use napi_derive::napi;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use vault_sync::client::{ClientOptions, Device};
use zeroize::Zeroizing;

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
}
