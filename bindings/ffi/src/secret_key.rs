//! The device-held 128-bit Secret Key of two-secret key derivation.

use crate::error::{Result, malformed};
use crate::keys::zeroizing;
use crate::rng::Rng;
use std::sync::Arc;

/// A 128-bit Secret Key (`VK1-XXXXX-…`), mixed into the stretched password.
/// Opaque; equality is constant-time; `Debug` is redacted.
#[derive(uniffi::Object, Debug, PartialEq, Eq)]
#[uniffi::export(Eq, Debug)]
pub struct SecretKey(pub(crate) vault_core::SecretKey);

#[uniffi::export]
impl SecretKey {
    /// A fresh random Secret Key.
    #[uniffi::constructor]
    pub fn generate(rng: &Rng) -> Arc<Self> {
        Arc::new(SecretKey(rng.with(vault_core::SecretKey::generate)))
    }

    /// Parses the printable form, forgiving case, separators and Crockford
    /// look-alikes (`O`→0, `I`/`L`→1). A typo is error code `checksum`.
    #[uniffi::constructor]
    pub fn parse(text: &str) -> Result<Arc<Self>> {
        Ok(Arc::new(SecretKey(vault_core::SecretKey::parse(text)?)))
    }

    /// From the 16 raw bytes (e.g. read back from the platform keystore).
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>> {
        let bytes = zeroizing(bytes);
        let raw: [u8; 16] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| malformed("secret key", "a Secret Key is 16 bytes"))?;
        Ok(Arc::new(SecretKey(vault_core::SecretKey::from_bytes(raw))))
    }

    /// The printable form for the Emergency Kit: `VK1-` and six groups.
    pub fn to_display_string(&self) -> String {
        self.0.to_display_string()
    }

    /// The 16 raw bytes: an explicit export (for the platform keystore).
    pub fn expose_secret(&self) -> Vec<u8> {
        self.0.expose_secret().to_vec()
    }
}
