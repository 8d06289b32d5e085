//! Randomness, injected as in the core: every function that draws random
//! bytes takes an optional [`Rng`]; without one it uses the operating
//! system's CSPRNG. A seeded RNG exists only in builds with the
//! `test-vectors` feature (see `hazmat.rs`), to replay the test vectors.

use crate::error::{Result, invalid};
use napi_derive::napi;
use rand_core::{TryCryptoRng, TryRng};
use std::convert::Infallible;

/// Where random bytes come from.
pub(crate) enum Source {
    /// The operating system's CSPRNG.
    Os(vault_core::rng::OsRng),
    /// ChaCha20 keyed by a seed: test-vector builds only.
    #[cfg(feature = "test-vectors")]
    Seeded(Box<vault_core::hazmat::SeededRng>),
}

impl Source {
    pub(crate) fn os() -> Self {
        Source::Os(vault_core::rng::os_rng())
    }
}

impl TryRng for Source {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> std::result::Result<u32, Infallible> {
        match self {
            Source::Os(r) => r.try_next_u32(),
            #[cfg(feature = "test-vectors")]
            Source::Seeded(r) => r.try_next_u32(),
        }
    }
    fn try_next_u64(&mut self) -> std::result::Result<u64, Infallible> {
        match self {
            Source::Os(r) => r.try_next_u64(),
            #[cfg(feature = "test-vectors")]
            Source::Seeded(r) => r.try_next_u64(),
        }
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> std::result::Result<(), Infallible> {
        match self {
            Source::Os(r) => r.try_fill_bytes(dst),
            #[cfg(feature = "test-vectors")]
            Source::Seeded(r) => r.try_fill_bytes(dst),
        }
    }
}

impl TryCryptoRng for Source {}

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
            Some(Source::Os(r)) => {
                self.inner = Some(Source::os());
                Ok(Source::Os(r))
            }
            #[cfg(feature = "test-vectors")]
            Some(other) => Ok(other),
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
