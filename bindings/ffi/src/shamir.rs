//! Shamir secret sharing over GF(2^8) with integrity, for recovery kits.

use crate::error::Result;
use crate::keys::{SecretBytes, zeroizing};
use crate::rng::Rng;
use std::sync::Arc;

/// One share. Opaque (its `y` values are secret); `Debug` shows only the header.
#[derive(uniffi::Object, Debug, PartialEq, Eq)]
#[uniffi::export(Eq, Debug)]
pub struct Share(pub(crate) vault_core::Share);

#[uniffi::export]
impl Share {
    /// Parses the printable form (`VS1-…`), forgiving case and separators;
    /// a typo is error code `checksum`.
    #[uniffi::constructor]
    pub fn from_text(text: &str) -> Result<Arc<Self>> {
        Ok(Arc::new(Share(vault_core::Share::from_text(text)?)))
    }

    /// Parses the binary form.
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>> {
        Ok(Arc::new(Share(vault_core::Share::from_bytes(&zeroizing(
            bytes,
        ))?)))
    }

    /// The printable form, to print or hand out. Secret.
    pub fn to_text(&self) -> String {
        self.0.to_text()
    }

    /// The binary form. Secret.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.to_bytes().to_vec()
    }

    /// The share's x coordinate (1..=255); not secret.
    pub fn index(&self) -> u8 {
        self.0.index()
    }

    /// How many shares recover the secret.
    pub fn threshold(&self) -> u8 {
        self.0.threshold()
    }
}

/// Splits `secret` (1..=1024 bytes) into `shares` shares, any `threshold` of
/// which recover it (2 <= threshold <= shares <= 255).
#[uniffi::export]
pub fn shamir_split(
    secret: Vec<u8>,
    threshold: u8,
    shares: u8,
    rng: &Rng,
) -> Result<Vec<Arc<Share>>> {
    let secret = zeroizing(secret);
    let out = rng.with(|r| vault_core::shamir::split(&secret, threshold, shares, r))?;
    Ok(out.into_iter().map(|s| Arc::new(Share(s))).collect())
}

/// Recovers the secret from at least `threshold` shares of one split. Every
/// share given is used, so one tampered share is detected (error code `shamir`).
#[uniffi::export]
pub fn shamir_combine(shares: Vec<Arc<Share>>) -> Result<Arc<SecretBytes>> {
    let shares: Vec<vault_core::Share> = shares.iter().map(|s| s.0.clone()).collect();
    Ok(SecretBytes::wrap(vault_core::shamir::combine(&shares)?))
}
