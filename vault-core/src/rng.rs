//! Randomness is always injected: every function that needs it takes
//! `&mut impl CryptoRng`. Apps pass [`os_rng`]; the test-vector generator passes
//! a seeded ChaCha20 RNG. The core keeps no RNG of its own.

pub use rand_core::CryptoRng;

/// The operating system's CSPRNG (`getrandom`).
///
/// It aborts the process if the OS cannot supply randomness, the same policy
/// as `getrandom`-backed RNGs everywhere: continuing without entropy would be worse.
///
/// ```
/// let mut rng = vault_core::rng::os_rng();
/// let key = vault_core::SymmetricKey::generate(&mut rng);
/// # let _ = key;
/// ```
#[cfg(feature = "os-rng")]
pub fn os_rng() -> OsRng {
    rand_core::UnwrapErr(getrandom::SysRng)
}

/// The type [`os_rng`] returns.
#[cfg(feature = "os-rng")]
pub type OsRng = rand_core::UnwrapErr<getrandom::SysRng>;
