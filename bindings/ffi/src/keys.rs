//! Key handles. Keys cross the boundary as opaque objects; their bytes leave
//! Rust only through an explicit `expose_secret()` call (for a recovery kit or
//! a platform-keystore wrap), and come back through `from_bytes`.

use crate::error::Result;
use crate::rng::Rng;
use std::sync::Arc;

/// A 256-bit symmetric key (an auth key, a KEK, an account key, a vault
/// key's bytes). Opaque; equality is constant-time; `Debug` is redacted.
#[derive(uniffi::Object, Debug, PartialEq, Eq)]
#[uniffi::export(Eq, Debug)]
pub struct SymmetricKey(pub(crate) vault_core::SymmetricKey);

impl SymmetricKey {
    pub(crate) fn wrap(k: vault_core::SymmetricKey) -> Arc<Self> {
        Arc::new(SymmetricKey(k))
    }
}

#[uniffi::export]
impl SymmetricKey {
    /// A fresh random key.
    #[uniffi::constructor]
    pub fn generate(rng: &Rng) -> Arc<Self> {
        Self::wrap(rng.with(vault_core::SymmetricKey::generate))
    }

    /// Imports exported key bytes (exactly 32).
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>> {
        let k = vault_core::SymmetricKey::from_slice(&zeroizing(bytes))?;
        Ok(Self::wrap(k))
    }

    /// The raw 32 key bytes: an explicit export. Wipe the copy when done.
    pub fn expose_secret(&self) -> Vec<u8> {
        self.0.expose_secret().to_vec()
    }
}

/// Variable-length secret bytes: a session key, an OPAQUE export key, a
/// secret recovered from Shamir shares. Opaque; equality is constant-time.
#[derive(uniffi::Object, Debug, PartialEq, Eq)]
#[uniffi::export(Eq, Debug)]
pub struct SecretBytes(pub(crate) vault_core::SecretBytes);

impl SecretBytes {
    pub(crate) fn wrap(s: vault_core::SecretBytes) -> Arc<Self> {
        Arc::new(SecretBytes(s))
    }
}

#[uniffi::export]
impl SecretBytes {
    /// Length in bytes (not secret).
    pub fn len(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX)
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The secret bytes: an explicit export. Wipe the copy when done.
    pub fn expose_secret(&self) -> Vec<u8> {
        self.0.expose_secret().to_vec()
    }
}

/// Takes ownership of secret bytes from the foreign side so they are wiped
/// when dropped.
pub(crate) fn zeroizing(bytes: Vec<u8>) -> zeroize::Zeroizing<Vec<u8>> {
    zeroize::Zeroizing::new(bytes)
}
