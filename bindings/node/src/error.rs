//! The one flat error type.
//!
//! Every failure is a [`vault_core::Error`]; it reaches JavaScript as an
//! `Error` whose `code` is [`vault_core::Error::code`] (`"decrypt"`,
//! `"malformed"`, `"kdf_policy"`, …) and whose message is the core's message,
//! which never contains secret material. Failures of the glue itself (a JS
//! value of the wrong shape inside an object) are mapped onto the same codes.

use napi::bindgen_prelude::JsError;
use napi::{Env, Unknown};
use vault_core::Error as CoreError;

/// The `code` of every error this addon throws: vault-core's stable code.
#[derive(Debug, Clone, Copy)]
pub struct Code(pub &'static str);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0
    }
}

/// Result of every exported function: errors carry a [`Code`].
pub type Result<T> = std::result::Result<T, napi::Error<Code>>;

/// Converts a core error into the thrown form.
pub fn throw(e: CoreError) -> napi::Error<Code> {
    napi::Error::new(Code(e.code()), e.to_string())
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
