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

/// The RNG the bindings hand to the core: the operating system's CSPRNG, or
/// (with the `hazmat` feature, for replaying test vectors) a seeded ChaCha20
/// stream. One home for what the UniFFI, wasm-bindgen and napi-rs bindings
/// each wrap in their exported `Rng` object.
///
/// `#[non_exhaustive]`: the `Seeded` variant exists only with `hazmat`, and a
/// crate's features unify across a build, so code outside the core asks
/// [`AppRng::is_os`] instead of matching.
///
/// ```
/// use rand_core::Rng as _;
/// let mut rng = vault_core::rng::AppRng::os();
/// let _ = rng.next_u64();
/// assert!(rng.is_os());
/// ```
#[cfg(feature = "os-rng")]
#[non_exhaustive]
pub enum AppRng {
    /// The operating system's CSPRNG ([`os_rng`]).
    Os(OsRng),
    /// ChaCha20 keyed by a seed ([`crate::hazmat::seeded_rng`]): test vectors only.
    #[cfg(feature = "hazmat")]
    Seeded(Box<crate::hazmat::SeededRng>),
}

#[cfg(feature = "os-rng")]
impl AppRng {
    /// The operating system's CSPRNG.
    pub fn os() -> Self {
        AppRng::Os(os_rng())
    }

    /// TEST VECTORS ONLY: ChaCha20 keyed by `seed`. A repeated seed repeats
    /// every key and nonce.
    #[cfg(feature = "hazmat")]
    pub fn seeded(seed: [u8; 32]) -> Self {
        AppRng::Seeded(Box::new(crate::hazmat::seeded_rng(seed)))
    }

    /// Whether this is the (stateless) OS generator: a fresh [`AppRng::os`]
    /// is then as good as this one, while a seeded one's state must move.
    pub fn is_os(&self) -> bool {
        matches!(self, AppRng::Os(_))
    }
}

#[cfg(feature = "os-rng")]
impl core::fmt::Debug for AppRng {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never the seeded generator's state.
        f.write_str(if self.is_os() {
            "AppRng::Os"
        } else {
            "AppRng::Seeded"
        })
    }
}

#[cfg(feature = "os-rng")]
impl rand_core::TryRng for AppRng {
    type Error = core::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        match self {
            AppRng::Os(r) => r.try_next_u32(),
            #[cfg(feature = "hazmat")]
            AppRng::Seeded(r) => r.try_next_u32(),
        }
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        match self {
            AppRng::Os(r) => r.try_next_u64(),
            #[cfg(feature = "hazmat")]
            AppRng::Seeded(r) => r.try_next_u64(),
        }
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        match self {
            AppRng::Os(r) => r.try_fill_bytes(dst),
            #[cfg(feature = "hazmat")]
            AppRng::Seeded(r) => r.try_fill_bytes(dst),
        }
    }
}

#[cfg(feature = "os-rng")]
impl rand_core::TryCryptoRng for AppRng {}
