//! The injected random number generator, as an object the app passes in.
//!
//! vault-core keeps no RNG of its own: every randomised operation takes one.
//! Apps use [`Rng::os`] (the operating system's CSPRNG). The vector suites use
//! `Rng.seeded(seed)`, which exists only when this crate is built with the
//! `test-vectors` feature, never in an application build.

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

/// The generator itself: vault-core's [`AppRng`](vault_core::rng::AppRng)
/// (the OS CSPRNG, or with vault-core's `hazmat` feature a seeded ChaCha20),
/// the one type all three bindings wrap.
pub(crate) type Source = vault_core::rng::AppRng;

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
            inner: Mutex::new(Source::os()),
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
            inner: Mutex::new(Source::seeded(seed)),
        }))
    }
}
