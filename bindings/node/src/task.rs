//! Slow work off the event loop: one generic N-API async task.
//!
//! The closure runs on a libuv worker thread with owned inputs; the result is
//! turned into JS values back on the main thread. A core error rejects the
//! promise with the same coded `Error` a sync call would throw. An
//! `AbortSignal` cancels work that has not started yet.

use crate::error::{Result, reject, to_rejection};
use napi::Env;
use napi::ScopedTask;
use napi::bindgen_prelude::{AbortSignal, AsyncTask, ToNapiValue, TypeName};

/// A worker result that becomes a JS value on the main thread.
pub trait IntoJs: Send + 'static {
    /// The JS value type.
    type Js<'e>: ToNapiValue + TypeName;
    /// Builds the JS value.
    fn into_js<'e>(self, env: &'e Env) -> Result<Self::Js<'e>>;
}

/// The closure a [`Job`] runs on the worker thread.
pub type Work<O> = Box<dyn FnOnce() -> vault_core::Result<O> + Send>;

/// Work to run off the event loop, producing an `O`.
pub struct Job<O> {
    work: Option<Work<O>>,
}

impl<'t, O: IntoJs> ScopedTask<'t> for Job<O> {
    type Output = vault_core::Result<O>;
    type JsValue = O::Js<'t>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(match self.work.take() {
            Some(f) => f(),
            None => Err(vault_core::Error::InvalidArgument("task ran twice")),
        })
    }

    fn resolve(&mut self, env: &'t Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        match output {
            Ok(o) => o.into_js(env).map_err(|e| to_rejection(env, e)),
            Err(e) => reject(env, e),
        }
    }
}

/// Wraps `work` as a promise-returning task.
pub(crate) fn spawn<O: IntoJs>(
    work: impl FnOnce() -> vault_core::Result<O> + Send + 'static,
    signal: Option<AbortSignal>,
) -> AsyncTask<Job<O>> {
    AsyncTask::with_optional_signal(
        Job {
            work: Some(Box::new(work)),
        },
        signal,
    )
}
