//! Deterministic entry points for the test-vector generator and the binding
//! vector suites. **Never use these in an application**: a repeated nonce under
//! one key destroys confidentiality and authenticity. Enabled only with the
//! `hazmat` feature.

/// The raw primitives every envelope, grant and PAKE goes through (AEADs
/// with caller-chosen nonces, X25519, Ed25519 verification), for the
/// Wycheproof and standards suites. Never call them from an application:
/// use the envelope API.
pub mod primitives {
    pub use crate::primitives::*;
}

use crate::context::Context;
use crate::envelope::{Algorithm, Envelope};
use crate::error::Result;
use crate::secret::SymmetricKey;

/// Seals with a caller-chosen nonce (its length must match `alg`).
pub fn seal_with_nonce(
    key: &SymmetricKey,
    alg: Algorithm,
    ctx: &Context,
    nonce: &[u8],
    plaintext: &[u8],
) -> Result<Envelope> {
    crate::envelope::seal_raw(
        key,
        alg,
        nonce,
        &crate::envelope::ctx_bytes(ctx)?,
        plaintext,
    )
}

/// Seals with a chosen nonce and raw context bytes (the part of the associated
/// data after `"VLT1" || version || alg`).
pub fn seal_raw_with_nonce(
    key: &SymmetricKey,
    alg: Algorithm,
    context: &[u8],
    nonce: &[u8],
    plaintext: &[u8],
) -> Result<Envelope> {
    crate::envelope::seal_raw(key, alg, nonce, context, plaintext)
}

/// A deterministic RNG (ChaCha20 keyed by `seed`) for reproducing test
/// vectors: every randomised operation, given this RNG with a vector's seed,
/// reproduces the vector byte for byte.
///
/// ```
/// use vault_core::hazmat::seeded_rng;
/// let a = vault_core::SymmetricKey::generate(&mut seeded_rng([7; 32]));
/// let b = vault_core::SymmetricKey::generate(&mut seeded_rng([7; 32]));
/// assert_eq!(a, b);
/// ```
pub fn seeded_rng(seed: [u8; 32]) -> SeededRng {
    use rand_chacha::rand_core::SeedableRng;
    rand_chacha::ChaCha20Rng::from_seed(seed)
}

/// The type [`seeded_rng`] returns.
pub type SeededRng = rand_chacha::ChaCha20Rng;

/// The identity private keys (`x25519 secret || ed25519 seed`) of an unlocked
/// account, so independent implementations can check grants in test vectors.
pub fn export_identity_secrets(account: &crate::UnlockedAccount) -> zeroize::Zeroizing<[u8; 64]> {
    account.identity.to_secret_bytes()
}
