//! The injected random number generator, as an object the app passes in.
//!
//! vault-core keeps no RNG of its own: every randomised operation takes one.
//! Apps use [`Rng::os`] (the operating system's CSPRNG). The vector suites use
//! `Rng.seeded(seed)`, which exists only when this crate is built with the
//! `test-vectors` feature, never in an application build.

use core::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};

/// A cryptographically secure random number generator handle. Thread-safe;
/// one instance can be shared by the whole app.
#[derive(uniffi::Object)]
pub struct Rng {
    inner: Mutex<Source>,
}

impl core::fmt::Debug for Rng {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Rng")
    }
}

pub(crate) enum Source {
    Os(vault_core::rng::OsRng),
    #[cfg(feature = "test-vectors")]
    Seeded(Box<vault_core::hazmat::SeededRng>),
}

impl rand_core::TryRng for Source {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> core::result::Result<u32, Infallible> {
        match self {
            Source::Os(r) => r.try_next_u32(),
            #[cfg(feature = "test-vectors")]
            Source::Seeded(r) => r.try_next_u32(),
        }
    }

    fn try_next_u64(&mut self) -> core::result::Result<u64, Infallible> {
        match self {
            Source::Os(r) => r.try_next_u64(),
            #[cfg(feature = "test-vectors")]
            Source::Seeded(r) => r.try_next_u64(),
        }
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> core::result::Result<(), Infallible> {
        match self {
            Source::Os(r) => r.try_fill_bytes(dst),
            #[cfg(feature = "test-vectors")]
            Source::Seeded(r) => r.try_fill_bytes(dst),
        }
    }
}

impl rand_core::TryCryptoRng for Source {}

impl Rng {
    /// Runs `f` with exclusive use of the generator.
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut Source) -> T) -> T {
        // No code path panics while holding the lock; recover from poison anyway.
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }
}

#[uniffi::export]
impl Rng {
    /// The operating system's CSPRNG (`getrandom`). What every app uses.
    #[uniffi::constructor]
    pub fn os() -> Arc<Self> {
        Arc::new(Rng {
            inner: Mutex::new(Source::Os(vault_core::rng::os_rng())),
        })
    }
}

#[cfg(feature = "test-vectors")]
#[uniffi::export]
impl Rng {
    /// TEST ONLY (`test-vectors` builds): ChaCha20 keyed by a 32-byte `seed`,
    /// as the test vectors' `seed_hex`. Never in an application: a repeated
    /// seed repeats keys and nonces.
    #[uniffi::constructor]
    pub fn seeded(seed: Vec<u8>) -> crate::error::Result<Arc<Self>> {
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| crate::error::malformed("rng seed", "a seed is 32 bytes"))?;
        Ok(Arc::new(Rng {
            inner: Mutex::new(Source::Seeded(Box::new(vault_core::hazmat::seeded_rng(
                seed,
            )))),
        }))
    }
}
