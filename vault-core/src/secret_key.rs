//! The device-held 128-bit Secret Key of two-secret key derivation (2SKD).
//!
//! Mixed into the stretched password (see [`crate::kdf`]), it makes a stolen
//! server database useless for offline guessing: the attacker would need both
//! the password and this key, which never leaves the user's devices (and their
//! printed Emergency Kit).
//!
//! Printable form: `VK1-` then 29 Crockford base32 characters in groups of five
//! (`VK1-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXX`), encoding the 16 key bytes and a
//! 2-byte checksum `SHA-256("VLT1 secret-key checksum" || key)[0..2]`.

use crate::encoding::{base32_decode, base32_encode, group, strip_separators};
use crate::error::{Error, Result};
use core::fmt;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

const PREFIX: &str = "VK1";

/// A 128-bit Secret Key. Zeroized on drop; `Debug` is redacted.
///
/// ```
/// use vault_core::SecretKey;
/// let mut rng = vault_core::rng::os_rng();
/// let sk = SecretKey::generate(&mut rng);
/// let text = sk.to_display_string();
/// assert!(text.starts_with("VK1-"));
/// // Lowercase, missing hyphens and O-for-0 typos are forgiven...
/// let typed = text.to_lowercase().replace('-', " ");
/// assert_eq!(SecretKey::parse(&typed).unwrap(), sk);
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey([u8; 16]);

impl SecretKey {
    /// A fresh random Secret Key.
    pub fn generate(rng: &mut impl rand_core::CryptoRng) -> Self {
        let mut b = [0u8; 16];
        rng.fill_bytes(&mut b);
        SecretKey(b)
    }
    /// From raw bytes (e.g. read back from the platform keystore).
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        SecretKey(bytes)
    }
    /// The raw bytes.
    pub fn expose_secret(&self) -> &[u8; 16] {
        &self.0
    }

    fn checksum(key: &[u8; 16]) -> [u8; 2] {
        let d = Sha256::new()
            .chain_update(b"VLT1 secret-key checksum")
            .chain_update(key)
            .finalize();
        let d: [u8; 32] = d.into();
        let [a, b, ..] = d;
        [a, b]
    }

    /// The printable form, e.g. `VK1-8Q3ZK-...`.
    pub fn to_display_string(&self) -> String {
        let mut raw = Zeroizing::new([0u8; 18]);
        let (k, c) = raw.split_at_mut(16);
        k.copy_from_slice(&self.0);
        c.copy_from_slice(&Self::checksum(&self.0));
        let body = Zeroizing::new(base32_encode(&raw[..]));
        format!("{PREFIX}-{}", group(&body, 5))
    }

    /// Parses the printable form, forgiving case, separators and Crockford
    /// look-alikes; a typo is reported as [`Error::Checksum`].
    pub fn parse(text: &str) -> Result<Self> {
        let compact = Zeroizing::new(strip_separators(text).to_ascii_uppercase());
        let body = crate::encoding::strip_code_prefix(&compact, PREFIX)
            .ok_or_else(|| Error::malformed("secret key", "must start with VK1"))?;
        let raw = Zeroizing::new(base32_decode(body, 18, "secret key")?);
        let (key, sum) = raw
            .split_first_chunk::<16>()
            .ok_or_else(|| Error::malformed("secret key", "too short"))?;
        let sk = SecretKey(*key);
        let expected = Self::checksum(&sk.0);
        if !bool::from(expected.ct_eq(sum)) {
            return Err(Error::Checksum("secret key"));
        }
        Ok(sk)
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl PartialEq for SecretKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}
impl Eq for SecretKey {}
