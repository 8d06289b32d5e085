//! Shamir secret sharing for recovery kits (a recovery key splits with
//! `RecoveryKey.split`, see `lifecycle.rs`).

use crate::error::{OrThrow, Result, invalid};
use crate::keys::SecretBytes;
use crate::rng::{Rng, with_rng};
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

/// One Shamir share. Secret: print it on paper, don't log it. Its text form
/// is `VS1-…` with a checksum that catches typos.
#[napi]
pub struct Share {
    pub(crate) inner: vault_core::Share,
}

impl From<vault_core::Share> for Share {
    fn from(inner: vault_core::Share) -> Self {
        Share { inner }
    }
}

#[napi]
impl Share {
    /// Parses the printable form (case and separators forgiven; a typo is
    /// `checksum`).
    #[napi(factory)]
    pub fn from_text(text: String) -> Result<Self> {
        let text = zeroize::Zeroizing::new(text);
        Ok(Share {
            inner: vault_core::Share::from_text(&text).or_throw()?,
        })
    }

    /// Parses the binary form.
    #[napi(factory)]
    pub fn from_bytes(bytes: Buffer) -> Result<Self> {
        Ok(Share {
            inner: vault_core::Share::from_bytes(&bytes).or_throw()?,
        })
    }

    /// The share's x coordinate (1..=255); not secret.
    #[napi(getter)]
    pub fn index(&self) -> u32 {
        u32::from(self.inner.index())
    }

    /// How many shares recover the secret.
    #[napi(getter)]
    pub fn threshold(&self) -> u32 {
        u32::from(self.inner.threshold())
    }

    /// The printable form. Explicit export.
    #[napi]
    pub fn to_text(&self) -> String {
        self.inner.to_text()
    }

    /// The binary form. Explicit export.
    #[napi]
    pub fn to_bytes(&self) -> Buffer {
        Buffer::from(self.inner.to_bytes().to_vec())
    }
}

/// Splits `secret` (1..=1024 bytes) into `shares` shares, any `threshold` of
/// which recover it (2 <= threshold <= shares <= 255).
#[napi]
pub fn shamir_split(
    secret: Buffer,
    threshold: u32,
    shares: u32,
    rng: Option<&mut Rng>,
) -> Result<Vec<Share>> {
    let t = u8::try_from(threshold).map_err(|_| invalid("threshold must be 2..=255"))?;
    let n = u8::try_from(shares).map_err(|_| invalid("shares must be 2..=255"))?;
    let out = with_rng(rng, |r| {
        vault_core::shamir::split(&secret, t, n, r).or_throw()
    })?;
    Ok(out.into_iter().map(|inner| Share { inner }).collect())
}

/// Recovers the secret from at least `threshold` shares of one split.
/// Throws `shamir` for too few, mixed or tampered shares.
#[napi]
pub fn shamir_combine(shares: Vec<&Share>) -> Result<SecretBytes> {
    let shares: Vec<vault_core::Share> = shares.iter().map(|s| s.inner.clone()).collect();
    Ok(SecretBytes::from(
        vault_core::shamir::combine(&shares).or_throw()?,
    ))
}
