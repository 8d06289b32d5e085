//! Randomness, injected as in the core: every function that draws random
//! bytes takes an optional [`Rng`]; without one it uses the operating
//! system's CSPRNG. A seeded RNG exists only in builds with the
//! `test-vectors` feature (see `hazmat.rs`), to replay the test vectors.

use crate::error::{Result, invalid};
use napi_derive::napi;

/// Where random bytes come from: vault-core's
/// [`AppRng`](vault_core::rng::AppRng) (the OS CSPRNG, or with vault-core's
/// `hazmat` feature a seeded ChaCha20), the one type all three bindings wrap.
pub(crate) type Source = vault_core::rng::AppRng;

/// A source of randomness to pass where a function takes `rng`. Every such
/// argument is optional and defaults to the operating system's CSPRNG, which
/// is what applications should use; `Rng.os()` exists to make that explicit.
/// (Test builds add a deterministic seeded RNG for replaying test vectors.)
///
/// An async function that takes an `Rng` moves a seeded one's state into its
/// worker: using that `Rng` again throws `invalid_argument`.
#[napi]
pub struct Rng {
    inner: Option<Source>,
}

#[napi]
impl Rng {
    /// The operating system's CSPRNG.
    #[napi(factory)]
    pub fn os() -> Self {
        Rng {
            inner: Some(Source::os()),
        }
    }
}

impl Rng {
    #[cfg(feature = "test-vectors")]
    pub(crate) fn from_source(source: Source) -> Self {
        Rng {
            inner: Some(source),
        }
    }

    fn source(&mut self) -> Result<&mut Source> {
        self.inner
            .as_mut()
            .ok_or_else(|| invalid("this Rng was moved into an async call"))
    }

    /// The source for a worker thread: the OS RNG is stateless and stays
    /// usable here; a seeded RNG's state moves.
    pub(crate) fn take_for_task(&mut self) -> Result<Source> {
        match self.inner.take() {
            Some(source) => {
                if source.is_os() {
                    self.inner = Some(Source::os());
                }
                Ok(source)
            }
            None => Err(invalid("this Rng was moved into an async call")),
        }
    }
}

/// Runs `f` with the given RNG, or the OS RNG when none was passed.
pub(crate) fn with_rng<T>(
    rng: Option<&mut Rng>,
    f: impl FnOnce(&mut Source) -> Result<T>,
) -> Result<T> {
    match rng {
        Some(r) => f(r.source()?),
        None => f(&mut Source::os()),
    }
}

/// The source an async task takes along.
pub(crate) fn for_task(rng: Option<&mut Rng>) -> Result<Source> {
    match rng {
        Some(r) => r.take_for_task(),
        None => Ok(Source::os()),
    }
}
