//! The one flat error type.
//!
//! Every failure is a [`vault_core::Error`]; it reaches JavaScript as an
//! `Error` whose `code` is [`vault_core::Error::code`] (`"decrypt"`,
//! `"malformed"`, `"kdf_policy"`, …) and whose message is the core's message,
//! which never contains secret material. Failures of the glue itself (a JS
//! value of the wrong shape inside an object) are mapped onto the same codes.
//!
//! The high-level client (`VaultClient`) rejects with the same kind of
//! `Error`, its `code` being [`ClientError::code`] (the server's stable code
//! for server answers, the core's for crypto failures, a fixed name
//! otherwise), plus `fault`, `offline`, `authFailure` and, when rate
//! limited, `retryAfter` (see [`client_rejection`]).

use napi::bindgen_prelude::{FromNapiValue, JsError, Object};
use napi::{Env, Unknown};
use std::borrow::Cow;
use vault_core::Error as CoreError;
use vault_sync::client::{ClientError, Fault};

/// The `code` of every error this addon throws: vault-core's stable code,
/// or the client's ([`ClientError::code`], which may be a server's code).
#[derive(Debug, Clone)]
pub struct Code(pub Cow<'static, str>);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Result of every exported function: errors carry a [`Code`].
pub type Result<T> = std::result::Result<T, napi::Error<Code>>;

/// Converts a core error into the thrown form.
pub fn throw(e: CoreError) -> napi::Error<Code> {
    napi::Error::new(Code(Cow::Borrowed(e.code())), e.to_string())
}

/// A JS value did not have the shape of `what` (never echoes the value).
pub fn malformed(what: &'static str) -> napi::Error<Code> {
    throw(CoreError::Malformed {
        what,
        reason: "not a valid value of this type",
    })
}

/// The caller used the API wrongly.
pub fn invalid(reason: &'static str) -> napi::Error<Code> {
    throw(CoreError::InvalidArgument(reason))
}

/// A failure of the N-API layer itself (creating a JS value failed, a
/// property had the wrong JS type). The N-API detail is dropped: it may quote
/// the offending value.
pub fn napi_failure(_: napi::Error) -> napi::Error<Code> {
    invalid("a JavaScript value had the wrong type")
}

/// `?`-friendly conversion of core results.
pub trait OrThrow<T> {
    /// Maps the core error to the thrown form.
    fn or_throw(self) -> Result<T>;
}

impl<T> OrThrow<T> for std::result::Result<T, CoreError> {
    fn or_throw(self) -> Result<T> {
        self.map_err(throw)
    }
}

/// `?`-friendly conversion of N-API results.
pub trait OrNapi<T> {
    /// Maps an N-API failure to `invalid_argument`.
    fn or_napi(self) -> Result<T>;
}

impl<T> OrNapi<T> for napi::Result<T> {
    fn or_napi(self) -> Result<T> {
        self.map_err(napi_failure)
    }
}

/// Turns a coded error into a plain N-API error that still carries the JS
/// `Error` object (with its `code`), for `Task::resolve`, whose signature
/// only allows `napi::Error<Status>`: a promise rejects with exactly that object.
pub fn to_rejection(env: &Env, e: napi::Error<Code>) -> napi::Error {
    let js: Unknown<'_> = JsError::from(e).into_unknown(*env);
    napi::Error::from(js)
}

/// [`to_rejection`] for a core error.
pub fn reject<T>(env: &Env, e: CoreError) -> napi::Result<T> {
    Err(to_rejection(env, throw(e)))
}

/// What a failed client call carries to JavaScript: the client's error, or
/// a failure of the glue (a locked client, a JS value of the wrong shape).
#[derive(Debug)]
pub enum Failure {
    /// From `vault-sync`'s client.
    Client(ClientError),
    /// From the glue, already in the thrown form.
    Glue(napi::Error<Code>),
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Self {
        Failure::Client(e)
    }
}

impl From<napi::Error<Code>> for Failure {
    fn from(e: napi::Error<Code>) -> Self {
        Failure::Glue(e)
    }
}

/// A glue failure with its own code (e.g. `locked`).
pub fn glue(code: &'static str, message: &'static str) -> Failure {
    Failure::Glue(napi::Error::new(Code(Cow::Borrowed(code)), message))
}

fn fault_name(f: Fault) -> &'static str {
    match f {
        Fault::Network => "network",
        Fault::Server => "server",
        Fault::Rejected => "rejected",
        Fault::Local => "local",
    }
}

/// The JS `Error` a failed client call rejects with: `code` and `message`
/// (the client's texts, which never hold a secret), `fault` (`'network'`,
/// `'server'`, `'rejected'` or `'local'`: whether to retry, fix the input or
/// report a bug), `offline` (the server could not be reached: local edits
/// stay queued), `authFailure` (a wrong password or unknown account, online
/// or offline) and `retryAfter` (seconds, when rate limited).
pub fn client_rejection(env: &Env, f: Failure) -> napi::Error {
    let e = match f {
        Failure::Glue(e) => return to_rejection(env, e),
        Failure::Client(e) => e,
    };
    let retry_after = match &e {
        ClientError::Rejected { retry_after, .. } => *retry_after,
        _ => None,
    };
    let js: Unknown<'_> = JsError::from(napi::Error::new(
        Code(Cow::Owned(e.code().to_owned())),
        e.to_string(),
    ))
    .into_unknown(*env);
    // Best effort: the extra members are conveniences; `code` is set either way.
    if let Ok(mut obj) = Object::from_unknown(js) {
        let _ = obj.set("fault", fault_name(e.fault()));
        let _ = obj.set("offline", e.is_offline());
        let _ = obj.set("authFailure", e.is_authentication_failure());
        if let Some(s) = retry_after {
            let _ = obj.set("retryAfter", u32::try_from(s).unwrap_or(u32::MAX));
        }
    }
    napi::Error::from(js)
}

/// Runs `fut` on napi's tokio runtime and settles a promise with it: `done`
/// turns the output into a JS value back on the main thread, `reject`
/// turns a failure into the coded `Error` the promise rejects with. Shared
/// by the clients, which differ only in their failure type.
pub(crate) fn spawn_promise<'e, T, F, V>(
    env: &'e Env,
    fut: impl std::future::Future<Output = std::result::Result<T, F>> + Send + 'static,
    done: impl FnOnce(&'e Env, T) -> Result<V> + 'static,
    reject: fn(&Env, F) -> napi::Error,
) -> Result<napi::bindgen_prelude::PromiseRaw<'e, V>>
where
    T: Send + 'static,
    F: Send + 'static,
    V: napi::bindgen_prelude::ToNapiValue,
{
    env.spawn_future_with_callback(async move { Ok(fut.await) }, move |env, out| match out {
        Ok(t) => done(env, t).map_err(|e| to_rejection(env, e)),
        Err(f) => Err(reject(env, f)),
    })
    .or_napi()
}
