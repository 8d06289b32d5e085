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
//! collector frees but never wipes.//!
//! This file holds the client's state and the glue every method shares; the
//! methods are in `client/*.rs` by area. napi writes the class's methods into
//! `index.d.ts` in the order their `#[napi] impl` blocks expand, which is the
//! order of the `mod` declarations below: keep it (each is its own group so
//! rustfmt does not sort them).

use crate::convert::{from_js, parse_id, to_js};
use crate::error::{Failure, OrNapi, Result, client_rejection, glue};
use napi::bindgen_prelude::{PromiseRaw, ToNapiValue};
use napi::{Env, Unknown, ValueType};
use napi_derive::napi;
use serde::Serialize;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Mutex;
use vault_core::{AccountId, KdfParams, RecoveryKey};
use vault_sync::client::{ClientError, ClientOptions, Device, UnlockedDevice};
use zeroize::Zeroizing;

// Opening, status, register / login / unlock, lock, logout.
mod session;

// Sync, the vault list and the items.
mod items;

// Creating and sharing vaults.
mod sharing;

// `readSecret`.
mod secrets;

// Recovery kit, account key rotation, recovery.
mod lifecycle;

// Emergency access.
mod emergency;

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
    crate::error::spawn_promise(env, fut, done, client_rejection)
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
