//! Key handles. Keys stay in native memory (zeroized when the handle is
//! garbage-collected); their bytes reach JavaScript only through the
//! explicit `exportBytes()` methods.

use crate::error::{OrThrow, Result, invalid};
use crate::rng::{Rng, with_rng};
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use subtle_free::ct_eq;

mod subtle_free {
    /// Constant-time equality of two byte strings of public length.
    pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
        if a.len() != b.len() {
            return false;
        }
        let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
        std::hint::black_box(diff) == 0
    }
}

/// A 256-bit symmetric key (an auth key, a master KEK, an account key, a
/// server secret). Opaque: printing it shows nothing.
#[napi]
pub struct SymmetricKey {
    pub(crate) inner: vault_core::SymmetricKey,
}

#[napi]
impl SymmetricKey {
    /// A fresh random key.
    #[napi(factory)]
    pub fn generate(rng: Option<&mut Rng>) -> Result<Self> {
        with_rng(rng, |r| {
            Ok(SymmetricKey {
                inner: vault_core::SymmetricKey::generate(r),
            })
        })
    }

    /// Imports exactly 32 raw key bytes (e.g. a key the user exported).
    #[napi(factory)]
    pub fn from_bytes(bytes: Buffer) -> Result<Self> {
        Ok(SymmetricKey {
            inner: vault_core::SymmetricKey::from_slice(&bytes).or_throw()?,
        })
    }

    /// Exports the raw key bytes. Explicit on purpose: keep keys as handles.
    #[napi]
    pub fn export_bytes(&self) -> Buffer {
        Buffer::from(self.inner.expose_secret().to_vec())
    }

    /// Constant-time comparison with another key.
    #[napi]
    pub fn equals(&self, other: &SymmetricKey) -> bool {
        self.inner == other.inner
    }
}

impl From<vault_core::SymmetricKey> for SymmetricKey {
    fn from(inner: vault_core::SymmetricKey) -> Self {
        SymmetricKey { inner }
    }
}

/// The device-held 128-bit Secret Key of two-secret key derivation. Its
/// printable form is `VK1-XXXXX-…`; parsing forgives case, separators and
/// look-alike characters, and reports a typo as `checksum`.
#[napi]
pub struct SecretKey {
    pub(crate) inner: vault_core::SecretKey,
}

#[napi]
impl SecretKey {
    /// A fresh random Secret Key.
    #[napi(factory)]
    pub fn generate(rng: Option<&mut Rng>) -> Result<Self> {
        with_rng(rng, |r| {
            Ok(SecretKey {
                inner: vault_core::SecretKey::generate(r),
            })
        })
    }

    /// Parses the printable form (`VK1-…`).
    #[napi(factory)]
    pub fn parse(text: String) -> Result<Self> {
        let text = zeroize::Zeroizing::new(text);
        Ok(SecretKey {
            inner: vault_core::SecretKey::parse(&text).or_throw()?,
        })
    }

    /// Imports the 16 raw bytes (e.g. read back from the OS keychain).
    #[napi(factory)]
    pub fn from_bytes(bytes: Buffer) -> Result<Self> {
        let arr: [u8; 16] = bytes
            .as_ref()
            .try_into()
            .map_err(|_| invalid("a Secret Key is 16 bytes"))?;
        Ok(SecretKey {
            inner: vault_core::SecretKey::from_bytes(arr),
        })
    }

    /// The printable form, for the user's Emergency Kit. Explicit export.
    #[napi]
    pub fn to_display_string(&self) -> String {
        self.inner.to_display_string()
    }

    /// The 16 raw bytes (for the OS keychain). Explicit export.
    #[napi]
    pub fn export_bytes(&self) -> Buffer {
        Buffer::from(self.inner.expose_secret().to_vec())
    }

    /// Constant-time comparison.
    #[napi]
    pub fn equals(&self, other: &SecretKey) -> bool {
        self.inner == other.inner
    }
}

/// Variable-length secret bytes: a PAKE session key or export key, a secret
/// recovered from Shamir shares. Opaque until exported.
#[napi]
pub struct SecretBytes {
    pub(crate) inner: vault_core::SecretBytes,
}

#[napi]
impl SecretBytes {
    /// Length in bytes (not secret).
    #[napi(getter)]
    pub fn length(&self) -> u32 {
        u32::try_from(self.inner.len()).unwrap_or(u32::MAX)
    }

    /// The raw bytes. Explicit export.
    #[napi]
    pub fn export_bytes(&self) -> Buffer {
        Buffer::from(self.inner.expose_secret().to_vec())
    }

    /// Constant-time comparison (lengths are public).
    #[napi]
    pub fn equals(&self, other: &SecretBytes) -> bool {
        ct_eq(self.inner.expose_secret(), other.inner.expose_secret())
    }
}

impl From<vault_core::SecretBytes> for SecretBytes {
    fn from(inner: vault_core::SecretBytes) -> Self {
        SecretBytes { inner }
    }
}
